"""Workstation settings: audio devices (with a level meter and a test), the model's volume,
interval, tempo, default protocol, data folder, font scale, theme, auto-lock, patient screen and tap pad.

"Apply" saves the settings and applies theme, font scale, tap side and auto-lock at once; a new data
folder takes effect at the next start. The level meter polls the audio engine at 15 Hz only while
this page is visible.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from mit_trainer.app.voices import MODEL_VOICE_LABELS
from mit_trainer.gui import wiring
from mit_trainer.gui.settings_store import GuiSettings
from mit_trainer.gui.theme import THEMES

W = TypeVar("W", bound=QWidget)


class SettingsPanel(QWidget):
    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Settings")
        self.s = services
        self.w: dict[str, QWidget] = {}

        def add(form: QFormLayout, key: str, label: str, widget: QWidget) -> None:
            widget.setAccessibleName(label.replace("&", ""))
            self.w[key] = widget
            form.addRow(label, widget)

        audio_box = QGroupBox("Audio")
        af = QFormLayout(audio_box)
        add(af, "input_device", "&Microphone", QComboBox())
        add(af, "output_device", "&Speaker", QComboBox())
        self.meter = QProgressBar()
        self.meter.setRange(-60, 0)
        self.meter.setFormat("%v dBFS")
        self.meter.setValue(-60)
        add(af, "meter", "Input level", self.meter)
        test = QPushButton("&Test (play a tone and record it)")
        test.clicked.connect(self.run_test)
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        add(af, "test", "", test)
        add(af, "test_result", "", self.test_result)

        model_box = QGroupBox("The model")
        mf = QFormLayout(model_box)
        volume = QSlider()
        volume.setOrientation(volume.orientation().Horizontal)
        volume.setRange(0, 100)
        add(mf, "model_volume", "Vol&ume", volume)
        model_voice = QComboBox()
        for key, label in MODEL_VOICE_LABELS.items():
            model_voice.addItem(label, key)
        model_voice.setToolTip(
            "The voice that sings the model. The word voices sing the phrase's words on its two notes; "
            "a patient can have their own voice (Patients page)."
        )
        add(mf, "model_voice", "Model &voice", model_voice)
        model_source = QComboBox()
        for label, key in (
            ("synthesized", "synthesized"),
            ("my recorded model (fallback to synthesized)", "recorded"),
        ):
            model_source.addItem(label, key)
        add(mf, "model_source", "Model voice s&ource", model_source)
        interval = QDoubleSpinBox()
        interval.setRange(2, 7)
        interval.setDecimals(0)
        interval.setSuffix(" semitones")
        add(mf, "interval_semitones", "&Interval (new patients)", interval)
        tempo = QDoubleSpinBox()
        tempo.setRange(40, 90)
        tempo.setDecimals(0)
        tempo.setSuffix(" BPM")
        add(mf, "tempo_bpm", "T&empo (new patients)", tempo)
        protocol = QComboBox()
        protocol.addItems(wiring.protocol_ids())
        add(mf, "default_protocol", "Default p&rotocol", protocol)
        add(mf, "cue_tone", "", QCheckBox('Play a soft tone with the "Your turn" cue'))

        look_box = QGroupBox("Screens and safety")
        lf = QFormLayout(look_box)
        theme = QComboBox()
        theme.addItems(list(THEMES))
        add(lf, "theme", "T&heme", theme)
        scale = QDoubleSpinBox()
        scale.setRange(0.8, 2.5)
        scale.setSingleStep(0.1)
        add(lf, "font_scale", "&Font scale", scale)
        lock = QDoubleSpinBox()
        lock.setRange(1, 60)
        lock.setDecimals(0)
        lock.setSuffix(" min")
        add(lf, "auto_lock_min", "&Lock after idle", lock)
        screen = QComboBox()
        add(lf, "patient_screen", "Patient scree&n", screen)
        add(lf, "patient_full_screen", "", QCheckBox("Patient view full screen"))
        side = QComboBox()
        side.addItems(["left", "right"])
        add(lf, "tap_side", "Tap &pad side", side)
        pad = QDoubleSpinBox()
        pad.setRange(25, 90)
        pad.setDecimals(0)
        pad.setSuffix(" mm")
        add(lf, "tap_pad_mm", "Tap pad si&ze", pad)
        tap_key = QKeySequenceEdit()
        tap_key.setMaximumSequenceLength(1)
        tap_key.setToolTip("A tap from any of the trainer's windows; a USB foot pedal can send this key")
        add(lf, "tap_key", "Tap &key (foot pedal)", tap_key)
        for inner in tap_key.findChildren(QLineEdit):  # the editor's own line edit, for screen readers
            inner.setAccessibleName("Tap key (foot pedal)")
        folder_row = QWidget()
        fr = QHBoxLayout(folder_row)
        fr.setContentsMargins(0, 0, 0, 0)
        self.folder = QLineEdit()
        self.folder.setAccessibleName("Data folder")
        self.folder.setPlaceholderText(str(wiring.data_dir()))
        browse = QPushButton("&Browse…")
        browse.setAccessibleName("Browse for the data folder")
        browse.clicked.connect(self._browse)
        fr.addWidget(self.folder, 1)
        fr.addWidget(browse)
        add(lf, "data_folder", "&Data folder (next start)", folder_row)

        self.apply_button = QPushButton("&Apply")
        self.apply_button.setAccessibleName("Apply settings")
        self.apply_button.setProperty("primary", True)
        self.apply_button.clicked.connect(self.apply)
        cols = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(audio_box)
        left.addWidget(model_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(look_box)
        right.addWidget(self.apply_button)
        right.addStretch(1)
        cols.addLayout(left, 1)
        cols.addLayout(right, 1)
        QVBoxLayout(self).addLayout(cols)
        self._meter_timer = QTimer(self)
        self._meter_timer.setObjectName("mit-level-meter")
        self._meter_timer.setInterval(66)
        self._meter_timer.timeout.connect(self._poll_meter)
        self.load(services.settings)

    # --- settings <-> widgets -------------------------------------------------------------------------
    # typed access to the form's widgets
    def _get(self, key: str, kind: type[W]) -> W:
        widget = self.w[key]
        assert isinstance(widget, kind), (key, widget)
        return widget

    def _combo(self, key: str) -> QComboBox:
        return self._get(key, QComboBox)

    def _spin(self, key: str) -> QDoubleSpinBox:
        return self._get(key, QDoubleSpinBox)

    def _check(self, key: str) -> QCheckBox:
        return self._get(key, QCheckBox)

    def _slider(self, key: str) -> QSlider:
        return self._get(key, QSlider)

    def _keys(self, key: str) -> QKeySequenceEdit:
        return self._get(key, QKeySequenceEdit)

    def load(self, st: GuiSettings) -> None:
        for key in ("input_device", "output_device"):
            box = self._combo(key)
            box.clear()
            box.addItem("(system default)", None)
            for name in wiring.device_names(self.s.audio, inputs=key == "input_device"):
                box.addItem(name, name)
            idx = box.findData(getattr(st, key))
            box.setCurrentIndex(max(0, idx))
        self._slider("model_volume").setValue(round(st.model_volume * 100))
        self._combo("model_voice").setCurrentIndex(
            max(0, self._combo("model_voice").findData(st.model_voice))
        )
        sources = self._combo("model_source")
        sources.setCurrentIndex(max(0, sources.findData(st.model_source)))
        self._spin("interval_semitones").setValue(st.interval_semitones)
        self._spin("tempo_bpm").setValue(st.tempo_bpm)
        self._combo("default_protocol").setCurrentText(st.default_protocol)
        self._check("cue_tone").setChecked(st.cue_tone)
        self._combo("theme").setCurrentText(st.theme)
        self._spin("font_scale").setValue(st.font_scale)
        self._spin("auto_lock_min").setValue(st.auto_lock_min)
        screens = self._combo("patient_screen")
        screens.clear()
        screens.addItem("another screen than this one", -1)
        for i, sc in enumerate(QGuiApplication.screens()):
            screens.addItem(f"{i + 1}: {sc.name()} {sc.size().width()}x{sc.size().height()}", i)
        screens.setCurrentIndex(max(0, screens.findData(st.patient_screen)))
        self._check("patient_full_screen").setChecked(st.patient_full_screen)
        self._combo("tap_side").setCurrentText(st.tap_side)
        self._spin("tap_pad_mm").setValue(st.tap_pad_mm)
        self._keys("tap_key").setKeySequence(QKeySequence(st.tap_key))
        self.folder.setText(st.data_folder or "")

    def current(self) -> GuiSettings:
        return dataclasses.replace(
            self.s.settings,
            input_device=self._combo("input_device").currentData(),
            output_device=self._combo("output_device").currentData(),
            model_volume=self._slider("model_volume").value() / 100.0,
            model_voice=self._combo("model_voice").currentData() or "auto",
            model_source=self._combo("model_source").currentData() or "synthesized",
            interval_semitones=self._spin("interval_semitones").value(),
            tempo_bpm=self._spin("tempo_bpm").value(),
            default_protocol=self._combo("default_protocol").currentText(),
            cue_tone=self._check("cue_tone").isChecked(),
            theme=self._combo("theme").currentText(),
            font_scale=round(self._spin("font_scale").value(), 2),
            auto_lock_min=self._spin("auto_lock_min").value(),
            patient_screen=int(self._combo("patient_screen").currentData()),
            patient_full_screen=self._check("patient_full_screen").isChecked(),
            tap_side=self._combo("tap_side").currentText(),
            tap_pad_mm=self._spin("tap_pad_mm").value(),
            tap_key=self._keys("tap_key").keySequence().toString(),
            data_folder=self.folder.text().strip() or None,
        )

    def apply(self) -> None:
        self.s.update_settings(self.current())

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Data folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    # --- meter and test -------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        if self.s.audio is not None and hasattr(self.s.audio, "input_level"):
            self._meter_timer.start()
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:
        self._meter_timer.stop()
        super().hideEvent(event)

    def _poll_meter(self) -> None:
        level = self.s.audio.input_level()
        self.meter.setValue(int(max(-60.0, min(0.0, level))))

    def run_test(self) -> None:
        if self.s.audio is None:
            self.test_result.setText("No audio device is available on this computer.")
            return
        self.test_result.setText("Testing…")
        self.s.tasks.run_in_background(
            lambda: wiring.audio_test(self.s.audio),
            lambda text: self.test_result.setText(str(text)),
            lambda e: self.test_result.setText(f"The test failed: {e}"),
            executor="analysis",
        )
