"""The kept recorded models of a phrase set, for the "Record my model" dialog: a table with Play and Delete.

Each row is one model (phrase, date, tempo, verdict, and "matched" or the therapist's reason for keeping
it anyway). Play loads and checks the WAV on the analysis worker and plays it; Delete asks once (through
the ``confirm`` callable the dialog passes in) and removes the row and its file on the database worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from mit_trainer.app.recorded_model import RecordedModels
from mit_trainer.app.recorded_playback import load_model_audio


class RecordedModelList(QGroupBox):
    """The recorded models of ``phrase_set``; ``message`` carries one line for the dialog's status."""

    message = Signal(str)
    deleted = Signal(int)  # model id
    selection_changed = Signal()

    def __init__(
        self,
        services: Any,
        models: RecordedModels,
        phrase_set: str,
        *,
        confirm: Callable[[str], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Recorded models in “{phrase_set}”", parent)
        self.s, self.models, self.phrase_set, self._confirm = services, models, phrase_set, confirm
        self.listed: list[Any] = []
        self.table = QTableWidget(0, 5)
        self.table.setAccessibleName("Recorded models")
        self.table.setHorizontalHeaderLabels(["Phrase", "Date", "Tempo", "Verdict", "Kept because"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self.selection_changed.emit)
        self.play_button = QPushButton("&Play")
        self.play_button.setAccessibleName("Play the selected recorded model")
        self.play_button.clicked.connect(self.play_selected)
        self.delete_button = QPushButton("&Delete…")
        self.delete_button.setAccessibleName("Delete the selected recorded model")
        self.delete_button.clicked.connect(self.delete_selected)
        self.grid = QGridLayout(self)
        self.grid.addWidget(self.table, 0, 0, 1, 3)
        self.grid.addWidget(self.play_button, 1, 0)
        self.grid.addWidget(self.delete_button, 1, 1)

    def refresh(self) -> None:
        models, set_name = self.models, self.phrase_set
        self.s.tasks.run_in_background(lambda: models.list(phrase_set=set_name), self._show)

    def _show(self, listed: list[Any]) -> None:
        self.listed = listed
        self.table.setRowCount(len(listed))
        for row, m in enumerate(listed):
            cells = (
                m.phrase_id,
                m.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                f"{m.tempo_bpm:g} BPM",
                m.verdict,
                "matched" if m.accepted else (m.insisted_reason or ""),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.selection_changed.emit()

    def selected_model(self) -> Any:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.listed[rows.pop()] if len(rows) == 1 and self.listed else None

    def set_enabled(self, *, play: bool, delete: bool) -> None:
        chosen = self.selected_model() is not None
        self.play_button.setEnabled(chosen and play)
        self.delete_button.setEnabled(chosen and delete)

    def play_selected(self) -> None:
        model, audio, store = self.selected_model(), self.s.audio, self.s.store
        if model is None or audio is None:
            return
        self.s.tasks.run_in_background(
            lambda: load_model_audio(store, model),
            lambda loaded: audio.play(loaded[0], loaded[1]),
            lambda exc: self.message.emit(str(exc)),
            executor="analysis",
        )

    def delete_selected(self) -> None:
        model = self.selected_model()
        if model is None:
            return
        when = model.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        if not self._confirm(f"Delete your recorded model of “{model.phrase_id}” from {when}?"):
            return
        models = self.models

        def done(report: Any) -> None:
            self.message.emit("Deleted." + (f" {report.warning}" if report.warning else ""))
            self.deleted.emit(model.id)
            self.refresh()

        self.s.tasks.run_in_background(
            lambda: models.delete(model.id), done, lambda e: self.message.emit(str(e))
        )
