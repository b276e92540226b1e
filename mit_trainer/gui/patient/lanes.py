"""The phrase written once, word by word, with the stressed syllable raised.

A person with aphasia (often with alexia too) reads whole words far more easily than syllables scattered
over two lanes, so the phrase is written as one line of words (wrapped onto a second line only when it
does not fit): the syllables of a word stay together, the high (H) syllables are raised into the upper band
and bold, the low (L) ones sit in the lower band, and the syllable the model is singing now is lit. Type is
at least ``MIN_POINT_SIZE`` points, so that it can be read from a metre away.

At a probe step the words are the answer, so :meth:`PhraseLanes.set_words_hidden` draws only the melody's
shape (one mark per syllable, raised or low), never the text.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from mit_trainer.gui.theme import LIGHT, Theme

MIN_POINT_SIZE = 32.0
MARGIN = 16.0
SYLLABLE_GAP = 3.0  # between two syllables of one word (they still read as one word)
RAISE_EM = 0.25  # how far a high syllable sits above the middle (and a low one below), in line heights

_LETTERS = re.compile(r"[^\w]+", re.UNICODE)


def _letters(s: str) -> str:
    return _LETTERS.sub("", s).replace("_", "").casefold()


def word_groups(text: str, syllables: tuple[str, ...]) -> list[list[int]]:
    """Which syllables (by index) make up each word of ``text``.

    The syllables' letters are matched against the words' letters in order; when they cannot be matched
    (syllables spelled differently from the text, or no text), each syllable is its own word, which is
    what the lanes showed before."""
    words = [w for w in (_letters(t) for t in text.split()) if w]
    groups: list[list[int]] = []
    i = 0
    for word in words:
        group: list[int] = []
        acc = ""
        while i < len(syllables) and len(acc) < len(word):
            acc += _letters(syllables[i])
            group.append(i)
            i += 1
        if acc != word or not group:
            return [[k] for k in range(len(syllables))]
        groups.append(group)
    if i != len(syllables) or not syllables:
        return [[k] for k in range(len(syllables))]
    return groups


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
        self._groups: list[list[int]] = []
        self._lit: int | None = None
        self._hidden = False
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
        self,
        syllables: tuple[str, ...],
        pattern: tuple[str, ...],
        beats: tuple[float, ...],
        text: str = "",
    ) -> None:
        self._syllables, self._pattern = tuple(syllables), tuple(pattern)
        self._beats = tuple(beats) if len(beats) == len(syllables) else tuple(1.0 for _ in syllables)
        self._groups = word_groups(text, self._syllables)
        self._lit = None
        self._describe()
        self.update()

    def set_words_hidden(self, hidden: bool) -> None:
        """Hide the words (a probe question's answer), keeping the melody's shape."""
        if hidden != self._hidden:
            self._hidden = hidden
            self._describe()
            self.update()

    def words_hidden(self) -> bool:
        return self._hidden

    def set_lit(self, index: int | None) -> None:
        if index != self._lit:
            self._lit = index
            self.update()

    def lit_index(self) -> int | None:
        return self._lit

    def point_size(self) -> float:
        return self._point_size

    def words(self) -> list[str]:
        """The words as the patient reads them (syllables joined), empty while hidden."""
        if self._hidden:
            return []
        return ["".join(self._syllables[i] for i in g) for g in self._groups]

    def sizeHint(self) -> QSize:
        return QSize(900, 300)

    def _describe(self) -> None:
        self.setAccessibleDescription("" if self._hidden else " ".join(self.words()))

    # --- layout --------------------------------------------------------------------------------------
    def syllable_font(self, stressed: bool) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(self._point_size)
        font.setBold(stressed)
        return font

    def _advance(self, i: int) -> float:
        if self._hidden:
            return QFontMetricsF(self.syllable_font(False)).height() * 0.9
        return QFontMetricsF(self.syllable_font(self._tone(i) == "H")).horizontalAdvance(self._syllables[i])

    def _tone(self, i: int) -> str:
        return self._pattern[i] if i < len(self._pattern) else "L"

    def _lines(self, width: float) -> list[list[list[int]]]:
        """Words broken into lines that fit ``width`` (a word is never broken)."""
        space = QFontMetricsF(self.syllable_font(False)).horizontalAdvance(" ") * 1.6
        lines: list[list[list[int]]] = [[]]
        used = 0.0
        for g in self._groups:
            w = sum(self._advance(i) for i in g) + SYLLABLE_GAP * (len(g) - 1)
            extra = w if not lines[-1] else w + space
            if lines[-1] and used + extra > width:
                lines.append([g])
                used = w
            else:
                lines[-1].append(g)
                used += extra
        return lines

    def syllable_rects(self) -> list[QRectF]:
        """Where each syllable is written (widget coordinates), in syllable order."""
        if not self._syllables:
            return []
        w, h = float(self.width()), float(self.height())
        avail = w - 2 * MARGIN
        fm = QFontMetricsF(self.syllable_font(False))
        space = fm.horizontalAdvance(" ") * 1.6
        line_h = fm.height()
        lines = self._lines(avail)
        band = (h - 2 * MARGIN) / len(lines)
        rects: dict[int, QRectF] = {}
        for n, line in enumerate(lines):
            mid = MARGIN + band * (n + 0.5)
            widths = [sum(self._advance(i) for i in g) + SYLLABLE_GAP * (len(g) - 1) for g in line]
            x = MARGIN + max(0.0, (avail - sum(widths) - space * (len(line) - 1)) / 2)
            for g in line:
                for k, i in enumerate(g):
                    adv = self._advance(i)
                    dy = -RAISE_EM * line_h if self._tone(i) == "H" else RAISE_EM * line_h
                    rects[i] = QRectF(x, mid + dy - line_h / 2, adv, line_h)
                    x += adv + (SYLLABLE_GAP if k < len(g) - 1 else 0.0)
                x += space
        return [rects[i] for i in range(len(self._syllables))]

    # --- painting --------------------------------------------------------------------------------------
    def paintEvent(self, event: object) -> None:
        t = self._theme
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(t.window))
        rects = self.syllable_rects()
        if rects:
            # The two bands behind the text: high above, low below (as on the live trace).
            top = min(r.top() for r in rects) - 6
            bottom = max(r.bottom() for r in rects) + 6
            mid = (top + bottom) / 2 if len({round(r.top()) for r in rects}) <= 2 else None
            span = QRectF(MARGIN, top, self.width() - 2 * MARGIN, bottom - top)
            if mid is not None:
                p.fillRect(QRectF(span.left(), top, span.width(), mid - top), QColor(t.lane_high))
                p.fillRect(QRectF(span.left(), mid, span.width(), bottom - mid), QColor(t.lane_low))
            else:
                p.fillRect(span, QColor(t.lane_low))
        for i, rect in enumerate(rects):
            lit = i == self._lit
            stressed = self._tone(i) == "H"
            box = rect.adjusted(-3, -2, 3, 2)
            if lit:
                p.setPen(QPen(QColor(t.text), 3))
                p.setBrush(QColor(t.lit))
                p.drawRoundedRect(box, 12, 12)
            if self._hidden:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(t.lit_text if lit else t.text))
                r = rect.height() * (0.2 if stressed else 0.15)
                p.drawEllipse(QPointF(rect.center()), r, r)
                continue
            p.setPen(QColor(t.lit_text if lit else t.text))
            p.setFont(self.syllable_font(stressed))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._syllables[i])
        p.end()
