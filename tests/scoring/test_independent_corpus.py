"""The independent corpus (issue 12): the generator's truth itself, perturbations, verdicts, the bench.

Truth is checked against the generator and plain signal measurements (librosa yin, energy), never against the
trainer's own analysis; the verdict tests then hold the analysis to that truth.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace

import librosa
import numpy as np
import pytest

from mit_trainer.cli.main import main
from mit_trainer.scoring.attempt import analyze_attempt
from mit_trainer.scoring.independent import perturb as pt
from mit_trainer.scoring.independent.corpus import IndependentItem, build_corpus, cache_key, shipped_phrases
from mit_trainer.scoring.independent.errors import GenerationError
from mit_trainer.scoring.independent.espeak import speak
from mit_trainer.scoring.independent.festival import FestivalError
from mit_trainer.scoring.independent.plan import KINDS, RANGES, plan_corpus, plan_item
from mit_trainer.scoring.independent.render import NOMINAL_PATIENT_PEAK_DBFS

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')

SEED = 2026
SR = 16000
SLICE = ("clean", "female", "stock_glide", "inverted", "monotone", "missing", "merged", "first_half",
         "wrong_interval", "lead_silence", "level", "clipping", "model_leak", "silence_leak",
         "spoken")  # fmt: skip
needs_festival = pytest.mark.skipif(shutil.which("festival") is None, reason="festival is not installed")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("indep-cache")


@pytest.fixture(scope="module")
def items(cache) -> dict[str, IndependentItem]:
    """One item of each kind in the slice, with the voice family fixed: Festival, and espeak-ng re-sung
    (``espeak_clean``, ``espeak_missing``) or spoken (``espeak_spoken``)."""
    if shutil.which("festival") is None:
        pytest.skip("festival is not installed")
    phrases = shipped_phrases()
    plans = [replace(plan_item(k, 0, phrases, seed=SEED), voice="kal_diphone") for k in SLICE]
    plans += [
        replace(plan_item(k, 0, phrases, seed=SEED), voice=v, item_id=f"espeak_{k}-0")
        for k, v in (("clean", "espeak:en-us"), ("missing", "espeak:en+f2"), ("spoken", "espeak:en"))
    ]
    return {
        ("espeak_" if it.plan.voice.startswith("espeak") else "") + it.plan.kind: it
        for it in build_corpus(plans, phrases=phrases, cache_dir=cache)
    }


def _yin_cents(item: IndependentItem, k: int, end_s: float) -> float:
    """Median yin f0 of syllable ``k``'s steady vowel (glide halves and 40 ms edges left out), in cents
    from the generator's note; NaN if fewer than 5 voiced frames."""
    glide = item.plan.glide_s or 0.2
    a = max(item.vowel_onsets_s[k], item.onsets_s[k] + glide / 2) + 0.04
    b = end_s - glide / 2 - 0.04
    x = item.samples[int(a * SR) : int(b * SR)].astype(np.float64)
    if x.size < 1024:
        return math.nan
    f0 = librosa.yin(x, fmin=60, fmax=600, sr=SR, frame_length=1024, hop_length=160, center=False)
    rms = librosa.feature.rms(y=x, frame_length=1024, hop_length=160, center=False)[0]
    loudest = pt.active_rms(item.samples.astype(np.float64), SR)
    voiced = rms > 0.25 * loudest  # clearly sounding frames only (within 12 dB of the voice)
    if voiced.sum() < 5:
        return math.nan
    return float(1200 * np.log2(np.median(f0[voiced]) / item.notes_hz[k]))


def _syllable_ends(item: IndependentItem) -> list[float]:
    return [*item.onsets_s[1:], item.onsets_s[-1] + 0.35]


# --- the generator's truth -------------------------------------------------------------------------------


@needs_festival
def test_festival_onsets_follow_the_score(items):
    """Onsets (first phone) sit on the score's note starts within tens of ms, before their vowels."""
    it = items["clean"]
    phrase = it.phrase
    beat_s = 60.0 / it.plan.tempo_bpm
    starts = np.concatenate(([0.0], np.cumsum(np.array(phrase.beats) * beat_s)[:-1]))
    on = np.array(it.onsets_s)
    assert len(on) == phrase.n_syllables
    assert np.max(np.abs((on - on[0]) - starts)) < 0.12
    assert on[0] == pytest.approx(it.plan.lead_s + 0.05, abs=0.01)
    assert all(o <= v < o + 0.3 for o, v in zip(it.onsets_s, it.vowel_onsets_s, strict=True))


@needs_festival
@pytest.mark.parametrize("kind", ["clean", "female", "stock_glide", "espeak_clean", "espeak_missing"])
def test_sung_notes_are_on_target_within_20_cents(items, kind):
    """WORLD's re-pitched voice (and Festival's own, stock glides) is on the notes it was given (yin)."""
    it = items[kind]
    lo, hi, _, _ = RANGES[it.plan.vocal_range]
    assert lo <= it.plan.low_hz <= hi
    cents = [_yin_cents(it, k, e) for k, e in enumerate(_syllable_ends(it))]
    measured = [c for c in cents if not math.isnan(c)]
    assert len(measured) >= max(1, len(cents) - 1)
    assert max(abs(c) for c in measured) < 20.0, cents


@needs_festival
def test_espeak_sung_onsets_are_the_score(items):
    """espeak-ng's syllables are moved onto the score's note starts: first phone of each at its note."""
    it = items["espeak_clean"]
    beat_s = 60.0 / it.plan.tempo_bpm
    starts = np.concatenate(([0.0], np.cumsum(np.array(it.phrase.beats) * beat_s)[:-1]))
    assert np.array(it.onsets_s) - it.onsets_s[0] == pytest.approx(starts, abs=1e-6)
    assert all(o <= v < o + 0.3 for o, v in zip(it.onsets_s, it.vowel_onsets_s, strict=True))
    miss = items["espeak_missing"]
    assert len(miss.onsets_s) == miss.phrase.n_syllables - 1


def test_espeak_phoneme_events_give_syllables_on_the_voice():
    """Syllables from espeak-ng's phoneme events: one per vowel, each vowel sounding where it is said to."""
    s = speak("I have a headache", voice="en-us")
    assert len(s.onsets_s) == 5
    assert all(a <= b < c <= d for a, b, c, d in zip(s.onsets_s, s.vowel_onsets_s, s.vowel_ends_s, s.ends_s,
                                                     strict=True))  # fmt: skip
    assert all(s.ends_s[k] <= s.onsets_s[k + 1] + 1e-9 for k in range(4))
    x = s.samples.astype(np.float64)
    loud = pt.active_rms(x, s.sample_rate_hz)
    for v0, v1 in zip(s.vowel_onsets_s, s.vowel_ends_s, strict=True):
        seg = x[int((v0 + 0.01) * s.sample_rate_hz) : int((v1 - 0.01) * s.sample_rate_hz)]
        assert pt.rms(seg) > 0.2 * loud  # vowels are where the voice is loud
    with pytest.raises(GenerationError, match="no voice"):
        speak("hello", voice="xx-nonexistent")


@needs_festival
def test_inverted_contour_has_its_notes_inverted(items):
    it = items["inverted"]
    low = it.plan.low_hz
    high = low * 2 ** (it.plan.interval_semitones / 12)
    expect = [low if p == "H" else high for p in it.phrase.pattern]
    assert it.notes_hz == pytest.approx(expect)
    cents = [_yin_cents(it, k, e) for k, e in enumerate(_syllable_ends(it))]
    assert max(abs(c) for c in cents if not math.isnan(c)) < 20.0


@needs_festival
def test_monotone_and_wrong_interval_notes(items):
    mono = items["monotone"]
    assert len(set(mono.notes_hz)) == 1
    assert max(abs(c) for c in (_yin_cents(mono, k, e) for k, e in enumerate(_syllable_ends(mono)))
               if not math.isnan(c)) < 20.0  # fmt: skip
    wrong = items["wrong_interval"]
    steps = {round(12 * math.log2(n / wrong.plan.low_hz), 6) for n in wrong.notes_hz}
    assert steps <= {0.0, 8.0} and 8.0 in steps


@needs_festival
def test_missing_syllable_span_is_silent(items):
    it = items["missing"]
    d = int(it.plan.get("drop"))
    assert len(it.onsets_s) == it.phrase.n_syllables - 1
    beat_s = 60.0 / it.plan.tempo_bpm
    gap_start = it.onsets_s[d - 1] + it.phrase.beats[d - 1] * beat_s  # where the missing syllable would start
    gap_end = it.onsets_s[d] if d < len(it.onsets_s) else gap_start + it.phrase.beats[d] * beat_s
    a, b = gap_start + 0.15, gap_end - 0.15
    assert b - a > 0.2
    quiet = pt.rms(it.samples[int(a * SR) : int(b * SR)].astype(np.float64))
    loud = pt.active_rms(it.samples.astype(np.float64), SR)
    assert 20 * np.log10(quiet / loud) < -25.0


@needs_festival
def test_merged_and_first_half_produce_fewer_syllables(items):
    n = items["merged"].phrase.n_syllables
    assert len(items["merged"].onsets_s) == n - 1
    merged = items["merged"]
    i = int(merged.plan.get("first"))
    high = merged.plan.low_hz * 2 ** (merged.plan.interval_semitones / 12)
    assert merged.notes_hz[i] == pytest.approx(
        high if merged.phrase.pattern[i] == "H" else merged.plan.low_hz
    )
    beat_s = 60.0 / merged.plan.tempo_bpm
    # the merged note lasts both syllables' beats: the next onset comes that much later
    if i + 1 < len(merged.onsets_s):
        span = merged.onsets_s[i + 1] - merged.onsets_s[i]
        assert span == pytest.approx((merged.phrase.beats[i] + merged.phrase.beats[i + 1]) * beat_s, abs=0.12)
    half = items["first_half"]
    assert len(half.onsets_s) == (
        math.ceil(half.phrase.n_syllables / 2) if half.phrase.n_syllables > 2 else 1
    )
    assert half.duration_s < half.plan.lead_s + half.phrase.total_beats * 60 / half.plan.tempo_bpm


@needs_festival
def test_spoken_version_has_every_syllable_at_the_planned_rate(items):
    for it in (items["spoken"], items["espeak_spoken"]):
        assert it.plan.mode == "spoken"
        assert len(it.onsets_s) == it.phrase.n_syllables
        assert all(math.isnan(n) for n in it.notes_hz)
        wpm = it.plan.get("wpm")
        assert 60.0 <= wpm <= 160.0
        words = len(it.phrase.text.split())
        x = it.samples.astype(np.float64)
        frames = x[: x.size // 320 * 320].reshape(-1, 320)
        loud = np.flatnonzero(np.sqrt(np.mean(frames**2, axis=1)) > 0.05 * pt.active_rms(x, SR))
        spoken_s = (loud[-1] + 1) * 0.02 - it.onsets_s[0]  # first phone to the end of the voice
        assert spoken_s == pytest.approx(words * 60.0 / wpm, rel=0.15)


@needs_festival
def test_lead_silence_level_and_clipping(items):
    lead = items["lead_silence"]
    assert 0.0 <= lead.plan.lead_s <= 3.0
    assert lead.onsets_s[0] == pytest.approx(lead.plan.lead_s + 0.05, abs=0.01)
    level = items["level"]
    assert -50.0 <= level.plan.peak_dbfs <= -6.0
    assert 20 * np.log10(np.max(np.abs(level.samples))) == pytest.approx(level.plan.peak_dbfs, abs=0.05)
    clip = items["clipping"]
    assert np.max(np.abs(clip.samples)) == pytest.approx(1.0)
    assert np.mean(np.abs(clip.samples) >= 0.999) > 0.001


@needs_festival
@pytest.mark.parametrize("kind", ["model_leak", "silence_leak"])
def test_leak_is_the_trainers_model_at_the_stated_offset_and_level(items, kind):
    it = items[kind]
    assert it.played is not None and it.played_offset_s is not None
    assert -40.0 <= it.plan.get("leak_db") <= -10.0
    i = round(it.played_offset_s * SR)
    seg = it.samples[i : i + it.played.size].astype(np.float64)
    ref = it.played[: seg.size].astype(np.float64)
    gain = float(
        np.dot(seg, ref) / np.dot(ref, ref)
    )  # least-squares gain of the played model in the recording
    if kind == "silence_leak":
        assert 20 * np.log10(gain) == pytest.approx(
            NOMINAL_PATIENT_PEAK_DBFS + it.plan.get("leak_db"), abs=0.5
        )
        resid = seg - gain * ref
        assert -66.0 < 20 * np.log10(pt.rms(resid)) < -49.0  # what is left is the room (-65 to -50 dBFS)
        assert it.onsets_s == ()
    else:
        assert gain > 0
        assert it.model_onsets_s[0] == pytest.approx(it.onsets_s[0], abs=1e-6)


def test_plans_are_reproducible_and_keyed():
    phrases = shipped_phrases()
    a = plan_corpus(phrases, seed=5, per_kind=2)
    b = plan_corpus(phrases, seed=5, per_kind=2)
    assert a == b and len(a) == 2 * len(KINDS)
    assert len({cache_key(p) for p in a}) == len(a)
    assert plan_corpus(phrases, seed=6, per_kind=1)[0] != a[0]
    leak = [p for p in plan_corpus(phrases, seed=5, per_kind=20, kinds=("model_leak",))]
    assert all(-40.0 <= p.get("leak_db") <= -10.0 for p in leak)
    tempo = plan_corpus(phrases, seed=5, per_kind=20, kinds=("tempo", "transpose"))
    assert all(0.6 <= p.tempo_factor <= 1.4 for p in tempo if p.kind == "tempo")
    assert {abs(p.transpose_st) for p in tempo if p.kind == "transpose"} <= {3.0, 7.0, 12.0}


# --- each perturbation ---


def test_reverb_decays_60_db_in_its_rt60():
    rng = np.random.default_rng(0)
    x = np.zeros(2 * SR)
    x[100] = 1.0
    y = pt.reverb(x, SR, rng, rt60_s=0.6)
    energy = np.cumsum(y[::-1] ** 2)[::-1]  # Schroeder backward integration
    db = 10 * np.log10(energy / energy[0] + 1e-30)
    t5, t25 = np.argmax(db < -5) / SR, np.argmax(db < -25) / SR
    assert 3 * (t25 - t5) == pytest.approx(0.6, abs=0.08)  # T20 extrapolated to 60 dB


def test_telephone_band_and_hum_and_snr():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(SR * 2)
    y = pt.telephone(x, SR)
    spec = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(y.size, 1 / SR)
    band = spec[(f > 500) & (f < 3000)].mean()
    assert spec[f < 150].mean() < band * 10 ** (-2.5) and spec[f > 4500].mean() < band * 10 ** (-3)
    h = pt.hum(SR, SR, rng, mains_hz=50.0)
    hs = np.abs(np.fft.rfft(h))
    assert np.fft.rfftfreq(SR, 1 / SR)[np.argmax(hs)] == pytest.approx(50.0)
    noise = pt.pink_noise(rng, x.size)
    mixed = pt.mix_at_snr(x, noise, 10.0, SR)
    assert 20 * np.log10(pt.active_rms(x, SR) / pt.rms(mixed - x)) == pytest.approx(10.0, abs=0.01)


def test_clipping_taps_cough_click_breath():
    rng = np.random.default_rng(2)
    t = np.arange(SR) / SR
    x = 0.5 * np.sin(2 * np.pi * 200 * t)
    c = pt.hard_clip(x, drive_db=9.0)
    assert np.max(np.abs(c)) == 1.0 and np.mean(np.abs(c) == 1.0) > 0.3
    taps = pt.tap_track(SR, SR, [0.25, 0.5], rng, jitter_s=0.0)
    assert np.flatnonzero(np.abs(taps) > 1e-3)[0] == pytest.approx(0.25 * SR, abs=1)
    assert np.abs(taps[int(0.5 * SR) : int(0.5 * SR) + 10]).max() > 0.3
    cough = pt.cough(SR, rng)
    assert 0.25 * SR <= cough.size <= 0.4 * SR and np.max(np.abs(cough)) == pytest.approx(1.0)
    assert pt.click(SR, rng).size == int(0.003 * SR)
    b = pt.breathy(x, SR, rng, rel_db=-10.0)
    assert 20 * np.log10(pt.rms(b - x) / pt.rms(x)) == pytest.approx(-10.0, abs=0.01)
    assert pt.set_peak_dbfs(x, -30.0).max() == pytest.approx(10 ** (-30 / 20))


# --- verdicts on the slice ---


@needs_festival
def test_verdicts_on_plain_cases(items):
    """A clean sung attempt passes; an inverted contour and a silent room are rejected."""

    def verdict(kind: str) -> str:
        it = items[kind]
        return analyze_attempt(it.samples, sample_rate_hz=SR, phrase=it.phrase, mode=it.plan.mode,
                               tempo_bpm=it.plan.tempo_bpm,
                               interval_semitones=it.plan.interval_semitones).verdict  # fmt: skip

    assert verdict("clean") == "pass"
    assert verdict("espeak_spoken") == "pass"  # fluent speech, judged in spoken mode
    for kind in ("inverted", "monotone", "merged", "wrong_interval", "first_half"):
        assert verdict(kind) != "pass", kind


@needs_festival
def test_detected_onsets_near_the_phone_labels(items):
    """Every syllable of the clean attempt is found within 120 ms of its first phone (Festival's label)."""
    it = items["clean"]
    res = analyze_attempt(it.samples, sample_rate_hz=SR, phrase=it.phrase, tempo_bpm=it.plan.tempo_bpm,
                          interval_semitones=it.plan.interval_semitones)  # fmt: skip
    det = np.array([d.onset_s for d in res.detected])
    assert det.size == len(it.onsets_s)
    assert np.max(np.abs(det - np.array(it.onsets_s))) < 0.12


# --- the cache and the command ---


@needs_festival
def test_cached_items_need_no_festival(items, cache, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    plan = items["clean"].plan
    again = build_corpus([plan], cache_dir=cache)[0]
    assert np.array_equal(again.samples, items["clean"].samples)
    assert again.onsets_s == items["clean"].onsets_s
    with pytest.raises(FestivalError, match="festival is not installed"):
        build_corpus([plan_item("clean", 7, shipped_phrases(), seed=SEED)], cache_dir=cache)


@needs_festival
def test_bench_prints_its_tables_and_json(items, cache, capsys):
    args = ["bench", "--corpus", "independent", "--kinds", "clean,inverted", "--per-kind", "1",
            "--own-per-kind", "1", "--cache-dir", str(cache)]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "| clean (pass) | 1 |" in out and "| inverted (reject) | 1 |" in out
    assert "Own corpus, same run" in out and "| correct (pass) | 1 |" in out
    assert "x real time" in out and "Machine:" in out
    assert main([*args, "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    kinds = rep["independent"]["kinds"]
    assert kinds["clean"]["n"] == 1 and kinds["inverted"]["expected"] == "reject"
    assert kinds["inverted"]["ok"] == int(rep["independent"]["items"][1]["verdict"] != "pass")
    assert 0.0 <= kinds["clean"]["onset_f1_50ms"] <= 1.0


def test_bench_errors_are_one_line(tmp_path, capsys, monkeypatch):
    assert main(["bench", "--corpus", "independent", "--kinds", "nope"]) != 0
    assert "unknown kind nope" in capsys.readouterr().err
    monkeypatch.setenv("PATH", str(tmp_path))
    code = main(["bench", "--corpus", "independent", "--kinds", "clean", "--per-kind", "1", "--own-per-kind",
                 "0", "--cache-dir", str(tmp_path / "c")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "festival is not installed" in err
