"""Live pitch trace: the patient's voice (semitones above their low note) over the target melody.

Frames arrive from the live-pitch worker through a queued signal (:meth:`PitchTrace.add_frames`); they
are appended to the voiced runs (in seconds and semitones) there, and a ~30 Hz timer draws what is new
onto the chart's canvas and repaints only that strip, so the drawing cost depends neither on how often
frames come nor on how long the trace already is. The y axis is semitones relative to the patient's low
note: the low lane is at 0 and the high lane at the interval.

Drawn with QPainter (:class:`~mit_trainer.gui.chart.PaintedChart`) rather than a plotting library: the
trace repaints 30 times a second while the patient sings. Axes and targets are drawn once per phrase;
a repaint while singing is a blit of a few hundred pixels (full repaint with axes: 2-5 ms).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF, QTransform
from PySide6.QtWidgets import QWidget

from mit_trainer.core import defaults
from mit_trainer.gui.chart import PaintedChart
from mit_trainer.gui.patient.model import TargetNote
from mit_trainer.gui.theme import LIGHT, Theme

REDRAW_INTERVAL_MS = 33
HEADROOM_SEMITONES = 4.0  # shown below the low lane and above the high lane
TAIL_S = 2.5  # time shown after the last target note (the patient's response may run late)
TARGET_PEN_PX = 14.0
TRACE_PEN_PX = 5.0
NOTE_GAP_S = 0.08  # space between two target notes in a row on the same lane
AXIS_FONT_SCALE = 1.4  # axis text larger than the application's (the patient sits back from the screen)
# Plain words for the patient: the two notes are named, time has no numbers (no clock on this screen).
Y_TITLE = "Your voice"
X_TITLE = ""
HIGH_WORD, LOW_WORD = "high", "low"


def semitones(f0_hz: np.ndarray, low_note_hz: float) -> np.ndarray:
    """Semitones of ``f0_hz`` above ``low_note_hz`` (NaN stays NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 12.0 * np.log2(np.asarray(f0_hz, dtype=float) / low_note_hz)


class PitchTrace(PaintedChart):
    def __init__(self, parent: QWidget | None = None, *, theme: Theme = LIGHT) -> None:
        super().__init__(parent, theme=theme, x_title=X_TITLE, y_title=Y_TITLE, font_scale=AXIS_FONT_SCALE)
        self._low_note_hz = defaults.LOW_NOTE_HZ
        self._interval = 3.0
        self._times: list[np.ndarray] = []
        self._f0: list[np.ndarray] = []
        self._runs: list[QPolygonF] = []  # voiced runs of the trace, points in (seconds, semitones)
        self._run_open = False  # the last frame was voiced: the next voiced frame continues the run
        self._drawn = (0, 0)  # (run, points of that run) already on the canvas
        self._notes: list[tuple[float, float, float]] = []  # (onset s, offset s, semitones)
        self._dirty = False
        self._n_frames = 0  # frames received (voiced or not)
        self.frames_drawn = 0
        self.y_ticks = lambda lo, hi: [0.0, self._interval]
        self._words = (HIGH_WORD, LOW_WORD)
        self.y_label = lambda v: self._words[0] if v > 0 else self._words[1]
        self.y_label_room = max(HIGH_WORD, LOW_WORD, key=len) + "  "
        self.x_ticks = lambda lo, hi: []
        self.set_ranges((0.0, 4.0 + TAIL_S), self._y_for(self._interval))
        self.setAccessibleName("Live pitch trace")
        self.setAccessibleDescription("Your voice drawn over the two target notes")
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-trace-redraw")
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._redraw)

    def set_words(self, *, title: str, high: str, low: str) -> None:
        """The chart's words in the patient's language."""
        self.y_title, self._words = title, (high, low)
        self.y_label_room = max(high, low, key=len) + "  "
        self.invalidate()

    @staticmethod
    def _y_for(interval: float) -> tuple[float, float]:
        return -HEADROOM_SEMITONES, interval + HEADROOM_SEMITONES

    # --- model -> view -------------------------------------------------------------------------------
    def set_targets(
        self, notes: tuple[TargetNote, ...], *, low_note_hz: float, interval_semitones: float
    ) -> None:
        """Show the target melody (the trace itself is cleared when a recording starts)."""
        self._low_note_hz, self._interval = low_note_hz, interval_semitones
        self._notes = [(n.onset_s, n.offset_s, interval_semitones if n.target == "H" else 0.0) for n in notes]
        end = max((n.offset_s for n in notes), default=4.0)
        self.set_ranges((0.0, end + TAIL_S), self._y_for(interval_semitones))
        self.invalidate()

    def clear_trace(self) -> None:
        self._times.clear()
        self._f0.clear()
        self._runs.clear()
        self._run_open = False
        self._dirty = False
        self._n_frames = self.frames_drawn = 0
        self.invalidate()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._redraw()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def add_frames(self, times_s: np.ndarray, f0_hz: np.ndarray) -> None:
        """Queue new frames (GUI thread; the worker's signal is queued). Drawn at the next tick."""
        if not len(times_s):
            return
        t = np.asarray(times_s, dtype=float)
        f0 = np.asarray(f0_hz, dtype=float)
        self._times.append(t)
        self._f0.append(f0)
        self._n_frames += len(t)
        for ti, yi in zip(t.tolist(), semitones(f0, self._low_note_hz).tolist(), strict=True):
            if math.isfinite(yi):
                if not self._run_open:
                    self._runs.append(QPolygonF())
                    self._run_open = True
                self._runs[-1].append(QPointF(ti, yi))
            else:
                self._run_open = False
        self._dirty = True

    # --- what is shown (tests, demo) -----------------------------------------------------------------
    def trace_data(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._times:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self._times), semitones(np.concatenate(self._f0), self._low_note_hz)

    def voiced_frames(self) -> int:
        """How many frames of the current trace are voiced."""
        return int(sum(run.size() for run in self._runs))

    # --- painting --------------------------------------------------------------------------------------
    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.frames_drawn = self._n_frames
        if self._times:
            last = float(self._times[-1][-1])
            if last > self._x_range[1]:
                self.set_ranges((self._x_range[0], last + 2.0), self._y_range)  # redraws it all
        dirty = self.paint_on_canvas(self._draw_new, margin_px=TRACE_PEN_PX)
        if dirty is None:
            self.update()  # drawn in full at the next paint
        elif not dirty.isEmpty():
            self.update(dirty)

    def draw_data(self, p: QPainter, xf: QTransform) -> None:
        target = QPen(QColor(self._theme.target), TARGET_PEN_PX)
        target.setCosmetic(True)  # widths in pixels whatever the transform's scale
        target.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.setPen(target)
        for onset, offset, y in self._notes:
            inset = min(NOTE_GAP_S / 2, (offset - onset) / 4)  # neighbouring notes stay two bars
            p.drawLine(QPointF(onset + inset, y), QPointF(offset - inset, y))
        self._drawn = (0, 0)
        self._draw_new(p)

    def _draw_new(self, p: QPainter) -> QRectF | None:
        """Draw the trace from where the canvas has it to the last frame; the bounds of what was drawn."""
        trace = QPen(QColor(self._theme.trace), TRACE_PEN_PX)
        trace.setCosmetic(True)
        trace.setCapStyle(Qt.PenCapStyle.RoundCap)
        trace.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(trace)
        first_run, first_point = self._drawn
        bounds: QRectF | None = None
        for i in range(first_run, len(self._runs)):
            run = self._runs[i]
            start = 0
            if i == first_run and first_point:
                if first_point >= run.size():
                    continue  # nothing new in this run
                start = first_point - 1  # join on to the last point drawn
            part = QPolygonF(run.mid(start)) if start else run  # (mid() gives a list)
            if part.size() == 1:
                p.drawPoint(part.at(0))
            else:
                p.drawPolyline(part)
            box = part.boundingRect()
            bounds = box if bounds is None else bounds.united(box)
        if self._runs:
            self._drawn = (len(self._runs) - 1, self._runs[-1].size())
        return bounds
