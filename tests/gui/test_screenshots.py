"""``mit-trainer gui --demo --screenshot-dir DIR`` runs the scripted session and saves every surface."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

SURFACES = (
    "therapist-lock",
    "therapist-patients",
    "therapist-session",
    "therapist-next-item",
    "patient-model",
    "patient-your-turn",
    "patient-after",
    "calibration",
    "editor",
    "progress",
    "settings",
    "patient-model-high-contrast",
)
SIZES = ((1280, 800), (1920, 1080))


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.slow
@pytest.mark.slow
def test_screenshot_command_saves_every_surface_at_both_sizes(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "mit_trainer", "gui", "--demo", "--screenshot-dir", str(out)],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in SURFACES:
        for w, h in SIZES:
            path = out / f"{name}-{w}x{h}.png"
            assert path.is_file(), f"missing {path.name}"
            assert png_size(path) == (w, h)
            assert path.stat().st_size > 10_000  # a real rendering, not a blank image
    assert (out / "session-report.pdf").read_bytes()[:5] == b"%PDF-"
    # No database or recordings were left in the user's data folder: the demo uses a temporary one.
    assert not (Path(env["MIT_TRAINER_HOME"]) / "mit-trainer.sqlite3").exists()


def test_demo_script_takes_one_step_per_tick(qtbot: object) -> None:
    """A step is one user action: steps whose conditions already hold still wait for the next tick."""
    from mit_trainer.demo.desktop import ScriptRunner

    done: list[str] = []

    def script():  # type: ignore[no-untyped-def]
        for name in ("click", "type", "save"):
            done.append(name)
            yield lambda: True

    runner = ScriptRunner(script())
    finished: list[int] = []
    runner.finished.connect(finished.append)
    runner._poll()
    assert done == ["click"]
    runner._poll()
    assert done == ["click", "type"]
    runner.start()
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)  # type: ignore[attr-defined]
    assert done == ["click", "type", "save"] and finished == [0]


def test_stall_monitor_leaves_screenshots_out(qtbot: object, monkeypatch: object) -> None:
    """Work before a screenshot and work after it are two gaps; the screenshot itself is neither."""
    from mit_trainer.demo import tools as demo

    clock = [100.0]
    monkeypatch.setattr(demo.time, "perf_counter", lambda: clock[0])  # type: ignore[attr-defined]
    m = demo.StallMonitor()
    m.start()
    try:
        m.phase = "editor"
        clock[0] += 0.030  # an action: 30 ms
        with m.excluding():
            clock[0] += 0.700  # the screenshot
            m._tick()  # a tick inside (processEvents in the shot) is not a gap
        clock[0] += 0.020  # the next action
        m._tick()
    finally:
        m.stop()
    assert [(p, round(g * 1000)) for p, g in m.ticks] == [("editor", 30), ("editor", 20)]
    assert round(m.table()[-1][4]) == 30  # the longest gap, ms
