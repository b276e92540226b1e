"""Choose or create a patient (pseudonymous code and consents), see their settings, start a session.

All store calls run on the database executor. Identifying details are not asked for here: the
code is all the trainer needs (PROTOCOL.md §7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mit_trainer.app.voices import MODEL_VOICE_LABELS
from mit_trainer.gui.tasks import TaskRunner


@dataclass(frozen=True)
class SessionRequest:
    patient: Any  # storage Patient
    protocol_id: str
    phrase_set_path: str
    level: int
    fatigue_before: int
    low_note_hz: float
    interval_semitones: float
    tempo_bpm: float
    tap_side: str
    plan: tuple[str, ...] | None = None  # the therapist's list of phrase ids for today (None: the planner's)


def hz_to_note(f_hz: float) -> str:
    import math

    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    midi = round(69 + 12 * math.log2(f_hz / 440.0))
    return f"{names[midi % 12]}{midi // 12 - 1}"


class PatientsPanel(QWidget):
    start_requested = Signal(object)  # SessionRequest
    calibrate_requested = Signal(object)  # Patient
    patient_selected = Signal(object)  # Patient
    message = Signal(str)

    def __init__(
        self,
        *,
        tasks: TaskRunner,
        store: Callable[[], Any],
        protocols: Callable[[], list[str]],
        phrase_sets: Callable[[], list[tuple[str, str]]],
        new_patient_defaults: Callable[[], dict[str, Any]] = dict,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Patients")
        self._tasks, self._store, self._protocols, self._phrase_sets = tasks, store, protocols, phrase_sets
        self._defaults = new_patient_defaults
        self.patient: Any = None
        self.settings: Any = None
        self.list = QListWidget()
        self.list.setAccessibleName("Patients")
        self.list.currentItemChanged.connect(self._selected)
        self.code = QLineEdit()
        self.code.setAccessibleName("New patient code")
        self.code.setPlaceholderText("pseudonymous code, e.g. P017")
        self.c_clinical = QCheckBox("Clinical use")
        self.c_clinical.setChecked(True)
        self.c_research = QCheckBox("Research use")
        self.c_audio = QCheckBox("Share raw audio")
        for box in (self.c_clinical, self.c_research, self.c_audio):
            box.setAccessibleName(f"Consent: {box.text()}")
        self.delete_button = QPushButton("Delete patient and recordings…")
        self.delete_button.setAccessibleName("Delete the selected patient")
        self.delete_button.clicked.connect(self._ask_delete)
        add = QPushButton("&Add patient")
        add.setAccessibleName("Add patient")
        add.clicked.connect(self.add_patient)
        self.code.returnPressed.connect(add.click)
        new_box = QGroupBox("New patient")
        nl = QFormLayout(new_box)
        nl.addRow("C&ode", self.code)
        nl.addRow("Consents", self.c_clinical)
        nl.addRow("", self.c_research)
        nl.addRow("", self.c_audio)
        nl.addRow("", add)
        for i in range(nl.rowCount()):
            lab = nl.itemAt(i, QFormLayout.ItemRole.LabelRole)
            field = nl.itemAt(i, QFormLayout.ItemRole.FieldRole)
            label_w = lab.widget() if lab is not None else None
            buddy = field.widget() if field is not None else None
            if isinstance(label_w, QLabel) and buddy is not None:
                label_w.setBuddy(buddy)

        self.low_note = QLabel("not calibrated")
        self.low_note.setAccessibleName("Low note")
        self.interval = QDoubleSpinBox()
        self.interval.setRange(2, 7)
        self.interval.setDecimals(0)
        self.interval.setSuffix(" semitones")
        self.tempo = QDoubleSpinBox()
        self.tempo.setRange(40, 90)
        self.tempo.setDecimals(0)
        self.tempo.setSuffix(" BPM")
        self.tap_side = QComboBox()
        self.tap_side.addItems(["left", "right"])
        self.model_voice = QComboBox()
        self.model_voice.addItem("as in Settings", None)
        for key, label in MODEL_VOICE_LABELS.items():
            self.model_voice.addItem(label, key)
        calibrate = QPushButton("&Calibrate voice…")
        calibrate.setAccessibleName("Calibrate voice")
        calibrate.clicked.connect(
            lambda: self.patient is not None and self.calibrate_requested.emit(self.patient)
        )
        self.protocol = QComboBox()
        self.phrase_set = QComboBox()
        self.level = QSpinBox()
        self.level.setRange(1, 3)
        self.fatigue = QSpinBox()
        self.fatigue.setRange(0, 10)
        self.fatigue.setToolTip("0 = not tired at all, 10 = exhausted")
        self.start = QPushButton("&Start session")
        self.start.setAccessibleName("Start session")
        self.start.setProperty("primary", True)
        self.start.clicked.connect(self._start)
        self.assessments_button = QPushButton("Assess&ments…")
        self.assessments_button.setAccessibleName("Standardised assessments of this patient")
        self.assessments_button.clicked.connect(self.open_assessments)
        self.assessments: Any = None  # the open dialog
        self.plan_button = QPushButton("Today's pla&n…")
        self.plan_button.setAccessibleName("See and change today's plan")
        self.plan_button.clicked.connect(self.open_plan)
        self.plan_dialog: Any = None
        self.plan: tuple[tuple[str, int, str], tuple[str, ...]] | None = None  # ((set, level, code), ids)
        sess_box = QGroupBox("Patient settings and session")
        sl = QFormLayout(sess_box)
        for label, w, name in (
            ("Low note", self.low_note, "Low note"),
            ("&Interval", self.interval, "Interval"),
            ("&Tempo", self.tempo, "Tempo"),
            ("Tap si&de", self.tap_side, "Tap side"),
            ("Model &voice", self.model_voice, "Model voice"),
            ("", calibrate, "Calibrate voice"),
            ("", self.assessments_button, "Standardised assessments of this patient"),
            ("&Protocol", self.protocol, "Protocol"),
            ("P&hrase set", self.phrase_set, "Phrase set"),
            ("&Level", self.level, "Level"),
            ("&Fatigue now (0-10)", self.fatigue, "Fatigue before the session"),
            ("", self.plan_button, "See and change today's plan"),
            ("", self.start, "Start session"),
        ):
            w.setAccessibleName(name)
            sl.addRow(label, w)
        left = QVBoxLayout()
        left.addWidget(QLabel("Patients"))
        left.addWidget(self.list, 1)
        left.addWidget(self.delete_button)
        left.addWidget(new_box)
        outer = QHBoxLayout(self)
        outer.addLayout(left, 1)
        outer.addWidget(sess_box, 1)
        self._set_enabled(False)

    def _set_enabled(self, on: bool) -> None:
        self.start.setEnabled(on)
        self.assessments_button.setEnabled(on)
        self.plan_button.setEnabled(on)

    def _plan_key(self) -> tuple[str, int, str]:
        code = self.patient.code if self.patient is not None else ""
        return (str(self.phrase_set.currentData() or ""), self.level.value(), code)

    def open_plan(self) -> None:
        """Today's plan: the planner proposes (on a worker), the therapist changes it; used at Start."""
        from mit_trainer.gui import wiring
        from mit_trainer.gui.therapist.plan_editor import PlanDialog

        store = self._store()
        if self.patient is None or store is None:
            return
        key = self._plan_key()
        dialog = PlanDialog(self)
        self.plan_dialog = dialog
        path, level, code = key
        protocol = self.protocol.currentText()

        def propose() -> Any:
            from mit_trainer.core.phrases import load_phrase_set

            got = wiring.propose_plan(store, patient_code=code, protocol_id=protocol, phrase_set_path=path,
                                      level=level)  # fmt: skip
            return (*got, wiring.plan_warner(load_phrase_set(path)))

        def shown(got: Any) -> None:
            from mit_trainer.gui.therapist.plan_editor import PlanEntry

            raw_entries, raw_choices, note, warner = got
            entries = [PlanEntry(*e) for e in raw_entries]
            choices = [PlanEntry(*c) for c in raw_choices]
            if self.plan is not None and self.plan[0] == key:  # the therapist's earlier list for today
                by_id = {c.phrase_id: c for c in choices}
                entries = [by_id[i] for i in self.plan[1] if i in by_id]
                note = "Your plan for today."
            dialog.editor.set_warnings(warner)
            dialog.show_proposal(entries, choices, note)

        def accepted() -> None:
            ids = tuple(dialog.phrase_ids())
            self.plan = (key, ids) if ids else None
            self.message.emit(f"Today's plan: {len(ids)} items." if ids else "The planner will choose.")

        dialog.accepted.connect(accepted)
        self._tasks.run_in_background(propose, shown, lambda e: dialog.status.setText(f"Cannot plan: {e}"))
        dialog.open()

    def open_assessments(self) -> None:
        """The selected patient's standardised assessments (WAB, BDAE, ...): list and add."""
        from mit_trainer.gui.therapist.assessments import AssessmentsDialog

        if self.patient is None or self._store() is None:
            return
        self.assessments = AssessmentsDialog(tasks=self._tasks, store=self._store, patient=self.patient,
                                             parent=self)  # fmt: skip
        self.assessments.open()

    # --- data -----------------------------------------------------------------------------------------
    def reload(self, select_code: str | None = None) -> None:
        """Refresh the protocol and phrase-set choices and the patient list, all read off the GUI thread.

        Reading the protocol files means parsing and validating YAML (30-50 ms); the choices keep the
        protocol and phrase set the therapist had picked when they are still offered.
        """
        store, protocols, phrase_sets = self._store(), self._protocols, self._phrase_sets

        def gather() -> tuple[list[str], list[tuple[str, str]], list[Any] | None]:
            return protocols(), phrase_sets(), (store.list_patients() if store is not None else None)

        self._tasks.run_in_background(gather, lambda got: self._fill_all(*got, select_code))

    def _fill_all(
        self,
        protocols: list[str],
        phrase_sets: list[tuple[str, str]],
        patients: list[Any] | None,
        select_code: str | None,
    ) -> None:
        keep_protocol, keep_set = self.protocol.currentText(), self.phrase_set.currentData()
        self.protocol.clear()
        self.protocol.addItems(protocols)
        if keep_protocol in protocols:
            self.protocol.setCurrentText(keep_protocol)
        self.phrase_set.clear()
        for label, path in phrase_sets:
            self.phrase_set.addItem(label, path)
        if keep_set is not None and self.phrase_set.findData(keep_set) >= 0:
            self.phrase_set.setCurrentIndex(self.phrase_set.findData(keep_set))
        if patients is not None:
            self._fill(patients, select_code)

    def _fill(self, patients: list[Any], select_code: str | None) -> None:
        self.list.clear()
        for p in patients:
            item = QListWidgetItem(p.code)
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.list.addItem(item)
            if p.code == select_code:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)

    def add_patient(self) -> None:
        from mit_trainer.storage import Consents, PatientSettings

        code = self.code.text().strip()
        store = self._store()
        if not code or store is None:
            self.message.emit("Enter a pseudonymous code for the new patient.")
            return
        consents = Consents(
            self.c_clinical.isChecked(), self.c_research.isChecked(), self.c_audio.isChecked()
        )
        settings = PatientSettings(**self._defaults())

        def done(p: Any) -> None:
            self.code.clear()
            self.message.emit(f"Patient {p.code} added.")
            self.reload(select_code=p.code)

        self._tasks.run_in_background(
            lambda: store.add_patient(code, consents, settings=settings),
            done,
            lambda e: self.message.emit(str(e)),
        )

    def _selected(self, item: QListWidgetItem | None, _prev: object = None) -> None:
        if item is None:
            return
        patient = item.data(Qt.ItemDataRole.UserRole)
        store = self._store()
        self.patient = patient
        self.patient_selected.emit(patient)
        self._tasks.run_in_background(lambda: store.get_patient_settings(patient.id), self.show_settings)

    def show_settings(self, s: Any) -> None:
        self.settings = s
        self.low_note.setText(
            "not calibrated"
            if s.low_note_hz is None
            else f"{s.low_note_hz:.0f} Hz ({hz_to_note(s.low_note_hz)})"
        )
        self.interval.setValue(s.interval_semitones)
        self.tempo.setValue(s.tempo_bpm)
        self.tap_side.setCurrentText(s.tap_side)
        self.model_voice.setCurrentIndex(max(0, self.model_voice.findData(getattr(s, "model_voice", None))))
        if s.protocol_id:
            self.protocol.setCurrentText(s.protocol_id)
        self.level.setValue(s.level)
        self._set_enabled(True)

    def _ask_delete(self) -> None:
        """Deletion on request (PROTOCOL.md §7): the therapist types the code to confirm."""
        from PySide6.QtWidgets import QInputDialog

        if self.patient is None:
            return
        code, ok = QInputDialog.getText(
            self,
            "Delete patient",
            f"This deletes {self.patient.code}, all sessions and all recordings, and cannot be undone.\n"
            "Type the patient's code to confirm:",
        )
        if ok:
            self.delete_patient(confirm_code=code.strip())

    def delete_patient(self, *, confirm_code: str) -> None:
        patient, store = self.patient, self._store()
        if patient is None or store is None:
            return
        if confirm_code != patient.code:
            self.message.emit("The code did not match: nothing was deleted.")
            return

        def done(report: Any) -> None:
            self.patient = self.settings = None
            self._set_enabled(False)
            self.message.emit(
                f"Deleted {report.code}: {report.sessions_deleted} sessions, "
                f"{report.attempts_deleted} attempts, {report.files_removed} recordings."
            )
            self.reload()

        self._tasks.run_in_background(
            lambda: store.delete_patient(patient.id), done, lambda e: self.message.emit(str(e))
        )

    def _start(self) -> None:
        if self.patient is None or self.settings is None:
            return
        low = self.settings.low_note_hz
        if low is None:
            self.message.emit("Calibrate the patient's voice first (the low note is needed).")
            return
        req = SessionRequest(
            patient=self.patient,
            protocol_id=self.protocol.currentText(),
            phrase_set_path=str(self.phrase_set.currentData() or ""),
            level=self.level.value(),
            fatigue_before=self.fatigue.value(),
            low_note_hz=float(low),
            interval_semitones=self.interval.value(),
            tempo_bpm=self.tempo.value(),
            tap_side=self.tap_side.currentText(),
            plan=self.plan[1] if self.plan is not None and self.plan[0] == self._plan_key() else None,
        )
        self.plan = None  # a plan is for one session
        store, pid = self._store(), self.patient.id
        changes = {
            "interval_semitones": req.interval_semitones,
            "tempo_bpm": req.tempo_bpm,
            "tap_side": req.tap_side,
            "protocol_id": req.protocol_id,
            "level": req.level,
            "model_voice": self.model_voice.currentData(),
        }
        self._tasks.run_in_background(
            lambda: store.update_patient_settings(pid, **changes), lambda _s: self.start_requested.emit(req)
        )
