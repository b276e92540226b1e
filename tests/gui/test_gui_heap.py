"""Garbage collection never walks the objects of start-up (a full walk held the GIL for up to 220 ms)."""

from __future__ import annotations

from typing import Any


def test_garbage_collection_resumes_with_start_up_objects_frozen(qtbot: Any, rig: Any) -> None:
    """Start-up holds collections; once the session modules are imported, what exists is frozen."""
    import gc

    qtbot.waitUntil(gc.isenabled, timeout=30000)
    assert gc.get_freeze_count() > 50_000  # modules, classes and widgets are never walked again
