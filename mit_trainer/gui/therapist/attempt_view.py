"""The automatic analysis of the last attempt, for the therapist: score parts, verdict, syllables.

The plot shows each target syllable (hollow square at its target lane: 0 = low note, interval = high
note) against what was detected (filled circle at its median pitch, in semitones above the patient's
low note). A syllable that was not produced has no circle and is listed as "not heard". The word
check's result (said / unclear / missing per word, with the syllables each word spans) is listed above
the syllables; it is shown here only, never on the patient's screen. These scores only advise; the
therapist's score is final (PROTOCOL.md §2).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QTransform
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from mit_trainer.gui.chart import PaintedChart
from mit_trainer.gui.session_controller import vget
from mit_trainer.gui.theme import LIGHT, Theme

SCORE_PARTS = ("contour", "rhythm", "completeness", "voicing", "overall")
#: Marks beside each word's status (text first: the status word itself carries the meaning).
WORD_MARKS = {"said": "\u2713", "unclear": "?", "missing": "\u2013"}


def words_text(analysis: Any) -> str:
    """One line for the therapist: each word, the syllables it spans and its status, or why none
    ("" for an analysis made before the word check existed)."""
    words = vget(analysis, "words")
    if words is None:
        note = vget(analysis, "words_note")
        return f"Words not checked ({note})." if note else ""
    sylls = [str(vget(s, "text", "")) for s in vget(analysis, "syllables", ()) or ()]
    parts = []
    for w in words:
        status = str(vget(w, "status", "?"))
        idx = [i for i in vget(w, "syllables", ()) or () if 0 <= int(i) < len(sylls)]
        spelled = "-".join(sylls[int(i)] for i in idx)
        beside = f" [{spelled}]" if spelled and spelled != vget(w, "text") else ""
        parts.append(f"{vget(w, 'text')}{beside} {WORD_MARKS.get(status, '')} {status}")
    return "Words: " + "; ".join(parts) if parts else "Words: none in the phrase."


def syllable_points(analysis: Any, *, low_note_hz: float, interval_semitones: float) -> dict[str, np.ndarray]:
    """Target and detected positions (x = syllable number from 1, y = semitones above the low note)."""
    sylls = list(vget(analysis, "syllables", ()) or ())
    x = np.arange(1, len(sylls) + 1, dtype=float)
    target = np.array([interval_semitones if vget(s, "target") == "H" else 0.0 for s in sylls], dtype=float)
    detected = np.array(
        [
            12.0 * math.log2(float(f0) / low_note_hz)
            if f0 is not None and not math.isnan(float(f0))
            else np.nan
            for f0 in (vget(s, "f0_hz") for s in sylls)
        ],
        dtype=float,
    )
    return {"x": x, "target": target, "detected": detected}


class SyllablePlot(PaintedChart):
    """Target (hollow square) and detected (filled circle) pitch per syllable, painted once per attempt."""

    TARGET_PX = 20.0
    DETECTED_PX = 14.0
    HEADROOM_SEMITONES = 4.0

    def __init__(self, parent: QWidget | None = None, *, theme: Theme = LIGHT) -> None:
        super().__init__(
            parent,
            theme=theme,
            x_title="syllable",
            y_title="semitones above the low note:  □ target   ● heard",
        )
        self.x_ticks = lambda lo, hi: [float(i) for i in range(math.ceil(lo), math.floor(hi) + 1)]
        self._interval = 3.0
        self.clear_points()
        self.setAccessibleName("Syllable pitch plot")
        self.setAccessibleDescription("Target pitch (squares) and detected pitch (circles) per syllable")

    def set_points(self, x: np.ndarray, target: np.ndarray, detected: np.ndarray, *, interval: float) -> None:
        """Syllable numbers, target and detected semitones (NaN: not heard)."""
        self._x, self._target, self._detected, self._interval = x, target, detected, interval
        n = max(1, len(x))
        self.set_ranges((0.5, n + 0.5), (-self.HEADROOM_SEMITONES, interval + self.HEADROOM_SEMITONES))
        self.invalidate()

    def clear_points(self) -> None:
        empty = np.zeros(0)
        self.set_points(empty, empty, empty, interval=self._interval)

    def points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._x, self._target, self._detected

    def draw_data(self, p: QPainter, xf: QTransform) -> None:
        p.resetTransform()  # markers are sized in pixels: map their centres, draw untransformed
        th = self._theme
        p.setPen(QPen(QColor(th.target), 3.0))
        p.setBrush(Qt.BrushStyle.NoBrush)
        half = self.TARGET_PX / 2
        for x, y in zip(self._x, self._target, strict=True):
            c = xf.map(QPointF(float(x), float(y)))
            p.drawRect(QRectF(c.x() - half, c.y() - half, self.TARGET_PX, self.TARGET_PX))
        p.setPen(QPen(QColor(th.trace), 1.0))
        p.setBrush(QColor(th.trace))
        r = self.DETECTED_PX / 2
        for x, y in zip(self._x, self._detected, strict=True):
            if not math.isnan(float(y)):
                p.drawEllipse(xf.map(QPointF(float(x), float(y))), r, r)


class AttemptView(QGroupBox):
    def __init__(self, parent: QWidget | None = None, *, theme: Theme = LIGHT) -> None:
        super().__init__("Automatic analysis (advice)", parent)
        self.setAccessibleName("Automatic analysis")
        self._theme = theme
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout()
        for part in (*SCORE_PARTS, "verdict", "suggested"):
            lab = QLabel("–")
            lab.setAccessibleName(f"{part} score")
            self.labels[part] = lab
            form.addRow(part.capitalize(), lab)
        self.words_label = QLabel()
        self.words_label.setWordWrap(True)
        self.words_label.setAccessibleName("Words heard")
        self.syllables_label = QLabel()
        self.syllables_label.setWordWrap(True)
        self.syllables_label.setAccessibleName("Detected syllables")
        self.plot = SyllablePlot(theme=theme)
        self.plot.setMinimumHeight(150)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.words_label)
        lay.addWidget(self.syllables_label)
        lay.addWidget(self.plot, 1)
        self.set_theme(theme)
        self.clear()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.plot.set_theme(theme)

    def clear(self) -> None:
        for lab in self.labels.values():
            lab.setText("–")
        self.syllables_label.setText("No attempt analysed yet.")
        self.words_label.setText("")
        self.words_label.setVisible(False)
        self.plot.clear_points()

    def show_outcome(self, outcome: Any, *, low_note_hz: float, interval_semitones: float) -> None:
        analysis = vget(outcome, "analysis", outcome)
        scores = vget(analysis, "scores")
        for part in SCORE_PARTS:
            value = vget(scores, part)
            self.labels[part].setText("–" if value is None else f"{100 * float(value):.0f} %")
        self.labels["verdict"].setText(str(vget(analysis, "verdict", "–")))
        self.labels["suggested"].setText(
            str(vget(outcome, "suggested", vget(outcome, "suggested_outcome", "–")))
        )
        words = []
        for s in vget(analysis, "syllables", ()) or ():
            produced = vget(s, "produced")
            heard = "not heard" if vget(s, "onset_s") is None else f"heard {produced or '?'}"
            words.append(f"{vget(s, 'text')} ({vget(s, 'target')}: {heard})")
        self.syllables_label.setText("; ".join(words) or "No syllables.")
        self.words_label.setText(words_text(analysis))
        self.words_label.setVisible(bool(self.words_label.text()))
        pts = syllable_points(analysis, low_note_hz=low_note_hz, interval_semitones=interval_semitones)
        self.plot.set_points(pts["x"], pts["target"], pts["detected"], interval=interval_semitones)
