"""The rendered model against known truth: notes (cents, by an independent tracker), timing, taps, fade."""

from __future__ import annotations

import numpy as np
import pytest
from stimulus_helpers import (
    PHRASE,
    THANK_YOU,
    Tracker,
    cents,
    make_phrase,
    rms,
    syllable_medians,
    voiced_span,
    yin_track,
)

from mit_trainer.analysis.stimulus import render_stimulus
from mit_trainer.analysis.voice import VoiceParams
from mit_trainer.core.records import Phrase


@pytest.fixture(scope="module")
def tracker() -> Tracker:
    return Tracker()


@pytest.mark.parametrize("phrase", [PHRASE, THANK_YOU], ids=lambda p: p.id)
@pytest.mark.parametrize("tempo_bpm", [60.0, 90.0])
@pytest.mark.parametrize(("low_hz", "voice"), [(110.0, "male"), (220.0, "female")])
def test_intoned_notes_within_20_cents_and_span_within_5_percent(
    tracker: Tracker, phrase: Phrase, tempo_bpm: float, low_hz: float, voice: str
) -> None:
    stim = render_stimulus(
        phrase,
        sample_rate_hz=44100,
        low_hz=low_hz,
        tempo_bpm=tempo_bpm,
        mode="intone",
        voice=getattr(VoiceParams, voice)(),
    )
    high_hz = low_hz * 2 ** (3 / 12)
    assert [s.f0_hz for s in stim.syllables] == pytest.approx(
        [high_hz if t == "H" else low_hz for t in phrase.pattern]
    )
    times, f0 = tracker.track(stim.samples, stim.sample_rate_hz)
    errors = [
        cents(m, s.f0_hz) for m, s in zip(syllable_medians(stim, times, f0), stim.syllables, strict=True)
    ]
    assert all(abs(e) <= 20.0 for e in errors), errors
    yin_times, yin_f0 = yin_track(stim.samples, stim.sample_rate_hz)
    medians = syllable_medians(stim, yin_times, yin_f0)
    errors = [cents(m, s.f0_hz) for m, s in zip(medians, stim.syllables, strict=True)]
    assert all(abs(e) <= 20.0 for e in errors), ("yin", errors)

    nominal_s = phrase.duration_s(tempo_bpm)
    first, last = voiced_span(times, f0)
    assert abs((last - first) - nominal_s) <= 0.05 * nominal_s, (first, last, nominal_s)
    assert abs(first - 0.3) <= 0.05 * nominal_s  # voicing starts at the first onset after the lead-in
    span = stim.voiced_span_s
    assert span[1] - span[0] == pytest.approx(nominal_s, abs=1.0 / 44100)


def test_hum_notes_within_20_cents(tracker: Tracker) -> None:
    stim = render_stimulus(PHRASE, sample_rate_hz=16000, low_hz=130.8, interval_semitones=5, mode="hum")
    times, f0 = tracker.track(stim.samples, 16000)
    errors = [
        cents(m, s.f0_hz) for m, s in zip(syllable_medians(stim, times, f0), stim.syllables, strict=True)
    ]
    assert all(abs(e) <= 20.0 for e in errors), errors
    first, last = voiced_span(times, f0)
    assert abs((last - first) - PHRASE.duration_s(60)) <= 0.05 * PHRASE.duration_s(60)


def test_sprechgesang_keeps_stress_and_rhythm_but_glides(tracker: Tracker) -> None:
    phrase = make_phrase(("my", "grand", "son", "is", "com", "ing", "to", "vis", "it"), "LHLLHLLHL")
    stim = render_stimulus(phrase, sample_rate_hz=16000, low_hz=130.8, tempo_bpm=75, mode="sprechgesang")
    times, f0 = tracker.track(stim.samples, 16000)
    medians = syllable_medians(stim, times, f0)
    for i, t in enumerate(phrase.pattern):
        if t == "H":
            for j in (i - 1, i + 1):
                if 0 <= j < len(medians) and phrase.pattern[j] == "L":
                    assert medians[i] > medians[j] * 2 ** (1 / 12), (i, j, medians)
    # Pitch is not held: inside each H syllable the tracked f0 moves by more than a semitone.
    for s in stim.syllables:
        m = (times >= s.onset_s + 0.05) & (times <= s.offset_s - 0.05) & np.isfinite(f0)
        if s.target == "H":
            assert cents(np.max(f0[m]), np.min(f0[m])) > 100.0
    nominal_s = phrase.duration_s(75)
    first, last = voiced_span(times, f0)
    assert abs((last - first) - nominal_s) <= 0.05 * nominal_s


def test_syllable_timing_follows_beats_tempo_and_stress_lengthening() -> None:
    stim = render_stimulus(PHRASE, sample_rate_hz=16000, low_hz=120, tempo_bpm=90, lead_in_s=0.5)
    beat_s = 60 / 90
    expected = np.cumsum([0.0, *PHRASE.beats]) * beat_s + 0.5
    assert [s.onset_s for s in stim.syllables] == pytest.approx(list(expected[:-1]), abs=1 / 16000)
    assert [s.offset_s for s in stim.syllables] == pytest.approx(list(expected[1:]), abs=1 / 16000)
    assert stim.duration_s == pytest.approx(expected[-1] + 0.3, abs=2 / 16000)

    long = render_stimulus(PHRASE, sample_rate_hz=16000, low_hz=120, tempo_bpm=90, stress_lengthening=1.5)
    for a, b in zip(stim.syllables, long.syllables, strict=True):
        ratio = (b.offset_s - b.onset_s) / (a.offset_s - a.onset_s)
        assert ratio == pytest.approx(1.5 if a.target == "H" else 1.0, abs=1e-3)


def test_legato_voicing_never_stops_between_syllables(tracker: Tracker) -> None:
    stim = render_stimulus(PHRASE, sample_rate_hz=16000, low_hz=150, tempo_bpm=90)
    times, f0 = tracker.track(stim.samples, 16000)
    start, stop = stim.voiced_span_s
    inside = (times > start + 0.05) & (times < stop - 0.05)
    assert np.isfinite(f0[inside]).all()
    # ...yet each new syllable is marked by a dip in level (a consonant-like articulation).
    frame = 160
    level = np.sqrt(np.convolve(stim.samples.astype(float) ** 2, np.ones(frame) / frame, mode="same"))
    for s in stim.syllables[1:]:
        at = round(s.onset_s * 16000)
        mid = round((s.onset_s + 0.25 * (s.offset_s - s.onset_s)) * 16000)
        assert 0.05 * level[mid] < level[at] < 0.9 * level[mid]


@pytest.mark.parametrize("sample_rate_hz", [44100, 16000])
def test_taps_start_on_syllable_onsets_to_the_sample(sample_rate_hz: int) -> None:
    kw = {"sample_rate_hz": sample_rate_hz, "low_hz": 130.8, "tempo_bpm": 72, "seed": 3}
    sep = render_stimulus(PHRASE, taps="separate", **kw)
    mix = render_stimulus(PHRASE, taps="mix", **kw)
    none = render_stimulus(PHRASE, taps="none", **kw)
    assert sep.taps is not None and mix.taps is None and none.taps is None
    onsets = [round(s.onset_s * sample_rate_hz) for s in sep.syllables]
    assert [s.onset_s * sample_rate_hz for s in sep.syllables] == pytest.approx(onsets, abs=1e-6)
    assert sep.tap_times_s == tuple(s.onset_s for s in sep.syllables) == mix.tap_times_s
    nonzero = np.flatnonzero(sep.taps)
    starts = nonzero[np.concatenate(([True], np.diff(nonzero) > 1))]
    assert starts.tolist() == onsets
    assert np.argmax(np.abs(sep.taps[onsets[0] : onsets[0] + 100])) == 0  # the click peaks on the onset
    np.testing.assert_array_equal(sep.samples, none.samples)  # voice only
    np.testing.assert_allclose(mix.samples - none.samples, sep.taps, atol=1e-6)


def test_fade_silences_the_voice_but_not_the_taps() -> None:
    kw = {"sample_rate_hz": 16000, "low_hz": 130.8}
    plain = render_stimulus(PHRASE, **kw)
    faded = render_stimulus(PHRASE, fade=(0.2, 0.6), **kw)
    first, last = faded.syllables[0], faded.syllables[-1]

    def seg(stim, s):  # type: ignore[no-untyped-def]
        return stim.samples[round(s.onset_s * 16000) : round(s.offset_s * 16000)]

    assert rms(seg(faded, first)) == pytest.approx(rms(seg(plain, first)), rel=1e-6)
    assert rms(seg(faded, last)) < 1e-3 * rms(seg(faded, first))
    # Level falls monotonically across the fade region.
    per_syl = [rms(seg(faded, s)) for s in faded.syllables]
    assert per_syl[-2] < per_syl[1]
    tapped = render_stimulus(PHRASE, fade=(0.0, 0.3), taps="separate", **kw)
    assert tapped.taps is not None
    assert np.max(np.abs(tapped.taps[round(last.onset_s * 16000) :])) > 0.3
    assert faded.fade == (0.2, 0.6)


def test_same_seed_same_samples_other_seed_same_timing() -> None:
    a = render_stimulus(THANK_YOU, sample_rate_hz=22050, low_hz=200, mode="intone", seed=7)
    b = render_stimulus(THANK_YOU, sample_rate_hz=22050, low_hz=200, mode="intone", seed=7)
    c = render_stimulus(THANK_YOU, sample_rate_hz=22050, low_hz=200, mode="intone", seed=8)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)
    assert a.syllables == c.syllables
    assert a.samples.dtype == np.float32 and not a.samples.flags.writeable
    assert np.max(np.abs(a.samples)) <= 1.0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"interval_semitones": 0.5}, "interval_semitones"),
        ({"interval_semitones": 13}, "interval_semitones"),
        ({"tempo_bpm": 19}, "tempo_bpm"),
        ({"tempo_bpm": 201}, "tempo_bpm"),
        ({"low_hz": 49}, "low_hz"),
        ({"low_hz": 1001}, "low_hz"),
        ({"low_hz": float("nan")}, "low_hz"),
        ({"fade": (0.7, 0.3)}, "fade"),
        ({"fade": (-0.1, 0.3)}, "fade start"),
        ({"fade": (0.1, 1.3)}, "fade end"),
        ({"mode": "sing"}, "mode"),
        ({"taps": "both"}, "taps"),
        ({"sample_rate_hz": 4000}, "sample_rate_hz"),
        ({"stress_lengthening": 5}, "stress_lengthening"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(kwargs: dict, name: str) -> None:
    args = {"sample_rate_hz": 16000, "low_hz": 130.8, **kwargs}
    with pytest.raises(ValueError, match=f"^{name}"):
        render_stimulus(THANK_YOU, **args)


def test_bad_phrase_is_rejected() -> None:
    broken = make_phrase(("a", "b"), "HX")
    with pytest.raises(ValueError, match="H or L"):
        render_stimulus(broken, sample_rate_hz=16000, low_hz=130.8)


def test_taps_accepts_booleans() -> None:
    kw = {"sample_rate_hz": 16000, "low_hz": 130.8}
    mixed = render_stimulus(THANK_YOU, taps=True, **kw)
    plain = render_stimulus(THANK_YOU, taps=False, **kw)
    assert mixed.tap_mode == "mix" and plain.tap_mode == "none"
    assert not np.array_equal(mixed.samples, plain.samples)
