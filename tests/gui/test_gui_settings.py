"""Workstation settings: saved as JSON, applied at once (theme, tap pad, font scale), bad files ignored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mit_trainer.gui.settings_store import GuiSettings, load_settings, save_settings, settings_path
from mit_trainer.gui.theme import HIGH_CONTRAST


def test_settings_round_trip_and_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    st = GuiSettings(theme="high-contrast", font_scale=1.4, tap_pad_mm=60.0, input_device="USB mic")
    save_settings(st, path)
    assert load_settings(path) == st
    path.write_text(json.dumps({"font_scale": "huge", "auto_lock_min": 2, "unknown": 1}), encoding="utf-8")
    loaded = load_settings(path)
    assert loaded.font_scale == 1.0 and loaded.auto_lock_min == 2.0
    path.write_text("{not json", encoding="utf-8")
    assert load_settings(path) == GuiSettings()
    assert settings_path().name == "gui-settings.json"


def test_apply_changes_theme_tap_pad_and_type_at_once(qtbot: Any, rig: Any) -> None:
    s = rig.services
    panel = rig.window.pages["settings"]
    panel.w["theme"].setCurrentText("high-contrast")
    panel.w["tap_pad_mm"].setValue(60)
    panel.w["font_scale"].setValue(1.5)
    panel.w["tap_side"].setCurrentText("right")
    panel.w["auto_lock_min"].setValue(2)
    panel.apply_button.click()
    assert s.theme is HIGH_CONTRAST
    assert s.theme_work.pending()  # the restyle runs one step per event-loop turn
    with qtbot.waitSignal(s.theme_work.finished, timeout=5000):
        pass
    pad = s.patient_window.tap_pad
    assert 59.0 <= pad.physical_side_mm() <= 61.0
    assert s.patient_window.lanes.point_size() == 60.0
    assert s.patient_window.tap_side == "right"
    assert s.idle_lock.timeout_s() == 120.0
    assert load_settings() == s.settings and s.settings.theme == "high-contrast"
    # The theme reaches both windows and a dialog of the main window, without an application-wide sheet.
    from PySide6.QtWidgets import QApplication, QGroupBox, QInputDialog, QVBoxLayout

    assert QApplication.instance().styleSheet() == ""
    dialog = QInputDialog(rig.window.dialog_parent())
    pages = [rig.window.lock_screen, *rig.window.pages.values()]
    for parent in (*pages, s.patient_window, dialog):
        box = QGroupBox("x")  # the sheet gives group boxes the panel colour (the palette alone would not)
        (parent.layout() or QVBoxLayout(parent)).addWidget(box)
        box.ensurePolished()
        assert box.palette().color(box.backgroundRole()).name() == HIGH_CONTRAST.panel, parent
    assert QApplication.instance().font().pointSizeF() == 15.0


def test_patient_is_added_with_workstation_defaults_and_deleted_on_request(qtbot: Any, rig: Any) -> None:
    import dataclasses

    s = rig.services
    s.settings = dataclasses.replace(s.settings, interval_semitones=4.0, tempo_bpm=50.0, tap_side="right")
    patients = rig.window.pages["patients"]
    patients.code.setText("P500")
    patients.add_patient()
    qtbot.waitUntil(lambda: patients.settings is not None and patients.patient.code == "P500", timeout=15000)
    stored = s.store.get_patient_settings(patients.patient.id)
    assert (stored.interval_semitones, stored.tempo_bpm, stored.tap_side) == (4.0, 50.0, "right")
    patients.delete_patient(confirm_code="P50")  # a typo deletes nothing
    assert [p.code for p in s.store.list_patients()] == ["P500"]
    patients.delete_patient(confirm_code="P500")
    qtbot.waitUntil(lambda: s.store.list_patients() == [] and patients.list.count() == 0, timeout=15000)
