"""The word check on voices the trainer did not make: each outcome (said, unclear, missing), spans
against the generator's timing, languages without a model, and the analysis JSON contract."""

from __future__ import annotations

import numpy as np
import pytest
from voices import espeak, festival_sing, festival_speak, quiet

from mit_trainer.analysis.words import (
    WORD_STATUSES,
    WordResult,
    phrase_words,
    word_checker_for,
    word_syllables,
)
from mit_trainer.core.records import Phrase
from mit_trainer.scoring import ANALYSIS_VERSION, AttemptAnalysis, analyze_attempt

GOOD_MORNING = Phrase("good-morning", "Good morning", 1, ("good", "mor", "ning"), ("H", "H", "L"), (1, 1, 1))
THANK_YOU = Phrase("thank-you", "Thank you", 1, ("thank", "you"), ("H", "L"), (1, 2))


@pytest.fixture(scope="module")
def checker():  # type: ignore[no-untyped-def]
    wc = word_checker_for("en")
    assert wc is not None
    return wc


def _statuses(words: tuple[WordResult, ...]) -> list[str]:
    return [w.status for w in words]


def test_phrase_words_and_their_syllables() -> None:
    assert phrase_words("I'm fine, thanks!") == ["i'm", "fine", "thanks"]
    assert phrase_words("Good-bye \u2019em") == ["good", "bye", "em"]
    assert word_syllables(["good", "morning"], ["good", "mor", "ning"]) == [(0,), (1, 2)]
    assert word_syllables(["i'm", "fine"], ["I'm", "fine"]) == [(0,), (1,)]
    # spelled differently: syllables shared out in order, none lost
    assert word_syllables(["two", "cats"], ["2", "cats"]) == [(0,), (1,)]


@pytest.mark.parametrize("voice", ["kal", "ked"])
def test_right_phrase_spoken_is_said_with_spans_inside_the_speech(checker, voice: str) -> None:  # type: ignore[no-untyped-def]
    x, sr = festival_speak("Good morning", voice=voice)
    lead = 0.7
    x = np.concatenate([quiet(lead, sample_rate_hz=sr), x, quiet(0.5, sample_rate_hz=sr)])
    words = checker.check(x, sample_rate_hz=sr, text="Good morning", syllables=GOOD_MORNING.syllables,
                          mode="spoken")  # fmt: skip
    assert _statuses(words) == ["said", "said"]
    speech_end = lead + (x.size / sr - lead - 0.5)
    for w in words:
        assert w.onset_s is not None and w.offset_s is not None
        assert lead - 0.1 <= w.onset_s < w.offset_s <= speech_end + 0.1
        assert w.confidence is not None and w.confidence > 0.5
    assert words[0].offset_s <= words[1].onset_s + 0.02  # in order, not overlapping
    assert [w.syllables for w in words] == [(0,), (1, 2)]


@pytest.mark.parametrize("voice", ["kal", "ked"])
def test_right_phrase_sung_is_said(checker, voice: str) -> None:  # type: ignore[no-untyped-def]
    x, sr = festival_sing(GOOD_MORNING.syllables, GOOD_MORNING.pattern, GOOD_MORNING.beats, voice=voice)
    words = checker.check(x, sample_rate_hz=sr, text=GOOD_MORNING.text, syllables=GOOD_MORNING.syllables,
                          mode="sung")  # fmt: skip
    assert _statuses(words) == ["said", "said"]


@pytest.mark.parametrize("voice", ["kal", "ked"])
def test_la_la_la_on_the_melody_is_not_said(checker, voice: str) -> None:  # type: ignore[no-untyped-def]
    x, sr = festival_sing(["la", "la", "la"], GOOD_MORNING.pattern, GOOD_MORNING.beats, voice=voice)
    words = checker.check(x, sample_rate_hz=sr, text=GOOD_MORNING.text, mode="sung")
    assert _statuses(words) != ["said", "said"]  # flagged: at least one word not said
    assert "missing" not in _statuses(words)  # voice is there


def test_a_different_phrase_of_the_same_syllable_count_is_flagged(checker) -> None:  # type: ignore[no-untyped-def]
    x, sr = festival_speak("See you soon", voice="kal")
    words = checker.check(x, sample_rate_hz=sr, text=GOOD_MORNING.text, mode="spoken")
    assert any(w.status != "said" for w in words)
    assert all(w.confidence is not None and w.confidence < 0.5 for w in words if w.status != "said")


def test_silence_is_missing_everywhere(checker) -> None:  # type: ignore[no-untyped-def]
    words = checker.check(quiet(3.0), sample_rate_hz=16000, text=GOOD_MORNING.text, mode="sung")
    assert _statuses(words) == ["missing", "missing"]
    assert all(w.onset_s is None and w.offset_s is None and w.confidence == 0.0 for w in words)


def test_an_omitted_word_is_not_said(checker) -> None:  # type: ignore[no-untyped-def]
    x, sr = festival_speak("morning", voice="kal")
    x = np.concatenate([quiet(1.0, sample_rate_hz=sr), x])
    words = checker.check(x, sample_rate_hz=sr, text=GOOD_MORNING.text, mode="spoken")
    assert words[0].status != "said"
    assert words[1].status == "said"


def test_espeak_speech_of_the_phrase_is_said(checker) -> None:  # type: ignore[no-untyped-def]
    x, sr = espeak("Good morning", voice="en-us")
    words = checker.check(x, sample_rate_hz=sr, text=GOOD_MORNING.text, mode="spoken")
    assert _statuses(words) == ["said", "said"]


def test_language_without_a_model_gives_null_words_and_a_note() -> None:
    x, sr = festival_speak("Good morning", voice="kal")
    res = analyze_attempt(x, sample_rate_hz=sr, phrase=GOOD_MORNING, mode="spoken", language="de")
    assert res.words is None
    assert res.words_note is not None and "'de'" in res.words_note and "\n" not in res.words_note
    assert res.to_json()["words"] is None
    assert word_checker_for(None) is None and word_checker_for("fr-CA") is None
    assert word_checker_for("en-GB") is not None


def test_analysis_json_carries_the_word_tier_and_round_trips() -> None:
    x, sr = festival_sing(THANK_YOU.syllables, THANK_YOU.pattern, THANK_YOU.beats, voice="kal")
    res = analyze_attempt(x, sample_rate_hz=sr, phrase=THANK_YOU, mode="sung")
    js = res.to_json()
    assert js["analysis_version"] == ANALYSIS_VERSION == "mit-analysis/1.2"
    assert [w["text"] for w in js["words"]] == ["thank", "you"]
    for w in js["words"]:
        assert w["status"] in WORD_STATUSES
        assert set(w) == {"index", "text", "status", "onset_s", "offset_s", "confidence", "gop", "syllables"}
    back = AttemptAnalysis.from_json(js)
    assert back.words == tuple(WordResult.from_json(w) for w in js["words"])
    assert back.to_json()["words"] == js["words"]
    off = analyze_attempt(x, sample_rate_hz=sr, phrase=THANK_YOU, mode="sung", words=False)
    assert off.words is None and off.words_note == "word check switched off"
    assert off.verdict == res.verdict and off.scores == res.scores  # advisory: never changes the verdict


def test_unknown_status_in_json_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown word status"):
        WordResult.from_json({"index": 0, "text": "a", "status": "maybe"})


def test_sprechgesang_right_phrase_said_and_other_phrase_flagged(checker) -> None:  # type: ignore[no-untyped-def]
    x, sr = festival_speak("Good morning", voice="ked")
    words = checker.check(x, sample_rate_hz=sr, text=GOOD_MORNING.text, mode="sprechgesang")
    assert _statuses(words) == ["said", "said"]
    y, sr = festival_speak("See you soon", voice="ked")
    words = checker.check(y, sample_rate_hz=sr, text=GOOD_MORNING.text, mode="sprechgesang")
    assert any(w.status != "said" for w in words)
