"""The painted chart under the live trace and the syllable plot: ticks, the cached canvas, redraws."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

from mit_trainer.gui.chart import PaintedChart, tick_values
from mit_trainer.gui.theme import HIGH_CONTRAST, LIGHT
from mit_trainer.gui.therapist.attempt_view import AttemptView, SyllablePlot


def test_tick_values_are_round_and_cover_the_range() -> None:
    assert tick_values(-4.0, 7.0, max_ticks=6) == [-4.0, -2.0, 0.0, 2.0, 4.0, 6.0]
    assert tick_values(0.0, 6.5, max_ticks=10) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert tick_values(0.0, 30.0, max_ticks=10) == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
    assert tick_values(0.25, 0.75, max_ticks=5) == [0.3, 0.4, 0.5, 0.6, 0.7]
    assert tick_values(1.0, 1.0) == []
    assert tick_values(0.0, float("inf")) == []


def _close(a: QColor, hex_colour: str, tol: int = 40) -> bool:
    b = QColor(hex_colour)
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= tol


def _chart(qtbot: Any) -> PaintedChart:
    w = PaintedChart(x_title="x", y_title="y")
    qtbot.addWidget(w)
    w.resize(400, 300)
    w.set_ranges((0.0, 10.0), (0.0, 10.0))
    return w


def test_the_transform_maps_the_data_ranges_onto_the_plot_rect(qtbot: Any) -> None:
    w = _chart(qtbot)
    r, xf = w.plot_rect(), w.to_widget()
    assert xf.map(QPointF(0.0, 0.0)) == r.bottomLeft()
    assert xf.map(QPointF(10.0, 10.0)) == r.topRight()
    assert xf.map(QPointF(5.0, 5.0)) == r.center()


def test_additions_land_on_the_canvas_and_name_their_region(qtbot: Any) -> None:
    w = _chart(qtbot)

    def dot(p: QPainter) -> QRectF:
        p.setPen(QPen(QColor("#000000"), 0))
        p.setBrush(QColor("#000000"))
        p.drawRect(QRectF(4.0, 4.0, 2.0, 2.0))
        return QRectF(4.0, 4.0, 2.0, 2.0)

    assert w.paint_on_canvas(dot) is None  # nothing drawn yet: the next full drawing has it all
    w.grab()
    assert w.canvas_builds == 1
    region = w.paint_on_canvas(dot, margin_px=3.0)
    xf = w.to_widget()
    expected = xf.mapRect(QRectF(4.0, 4.0, 2.0, 2.0)).adjusted(-3, -3, 3, 3).toAlignedRect()
    assert region == expected  # only that strip needs repainting
    assert w.paint_on_canvas(lambda p: None).isEmpty()  # nothing drawn: nothing to repaint
    img = w.grab().toImage()
    centre = xf.map(QPointF(5.0, 5.0))
    assert _close(img.pixelColor(round(centre.x()), round(centre.y())), "#000000")
    assert w.canvas_builds == 1
    w.set_theme(HIGH_CONTRAST)  # a new theme, size or range draws it all again (and the addition is gone)
    img = w.grab().toImage()
    assert w.canvas_builds == 2
    assert _close(img.pixelColor(round(centre.x()), round(centre.y())), HIGH_CONTRAST.panel)
    w.resize(500, 300)
    w.grab()
    assert w.canvas_builds == 3
    w.set_ranges((0.0, 10.0), (0.0, 10.0))  # unchanged: kept
    w.grab()
    assert w.canvas_builds == 3


def test_syllable_plot_shows_targets_and_what_was_heard(qtbot: Any) -> None:
    view = AttemptView(theme=LIGHT)
    qtbot.addWidget(view)
    view.resize(600, 500)
    analysis = {
        "scores": {"overall": 0.5},
        "syllables": [
            {"text": "hel", "target": "H", "f0_hz": 150.0 * 2 ** (3 / 12), "onset_s": 0.1, "produced": "H"},
            {"text": "lo", "target": "L", "f0_hz": 150.0 * 2 ** (1 / 12), "onset_s": 0.5, "produced": "L"},
            {"text": "there", "target": "L", "f0_hz": None, "onset_s": None},
        ],
    }
    view.show_outcome({"analysis": analysis}, low_note_hz=150.0, interval_semitones=3.0)
    plot: SyllablePlot = view.plot
    x, target, detected = plot.points()
    assert x.tolist() == [1.0, 2.0, 3.0] and target.tolist() == [3.0, 0.0, 0.0]
    assert detected[:2].tolist() == pytest.approx([3.0, 1.0]) and np.isnan(detected[2])
    assert plot.x_range() == (0.5, 3.5) and plot.y_range() == (-4.0, 7.0)
    img = plot.grab().toImage()
    xf = plot.to_widget()

    def at(px: float, py: float, dx: float = 0.0, dy: float = 0.0) -> QColor:
        c = xf.map(QPointF(px, py))
        return img.pixelColor(round(c.x() + dx), round(c.y() + dy))

    half = SyllablePlot.TARGET_PX / 2
    assert _close(at(3.0, 0.0, dx=-half), LIGHT.target)  # the square's edge at its target
    assert _close(at(3.0, 0.0), LIGHT.panel)  # hollow, and nothing heard there
    assert _close(at(2.0, 1.0), LIGHT.trace)  # heard one semitone above the low note
    assert _close(at(1.0, 3.0), LIGHT.trace)  # heard on the high note, inside its square
    assert view.syllables_label.text().endswith("there (L: not heard)")
    view.clear()
    assert plot.points()[0].size == 0
    assert _close(
        plot.grab()
        .toImage()
        .pixelColor(round(xf.map(QPointF(2.0, 1.0)).x()), round(xf.map(QPointF(2.0, 1.0)).y())),
        LIGHT.panel,
    )
