"""Live pitch trace: the patient's voice (semitones above their low note) over the target melody.

Frames arrive from the live-pitch worker through a queued signal (:meth:`add_frames`); they are only
stored there. A ~30 Hz timer redraws when something new has arrived, so drawing cost does not depend
on how often frames come. The y axis is semitones relative to the patient's low note: the low lane is
at 0 and the high lane at the interval.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from mit_trainer.gui.patient.model import TargetNote
from mit_trainer.gui.theme import LIGHT, Theme

REDRAW_INTERVAL_MS = 33


def semitones(f0_hz: np.ndarray, low_note_hz: float) -> np.ndarray:
    """Semitones of ``f0_hz`` above ``low_note_hz`` (NaN stays NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 12.0 * np.log2(np.asarray(f0_hz, dtype=float) / low_note_hz)


class PitchTrace(QWidget):
    def __init__(self, parent: QWidget | None = None, *, theme: Theme = LIGHT) -> None:
        super().__init__(parent)
        self._theme = theme
        self._low_note_hz = 150.0
        self._interval = 3.0
        self._times: list[np.ndarray] = []
        self._f0: list[np.ndarray] = []
        self._dirty = False
        self.frames_drawn = 0
        self._plot = pg.PlotWidget()
        self._plot.setMenuEnabled(False)
        self._plot.setMouseEnabled(x=False, y=False)
        self._plot.hideButtons()
        self._plot.setLabel("left", "pitch (semitones above your low note)")
        self._plot.setLabel("bottom", "time (s)")
        self._targets = pg.PlotDataItem(connect="finite")
        self._curve = pg.PlotDataItem(connect="finite")
        self._plot.addItem(self._targets)
        self._plot.addItem(self._curve)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self._plot)
        self.setAccessibleName("Live pitch trace")
        self.setAccessibleDescription("Your voice drawn over the two target notes")
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-trace-redraw")
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._redraw)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._plot.setBackground(theme.panel)
        for axis in ("left", "bottom"):
            ax = self._plot.getAxis(axis)
            ax.setPen(pg.mkPen(theme.text))
            ax.setTextPen(pg.mkPen(theme.text))
        self._targets.setPen(pg.mkPen(theme.target, width=14))
        self._curve.setPen(pg.mkPen(theme.trace, width=5))

    def set_targets(
        self, notes: tuple[TargetNote, ...], *, low_note_hz: float, interval_semitones: float
    ) -> None:
        """Show the target melody (the trace itself is cleared when a recording starts)."""
        self._low_note_hz, self._interval = low_note_hz, interval_semitones
        xs: list[float] = []
        ys: list[float] = []
        for n in notes:
            y = interval_semitones if n.target == "H" else 0.0
            xs += [n.onset_s, n.offset_s, np.nan]
            ys += [y, y, np.nan]
        self._targets.setData(np.array(xs, dtype=float), np.array(ys, dtype=float))
        end = max((n.offset_s for n in notes), default=4.0)
        self._plot.setXRange(0.0, end + 2.5, padding=0.0)
        self._plot.setYRange(-4.0, interval_semitones + 4.0, padding=0.0)

    def clear_trace(self) -> None:
        self._times.clear()
        self._f0.clear()
        self._curve.setData([], [])
        self._dirty = False

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._redraw()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def add_frames(self, times_s: np.ndarray, f0_hz: np.ndarray) -> None:
        """Queue new frames (GUI thread; the worker's signal is queued). Drawn at the next tick."""
        if len(times_s):
            self._times.append(np.asarray(times_s, dtype=float))
            self._f0.append(np.asarray(f0_hz, dtype=float))
            self._dirty = True

    def trace_data(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._times:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self._times), semitones(np.concatenate(self._f0), self._low_note_hz)

    def voiced_frames(self) -> int:
        """How many frames of the current trace are voiced."""
        return int(sum(np.count_nonzero(np.isfinite(f)) for f in self._f0))

    def _redraw(self) -> None:
        if not self._dirty:
            return
        t, st = self.trace_data()
        self._curve.setData(t, st)
        if len(t):
            _lo, hi = self._plot.getViewBox().viewRange()[0]
            if t[-1] > hi:
                self._plot.setXRange(0.0, float(t[-1]) + 2.0, padding=0.0)
        self._dirty = False
        self.frames_drawn = len(t)
