"""The assessments screen: a therapist records a WAB result for the selected patient (issue 16, item 6)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt


def test_assessment_is_added_from_the_patients_page(qtbot: Any, rig: Any) -> None:
    s = rig.services
    patients = rig.window.pages["patients"]
    assert not patients.assessments_button.isEnabled()  # no patient chosen yet
    patients.code.setText("P700")
    patients.add_patient()
    qtbot.waitUntil(lambda: patients.settings is not None and patients.patient.code == "P700", timeout=15000)
    assert patients.assessments_button.isEnabled()
    patients.assessments_button.click()
    dlg = patients.assessments
    assert dlg is not None and dlg.isVisible() and dlg.table.rowCount() == 0
    dlg.submit()  # no time point: asked for, nothing stored
    assert "time point" in dlg.status.text() and s.store.list_assessments(patients.patient.id) == []
    dlg.test.setCurrentText("WAB")
    dlg.subtest.setText("AQ")
    dlg.time_point.setText("baseline")
    dlg.day.setDate(QDate(2026, 3, 1))
    dlg.score.setValue(62.5)
    dlg.blinded.setChecked(True)
    qtbot.keyClick(dlg.time_point, Qt.Key.Key_Return)  # Enter submits the form
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=15000)
    texts = [dlg.table.item(0, c).text() for c in range(dlg.table.columnCount())]
    assert texts == ["2026-03-01", "WAB", "AQ", "baseline", "62.5", "yes"]
    stored = s.store.list_assessments(patients.patient.id)
    assert [(a.test, a.subtest, a.score, a.blinded) for a in stored] == [("WAB", "AQ", 62.5, True)]
    shots = os.environ.get("MIT_SCREENSHOT_DIR")
    if shots:
        dlg.grab().save(str(Path(shots) / "assessments-dialog.png"))
    dlg.close()
