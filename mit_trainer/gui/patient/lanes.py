"""The phrase drawn as a simple two-line score: high syllables on the upper lane, low ones below.

Each syllable is a box whose width follows its beats; stressed (H) syllables are bold; the syllable
the model is singing now is lit. Type is at least ``MIN_POINT_SIZE`` points, so that a person with
aphasia and low vision can read it from a metre away.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from mit_trainer.gui.theme import LIGHT, Theme

MIN_POINT_SIZE = 32.0


class PhraseLanes(QWidget):
    def __init__(
        self, parent: QWidget | None = None, *, theme: Theme = LIGHT, point_size: float = 40.0
    ) -> None:
        super().__init__(parent)
        self._theme = theme
        self._point_size = max(MIN_POINT_SIZE, point_size)
        self._syllables: tuple[str, ...] = ()
        self._pattern: tuple[str, ...] = ()
        self._beats: tuple[float, ...] = ()
        self._lit: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Phrase")
        self.setMinimumHeight(220)

    # --- model -> view -------------------------------------------------------------------------------
    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.update()

    def set_point_size(self, pt: float) -> None:
        self._point_size = max(MIN_POINT_SIZE, pt)
        self.update()

    def set_phrase(
        self, syllables: tuple[str, ...], pattern: tuple[str, ...], beats: tuple[float, ...]
    ) -> None:
        self._syllables, self._pattern = tuple(syllables), tuple(pattern)
        self._beats = tuple(beats) if len(beats) == len(syllables) else tuple(1.0 for _ in syllables)
        self._lit = None
        self.setAccessibleDescription(" ".join(self._syllables))
        self.update()

    def set_lit(self, index: int | None) -> None:
        if index != self._lit:
            self._lit = index
            self.update()

    def lit_index(self) -> int | None:
        return self._lit

    def point_size(self) -> float:
        return self._point_size

    def sizeHint(self) -> QSize:
        return QSize(900, 300)

    # --- painting --------------------------------------------------------------------------------------
    def syllable_font(self, stressed: bool) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(self._point_size)
        font.setBold(stressed)
        return font

    def syllable_rects(self) -> list[QRectF]:
        """Where each syllable box is drawn (widget coordinates)."""
        if not self._syllables:
            return []
        w, h = float(self.width()), float(self.height())
        margin = 16.0
        lane_h = (h - 3 * margin) / 2.0
        widths = []
        for text, tone in zip(self._syllables, self._pattern, strict=False):
            fm = QFontMetricsF(self.syllable_font(tone == "H"))
            widths.append(fm.horizontalAdvance(text) + 28.0)
        total_beats = sum(self._beats) or 1.0
        by_beats = [(w - 2 * margin) * b / total_beats for b in self._beats]
        # Each box is as wide as its beats allow but never narrower than its text.
        boxes = [max(a, b) for a, b in zip(by_beats, widths, strict=True)]
        scale = min(1.0, (w - 2 * margin) / sum(boxes))
        x = margin + max(0.0, (w - 2 * margin - sum(boxes) * scale) / 2)
        rects = []
        for box, tone in zip(boxes, self._pattern, strict=False):
            y = margin if tone == "H" else 2 * margin + lane_h
            rects.append(QRectF(x + 3, y, box * scale - 6, lane_h))
            x += box * scale
        return rects

    def paintEvent(self, event: object) -> None:
        t = self._theme
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(t.window))
        w, h = float(self.width()), float(self.height())
        margin = 16.0
        lane_h = (h - 3 * margin) / 2.0
        p.fillRect(QRectF(margin, margin, w - 2 * margin, lane_h), QColor(t.lane_high))
        p.fillRect(QRectF(margin, 2 * margin + lane_h, w - 2 * margin, lane_h), QColor(t.lane_low))
        for i, (rect, text, tone) in enumerate(
            zip(self.syllable_rects(), self._syllables, self._pattern, strict=False)
        ):
            lit = i == self._lit
            if lit:
                p.setPen(QPen(QColor(t.text), 3))
                p.setBrush(QColor(t.lit))
                p.drawRoundedRect(rect, 12, 12)
            p.setPen(QColor(t.lit_text if lit else t.text))
            p.setFont(self.syllable_font(tone == "H"))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        p.end()
