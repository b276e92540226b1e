"""Accessibility facts that can be measured: contrast of every themed text pair, the tap pad's size,
large stressed syllables, and accessible names on every control of the main surfaces."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QLineEdit

from mit_trainer.gui.patient.lanes import MIN_POINT_SIZE, PhraseLanes
from mit_trainer.gui.patient.tap_pad import MIN_SIDE_MM, TapPad, mm_to_px
from mit_trainer.gui.theme import HIGH_CONTRAST, LIGHT, THEMES, contrast_ratio


def test_contrast_ratio_known_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near-miss
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=list(THEMES))
def test_every_text_pair_meets_wcag_aa(theme: Any) -> None:
    low = {name: contrast_ratio(fg, bg) for name, (fg, bg) in theme.text_pairs().items()}
    assert min(low.values()) >= 4.5, low


def test_high_contrast_theme_is_higher_than_light() -> None:
    def worst(t: Any) -> float:
        return min(contrast_ratio(fg, bg) for fg, bg in t.text_pairs().values())

    assert worst(HIGH_CONTRAST) > worst(LIGHT) >= 4.5


def test_tap_pad_is_at_least_25_mm(qtbot: Any) -> None:
    for mm in (10.0, 25.0, 45.0):
        pad = TapPad(side_mm=mm)
        qtbot.addWidget(pad)
        assert pad.physical_side_mm() >= MIN_SIDE_MM - 0.1
        assert pad.physical_side_mm() >= min(mm, 90) - 0.6 or mm < MIN_SIDE_MM
    assert mm_to_px(25.4, 96) == 96  # one inch at 96 dpi
    assert mm_to_px(25.0, 96) == 95  # 94.5 px, rounded up so the pad is never smaller
    assert mm_to_px(25.0, 192) == 189


def test_tap_pad_taps_by_mouse_space_and_enter(qtbot: Any) -> None:
    from PySide6.QtCore import Qt

    pad = TapPad()
    qtbot.addWidget(pad)
    with qtbot.waitSignals([pad.tapped] * 3, timeout=2000):
        qtbot.mouseClick(pad, Qt.MouseButton.LeftButton)
        qtbot.keyClick(pad, Qt.Key.Key_Space)
        qtbot.keyClick(pad, Qt.Key.Key_Return)
    assert pad.taps == 3


def test_phrase_type_is_large_and_stressed_syllables_bold(qtbot: Any) -> None:
    lanes = PhraseLanes(point_size=20)  # asked too small: clamped
    qtbot.addWidget(lanes)
    lanes.resize(1000, 300)
    lanes.set_phrase(("thank", "you"), ("H", "L"), (1.0, 1.0))
    assert lanes.point_size() >= MIN_POINT_SIZE == 32
    assert lanes.syllable_font(True).bold() and not lanes.syllable_font(False).bold()
    high, low = lanes.syllable_rects()
    assert high.top() < low.top()  # the stressed syllable sits on the upper lane


def test_every_control_has_an_accessible_name(qtbot: Any, rig: Any) -> None:
    missing = []
    for root in (rig.window, rig.services.patient_window):
        for w in (
            root.findChildren(QAbstractButton)
            + root.findChildren(QLineEdit)
            + root.findChildren(QComboBox)
            + root.findChildren(QAbstractSpinBox)
        ):
            if type(w).__module__.startswith("pyqtgraph") or isinstance(
                w.parent(), QComboBox | QAbstractSpinBox
            ):
                continue  # pyqtgraph's own plot buttons; the line edit inside an editable combo box
            if not w.accessibleName() and not (isinstance(w, QAbstractButton) and w.text()):
                missing.append(f"{type(w).__name__} {w.objectName()} in {w.parent().__class__.__name__}")
    assert not missing, missing


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=list(THEMES))
def test_no_red_anywhere(theme: Any) -> None:
    """No "wrong" red on the patient's screen: no theme colour is a saturated red (hue within 20 deg of 0)."""
    from dataclasses import fields

    from PySide6.QtGui import QColor

    for f in fields(theme):
        if f.name == "name":
            continue
        c = QColor(getattr(theme, f.name))
        hue = c.hslHue()
        assert not (c.hslSaturationF() > 0.4 and (hue <= 20 or hue >= 340)), f"{f.name} is red: {c.name()}"


def test_patient_window_renders_its_model(qtbot: Any) -> None:
    from mit_trainer.gui.patient.model import FEEDBACK_TEXT, Feedback, PatientScreenModel, Phase
    from mit_trainer.gui.patient.window import PatientWindow

    model = PatientScreenModel()
    w = PatientWindow(model)
    qtbot.addWidget(w)
    w.show()
    model.update(
        phase=Phase.LISTEN, syllables=("thank", "you"), pattern=("H", "L"), beats=(1.0, 1.0), lit_index=1
    )
    assert w.banner.word_label.text() == "Listen" and w.lanes.lit_index() == 1 and w.lanes.isVisible()
    model.update(phase=Phase.YOUR_TURN, lit_index=None)
    assert w.banner.word_label.text() == "Your turn" and w.trace.isVisible()
    model.update(phase=Phase.FEEDBACK, feedback=Feedback.TRY_TOGETHER)
    assert w.feedback.text() == FEEDBACK_TEXT[Feedback.TRY_TOGETHER] == "Let's try again together"
    assert not w.lanes.isVisible() and not w.trace.isVisible()
    pauses: list[int] = []
    model.on_pause_requested(lambda: pauses.append(1))
    w.pause_button.click()
    assert pauses == [1]
    w.set_tap_side("right")
    assert w.tap_side == "right"


def test_the_same_cue_again_is_not_restyled(qtbot: Any) -> None:
    """The patient view re-renders at every lit syllable: an unchanged cue must not restyle the band."""
    from mit_trainer.gui.patient.window import CueBanner

    banner = CueBanner()
    qtbot.addWidget(banner)
    banner.show_cue("your_turn", "Your turn", "#1f6e3d", "#ffffff")
    sheet = banner.styleSheet()
    calls: list[str] = []
    banner.setStyleSheet = calls.append  # type: ignore[method-assign]
    banner.show_cue("your_turn", "Your turn", "#1f6e3d", "#ffffff")
    assert calls == [] and banner.word_label.text() == "Your turn" and "#1f6e3d" in sheet
    banner.show_cue("listen", "Listen", "#cfe8ff", "#1d232a")
    assert calls == ["background: #cfe8ff; color: #1d232a;"]


def test_phase_changes_do_not_lay_out_the_patient_window_again(qtbot: Any) -> None:
    """The cue band keeps its height with or without an icon, and the praise after an attempt is another
    page over the task: the lanes and the trace keep their size, so the trace is not redrawn from scratch."""
    from mit_trainer.gui.patient.model import Feedback, PatientScreenModel, Phase, TargetNote
    from mit_trainer.gui.patient.window import PatientWindow

    model = PatientScreenModel()
    w = PatientWindow(model)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    notes = (TargetNote("thank", "H", 0.0, 0.8), TargetNote("you", "L", 0.9, 1.7))
    model.update(syllables=("thank", "you"), pattern=("H", "L"), beats=(1.0, 1.0), notes=notes)
    model.update(phase=Phase.LISTEN)
    QApplication.processEvents()
    w.trace.grab()
    sizes = {(w.lanes.size().toTuple(), w.trace.size().toTuple(), w.banner.height())}
    builds = w.trace.canvas_builds
    for phase, extra in (
        (Phase.YOUR_TURN, {}),
        (Phase.IDLE, {}),  # "Get ready" has no icon
        (Phase.FEEDBACK, {"feedback": Feedback.WELL_DONE}),
        (Phase.LISTEN, {}),
    ):
        model.update(phase=phase, **extra)
        QApplication.processEvents()
        sizes.add((w.lanes.size().toTuple(), w.trace.size().toTuple(), w.banner.height()))
    assert len(sizes) == 1, sizes
    w.trace.grab()
    assert w.trace.canvas_builds == builds
