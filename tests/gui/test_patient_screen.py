"""The patient's screen: whole words, the probe's question without its answer, plain chart words, and a
window that never covers the therapist's controls (issue 16, item 1)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage

from mit_trainer.gui.main_window import side_by_side
from mit_trainer.gui.patient.lanes import SYLLABLE_GAP, PhraseLanes, word_groups
from mit_trainer.gui.patient.model import PatientScreenModel, Phase
from mit_trainer.gui.patient.pitch_trace import PitchTrace
from mit_trainer.gui.patient.window import PatientWindow


@pytest.mark.parametrize(
    ("text", "syllables", "groups"),
    [
        ("Water, please", ("wa", "ter", "please"), [[0, 1], [2]]),
        ("Thank you", ("thank", "you"), [[0], [1]]),
        ("I'm hungry", ("I'm", "hun", "gry"), [[0], [1, 2]]),
        ("Please open the door", ("please", "o", "pen", "the", "door"), [[0], [1, 2], [3], [4]]),
        # syllables spelled apart from the text: each syllable is its own word (as before)
        ("Hello", ("hel", "low"), [[0], [1]]),
        ("", ("a", "b"), [[0], [1]]),
    ],
)
def test_word_groups_follow_the_text(text: str, syllables: tuple[str, ...], groups: list[list[int]]) -> None:
    assert word_groups(text, syllables) == groups


def test_a_word_stays_whole_with_its_stressed_syllable_raised(qtbot: Any) -> None:
    lanes = PhraseLanes()
    qtbot.addWidget(lanes)
    lanes.resize(1200, 300)
    lanes.set_phrase(("wa", "ter", "please"), ("H", "L", "L"), (2.0, 1.0, 2.0), "Water, please")
    wa, ter, please = lanes.syllable_rects()
    assert lanes.words() == ["water", "please"]
    # "wa" and "ter" touch (one word); "please" follows after a space; reading order is left to right
    assert 0 <= ter.left() - wa.right() <= SYLLABLE_GAP + 0.5
    assert please.left() - ter.right() > 3 * SYLLABLE_GAP
    assert wa.top() < ter.top() == please.top()  # the stressed syllable raised
    # the raise is less than a line: the word still reads as one
    assert ter.top() - wa.top() < wa.height()


def test_a_long_phrase_wraps_between_words_never_inside_one(qtbot: Any) -> None:
    lanes = PhraseLanes(point_size=40)
    qtbot.addWidget(lanes)
    lanes.resize(520, 300)
    sylls = ("I", "would", "like", "a", "cup", "of", "cof", "fee")
    lanes.set_phrase(
        sylls, ("L", "L", "H", "L", "H", "L", "H", "L"), (1.0,) * 8, "I would like a cup of coffee"
    )
    rects = lanes.syllable_rects()
    assert all(r.right() <= lanes.width() and r.left() >= 0 for r in rects)
    assert max(r.bottom() for r in rects) - min(r.top() for r in rects) > 2.5 * rects[0].height()  # wrapped
    cof, fee = rects[6], rects[7]
    assert 0 <= fee.left() - cof.right() <= SYLLABLE_GAP + 0.5  # "coffee" stays on one line, whole


def _ink(widget: Any) -> int:
    """Pixels in the text colour (the words' strokes)."""
    img: QImage = widget.grab().toImage()
    ink = QColor(widget._theme.text)
    return sum(
        1
        for y in range(0, img.height(), 2)
        for x in range(0, img.width(), 2)
        if max(abs(img.pixelColor(x, y).red() - ink.red()), abs(img.pixelColor(x, y).blue() - ink.blue()))
        < 40
    )


def test_the_probe_shows_the_question_and_never_the_answer(qtbot: Any) -> None:
    model = PatientScreenModel()
    w = PatientWindow(model)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    model.update(
        phase=Phase.YOUR_TURN,
        syllables=("thank", "you"),
        text="Thank you",
        pattern=("H", "L"),
        beats=(1.0, 1.0),
        prompt="What do you say when someone helps you?",
        words_hidden=True,
    )
    assert w.prompt.isVisible() and w.prompt.text().startswith("What do you say")
    assert w.lanes.words() == [] and "thank" not in w.lanes.accessibleDescription().lower()
    hidden_ink = _ink(w.lanes)
    model.update(words_hidden=False, prompt=None)
    assert w.lanes.words() == ["thank", "you"] and not w.prompt.isVisible()
    assert _ink(w.lanes) > hidden_ink  # the words are drawn now, and were not before


def test_the_live_chart_speaks_plainly(qtbot: Any) -> None:
    trace = PitchTrace()
    qtbot.addWidget(trace)
    assert "semitone" not in trace.y_title and "(s)" not in trace.x_title
    lo, hi = trace.y_range()
    ticks = trace.y_ticks(lo, hi)
    assert [trace.y_label(v) for v in ticks] == ["low", "high"]
    assert trace.x_ticks(*trace.x_range()) == []  # no clock on the patient's screen


def test_side_by_side_split_never_overlaps() -> None:
    avail = QRect(0, 0, 1280, 800)
    mine, theirs = side_by_side(avail)
    assert not mine.intersects(theirs)
    assert mine.width() + theirs.width() == 1280 and mine.left() == 0 and theirs.right() == 1279
    # minimum widths are honoured where they fit; the therapist's win when both do not
    mine, theirs = side_by_side(avail, therapist_min_w=700, patient_min_w=560)
    assert (mine.width(), theirs.width()) == (700, 580)
    mine, theirs = side_by_side(avail, therapist_min_w=800, patient_min_w=600)
    assert mine.width() == 800 and not mine.intersects(theirs)


def test_on_one_screen_the_patient_window_does_not_cover_the_therapist(rig: Any, qtbot: Any) -> None:
    window, pv = rig.window, rig.services.patient_window
    window.show_patient_view()
    qtbot.waitUntil(pv.isVisible, timeout=5000)
    assert not window.geometry().intersects(pv.geometry())
    assert pv.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)  # the keyboard stays with them


def _placement(tmp_path: Any, screens: list[tuple[str, int, int, int]]) -> dict[str, Any]:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    config = {
        "synchronousWindowSystemEvents": False,
        "windowFrameMargins": False,
        "screens": [
            {
                "name": n,
                "x": x,
                "y": 0,
                "width": w,
                "height": h,
                "logicalDpi": 96,
                "logicalBaseDpi": 96,
                "dpr": 1,
            }
            for n, x, w, h in screens
        ],
    }
    cfg = Path(tmp_path) / "screens.json"
    cfg.write_text(json.dumps(config), encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={cfg}", MIT_TRAINER_HOME=str(tmp_path))
    probe = Path(__file__).with_name("placement_probe.py")
    done = subprocess.run([sys.executable, str(probe)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_one_1280x800_screen_splits_side_by_side(tmp_path: Any) -> None:
    got = _placement(tmp_path, [("only", 0, 1280, 800)])
    t, p = QRect(*got["therapist"]), QRect(*got["patient"])
    assert not t.intersects(p)  # the patient's window never covers the therapist's controls
    assert t.width() >= got["session_page_min_w"] and p.width() >= got["patient_min_w"]
    assert t.right() < 1280 and p.right() < 1280


def test_two_screens_put_the_patient_on_the_second(tmp_path: Any) -> None:
    got = _placement(tmp_path, [("therapist", 0, 1280, 800), ("patient", 1280, 1920, 1080)])
    assert got["patient_screen"] == "patient" and got["therapist_screen"] == "therapist"
    assert QRect(*got["patient"]).left() >= 1280
