"""A row of syllable chips: click a chip (or focus it and press Space) to toggle its tone H <-> L.

High chips sit raised and bold, low chips sit lower, so the row reads like the patient's two lanes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget


class SyllableChips(QWidget):
    pattern_changed = Signal(tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Syllables and their tones")
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self.chips: list[QPushButton] = []
        self._syllables: tuple[str, ...] = ()
        self._pattern: list[str] = []

    def set_syllables(self, syllables: tuple[str, ...], pattern: tuple[str, ...]) -> None:
        while self._row.count():
            item = self._row.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.hide()
                w.setParent(None)
                w.deleteLater()
        self.chips = []
        self._syllables = tuple(syllables)
        self._pattern = [pattern[i] if i < len(pattern) else "L" for i in range(len(syllables))]
        for i in range(len(syllables)):
            chip = QPushButton()
            chip.setCheckable(True)
            chip.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            chip.clicked.connect(lambda _=False, k=i: self.toggle(k))
            self._row.addWidget(chip)
            self.chips.append(chip)
            self._style(i)
        self._row.addStretch(1)

    def pattern(self) -> tuple[str, ...]:
        return tuple(self._pattern)

    def toggle(self, index: int) -> None:
        self._pattern[index] = "L" if self._pattern[index] == "H" else "H"
        self._style(index)
        self.pattern_changed.emit(self.pattern())

    def _style(self, i: int) -> None:
        chip, tone, text = self.chips[i], self._pattern[i], self._syllables[i]
        chip.setChecked(tone == "H")
        chip.setText(f"{text}\n{'HIGH' if tone == 'H' else 'low'}")
        chip.setAccessibleName(
            f"Syllable {i + 1} {text}: {'high' if tone == 'H' else 'low'}; press to toggle"
        )
        weight = "bold" if tone == "H" else "normal"
        margin = "margin-bottom: 14px;" if tone == "H" else "margin-top: 14px;"
        chip.setStyleSheet(f"font-weight: {weight}; {margin} padding: 6px 10px; min-width: 56px;")
