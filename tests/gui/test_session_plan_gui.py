"""Today's plan in the GUI (issue 16, item 2): proposed and changed before the session, shown and
changed during it, through the real session and store on the fake audio device."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mit_trainer.gui.therapist.plan_editor import PlanEditor, PlanEntry


def test_done_and_current_items_are_locked(qtbot: Any) -> None:
    editor = PlanEditor()
    qtbot.addWidget(editor)
    changes: list[list[str]] = []
    editor.changed.connect(changes.append)
    entries = [PlanEntry("a", "A", True, "done"), PlanEntry("b", "B", True, "current"),
               PlanEntry("c", "C", True), PlanEntry("d", "D", False)]  # fmt: skip
    editor.set_plan(entries, [PlanEntry("e", "E", True), PlanEntry("f", "F", False)])
    editor.list.setCurrentRow(1)
    assert not editor.buttons["remove"].isEnabled() and not editor.buttons["down"].isEnabled()
    editor.list.setCurrentRow(2)
    assert not editor.buttons["up"].isEnabled()  # never above the running item
    editor.move_item(1)
    assert changes[-1] == ["d", "c"]
    editor.remove()  # the selection followed "c" to row 3
    assert changes[-1] == ["d"]
    editor.add_choice.setCurrentIndex(1)
    editor.add()
    assert changes[-1] == ["d", "f"] and "untrained probe" in editor.list.item(3).text()
    assert editor.count.text() == "4 items (2 begun, 2 to come)"


def _ready_patient(qtbot: Any, rig: Any) -> Any:
    from mit_trainer.storage import PatientSettings

    s, window = rig.services, rig.window
    s.store.add_patient("P300", settings=PatientSettings(low_note_hz=120.0, level=1))
    s.store.add_therapist("T", pin_hash=None)
    window.unlock_as(s.store.list_therapists()[0])
    patients = window.pages["patients"]
    patients.reload(select_code="P300")
    qtbot.waitUntil(lambda: patients.settings is not None, timeout=20000)
    idx = next(
        i for i in range(patients.phrase_set.count()) if patients.phrase_set.itemText(i).startswith("level1")
    )
    patients.phrase_set.setCurrentIndex(idx)
    return patients


def test_plan_before_and_during_the_session(qtbot: Any, rig: Any) -> None:
    s, window = rig.services, rig.window
    patients = _ready_patient(qtbot, rig)
    patients.plan_button.click()
    dialog = patients.plan_dialog
    qtbot.waitUntil(lambda: dialog.editor.list.count() > 0, timeout=20000)
    proposed = dialog.editor.upcoming()
    assert len(proposed) >= 2 and "planner" in dialog.status.text()
    shots = os.environ.get("MIT_SCREENSHOT_DIR")
    if shots:
        dialog.grab().save(str(Path(shots) / "plan-dialog.png"))
    dialog.editor.list.setCurrentRow(len(proposed) - 1)
    dialog.editor.remove()  # one item fewer
    dialog.editor.list.setCurrentRow(1)
    dialog.editor.move_item(-1)  # the second first
    chosen = dialog.phrase_ids()
    assert chosen == [proposed[1], proposed[0], *proposed[2:-1]]
    dialog.accept()
    patients.start.click()
    c = s.controller
    qtbot.waitUntil(lambda: c.session is not None and c.view is not None, timeout=30000)
    assert [r.phrase_id for r in c.view.plan] == chosen and c.view.phrase.id == chosen[0]
    panel = window.pages["session"]
    assert panel.plan.list.count() == len(chosen) and panel.plan.list.item(0).text().startswith("▶")
    # during the session: the last item goes, the list follows in the panel and the engine
    panel.plan.list.setCurrentRow(len(chosen) - 1)
    panel.plan.remove()
    qtbot.waitUntil(lambda: len(c.view.plan) == len(chosen) - 1, timeout=20000)
    assert c.view.panel.n_items == len(chosen) - 1 and panel.plan.list.count() == len(chosen) - 1
    events = [e.kind for e in s.store.list_events(session_id=c.session.session_id)]
    assert "session_replanned" in events
    if shots:
        window.show_page("session")
        window.grab().save(str(Path(shots) / "therapist-session-plan.png"))
