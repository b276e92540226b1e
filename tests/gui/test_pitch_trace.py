"""The patient's live pitch trace: where frames and target notes land on screen (known pixels)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage

from mit_trainer.gui.patient.model import TargetNote
from mit_trainer.gui.patient.pitch_trace import HEADROOM_SEMITONES, TAIL_S, PitchTrace
from mit_trainer.gui.theme import HIGH_CONTRAST, LIGHT

LOW_HZ = 150.0


def _trace(qtbot: Any, theme: Any = LIGHT) -> PitchTrace:
    w = PitchTrace(theme=theme)
    qtbot.addWidget(w)
    w.resize(900, 320)
    notes = (TargetNote("a", "H", 0.0, 0.6), TargetNote("b", "L", 0.8, 1.4))
    w.set_targets(notes, low_note_hz=LOW_HZ, interval_semitones=3.0)
    return w


def _pixel(img: QImage, w: PitchTrace, t_s: float, semitone: float) -> QColor:
    pt = w.to_widget().map(QPointF(t_s, semitone))
    return img.pixelColor(round(pt.x()), round(pt.y()))


def _close(a: QColor, hex_colour: str, tol: int = 40) -> bool:
    b = QColor(hex_colour)
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= tol


@pytest.mark.parametrize("theme", [LIGHT, HIGH_CONTRAST], ids=lambda t: t.name)
def test_voice_and_targets_are_drawn_at_their_semitones(qtbot: Any, theme: Any) -> None:
    w = _trace(qtbot, theme)
    t = np.arange(0.0, 2.0, 0.01)
    # one semitone above the low note for the first second, then silence, then 5 semitones up
    f0 = np.where(t < 1.0, LOW_HZ * 2 ** (1 / 12), LOW_HZ * 2 ** (5 / 12))
    f0[(t >= 1.0) & (t < 1.3)] = np.nan
    for i in range(0, len(t), 4):  # the worker delivers a few frames at a time
        w.add_frames(t[i : i + 4], f0[i : i + 4])
    w.stop()  # final redraw
    assert w.voiced_frames() == 170 and w.frames_drawn == 200
    img = w.grab().toImage()
    assert _close(_pixel(img, w, 0.5, 1.0), theme.trace)  # the voice at +1 semitone
    assert _close(_pixel(img, w, 1.6, 5.0), theme.trace)  # and at +5 after the pause
    assert _close(_pixel(img, w, 1.15, 2.5), theme.panel)  # nothing drawn across the silence
    assert _close(_pixel(img, w, 0.5, 5.0), theme.panel)
    assert _close(_pixel(img, w, 0.3, 3.0), theme.target)  # high note: the interval above the low note
    assert _close(_pixel(img, w, 1.1, 0.0), theme.target)  # low note at 0
    assert not _close(_pixel(img, w, 0.3, 0.0), theme.target)  # no low note while the high one is due


def test_axes_follow_the_targets_and_a_late_voice(qtbot: Any) -> None:
    w = _trace(qtbot)
    assert w.y_range() == (-HEADROOM_SEMITONES, 3.0 + HEADROOM_SEMITONES)
    assert w.x_range() == (0.0, pytest.approx(1.4 + TAIL_S))
    w.add_frames(np.array([5.0, 5.01]), np.array([LOW_HZ, LOW_HZ]))
    w.stop()
    assert _close(_pixel(w.grab().toImage(), w, 5.0, 0.0), LIGHT.trace)
    assert w.x_range()[1] == pytest.approx(7.01)  # the view extends 2 s past a voice that runs on
    w.clear_trace()
    assert w.voiced_frames() == 0 and w.trace_data()[0].size == 0
    img = w.grab().toImage()
    assert not _close(_pixel(img, w, 5.0, 0.0), LIGHT.trace)  # the cleared voice is gone


def test_trace_data_is_in_semitones_above_the_low_note(qtbot: Any) -> None:
    w = _trace(qtbot)
    w.add_frames(np.array([0.0, 0.01, 0.02]), np.array([LOW_HZ, 2 * LOW_HZ, np.nan]))
    t, st = w.trace_data()
    assert t.tolist() == [0.0, 0.01, 0.02]
    assert st[:2].tolist() == pytest.approx([0.0, 12.0]) and np.isnan(st[2])


def test_the_voice_is_added_to_the_drawn_chart_piece_by_piece(qtbot: Any) -> None:
    """While the patient sings, only the new part of the voice is drawn; axes and targets are not."""
    w = _trace(qtbot)
    w.show()
    qtbot.waitExposed(w)
    w.grab()  # the first full drawing
    builds = w.canvas_builds
    w.start()
    t = np.arange(0.0, 1.2, 0.01)
    f0 = np.where(t < 0.6, LOW_HZ * 2 ** (3 / 12), LOW_HZ)
    f0[(t >= 0.9) & (t < 1.0)] = np.nan
    for i in range(0, len(t), 5):
        w.add_frames(t[i : i + 5], f0[i : i + 5])
        sent = min(i + 5, len(t))
        qtbot.waitUntil(lambda sent=sent: w.frames_drawn == sent, timeout=2000)
    w.stop()
    assert w.canvas_builds == builds  # ~24 redraws, no full one
    img = w.grab().toImage()
    assert w.canvas_builds == builds
    for t_s, st in ((0.02, 3.0), (0.27, 3.0), (0.52, 3.0), (0.7, 0.0), (0.85, 0.0), (1.1, 0.0)):
        assert _close(_pixel(img, w, t_s, st), LIGHT.trace), (t_s, st)  # joined across the pieces
    assert _close(_pixel(img, w, 0.95, -1.0), LIGHT.panel)  # nothing drawn in the silence
    assert _close(_pixel(img, w, 0.95, 1.5), LIGHT.panel)
    assert _close(_pixel(img, w, 1.1, 2.5), LIGHT.panel)
    w.add_frames(np.array([5.0, 5.01]), np.array([LOW_HZ, LOW_HZ]))  # past the end: the view extends
    w.stop()
    img = w.grab().toImage()
    assert w.canvas_builds == builds + 1
    assert _close(_pixel(img, w, 5.0, 0.0), LIGHT.trace) and _close(_pixel(img, w, 0.27, 3.0), LIGHT.trace)
