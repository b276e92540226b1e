"""Today's plan as a list the therapist can change: order, which phrases, how many.

Items already done and the one running are shown but locked; the others can be moved, removed, and
phrases of the session's level added. The protocol's selection rules come back as warnings (the same
melody twice in a row, a phrase twice), never as refusals: the therapist decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

MARKS = {"done": "✓", "current": "▶", "upcoming": "•"}


@dataclass(frozen=True)
class PlanEntry:
    phrase_id: str
    text: str
    trained: bool
    status: str = "upcoming"  # "done", "current" or "upcoming"


class PlanEditor(QWidget):
    """The list and its buttons. ``changed`` carries the upcoming phrase ids after every edit."""

    changed = Signal(object)  # list[str]: the upcoming phrase ids

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Today's plan")
        self.entries: list[PlanEntry] = []
        self._choices: dict[str, PlanEntry] = {}
        self._warn: Callable[[list[str]], list[str]] = lambda ids: []  # ids to come -> warnings
        self.list = QListWidget()
        self.list.setAccessibleName("Items of today's plan")
        self.add_choice = QComboBox()
        self.add_choice.setAccessibleName("Phrase to add")
        self.count = QLabel()
        self.count.setAccessibleName("Items planned")
        self.warnings = QLabel()
        self.warnings.setAccessibleName("Plan warnings")
        self.warnings.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, (key, text, slot) in enumerate(
            (
                ("up", "Move up", lambda: self.move_item(-1)),
                ("down", "Move down", lambda: self.move_item(1)),
                ("remove", "Remove", self.remove),
                ("add", "Add", self.add),
            )
        ):
            b = QPushButton(text)
            b.setAccessibleName(f"{text} (today's plan)")
            b.clicked.connect(slot)
            self.buttons[key] = b
            grid.addWidget(b, i // 2, i % 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list, 1)
        lay.addLayout(grid)
        lay.addWidget(self.add_choice)
        lay.addWidget(self.count)
        lay.addWidget(self.warnings)
        self.list.currentRowChanged.connect(lambda _r: self._update_buttons())

    # --- model -> view -------------------------------------------------------------------------------
    def set_plan(self, entries: Sequence[PlanEntry], choices: Sequence[PlanEntry] = ()) -> None:
        row = self.list.currentRow()
        self.entries = list(entries)
        if choices:
            self._choices = {c.phrase_id: c for c in choices}
            self.add_choice.clear()
            for c in choices:
                self.add_choice.addItem(f"{c.text}{'' if c.trained else '  (untrained probe)'}", c.phrase_id)
        self._fill(row)

    def set_warnings(self, fn: Callable[[list[str]], list[str]]) -> None:
        self._warn = fn
        self._fill(self.list.currentRow())

    def upcoming(self) -> list[str]:
        return [e.phrase_id for e in self.entries if e.status == "upcoming"]

    def _fill(self, row: int) -> None:
        self.list.clear()
        for e in self.entries:
            probe = "" if e.trained else "   (untrained probe)"
            self.list.addItem(f"{MARKS.get(e.status, '•')}  {e.text}{probe}")
        if self.entries:
            self.list.setCurrentRow(max(0, min(row, len(self.entries) - 1)))
        upcoming = len(self.upcoming())
        done = sum(e.status != "upcoming" for e in self.entries)
        self.count.setText(f"{len(self.entries)} items ({done} begun, {upcoming} to come)")
        ids = [e.phrase_id for e in self.entries if e.status != "done"]
        warnings = self._warn(ids)
        self.warnings.setText("\n".join(f"Note: {w}" for w in warnings))
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.list.currentRow()
        free = 0 <= row < len(self.entries) and self.entries[row].status == "upcoming"
        first_free = next(
            (i for i, e in enumerate(self.entries) if e.status == "upcoming"), len(self.entries)
        )
        self.buttons["up"].setEnabled(free and row > first_free)
        self.buttons["down"].setEnabled(free and row < len(self.entries) - 1)
        self.buttons["remove"].setEnabled(free)
        self.buttons["add"].setEnabled(self.add_choice.count() > 0)

    # --- edits ---------------------------------------------------------------------------------------
    def move_item(self, delta: int) -> None:
        row = self.list.currentRow()
        to = row + delta
        if not (0 <= row < len(self.entries) and 0 <= to < len(self.entries)):
            return
        if self.entries[row].status != "upcoming" or self.entries[to].status != "upcoming":
            return
        self.entries[row], self.entries[to] = self.entries[to], self.entries[row]
        self._fill(to)
        self.changed.emit(self.upcoming())

    def remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.entries) and self.entries[row].status == "upcoming":
            del self.entries[row]
            self._fill(row)
            self.changed.emit(self.upcoming())

    def add(self) -> None:
        pid = self.add_choice.currentData()
        choice = self._choices.get(pid)
        if choice is None:
            return
        self.entries.append(PlanEntry(choice.phrase_id, choice.text, choice.trained, "upcoming"))
        self._fill(len(self.entries) - 1)
        self.changed.emit(self.upcoming())


class PlanDialog(QDialog):
    """Today's plan before the session starts: the planner's proposal, changed as the therapist likes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Today's plan")
        self.editor = PlanEditor()
        self.status = QLabel("Asking the planner…")
        self.status.setWordWrap(True)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        self.ok_button = box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this plan")
        self.ok_button.setEnabled(False)
        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addWidget(self.editor, 1)
        lay.addWidget(box)
        self.editor.changed.connect(lambda ids: self.ok_button.setEnabled(bool(ids)))
        self.resize(560, 560)

    def show_proposal(self, entries: Sequence[PlanEntry], choices: Sequence[PlanEntry], note: str) -> None:
        self.editor.set_plan(entries, choices)
        self.status.setText(note)
        self.ok_button.setEnabled(bool(entries))

    def phrase_ids(self) -> list[str]:
        return self.editor.upcoming()
