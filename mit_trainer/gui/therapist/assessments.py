"""Standardised assessments of one patient (WAB, BDAE, AAT, CAL, ANELT, CIU): list and add.

Outcome measures sit beside the practice data so that research can relate them (PROTOCOL.md §6); the
research export gives their dates as day offsets. Store calls run on the database executor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mit_trainer.gui.tasks import TaskRunner

TESTS = ("WAB", "BDAE", "AAT", "CAL", "ANELT", "CIU")  # as the store accepts them
COLUMNS = ("date", "test", "subtest / version", "time point", "score", "blinded")


class AssessmentsDialog(QDialog):
    added = Signal(object)  # the stored assessment

    def __init__(
        self, *, tasks: TaskRunner, store: Callable[[], Any], patient: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._tasks, self._store, self.patient = tasks, store, patient
        self.setWindowTitle(f"Assessments: {patient.code}")
        self.setAccessibleName("Assessments")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setAccessibleName("Assessments of this patient")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.test = QComboBox()
        self.test.addItems(TESTS)
        self.subtest = QLineEdit()
        self.subtest.setPlaceholderText("e.g. AQ, WAB-R (optional)")
        self.time_point = QLineEdit()
        self.time_point.setPlaceholderText("baseline, post, follow-up …")
        self.day = QDateEdit(QDate.currentDate())
        self.day.setCalendarPopup(True)
        self.day.setMaximumDate(QDate.currentDate())
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.score = QDoubleSpinBox()
        self.score.setRange(-1e6, 1e6)
        self.score.setDecimals(2)
        self.blinded = QCheckBox("The assessor did not know the treatment")
        self.status = QLabel()
        self.status.setAccessibleName("Assessment status")
        self.add_button = QPushButton("&Add result")
        self.add_button.setAccessibleName("Add the assessment result")
        self.add_button.setDefault(True)  # Enter adds
        self.add_button.clicked.connect(self.submit)
        form_box = QGroupBox("New result")
        form = QFormLayout(form_box)
        for label, w, name in (
            ("&Test", self.test, "Test"),
            ("S&ubtest or version", self.subtest, "Subtest or version"),
            ("Time &point", self.time_point, "Time point"),
            ("&Date given", self.day, "Date given"),
            ("S&core", self.score, "Score"),
            ("", self.blinded, "Blinded assessor"),
            ("", self.add_button, "Add the assessment result"),
        ):
            w.setAccessibleName(name)
            form.addRow(label, w)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(form_box)
        lay.addWidget(self.status)
        lay.addWidget(close)
        self.resize(720, 520)
        self.reload()

    def reload(self) -> None:
        store, pid = self._store(), self.patient.id
        self._tasks.run_in_background(lambda: store.list_assessments(pid), self._fill, self._failed)

    def _fill(self, rows: list[Any]) -> None:
        self.table.setRowCount(len(rows))
        for r, a in enumerate(rows):
            values = (
                f"{a.assessed_at:%Y-%m-%d}",
                a.test,
                a.subtest or "",
                a.time_point,
                "" if a.score is None else f"{a.score:g}",
                "yes" if a.blinded else "no",
            )
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(v))
        self.table.resizeColumnsToContents()

    def submit(self) -> None:
        time_point = self.time_point.text().strip()
        if not time_point:
            self.status.setText("Please give the time point (e.g. baseline).")
            return
        d = self.day.date()
        values = {
            "test": self.test.currentText(),
            "subtest": self.subtest.text().strip() or None,
            "time_point": time_point,
            "assessed_at": datetime(d.year(), d.month(), d.day(), 12, 0, tzinfo=UTC),
            "score": float(self.score.value()),
            "blinded": self.blinded.isChecked(),
        }
        store, pid = self._store(), self.patient.id
        self.add_button.setEnabled(False)

        def done(a: Any) -> None:
            self.add_button.setEnabled(True)
            self.status.setText(f"Added {a.test} {a.time_point}.")
            self.time_point.clear()
            self.subtest.clear()
            self.added.emit(a)
            self.reload()

        def failed(exc: BaseException) -> None:
            self.add_button.setEnabled(True)
            self._failed(exc)

        self._tasks.run_in_background(lambda: store.add_assessment(pid, **values), done, failed)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"Could not save: {exc}")
