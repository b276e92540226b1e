"""The therapist PIN gate (argon2 hashes in the store) and the idle auto-lock that waits for recordings."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mit_trainer.app import access
from mit_trainer.gui.therapist.lock import hash_pin, pin_problem, verify_pin

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


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


def _add_ada(qtbot: Any, rig: Any) -> Any:
    window, lock = rig.window, rig.window.lock_screen
    window.lock()
    qtbot.waitUntil(lambda: "No therapist yet" in lock.message.text(), timeout=15000)
    assert lock.approver_pin.isHidden()  # first run: nobody to approve
    lock.new_name.setText("Dr Ada")
    lock.new_pin.setText("2580")
    lock.new_pin_repeat.setText("2580")
    lock.create_button.click()
    qtbot.waitUntil(lambda: lock.therapist_box.count() == 1, timeout=15000)
    assert not lock.approver_pin.isHidden()  # from now on a new therapist needs a PIN
    return rig.services.store.list_therapists()[0]


def test_a_new_therapist_needs_an_existing_therapists_pin(qtbot: Any, rig: Any) -> None:
    """The bypass of issue 14: anyone could add a therapist on the lock screen and unlock as them."""
    lock, store = rig.window.lock_screen, rig.services.store
    ada = _add_ada(qtbot, rig)
    for approver_pin in ("", "1111"):
        lock.new_name.setText("Mallory")
        lock.new_pin.setText("0000")
        lock.new_pin_repeat.setText("0000")
        lock.approver_pin.setText(approver_pin)
        lock.create_button.click()
        qtbot.waitUntil(lambda: "not right" in lock.message.text(), timeout=15000)
        lock.message.clear()
    assert [t.display_name for t in store.list_therapists()] == ["Dr Ada"]
    lock.new_name.setText("Dr Bo")
    lock.new_pin.setText("1357")
    lock.new_pin_repeat.setText("1357")
    lock.approver_pin.setText("2580")
    lock.create_button.click()
    qtbot.waitUntil(lambda: lock.therapist_box.count() == 2, timeout=15000)
    assert [t.display_name for t in store.list_therapists()] == ["Dr Ada", "Dr Bo"]
    assert [(r.therapist_id, r.action, r.success) for r in store.access_log()] == [
        (ada.id, "setup", True),
        (ada.id, "approve", False),
        (ada.id, "approve", False),
        (ada.id, "approve", True),
    ]
    assert rig.window.is_locked()


def test_wrong_pins_are_throttled_then_locked_out_and_another_pin_lifts_it(
    qtbot: Any, rig: Any, tmp_path: Path
) -> None:
    """The screenshot goes to docs/screenshots/ when MIT_UPDATE_SCREENSHOTS is set, else to tmp_path."""
    window, lock, store = rig.window, rig.window.lock_screen, rig.services.store
    ada = _add_ada(qtbot, rig)
    bo = access.add_therapist(store, "Dr Bo", "1357", approver_id=ada.id, approver_pin="2580")
    window.refresh_therapists()
    qtbot.waitUntil(lambda: lock.therapist_box.count() == 2, timeout=15000)
    lock.therapist_box.setCurrentIndex(0)
    for n in range(access.FREE_FAILURES):  # free tries: no wait
        lock.pin_edit.setText("0000")
        lock.unlock_button.click()
        qtbot.waitUntil(lambda: "not right" in lock.message.text(), timeout=15000)
        if n < access.FREE_FAILURES - 1:
            assert lock.unlock_button.isEnabled()
            lock.message.clear()
    assert not lock.unlock_button.isEnabled() and lock.is_waiting()  # the 3rd made the next one wait 5 s
    assert "wait 5 s" in lock.message.text()
    lock.stop_waiting()
    # Nine wrong PINs for Ada an hour ago (waited out), then one now: the 10th locks her out.
    with store.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("DELETE FROM access_log WHERE action = 'unlock'"))
    earlier = datetime.now(UTC) - timedelta(hours=1)
    for i in range(access.LOCKOUT_FAILURES - 1):
        store.log_access(ada.id, "unlock", False, at=earlier + timedelta(seconds=i))
    lock.message.clear()
    lock.pin_edit.setText("9999")
    lock.unlock_button.click()
    qtbot.waitUntil(lambda: "locked out" in lock.message.text(), timeout=15000)
    assert not lock.unlock_button.isEnabled() and window.is_locked()
    assert "10 wrong PINs for Dr Ada" in lock.message.text() and "another therapist" in lock.message.text()
    shots = SCREENSHOTS if os.environ.get("MIT_UPDATE_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    qtbot.waitUntil(lambda: lock.message.height() > 0 and lock.message.isVisible(), timeout=5000)
    qtbot.wait(50)  # the label's new size is laid out in the next turns of the event loop
    assert window.grab().save(str(shots / "therapist-lockout-1280x800.png"))
    # Even Ada's right PIN is refused now (the button is off; the store refuses it too).
    with pytest.raises(access.AccessDenied, match="locked out"):
        access.check_pin(store, ada.id, "2580")
    # Bo chooses himself (his wait is not Ada's) and unlocks: that lifts Ada's lockout.
    lock.therapist_box.setCurrentIndex(1)
    assert lock.unlock_button.isEnabled() and not lock.is_waiting()
    lock.pin_edit.setText("1357")
    lock.unlock_button.click()
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=15000)
    assert window.therapist.id == bo.id
    assert access.current_throttle(store, ada.id).failures == 0
    window.lock()
    lock.stop_waiting()


@pytest.mark.slow
def test_a_restart_starts_locked_and_keeps_the_throttle(qtbot: Any, tmp_path: Path, unshown_rig: Any) -> None:
    """Closing and reopening the trainer neither unlocks it nor forgets the wrong PINs (the audit)."""
    from PySide6.QtWidgets import QApplication

    from mit_trainer.gui.app import prepare_to_show

    make_rig = unshown_rig
    first = make_rig(tmp_path)
    try:
        qtbot.waitUntil(lambda: first.services.store is not None, timeout=30000)
        store = first.services.store
        ada = access.add_therapist(store, "Dr Ada", "2580", approver_id=None, approver_pin="")
        earlier = datetime.now(UTC) - timedelta(hours=1)  # long enough ago to wait no more
        for i in range(access.FREE_FAILURES):
            store.log_access(ada.id, "unlock", False, at=earlier + timedelta(seconds=i))
        first.window.unlock_as(ada)
        assert not first.window.is_locked()
    finally:
        first.close()
    second = make_rig(tmp_path)  # the same database file
    try:
        prepare_to_show(QApplication.instance(), second.window, second.services.patient_window)
        second.window.show()
        assert second.window.is_locked()  # a new start is always locked
        lock = second.window.lock_screen
        qtbot.waitUntil(lambda: lock.therapist_box.count() == 1, timeout=30000)
        lock.pin_edit.setText("1111")
        lock.unlock_button.click()
        qtbot.waitUntil(lambda: "wrong PINs in a row" in lock.message.text(), timeout=15000)
        assert "4 wrong PINs" in lock.message.text() and lock.is_waiting()  # counted from before
        assert second.window.is_locked()
        rows = second.services.store.access_log()
        assert [(r.action, r.success) for r in rows] == [("setup", True)] + [("unlock", False)] * 4
        lock.stop_waiting()
    finally:
        second.close()
