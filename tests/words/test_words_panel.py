"""The therapist's panel shows the word check beside the syllables (pytest-qt, real analyses of
Festival singing): words said, "la la la" unclear, and a language without a model explained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voices import festival_sing

from mit_trainer.core.records import Phrase
from mit_trainer.gui.theme import LIGHT
from mit_trainer.gui.therapist.attempt_view import AttemptView, words_text
from mit_trainer.scoring import analyze_attempt

GOOD_MORNING = Phrase("good-morning", "Good morning", 1, ("good", "mor", "ning"), ("H", "H", "L"), (1, 1, 1))
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _view(qtbot: Any) -> AttemptView:
    view = AttemptView(theme=LIGHT)
    qtbot.addWidget(view)
    view.resize(640, 520)
    return view


def test_panel_lists_each_word_with_its_syllables_and_status(qtbot: Any, tmp_path: Path) -> None:
    x, sr = festival_sing(GOOD_MORNING.syllables, GOOD_MORNING.pattern, voice="kal")
    res = analyze_attempt(x, sample_rate_hz=sr, phrase=GOOD_MORNING, mode="sung")
    view = _view(qtbot)
    view.show_outcome({"analysis": res, "suggested": "correct"}, low_note_hz=130.8, interval_semitones=3.0)
    text = view.words_label.text()
    assert text == "Words: good \u2713 said; morning [mor-ning] \u2713 said"
    assert view.words_label.isVisibleTo(view)
    img = view.grab()
    assert img.save(str(tmp_path / "attempt-words.png")) and img.width() == 640
    view.clear()
    assert view.words_label.text() == "" and not view.words_label.isVisibleTo(view)


def test_panel_shows_la_la_la_as_unclear(qtbot: Any) -> None:
    x, sr = festival_sing(["la", "la", "la"], GOOD_MORNING.pattern, voice="kal")
    res = analyze_attempt(x, sample_rate_hz=sr, phrase=GOOD_MORNING, mode="sung")
    view = _view(qtbot)
    view.show_outcome({"analysis": res}, low_note_hz=130.8, interval_semitones=3.0)
    assert "unclear" in view.words_label.text() and "missing" not in view.words_label.text()


def test_panel_explains_words_not_checked() -> None:
    note = "no word model for language 'de'; words not checked"
    assert words_text({"words": None, "words_note": note}) == f"Words not checked ({note})."
    assert words_text({}) == ""  # an analysis from before the word check: nothing to say
    analysis = {
        "syllables": [{"text": "thank"}, {"text": "you"}],
        "words": [
            {"text": "thank", "status": "missing", "syllables": [0]},
            {"text": "you", "status": "unclear", "syllables": [1]},
        ],
    }
    assert words_text(analysis) == "Words: thank \u2013 missing; you ? unclear"
