"""The therapist PIN gate (argon2 hashes in the store) and the idle auto-lock that waits for recordings."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import QObject

from mit_trainer.gui.therapist.lock import IdleLock, hash_pin, pin_problem, verify_pin


def test_pin_hashes_verify_only_the_right_pin() -> None:
    h = hash_pin("4711")
    assert h.startswith("$argon2") and "4711" not in h
    assert verify_pin(h, "4711")
    assert not verify_pin(h, "4712")
    assert not verify_pin(None, "4711")
    assert not verify_pin("not a hash", "4711")


@pytest.mark.parametrize(
    ("pin", "repeat", "problem"),
    [("12", "12", "at least 4 digits"), ("12ab", "12ab", "at least 4 digits"), ("1234", "1243", "differ"),
     ("1234", "1234", None)],
)  # fmt: skip
def test_new_pin_rules(pin: str, repeat: str, problem: str | None) -> None:
    found = pin_problem(pin, repeat)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_pin_gate_through_the_window(qtbot: Any, rig: Any) -> None:
    window, lock = rig.window, rig.window.lock_screen
    window.lock()
    assert window.is_locked()
    lock.new_name.setText("Dr Ada")
    lock.new_pin.setText("2580")
    lock.new_pin_repeat.setText("2580")
    lock.create_button.click()
    qtbot.waitUntil(lambda: lock.therapist_box.count() == 1, timeout=15000)
    stored = rig.services.store.list_therapists()[0]
    assert stored.display_name == "Dr Ada" and verify_pin(stored.pin_hash, "2580")
    lock.pin_edit.setText("0000")
    lock.unlock_button.click()
    qtbot.waitUntil(lambda: "not right" in lock.message.text(), timeout=15000)
    assert window.is_locked() and lock.pin_edit.text() == ""
    lock.pin_edit.setText("2580")
    lock.unlock_button.click()
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=15000)
    assert window.therapist.display_name == "Dr Ada"
    # Ctrl+L locks again.
    window.lock()
    assert window.is_locked()


def test_auto_lock_fires_when_idle_but_never_during_a_recording(qtbot: Any) -> None:
    recording = {"on": True}
    parent = QObject()
    lock = IdleLock(timeout_s=0.05, is_busy=lambda: recording["on"], parent=parent)
    fired: list[int] = []
    lock.lock_now.connect(lambda: fired.append(1))
    lock.arm()
    # While "recording", the idle period passes several times without a lock.
    expirations = {"n": 0}
    lock._timer.timeout.connect(lambda: expirations.__setitem__("n", expirations["n"] + 1))
    qtbot.waitUntil(lambda: expirations["n"] >= 4, timeout=5000)
    assert fired == [] and lock.is_armed()
    recording["on"] = False
    with qtbot.waitSignal(lock.lock_now, timeout=5000):
        pass
    assert fired == [1]
    lock.disarm()


def test_window_auto_locks_after_idle_and_not_while_recording(qtbot: Any, rig: Any) -> None:
    s, window = rig.services, rig.window
    s.store.add_therapist("T")
    window.unlock_as(s.store.list_therapists()[0])
    s.idle_lock.set_timeout_s(0.1)
    s.controller.recording = object()  # a recording is running
    expirations: list[int] = []
    s.idle_lock._timer.timeout.connect(lambda: expirations.append(1))
    s.idle_lock.arm()
    qtbot.waitUntil(lambda: len(expirations) >= 4, timeout=5000)  # four idle periods went by
    assert not window.is_locked()
    s.controller.recording = None
    s.calibration_recording = lambda: True  # the calibration wizard records: still no lock
    n = len(expirations)
    qtbot.waitUntil(lambda: len(expirations) >= n + 3, timeout=5000)
    assert not window.is_locked()
    s.calibration_recording = lambda: False
    qtbot.waitUntil(window.is_locked, timeout=5000)


def test_input_to_a_window_postpones_the_auto_lock(qtbot: Any, rig: Any) -> None:
    """Keys and mouse moves reach the lock through the top-level window (no application-wide filter)."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    s, window = rig.services, rig.window
    s.store.add_therapist("T")
    window.unlock_as(s.store.list_therapists()[0])
    s.idle_lock.set_timeout_s(0.4)
    s.idle_lock.arm()
    handle = window.windowHandle()
    deadline = time.monotonic() + 1.6  # four idle periods of steady activity
    x = 10
    while time.monotonic() < deadline:
        QTest.mouseMove(handle, QPoint(x, 40))
        x = 10 + (x + 7) % 200
        QTest.keyClick(handle, Qt.Key.Key_Shift)
        qtbot.wait(100)
        assert not window.is_locked()
    qtbot.waitUntil(window.is_locked, timeout=3000)  # activity stopped: it locks
