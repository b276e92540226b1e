"""The "Record my model" dialog: the therapist sings the phrase once, sees it checked, keeps it or not.

Record plays a four-beat count-in at the set tempo and records until the phrase's beats and a short
tail have passed (Stop ends it early). The take is analysed on the analysis worker by the scoring
pipeline (:class:`~mit_trainer.app.recorded_model.RecordedModels`); the dialog then shows each syllable
against its target (the session's syllable plot and a table of tone and timing). Keep stores a take
that passed; Keep anyway asks for a reason and stores one that did not; Try again discards the take and
records again. Below, the recorded models of the phrase set are listed (phrase, date, tempo, verdict)
with Play and Delete (which asks once). The dialog never blocks the GUI thread on audio or the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mit_trainer.app.recorded_model import (
    KeepRefused,
    ModelTake,
    ModelTarget,
    RecordedModels,
    count_in,
    recording_length_s,
)
from mit_trainer.gui.theme import LIGHT, Theme
from mit_trainer.gui.therapist.attempt_view import AttemptView
from mit_trainer.gui.therapist.recorded_list import RecordedModelList


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


class RecordModelDialog(QDialog):
    """Record, check and keep the therapist's model of one phrase; list, play and delete kept ones."""

    kept = Signal(object)  # RecordedModel
    deleted = Signal(int)  # model id

    def __init__(
        self,
        services: Any,
        target: ModelTarget,
        *,
        therapist_id: int | None,
        parent: QWidget | None = None,
        theme: Theme = LIGHT,
    ) -> None:
        super().__init__(parent)
        self.s, self.target, self.therapist_id = services, target, therapist_id
        self.models = RecordedModels(services.store)
        self.take: ModelTake | None = None
        self._rec: Any = None
        self._busy = False
        self._closed = False
        #: Asks for the reason to keep a take that did not pass (None: cancelled). Tests replace it.
        self.ask_reason: Callable[[], str | None] = self._ask_reason
        #: Asks once before a model is deleted. Tests replace it.
        self.confirm_delete: Callable[[str], bool] = self._confirm_delete
        phrase = target.phrase
        self.setWindowTitle(f"Record my model: {phrase.text}")
        self.setAccessibleName("Record my model")
        tones = "  ".join(
            f"{syl.upper() if tone == 'H' else syl} ({'high' if tone == 'H' else 'low'}, {beats:g} beat"
            f"{'' if beats == 1 else 's'})"
            for syl, tone, beats in zip(phrase.syllables, phrase.pattern, phrase.beats, strict=True)
        )
        intro = QLabel(
            f"Sing “{phrase.text}” once at {target.tempo_bpm:g} BPM, starting on the beat after four clicks: "
            f"{tones}. Stressed syllables on the high note, {target.interval_semitones:g} semitones above "
            "the low one."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("What to sing")
        self.status = QLabel("Press Record, listen to the four clicks, then sing.")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Recording status")
        self.buttons: dict[str, QPushButton] = {}

        def button(key: str, text: str, slot: Callable[[], object]) -> QPushButton:
            b = QPushButton(text)
            b.setAccessibleName(text.replace("&", "").rstrip("…"))
            b.clicked.connect(slot)
            self.buttons[key] = b
            return b

        record_row = QHBoxLayout()
        record_row.addWidget(button("record", "&Record", self.record))
        record_row.addWidget(button("stop", "&Stop", self.stop))
        record_row.addStretch(1)
        decide = QHBoxLayout()
        keep = button("keep", "&Keep", self.keep)
        keep.setProperty("primary", True)
        decide.addWidget(keep)
        decide.addWidget(button("keep_anyway", "Keep &anyway…", self.keep_anyway))
        decide.addWidget(button("try_again", "&Try again", self.try_again))
        decide.addStretch(1)
        self.view = AttemptView(theme=theme)
        self.view.setTitle("Your take against the targets")
        view_layout = self.view.layout()
        first = view_layout.itemAt(0) if view_layout is not None else None
        scores = first.layout() if first is not None else None
        if isinstance(scores, QFormLayout):  # no therapist's score to suggest here
            scores.setRowVisible(self.view.labels["suggested"], False)
        self.table = QTableWidget(0, 5)
        self.table.setAccessibleName("Syllables against their targets")
        self.table.setHorizontalHeaderLabels(["Syllable", "Target", "Heard", "Target onset", "Sung onset"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMaximumHeight(150)

        self.models_list = RecordedModelList(
            services, self.models, target.phrase_set, confirm=lambda q: self.confirm_delete(q)
        )
        self.list = self.models_list.table
        self.buttons["play"] = self.models_list.play_button
        self.buttons["delete"] = self.models_list.delete_button
        self.models_list.grid.addWidget(button("close", "&Close", self.close), 1, 2)
        self.models_list.message.connect(self.status.setText)
        self.models_list.deleted.connect(self.deleted.emit)
        self.models_list.selection_changed.connect(self._update_enabled)

        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(record_row)
        lay.addWidget(self.status)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.table)
        lay.addLayout(decide)
        lay.addWidget(self.models_list)
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-record-model-stop")
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._tick)
        self.setMinimumSize(760, 640)
        self._update_enabled()
        self.refresh_list()

    # ------------------------------------------------------------------ recording
    def is_recording(self) -> bool:
        return self._rec is not None

    def record(self) -> None:
        audio = self.s.audio
        if audio is None:
            self.status.setText("No microphone is available on this computer.")
            return
        if self._rec is not None or self._busy:
            return
        self._discard_take()
        rate = int(audio.sample_rate_hz)
        clicks = count_in(tempo_bpm=self.target.tempo_bpm, sample_rate_hz=rate)
        try:
            self._rec = audio.start_attempt(clicks, rate, self.models.new_take_path())
        except Exception as exc:  # the device is gone or busy: say so, stay usable
            self.status.setText(f"Cannot record: {exc}")
            return
        self.status.setText("Recording… four clicks, then sing.")
        self._timer.start()
        self._update_enabled()

    def _tick(self) -> None:
        if self._rec is not None and self._rec.position_s() >= recording_length_s(self.target):
            self.stop()

    def stop(self) -> None:
        rec, self._rec = self._rec, None
        self._timer.stop()
        if rec is None:
            return
        self._busy = True
        self.status.setText("Checking your take…")
        target, models = self.target, self.models

        def analyse() -> ModelTake:
            return models.analyse_recording(rec.stop(), target)

        self.s.tasks.run_in_background(analyse, self._analysed, self._failed, executor="analysis")
        self._update_enabled()

    def _analysed(self, take: ModelTake) -> None:
        self._busy = False
        if self._closed:  # closed while the take was being checked: nobody will decide, so forget it
            self.models.discard(take)
            return
        self.take = take
        low = take.low_hz() or self.target.low_hz or 130.81
        self.view.show_outcome(
            take.analysis, low_note_hz=low, interval_semitones=self.target.interval_semitones
        )
        checks = take.checks()
        self.table.setRowCount(len(checks))
        for row, c in enumerate(checks):
            heard = "not heard" if c.onset_s is None else (c.produced or "?")
            for col, text in enumerate((c.text, c.target, heard, _ms(c.target_onset_s), _ms(c.onset_s))):
                self.table.setItem(row, col, QTableWidgetItem(text))
        if take.passed:
            self.status.setText("It matches the targets: Keep it, or Try again.")
        else:
            wrong = [c.text for c in checks if not c.matches]
            self.status.setText(
                f"It does not match (verdict {take.verdict}"
                + (f"; check {', '.join(wrong)}" if wrong else "")
                + "): Try again, or Keep anyway with a reason."
            )
        self._update_enabled()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.status.setText(f"The take could not be checked: {exc}")
        self._update_enabled()

    # ------------------------------------------------------------------ deciding
    def keep(self) -> None:
        if self.take is not None and self.take.passed:
            self._keep(None)

    def keep_anyway(self) -> None:
        if self.take is None or self.take.passed:
            return
        reason = self.ask_reason()
        if reason is None:
            return
        if not reason.strip():
            self.status.setText("A take that does not match is kept only with a reason.")
            return
        self._keep(reason.strip())

    def _keep(self, reason: str | None) -> None:
        take, therapist_id, models = self.take, self.therapist_id, self.models
        assert take is not None
        self._busy = True
        self._update_enabled()

        def store() -> Any:
            return models.keep(take, therapist_id=therapist_id, reason=reason)

        def done(model: Any) -> None:
            self._busy = False
            self.take = None
            self.status.setText("Kept. Sessions play it when the model voice source is your recorded model.")
            self.kept.emit(model)
            self.refresh_list()

        def failed(exc: BaseException) -> None:
            self._busy = False
            message = str(exc) if isinstance(exc, KeepRefused) else f"Could not keep the take: {exc}"
            self.status.setText(message)
            self._update_enabled()

        self.s.tasks.run_in_background(store, done, failed)

    def try_again(self) -> None:
        self._discard_take()
        self.record()

    def _discard_take(self) -> None:
        take, self.take = self.take, None
        if take is not None:
            self.models.discard(take)
        self.table.setRowCount(0)
        self.view.clear()

    # ------------------------------------------------------------------ the list
    def refresh_list(self) -> None:
        self.models_list.refresh()

    # ------------------------------------------------------------------ state
    def _update_enabled(self) -> None:
        recording, busy = self._rec is not None, self._busy
        take = self.take
        self.buttons["record"].setEnabled(not recording and not busy)
        self.buttons["stop"].setEnabled(recording)
        self.buttons["keep"].setEnabled(not busy and take is not None and take.passed)
        self.buttons["keep_anyway"].setEnabled(not busy and take is not None and not take.passed)
        self.buttons["try_again"].setEnabled(not busy and not recording and take is not None)
        self.models_list.set_enabled(play=not recording, delete=not recording and not busy)

    def _ask_reason(self) -> str | None:
        reason, ok = QInputDialog.getText(
            self, "Keep anyway", "Why keep a take that does not match? (kept with the model)"
        )
        return reason if ok else None

    def _confirm_delete(self, question: str) -> bool:
        answer = QMessageBox.question(
            self, "Delete recorded model", question + " Its recording is removed too."
        )
        return answer == QMessageBox.StandardButton.Yes

    def done(self, result: int) -> None:  # Close, Esc or the window's close button
        self._closed = True
        rec, self._rec = self._rec, None
        self._timer.stop()
        if rec is not None:
            self.models.discard_file(rec.stop().path)
        self._discard_take()
        super().done(result)
