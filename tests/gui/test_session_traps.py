"""Traps in the therapist's session page (issue 16, item 3): no shared mnemonic, a stray key never ends
an item, and the last item's analysis never stands beside a new item."""

from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QWidget


def _mnemonics(widget: QWidget) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    texts = [w.text() for w in widget.findChildren(QAbstractButton) + widget.findChildren(QLabel)]
    texts += [g.title() for g in widget.findChildren(QGroupBox)]
    for text in texts:
        m = re.search(r"&([^&\s])", text.replace("&&", ""))
        if m:
            found.setdefault(m.group(1).lower(), []).append(text)
    return found


def test_no_alt_key_belongs_to_two_controls(rig: Any) -> None:
    window = rig.window
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    for key, page in window.pages.items():
        found = _mnemonics(page)
        for tab in tabs:  # the tabs are reached with Ctrl+1..5 and take no Alt key of their own
            m = re.search(r"&([^&\s])", tab)
            if m:
                found.setdefault(m.group(1).lower(), []).append(tab)
        shared = {k: v for k, v in found.items() if len(v) > 1}
        assert not shared, f"{key}: {shared}"
    shared = {k: v for k, v in _mnemonics(window.lock_screen).items() if len(v) > 1}
    assert not shared, f"lock screen: {shared}"


@pytest.mark.parametrize(("button", "action"), [("end_item", "end_item"), ("skip", "skip")])
def test_ending_or_skipping_an_item_asks_once(
    rig: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch, button: str, action: str
) -> None:
    panel = rig.window.pages["session"]
    done: list[str] = []
    monkeypatch.setattr(panel.c, action, lambda: done.append(action))
    asked: list[str] = []
    answer = {"value": False}

    def confirm(title: str, question: str) -> bool:
        asked.append(title)
        return answer["value"]

    monkeypatch.setattr(panel, "confirm", confirm)
    panel.buttons[button].setEnabled(True)
    panel.buttons[button].click()
    assert asked and done == []  # asked, and "No" keeps the item
    answer["value"] = True
    panel.buttons[button].click()
    assert len(asked) == 2 and done == [action]


def test_a_typed_note_stays_in_the_notes(rig: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    window = rig.window
    panel = window.pages["session"]
    clicked: list[str] = []
    for key, b in panel.buttons.items():
        b.setEnabled(True)
        b.clicked.connect(lambda _=False, k=key: clicked.append(k))
    window.show_page("session")
    window.activateWindow()
    panel.notes.setFocus()
    qtbot.waitUntil(panel.notes.hasFocus, timeout=5000)
    qtbot.keyClicks(panel.notes, "mnrke bp 123 so")
    qtbot.keyClick(panel.notes, Qt.Key.Key_Return)
    assert panel.notes.toPlainText().startswith("mnrke bp 123 so") and clicked == []


def _view(item_no: int, phrase_id: str) -> Any:
    phrase = SimpleNamespace(id=phrase_id, text=phrase_id.replace("-", " "))
    panel = SimpleNamespace(item_no=item_no, n_items=8, step_no=1, n_steps=5, level=1, try_no=1)
    return SimpleNamespace(phrase=phrase, panel=panel, step=None, awaiting="model", totals=None)


def test_a_new_item_clears_the_last_analysis(rig: Any) -> None:
    panel = rig.window.pages["session"]
    view_ = panel.attempt_view
    panel.show_view(_view(1, "thank-you"))
    analysis = SimpleNamespace(
        scores=SimpleNamespace(contour=1.0, rhythm=0.9, completeness=1.0, voicing=1.0, overall=0.95),
        verdict="pass",
        syllables=[],
    )
    view_.show_outcome(SimpleNamespace(analysis=analysis, suggested="pass"), low_note_hz=130.8,
                       interval_semitones=3.0)  # fmt: skip
    assert view_.labels["overall"].text() == "95 %"
    panel.show_view(_view(1, "thank-you"))  # the same item, next step: the analysis stays
    assert view_.labels["overall"].text() == "95 %"
    panel.show_view(_view(2, "good-morning"))
    assert view_.labels["overall"].text() == "–"


def test_the_tap_key_taps_from_whichever_window_has_focus(rig: Any, qtbot: Any) -> None:
    window, pv, s = rig.window, rig.services.patient_window, rig.services
    taps: list[int] = []
    pv.tapped.connect(lambda: taps.append(1))
    window.show_page("patients")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_F12)  # the therapist's window has focus
    assert taps == [1]
    s.update_settings(replace(s.settings, tap_key="F9"))  # a pedal set to another key
    qtbot.keyClick(window, Qt.Key.Key_F12)
    qtbot.keyClick(window, Qt.Key.Key_F9)
    assert taps == [1, 1]
    pv.tap_pad.hide()  # (its flash ends with it)


def test_enter_submits_add_therapist(qtbot: Any) -> None:
    """Issue 16: Enter in the new-therapist form submits it, as Enter in the PIN field unlocks."""
    from mit_trainer.gui.therapist.lock import LockScreen

    lock = LockScreen()
    qtbot.addWidget(lock)
    lock.set_therapists([])  # first run: no approver needed
    asked: list[tuple[str, str]] = []
    lock.create_requested.connect(lambda name, pin, _approver, _approver_pin: asked.append((name, pin)))
    lock.new_name.setText("Dr. Ada")
    lock.new_pin.setText("2580")
    lock.new_pin_repeat.setText("2580")
    qtbot.keyClick(lock.new_pin_repeat, Qt.Key.Key_Return)
    assert asked == [("Dr. Ada", "2580")]
