"""The automatic analysis of the last attempt, for the therapist: score parts, verdict, syllables.

The plot shows each target syllable (hollow square at its target lane: 0 = low note, interval = high
note) against what was detected (filled circle at its median pitch, in semitones above the patient's
low note). A syllable that was not produced has no circle and is listed as "not heard". These scores
only advise; the therapist's score is final (PROTOCOL.md §2).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from mit_trainer.gui.session_controller import vget
from mit_trainer.gui.theme import LIGHT, Theme

SCORE_PARTS = ("contour", "rhythm", "completeness", "voicing", "overall")


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
        self.syllables_label = QLabel()
        self.syllables_label.setWordWrap(True)
        self.syllables_label.setAccessibleName("Detected syllables")
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(150)
        self.plot.setLabel("left", "semitones")
        self.plot.setLabel("bottom", "syllable")
        self.target_item = pg.ScatterPlotItem(symbol="s", size=20)
        self.detected_item = pg.ScatterPlotItem(symbol="o", size=14)
        self.plot.addItem(self.target_item)
        self.plot.addItem(self.detected_item)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.syllables_label)
        lay.addWidget(self.plot, 1)
        self.set_theme(theme)
        self.clear()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.plot.setBackground(theme.panel)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setPen(pg.mkPen(theme.text))
            self.plot.getAxis(axis).setTextPen(pg.mkPen(theme.text))
        self.target_item.setPen(pg.mkPen(theme.target, width=3))
        self.target_item.setBrush(pg.mkBrush(None))
        self.detected_item.setPen(pg.mkPen(theme.trace, width=1))
        self.detected_item.setBrush(pg.mkBrush(theme.trace))

    def clear(self) -> None:
        for lab in self.labels.values():
            lab.setText("–")
        self.syllables_label.setText("No attempt analysed yet.")
        self.target_item.setData([], [])
        self.detected_item.setData([], [])

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
        pts = syllable_points(analysis, low_note_hz=low_note_hz, interval_semitones=interval_semitones)
        self.target_item.setData(pts["x"], pts["target"])
        ok = ~np.isnan(pts["detected"])
        self.detected_item.setData(pts["x"][ok], pts["detected"][ok])
        n = max(1, len(pts["x"]))
        self.plot.getAxis("bottom").setTicks([[(float(i), str(i)) for i in range(1, n + 1)]])
        self.plot.setXRange(0.5, n + 0.5, padding=0)
        self.plot.setYRange(-4, interval_semitones + 4, padding=0)
