"""Known-truth checks of analyze_attempt on synthetic sung, spoken and silent attempts."""

from __future__ import annotations

import numpy as np
import pytest
from scoring_data import PHRASE, SR

from mit_trainer.scoring import ScoringSettings, analyze_attempt


def _analyze(item, tracker, mode="sung", **kw):
    return analyze_attempt(
        item.samples, sample_rate_hz=item.sample_rate_hz, phrase=item.phrase, mode=mode, tracker=tracker,
        interval_semitones=item.interval_semitones, **kw,
    )  # fmt: skip


def test_correct_sung_attempt_passes_with_onsets_and_pitch_right(attempt, tracker):
    item = attempt("correct")
    res = _analyze(item, tracker)
    assert res.verdict == "pass"
    assert res.scores.contour == pytest.approx(1.0, abs=0.05)
    assert res.scores.completeness == 1.0
    ends = [*item.onsets_s[1:], item.onsets_s[-1] + 0.8]
    sung = []
    for syl, on, end in zip(res.syllables, item.onsets_s, ends, strict=True):
        assert syl.onset_s is not None and abs(syl.onset_s - on) <= 0.05, (syl, on)
        assert syl.produced == syl.target
        truth = item.truth_f0_hz[int((on + 0.15) / 0.01) : int((end - 0.1) / 0.01)]
        sung.append(float(np.nanmedian(truth)))  # the note the synthetic patient really sang
        assert abs(1200 * np.log2(syl.f0_hz / sung[-1])) < 25
    # the error vs the target interval, in the attempt's own key, is the error the generator sang
    expected = np.array([3.0 if t == "H" else 0.0 for t in PHRASE.pattern])
    st = 12.0 * np.log2(np.array(sung))
    truth_err = (st - np.median(st - expected) - expected) * 100.0
    for syl, err in zip(res.syllables, truth_err, strict=True):
        assert abs(syl.error_cents - err) < 25


@pytest.mark.parametrize("low_hz,female", [(200.0, True), (95.0, False)])
def test_other_key_still_gets_full_contour(attempt, tracker, low_hz, female):
    res = _analyze(attempt("correct", seed=5, low_hz=low_hz, female=female), tracker)
    assert res.scores.contour == pytest.approx(1.0, abs=0.05)
    assert [s.produced for s in res.syllables] == list(PHRASE.pattern)
    assert res.verdict == "pass"


@pytest.mark.parametrize("tempo", [42.0, 88.0])
def test_tempo_scaled_attempt_keeps_rhythm_in_repetition(attempt, tracker, tempo):
    item = attempt("correct", seed=7, tempo_bpm=tempo)
    res = _analyze(item, tracker, tempo_bpm=60.0)  # the model was at 60 BPM; the patient chose another tempo
    assert res.scores.rhythm >= 0.9
    assert res.measures["tempo_bpm"] == pytest.approx(tempo, rel=0.12)
    assert res.verdict == "pass"


def test_missing_syllable_lowers_completeness_and_marks_the_right_target(attempt, tracker):
    res = _analyze(attempt("missing", drop=(2,)), tracker)
    n = PHRASE.n_syllables
    assert res.scores.completeness == pytest.approx((n - 1) / n)
    assert res.syllables[2].onset_s is None and res.syllables[2].produced is None
    assert all(s.onset_s is not None for i, s in enumerate(res.syllables) if i != 2)
    assert res.verdict == "fail"


def test_inverted_contour_fails(attempt, tracker):
    res = _analyze(attempt("inverted"), tracker)
    assert res.scores.contour < 0.2
    assert [s.produced for s in res.syllables] == ["H" if t == "L" else "L" for t in PHRASE.pattern]
    assert res.measures["interval_st"] < -2.0
    assert res.verdict == "fail"


def test_monotone_fails_on_contour(attempt, tracker):
    res = _analyze(attempt("monotone"), tracker)
    assert abs(res.measures["interval_st"]) < 1.0
    assert res.scores.contour < 0.3
    assert res.verdict == "fail"


def test_wrong_rhythm_drops_rhythm(attempt, tracker):
    good = _analyze(attempt("correct", seed=11), tracker)
    bad = _analyze(attempt("rhythm", seed=11), tracker)
    assert good.scores.rhythm >= 0.9
    # rhythm is the share of onsets on their beats: here two of five are more than a beat off
    assert bad.scores.rhythm <= 0.65
    assert bad.measures["rhythm_off_syllables"] >= 2
    assert bad.verdict == "fail"


def test_unison_rhythm_is_judged_against_the_model_timing(attempt, tracker):
    item = attempt("correct", seed=13)

    class Model:
        def __init__(self, onset_s: float) -> None:
            self.onset_s = onset_s

    same = _analyze(item, tracker, model_syllables=[Model(t) for t in item.onsets_s])
    slower = _analyze(item, tracker, model_syllables=[Model(1.6 * t) for t in item.onsets_s])
    assert same.scores.rhythm >= 0.9
    assert abs(same.measures["mean_asynchrony_s"]) < 0.05
    assert slower.scores.rhythm < 0.6  # tempo-free scoring would have given this 1.0


def test_spoken_mode_ignores_pitch(attempt, tracker):
    res = _analyze(attempt("monotone", seed=4), tracker, mode="spoken")
    assert res.scores.contour is None and res.scores.voicing is None
    assert all(s.produced is None for s in res.syllables)
    assert res.scores.completeness == 1.0
    assert res.verdict == "pass"
    sung = _analyze(attempt("monotone", seed=4), tracker, mode="sung")
    assert sung.verdict == "fail"


def test_latency_from_prompt_end(attempt, tracker):
    item = attempt("correct")
    res = _analyze(item, tracker, prompt_end_s=0.1)
    assert res.measures["latency_s"] == pytest.approx(item.onsets_s[0] - 0.1, abs=0.05)


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_silence_and_noise_are_no_response(attempt, tracker, kind):
    res = _analyze(attempt(kind, seed=2), tracker)
    assert res.verdict == "no_response"
    assert all(s.onset_s is None for s in res.syllables)
    assert res.measures["no_response_reasons"]  # says why, for the therapist and the log


def test_unusable_arrays(tracker):
    short = analyze_attempt(np.zeros(160), sample_rate_hz=SR, phrase=PHRASE, tracker=tracker)
    assert short.verdict == "no_response" and short.warnings
    zeros = analyze_attempt(np.zeros(SR * 2), sample_rate_hz=SR, phrase=PHRASE, tracker=tracker)
    assert zeros.verdict == "no_response"
    ints = analyze_attempt(np.zeros(SR, dtype=np.int16), sample_rate_hz=SR, phrase=PHRASE, tracker=tracker)
    assert ints.verdict == "no_response"
    bad = np.zeros(SR)
    bad[100] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        analyze_attempt(bad, sample_rate_hz=SR, phrase=PHRASE, tracker=tracker)
    with pytest.raises(ValueError, match="mode"):
        analyze_attempt(np.zeros(SR), sample_rate_hz=SR, phrase=PHRASE, tracker=tracker, mode="rap")


def test_thresholds_are_settings(attempt, tracker):
    item = attempt("missing", drop=(2,))
    lenient = ScoringSettings(min_completeness=0.75)
    assert _analyze(item, tracker, settings=lenient).verdict == "pass"


def test_spoken_instead_of_sung_fails_in_sung_mode_but_passes_as_speech(attempt, tracker):
    item = attempt("spoken", seed=6)
    sung = _analyze(item, tracker, mode="sung")
    assert sung.verdict == "fail"
    assert sung.measures["tempo_bpm"] > 150  # speech rate, not intoning
    assert sung.measures["intoned"] < 0.5
    spoken = _analyze(item, tracker, mode="spoken")
    assert spoken.scores.completeness == 1.0
    assert spoken.verdict == "pass"


def test_sprechgesang_judges_rhythm_and_completeness_with_lenient_contour(attempt, tracker):
    res = _analyze(attempt("correct", seed=9), tracker, mode="sprechgesang")
    assert res.scores.voicing is None
    assert res.scores.rhythm >= 0.9 and res.scores.completeness == 1.0
    assert res.scores.contour == pytest.approx(1.0)  # direction only
    assert res.verdict == "pass"
    mono = _analyze(attempt("monotone", seed=9), tracker, mode="sprechgesang")
    assert mono.verdict == "pass"  # pitch is no longer held in speech-song: a flat contour does not fail
