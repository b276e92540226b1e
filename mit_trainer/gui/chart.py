"""A light chart widget painted with QPainter onto a cached canvas: axes, ticks, titles, data.

The patient's live pitch trace and the therapist's syllable plot are small charts that are redrawn
while a session runs. A plotting library's scene (items, bounds, Python paint per item) held the GUI
thread for tens of milliseconds per repaint; here the background, axes and static data are drawn
once into a pixmap (again only on resize, theme, font or range change), and data that grows (the
voice) is added onto that pixmap in increments, so a repaint is one pixmap blit of the changed
region. The data-to-pixel mapping is a QTransform from the data ranges to :meth:`plot_rect`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPixmap,
    QTransform,
)
from PySide6.QtWidgets import QWidget

from mit_trainer.gui.theme import LIGHT, Theme


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


class PaintedChart(QWidget):
    """Axes around a data area; subclasses draw their data in :meth:`draw_data` (data coordinates).

    ``x_ticks``/``y_ticks`` give the tick positions for a range (default: :func:`tick_values`).
    The y title is written across above the data area, never rotated (easier to read).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        theme: Theme = LIGHT,
        x_title: str,
        y_title: str,
        font_scale: float = 1.0,
    ) -> None:
        super().__init__(parent)
        self._theme = theme
        self.x_title, self.y_title = x_title, y_title
        self.font_scale = font_scale
        self._x_range = (0.0, 1.0)
        self._y_range = (0.0, 1.0)
        self.x_ticks: Callable[[float, float], list[float]] = lambda lo, hi: tick_values(lo, hi, max_ticks=10)
        self.y_ticks: Callable[[float, float], list[float]] = lambda lo, hi: tick_values(lo, hi, max_ticks=6)
        self.x_label: Callable[[float], str] = lambda v: f"{v:g}"  # a tick's text
        self.y_label: Callable[[float], str] = lambda v: f"{v:g}"
        self.y_label_room = "-88"  # the widest y tick text expected (sets the left margin)
        self._canvas: QPixmap | None = None
        self.canvas_builds = 0  # how often the whole canvas was drawn (tests, benchmarks)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # --- state ---------------------------------------------------------------------------------------
    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.invalidate()

    def set_ranges(self, x: tuple[float, float], y: tuple[float, float]) -> None:
        if (x, y) != (self._x_range, self._y_range):
            self._x_range, self._y_range = x, y
            self.invalidate()

    def x_range(self) -> tuple[float, float]:
        return self._x_range

    def y_range(self) -> tuple[float, float]:
        return self._y_range

    def invalidate(self) -> None:
        """Draw everything again at the next paint."""
        self._canvas = None
        self.update()

    # --- geometry ------------------------------------------------------------------------------------
    def axis_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * self.font_scale)
        return font

    def plot_rect(self) -> QRectF:
        """The data area in widget coordinates (axes and their titles are outside it)."""
        fm = QFontMetricsF(self.axis_font())
        left = fm.horizontalAdvance(self.y_label_room) + 14
        top = fm.height() * 1.4 + 6
        bottom = fm.height() * (2.4 if self.x_title else 1.4) + 6
        return QRectF(left, top, max(1.0, self.width() - left - 14.0), max(1.0, self.height() - top - bottom))

    def to_widget(self, plot_rect: QRectF | None = None) -> QTransform:
        """Data coordinates -> widget pixels (``plot_rect``: :meth:`plot_rect`, when already known)."""
        r = self.plot_rect() if plot_rect is None else plot_rect
        (x0, x1), (y0, y1) = self._x_range, self._y_range
        sx, sy = r.width() / (x1 - x0), r.height() / (y1 - y0)
        return QTransform(sx, 0.0, 0.0, -sy, r.left() - x0 * sx, r.bottom() + y0 * sy)

    # --- painting ------------------------------------------------------------------------------------
    def draw_data(self, p: QPainter, xf: QTransform) -> None:
        """Draw the data (the painter is clipped to the data area; its transform is ``xf``)."""

    def paint_on_canvas(
        self, draw: Callable[[QPainter], QRectF | None], margin_px: float = 4.0
    ) -> QRect | None:
        """Add to the drawn canvas now (clipped and transformed like :meth:`draw_data`).

        ``draw`` returns the data-coordinate bounds of what it drew (None: nothing). Returns the widget
        rectangle to update (those bounds plus ``margin_px``; empty when nothing was drawn), or None when
        there is no canvas for the present size yet (the next full drawing includes everything)."""
        if not self._canvas_fits():
            return None
        r = self.plot_rect()
        xf = self.to_widget(r)
        assert self._canvas is not None  # (_canvas_fits)
        p = QPainter(self._canvas)
        self._enter_data(p, r, xf)
        try:
            bounds = draw(p)
        finally:
            p.end()
        if bounds is None:
            return QRect()
        dirty = xf.mapRect(bounds).adjusted(-margin_px, -margin_px, margin_px, margin_px)
        return dirty.intersected(r.adjusted(-1, -1, 1, 1)).toAlignedRect()

    @staticmethod
    def _enter_data(p: QPainter, r: QRectF, xf: QTransform) -> None:
        """From here on ``p`` draws in data coordinates, antialiased, clipped to the data area ``r``."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setClipRect(r)
        p.setTransform(xf)

    def _canvas_size(self) -> tuple[float, int, int]:
        dpr = self.devicePixelRatioF()
        return dpr, max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr))

    def _canvas_fits(self) -> bool:
        """There is a canvas, drawn for the widget's present size and pixel ratio."""
        c = self._canvas
        return c is not None and (c.devicePixelRatio(), c.width(), c.height()) == self._canvas_size()

    def _build_canvas(self) -> QPixmap:
        dpr, width, height = self._canvas_size()
        canvas = QPixmap(width, height)
        canvas.setDevicePixelRatio(dpr)
        canvas.fill(QColor(self._theme.panel))
        p = QPainter(canvas)
        r = self.plot_rect()
        xf = self.to_widget(r)
        self._draw_axes(p, r, xf)
        self._enter_data(p, r, xf)
        self.draw_data(p, xf)
        p.end()
        self.canvas_builds += 1
        return canvas

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._canvas_fits():  # (a resize, a new screen, or invalidated)
            self._canvas = self._build_canvas()
        assert self._canvas is not None
        dpr = self._canvas.devicePixelRatio()
        p = QPainter(self)
        rect = event.rect()
        source = QRectF(rect.x() * dpr, rect.y() * dpr, rect.width() * dpr, rect.height() * dpr)
        p.drawPixmap(QRectF(rect), self._canvas, source)
        p.end()

    def changeEvent(self, event: QEvent) -> None:
        # (also sent while QWidget.__init__ runs, before this class's own attributes exist)
        if hasattr(self, "_canvas") and event.type() in (
            QEvent.Type.FontChange,
            QEvent.Type.PaletteChange,
            QEvent.Type.StyleChange,
        ):
            self.invalidate()
        super().changeEvent(event)

    def _draw_axes(self, p: QPainter, r: QRectF, xf: QTransform) -> None:
        th = self._theme
        font = self.axis_font()
        p.setFont(font)
        fm = QFontMetricsF(font)
        grid = QColor(th.muted_text)
        grid.setAlpha(60)
        text = QColor(th.text)
        (y0, y1), (x0, x1) = self._y_range, self._x_range
        for y in self.y_ticks(y0, y1):
            py = xf.map(QPointF(x0, y)).y()
            p.setPen(grid)
            p.drawLine(QPointF(r.left(), py), QPointF(r.right(), py))
            p.setPen(text)
            label = self.y_label(y)
            p.drawText(QPointF(r.left() - 6 - fm.horizontalAdvance(label), py + fm.ascent() / 2 - 1), label)
        for x in self.x_ticks(x0, x1):
            px = xf.map(QPointF(x, y0)).x()
            p.setPen(text)
            p.drawLine(QPointF(px, r.bottom()), QPointF(px, r.bottom() + 5))
            label = self.x_label(x)
            p.drawText(QPointF(px - fm.horizontalAdvance(label) / 2, r.bottom() + 6 + fm.ascent()), label)
        p.setPen(text)
        p.drawRect(r)
        p.drawText(
            QRectF(r.left(), r.bottom() + 6 + fm.height(), r.width(), fm.height() * 1.3),
            Qt.AlignmentFlag.AlignCenter,
            self.x_title,
        )
        p.drawText(QPointF(r.left(), r.top() - 6 - fm.descent()), self.y_title)
