"""The voice calibration wizard: a sustained "ah", a glide, then the proposed low note to confirm.

Each recording runs through the audio engine for a fixed time (the therapist can stop it early);
the pitch is tracked on the analysis executor. The result page shows the comfortable pitch, the range
and the proposed low note (:mod:`calibration_math`), which the therapist may change before saving it
to the patient's settings in the store.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from mit_trainer.core import defaults
from mit_trainer.gui import wiring
from mit_trainer.gui.therapist.calibration_math import VoiceEstimate, estimate_voice
from mit_trainer.gui.therapist.patients_panel import hz_to_note


class RecordPage(QWizardPage):
    """Record one task (``kind`` = "ah" or "glide") and track its pitch."""

    def __init__(self, services: Any, kind: str, title: str, text: str, seconds: float) -> None:
        super().__init__()
        self.s, self.kind, self.seconds = services, kind, seconds
        self.setTitle(title)
        self.f0: np.ndarray | None = None
        self._rec: Any = None
        info = QLabel(text)
        info.setWordWrap(True)
        self.button = QPushButton(f"&Record ({seconds:.0f} s)")
        self.button.setAccessibleName(f"Record the {kind}")
        self.button.clicked.connect(self.toggle)
        self.result = QLabel("Not recorded yet.")
        self.result.setAccessibleName(f"Result of the {kind}")
        self.result.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(info)
        lay.addWidget(self.button)
        lay.addWidget(self.result)
        lay.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-calibration-stop")
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._tick)

    def isComplete(self) -> bool:
        return self.f0 is not None

    def recording(self) -> bool:
        return self._rec is not None

    def toggle(self) -> None:
        if self._rec is not None:
            self.stop()
            return
        audio = self.s.audio
        if audio is None:
            self.result.setText("No microphone is available on this computer.")
            return
        feed = getattr(self.s, "calibration_feed", None)
        if feed is not None:
            feed(self.kind)
        path = wiring.scratch_recordings_dir() / f"calibration-{self.kind}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._rec = audio.start_attempt(np.zeros(480, dtype=np.float32), defaults.STREAM_SAMPLE_RATE_HZ, path)
        self.button.setText("&Stop")
        self.result.setText("Recording…")
        self._timer.start()

    def _tick(self) -> None:
        if self._rec is not None and self._rec.position_s() >= self.seconds:
            self.stop()

    def stop(self) -> None:
        rec, self._rec = self._rec, None
        self._timer.stop()
        if rec is None:
            return
        self.button.setText(f"&Record again ({self.seconds:.0f} s)")
        self.result.setText("Measuring the pitch…")

        def measure() -> np.ndarray:
            result = rec.stop()
            samples, rate = wiring.load_recording(result)
            return np.asarray(wiring.track_pitch(samples, sample_rate_hz=rate).f0_hz, dtype=float)

        self.s.tasks.run_in_background(measure, self._measured, self._failed, executor="analysis")

    def _measured(self, f0: np.ndarray) -> None:
        voiced = f0[np.isfinite(f0)]
        if voiced.size < 20:
            self.f0 = None
            self.result.setText("Too little voice was heard. Please record again, a little louder.")
        else:
            self.f0 = f0
            med = float(np.median(voiced))
            self.result.setText(
                f"Heard {voiced.size / 100:.1f} s of voice, median {med:.0f} Hz ({hz_to_note(med)})."
            )
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.result.setText(f"The recording could not be measured: {exc}")

    def cleanupPage(self) -> None:
        self.stop()


class ResultPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("The patient's low note")
        self.estimate: VoiceEstimate | None = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Calibration result")
        self.low = QDoubleSpinBox()
        self.low.setRange(50, 600)
        self.low.setDecimals(1)
        self.low.setSuffix(" Hz")
        self.low.setAccessibleName("Low note")
        self.note = QLabel()
        self.low.valueChanged.connect(lambda v: self.note.setText(hz_to_note(v) if v > 0 else ""))
        form = QFormLayout()
        form.addRow("&Low note", self.low)
        form.addRow("Note", self.note)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addLayout(form)
        lay.addStretch(1)

    def initializePage(self) -> None:
        wiz = self.wizard()
        assert isinstance(wiz, CalibrationWizard)
        try:
            est = estimate_voice(wiz.ah_page.f0, wiz.glide_page.f0)  # type: ignore[arg-type]
        except ValueError as exc:
            self.summary.setText(str(exc))
            return
        self.estimate = est
        self.summary.setText(
            f"Comfortable pitch {est.comfortable_hz:.0f} Hz ({hz_to_note(est.comfortable_hz)}); range "
            f"{est.range_low_hz:.0f}-{est.range_high_hz:.0f} Hz ({hz_to_note(est.range_low_hz)}-"
            f"{hz_to_note(est.range_high_hz)}). Proposed low note: {est.proposed_low_hz:.1f} Hz "
            f"({hz_to_note(est.proposed_low_hz)}), two semitones below the comfortable pitch. Change it if "
            "you hear a better one, then press Finish to save it."
        )
        self.low.setValue(est.proposed_low_hz)


class CalibrationWizard(QWizard):
    saved = Signal(float)
    AH_SECONDS = 4.0
    GLIDE_SECONDS = 5.0

    def __init__(self, services: Any, patient: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.s, self.patient = services, patient
        self.setWindowTitle(f"Calibrate the voice of {patient.code}")
        self.setAccessibleName("Calibration wizard")
        intro = QWizardPage()
        intro.setTitle("Voice calibration")
        text = QLabel(
            'Two short recordings find a comfortable pitch for the patient\'s low note: a sustained "ah" at '
            "a comfortable pitch, then a slow glide from low to high and back. Use the session's microphone."
        )
        text.setWordWrap(True)
        QVBoxLayout(intro).addWidget(text)
        self.ah_page = RecordPage(
            services,
            "ah",
            'Sustained "ah"',
            'Ask the patient to say "ah" at a comfortable pitch and hold it.',
            self.AH_SECONDS,
        )
        self.glide_page = RecordPage(
            services,
            "glide",
            "Glide",
            "Ask the patient to glide from a low to a high pitch and back down.",
            self.GLIDE_SECONDS,
        )
        self.result_page = ResultPage()
        for page in (intro, self.ah_page, self.glide_page, self.result_page):
            self.addPage(page)

    def is_recording(self) -> bool:
        return self.ah_page.recording() or self.glide_page.recording()

    def accept(self) -> None:
        low = self.result_page.low.value()
        store, pid = self.s.store, self.patient.id
        if store is not None and low > 0 and not math.isnan(low):
            self.s.tasks.run_in_background(
                lambda: store.update_patient_settings(pid, low_note_hz=float(low)),
                lambda _s: self.saved.emit(low),
            )
        super().accept()

    def reject(self) -> None:
        self.ah_page.stop()
        self.glide_page.stop()
        super().reject()
