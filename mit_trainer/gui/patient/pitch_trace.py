"""Live pitch trace: the patient's voice (semitones above their low note) over the target melody.

Frames arrive from the live-pitch worker through a queued signal (:meth:`PitchTrace.add_frames`); they
are appended to the voiced runs (in seconds and semitones) there, and a ~30 Hz timer repaints when
something new has arrived, so the drawing cost does not depend on how often frames come. The y axis is
semitones relative to the patient's low note: the low lane is at 0 and the high lane at the interval.

Drawn with QPainter rather than a plotting library: the trace repaints 30 times a second while the
patient sings, and a plot item's Python painting (axes, bounds, item tree) held the GUI thread for tens
of milliseconds per repaint. Here a repaint is a few draw calls; the data-to-pixel mapping is the
painter's transform, so the stored runs never need re-mapping when the widget is resized.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPen, QPolygonF, QTransform
from PySide6.QtWidgets import QWidget

from mit_trainer.gui.patient.model import TargetNote
from mit_trainer.gui.theme import LIGHT, Theme

REDRAW_INTERVAL_MS = 33
HEADROOM_SEMITONES = 4.0  # shown below the low lane and above the high lane
TAIL_S = 2.5  # time shown after the last target note (the patient's response may run late)
TARGET_PEN_PX = 14.0
TRACE_PEN_PX = 5.0
NOTE_GAP_S = 0.08  # space between two target notes in a row on the same lane
AXIS_FONT_SCALE = 1.4  # axis text larger than the application's (the patient sits back from the screen)
Y_TITLE = "semitones above your low note"
X_TITLE = "time (s)"


def semitones(f0_hz: np.ndarray, low_note_hz: float) -> np.ndarray:
    """Semitones of ``f0_hz`` above ``low_note_hz`` (NaN stays NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 12.0 * np.log2(np.asarray(f0_hz, dtype=float) / low_note_hz)


def tick_values(lo: float, hi: float, *, max_ticks: int = 8) -> list[float]:
    """Round tick positions (steps of 1, 2 or 5 times a power of ten) covering ``lo``..``hi``."""
    span = hi - lo
    if not (span > 0 and math.isfinite(span)):
        return []
    raw = span / max(1, max_ticks)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next((m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw), 10.0 * power)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 9) for i in range(int((hi - first) / step + 1e-9) + 1)]


class PitchTrace(QWidget):
    def __init__(self, parent: QWidget | None = None, *, theme: Theme = LIGHT) -> None:
        super().__init__(parent)
        self._theme = theme
        self._low_note_hz = 150.0
        self._interval = 3.0
        self._times: list[np.ndarray] = []
        self._f0: list[np.ndarray] = []
        self._runs: list[QPolygonF] = []  # voiced runs of the trace, points in (seconds, semitones)
        self._run_open = False  # the last frame was voiced: the next voiced frame continues the run
        self._notes: list[tuple[float, float, float]] = []  # (onset s, offset s, semitones)
        self._x_range = (0.0, 4.0 + TAIL_S)
        self._dirty = False
        self._n_frames = 0  # frames received (voiced or not)
        self.frames_drawn = 0
        self.setAccessibleName("Live pitch trace")
        self.setAccessibleDescription("Your voice drawn over the two target notes")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-trace-redraw")
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._redraw)

    # --- model -> view -------------------------------------------------------------------------------
    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.update()

    def set_targets(
        self, notes: tuple[TargetNote, ...], *, low_note_hz: float, interval_semitones: float
    ) -> None:
        """Show the target melody (the trace itself is cleared when a recording starts)."""
        self._low_note_hz, self._interval = low_note_hz, interval_semitones
        self._notes = [(n.onset_s, n.offset_s, interval_semitones if n.target == "H" else 0.0) for n in notes]
        end = max((n.offset_s for n in notes), default=4.0)
        self._x_range = (0.0, end + TAIL_S)
        self.update()

    def clear_trace(self) -> None:
        self._times.clear()
        self._f0.clear()
        self._runs.clear()
        self._run_open = False
        self._dirty = False
        self._n_frames = self.frames_drawn = 0
        self.update()

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

    def x_range(self) -> tuple[float, float]:
        return self._x_range

    def y_range(self) -> tuple[float, float]:
        return -HEADROOM_SEMITONES, self._interval + HEADROOM_SEMITONES

    def axis_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * AXIS_FONT_SCALE)
        return font

    def plot_rect(self) -> QRectF:
        """The data area in widget coordinates (axes and their titles are outside it)."""
        fm = QFontMetricsF(self.axis_font())
        left = fm.horizontalAdvance("-88") + 14
        top = fm.height() * 1.4 + 6  # the y axis title, written across above the data (never rotated)
        bottom = fm.height() * 2.4 + 6
        return QRectF(left, top, max(1.0, self.width() - left - 14.0), max(1.0, self.height() - top - bottom))

    def to_widget(self, plot_rect: QRectF | None = None) -> QTransform:
        """(seconds, semitones) -> widget pixels (``plot_rect``: :meth:`plot_rect`, when already known)."""
        r = self.plot_rect() if plot_rect is None else plot_rect
        (x0, x1), (y0, y1) = self._x_range, self.y_range()
        sx, sy = r.width() / (x1 - x0), r.height() / (y1 - y0)
        return QTransform(sx, 0.0, 0.0, -sy, r.left() - x0 * sx, r.bottom() + y0 * sy)

    # --- painting --------------------------------------------------------------------------------------
    def _redraw(self) -> None:
        if not self._dirty:
            return
        if self._times:
            last = float(self._times[-1][-1])
            if last > self._x_range[1]:
                self._x_range = (self._x_range[0], last + 2.0)
        self._dirty = False
        self.frames_drawn = self._n_frames
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        th = self._theme
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(th.panel))
        r = self.plot_rect()
        xf = self.to_widget(r)
        self._draw_axes(p, r, xf)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setClipRect(r)
        p.setTransform(xf)
        target = QPen(QColor(th.target), TARGET_PEN_PX)
        target.setCosmetic(True)  # widths in pixels whatever the transform's scale
        target.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.setPen(target)
        for onset, offset, y in self._notes:
            inset = min(NOTE_GAP_S / 2, (offset - onset) / 4)  # neighbouring notes stay two bars
            p.drawLine(QPointF(onset + inset, y), QPointF(offset - inset, y))
        trace = QPen(QColor(th.trace), TRACE_PEN_PX)
        trace.setCosmetic(True)
        trace.setCapStyle(Qt.PenCapStyle.RoundCap)
        trace.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(trace)
        for run in self._runs:
            if run.size() == 1:
                p.drawPoint(run.at(0))
            else:
                p.drawPolyline(run)
        p.end()

    def _draw_axes(self, p: QPainter, r: QRectF, xf: QTransform) -> None:
        th = self._theme
        font = self.axis_font()
        p.setFont(font)
        fm = QFontMetricsF(font)
        grid = QColor(th.muted_text)
        grid.setAlpha(60)
        text = QColor(th.text)
        (y0, y1), (x0, x1) = self.y_range(), self._x_range
        for y in tick_values(y0, y1, max_ticks=6):
            py = xf.map(QPointF(x0, y)).y()
            p.setPen(grid)
            p.drawLine(QPointF(r.left(), py), QPointF(r.right(), py))
            p.setPen(text)
            label = f"{y:g}"
            p.drawText(QPointF(r.left() - 6 - fm.horizontalAdvance(label), py + fm.ascent() / 2 - 1), label)
        for x in tick_values(x0, x1, max_ticks=10):
            px = xf.map(QPointF(x, y0)).x()
            p.setPen(text)
            p.drawLine(QPointF(px, r.bottom()), QPointF(px, r.bottom() + 5))
            label = f"{x:g}"
            p.drawText(QPointF(px - fm.horizontalAdvance(label) / 2, r.bottom() + 6 + fm.ascent()), label)
        p.setPen(text)
        p.drawRect(r)
        p.drawText(
            QRectF(r.left(), r.bottom() + 6 + fm.height(), r.width(), fm.height() * 1.3),
            Qt.AlignmentFlag.AlignCenter,
            X_TITLE,
        )
        p.drawText(QPointF(r.left(), r.top() - 6 - fm.descent()), Y_TITLE)
