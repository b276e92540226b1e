"""The voice synthesiser: exact pitch, silence where asked, vowel formants, many harmonics."""

from __future__ import annotations

import numpy as np
import pytest
import soxr
from scipy.linalg import solve_toeplitz
from stimulus_helpers import PHRASE, Tracker, cents, rms

from mit_trainer.analysis.stimulus import render_stimulus, syllable_vowel
from mit_trainer.analysis.voice import (
    VOWEL_TABLE,
    VOWELS,
    VoiceParams,
    note_contour,
    synthesize_voice,
    vowel_for_params,
)


@pytest.fixture(scope="module")
def tracker() -> Tracker:
    return Tracker()


def _harmonic_levels_db(x: np.ndarray, sr: int, f0: float, count: int) -> np.ndarray:
    """Level of each of the first ``count`` harmonics relative to the strongest (dB)."""
    spec = np.abs(np.fft.rfft(x * np.hanning(x.shape[0])))
    freqs = np.fft.rfftfreq(x.shape[0], 1 / sr)
    levels = np.array([spec[np.abs(freqs - k * f0) < 0.3 * f0].max() for k in range(1, count + 1)])
    return np.asarray(20 * np.log10(levels / levels.max()))


def _lpc_formants(x: np.ndarray, sr: int) -> list[float]:
    """Formant candidates (Hz) from an order-12 autocorrelation LPC fit at 10 kHz, sorted."""
    y = soxr.resample(x.astype(np.float64), sr, 10000)
    y = np.append(y[0], y[1:] - 0.63 * y[:-1]) * np.hamming(y.shape[0])  # pre-emphasis
    r = np.correlate(y, y, mode="full")[y.shape[0] - 1 : y.shape[0] + 12]
    a = np.concatenate(([1.0], -solve_toeplitz(r[:12], r[1:13])))
    roots = [z for z in np.roots(a) if z.imag > 0 and abs(z) > 0.85]
    return sorted(float(np.angle(z) * 10000 / (2 * np.pi)) for z in roots)


@pytest.mark.parametrize("f0_hz", [98.0, 146.8, 261.6])
def test_steady_pitch_is_exact(tracker: Tracker, f0_hz: float) -> None:
    sr = 16000
    y = synthesize_voice(np.full(sr * 2, f0_hz), sample_rate_hz=sr, vowels="a", params=VoiceParams.male())
    times, f0 = tracker.track(y, sr)
    assert abs(cents(float(np.nanmedian(f0[(times > 0.2) & (times < 1.8)])), f0_hz)) < 10


def test_glide_follows_the_contour_and_vibrato_swings_around_it(tracker: Tracker) -> None:
    sr = 16000
    t = np.arange(sr * 3) / sr
    contour = 110.0 * 2 ** (t / 3)  # one octave in 3 s
    y = synthesize_voice(contour, sample_rate_hz=sr, vowels="o", params=VoiceParams.male(jitter_percent=0))
    times, f0 = tracker.track(y, sr)
    m = (times > 0.2) & (times < 2.8) & np.isfinite(f0)
    errors = 1200 * np.log2(f0[m] / (110.0 * 2 ** (times[m] / 3)))
    assert np.median(np.abs(errors)) < 15
    vib = synthesize_voice(
        np.full(sr * 3, 200.0),
        sample_rate_hz=sr,
        vowels="a",
        params=VoiceParams.female(vibrato_depth_cents=50),
    )
    times, f0 = tracker.track(vib, sr)
    c = 1200 * np.log2(f0[(times > 0.3) & (times < 2.7)] / 200.0)
    assert abs(np.nanmedian(c)) < 10  # centred on the note
    assert 60 < np.nanmax(c) - np.nanmin(c) < 140  # peak-to-peak about twice the depth


def test_nan_is_silence_and_voicing_resumes(tracker: Tracker) -> None:
    sr = 16000
    f0 = np.full(sr * 2, 150.0)
    f0[int(0.8 * sr) : int(1.2 * sr)] = np.nan
    y = synthesize_voice(f0, sample_rate_hz=sr, vowels="e")
    gap = y[int(0.85 * sr) : int(1.15 * sr)]
    assert rms(gap) < 1e-3 * rms(y[: int(0.7 * sr)])
    times, tracked = tracker.track(y, sr)
    after = tracked[(times > 1.3) & (times < 1.9)]
    assert np.isfinite(after).mean() > 0.9
    assert np.all(synthesize_voice(np.full(100, np.nan), sample_rate_hz=sr, vowels="a") == 0)


def test_many_harmonics_not_a_sine() -> None:
    sr = 44100
    stim = render_stimulus(PHRASE, sample_rate_hz=sr, low_hz=110.0, mode="intone")
    s = stim.syllables[3]  # "wa": L note, vowel a
    mid = stim.samples[round((s.onset_s + 0.25) * sr) : round((s.onset_s + 0.75) * sr)].astype(np.float64)
    levels = _harmonic_levels_db(mid, sr, s.f0_hz, 30)
    assert np.count_nonzero(levels > -40) >= 8, np.round(levels)
    # Energy spread well above the fundamental (a sine's spectral centroid sits on it).
    spec = np.abs(np.fft.rfft(mid * np.hanning(mid.shape[0]))) ** 2
    freqs = np.fft.rfftfreq(mid.shape[0], 1 / sr)
    assert float(np.sum(freqs * spec) / np.sum(spec)) > 4 * s.f0_hz


@pytest.mark.parametrize("vowel", ["a", "i", "u"])
@pytest.mark.parametrize("preset", ["male", "female"])
def test_formant_peaks_near_the_vowel_table(vowel: str, preset: str) -> None:
    sr = 22050
    params = getattr(VoiceParams, preset)()
    f0 = 110.0 if preset == "male" else 180.0
    y = synthesize_voice(np.full(sr, f0), sample_rate_hz=sr, vowels=vowel, params=params)
    found = _lpc_formants(y[sr // 4 :], sr)
    spec = vowel_for_params(vowel, params)
    for target in spec.formants_hz[:2]:
        nearest = min(found, key=lambda f: abs(f - target))
        assert abs(nearest - target) < 0.12 * target + 40, (vowel, preset, target, found)


def test_female_formants_are_scaled_up() -> None:
    male, female = VoiceParams.male(), VoiceParams.female()
    for v in ("a", "i"):
        ratio = np.array(vowel_for_params(v, female).formants_hz) / np.array(
            vowel_for_params(v, male).formants_hz
        )
        assert np.allclose(ratio, 1.17)


def test_hum_is_darker_than_intone() -> None:
    sr = 22050
    kw = {"sample_rate_hz": sr, "low_hz": 130.8}
    hum = render_stimulus(PHRASE, mode="hum", **kw).samples.astype(np.float64)
    sung = render_stimulus(PHRASE, mode="intone", **kw).samples.astype(np.float64)

    def centroid(x: np.ndarray) -> float:
        spec = np.abs(np.fft.rfft(x)) ** 2
        return float(np.sum(np.fft.rfftfreq(x.shape[0], 1 / sr) * spec) / np.sum(spec))

    assert centroid(hum) < 0.6 * centroid(sung)


def test_vowel_inputs_agree() -> None:
    sr, n = 16000, 16000
    f0 = np.full(n, 140.0)
    by_segments = synthesize_voice(f0, sample_rate_hz=sr, vowels=[(0.0, "a"), (0.5, "i")], rng=1)
    idx = np.zeros(n, dtype=np.int64)
    idx[n // 2 :] = VOWELS.index("i")
    by_index = synthesize_voice(f0, sample_rate_hz=sr, vowels=idx, rng=1)
    np.testing.assert_allclose(by_segments, by_index, atol=1e-6)
    with pytest.raises(ValueError, match="vowel"):
        synthesize_voice(f0, sample_rate_hz=sr, vowels="x")
    with pytest.raises(ValueError, match="samples"):
        synthesize_voice(f0, sample_rate_hz=sr, vowels=idx[:10])
    with pytest.raises(ValueError, match="amplitude"):
        synthesize_voice(f0, sample_rate_hz=sr, vowels="a", amplitude=np.ones(10))
    with pytest.raises(ValueError, match="vibrato_weight"):
        synthesize_voice(f0, sample_rate_hz=sr, vowels="a", vibrato_weight=np.ones(10))
    with pytest.raises(ValueError, match="half the sample rate"):
        synthesize_voice(np.full(100, 9000.0), sample_rate_hz=sr, vowels="a")


def test_voice_params_validate_and_presets_differ() -> None:
    with pytest.raises(ValueError, match="open_quotient"):
        VoiceParams(open_quotient=1.5)
    with pytest.raises(ValueError, match="jitter_percent"):
        VoiceParams.male().replace(jitter_percent=-1)
    assert VoiceParams.female().formant_scale > VoiceParams.male().formant_scale
    assert VoiceParams.male(vibrato_depth_cents=30).vibrato_depth_cents == 30
    assert set(VOWELS) == set(VOWEL_TABLE)


def test_imperfections_are_seeded() -> None:
    f0 = np.full(8000, 180.0)
    p = VoiceParams.female(jitter_percent=2.0, shimmer_db=1.0, flutter_cents=30.0, breathiness=0.3)
    a = synthesize_voice(f0, sample_rate_hz=16000, vowels="a", params=p, rng=5)
    b = synthesize_voice(f0, sample_rate_hz=16000, vowels="a", params=p, rng=np.random.default_rng(5))
    c = synthesize_voice(f0, sample_rate_hz=16000, vowels="a", params=p, rng=6)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize(
    ("text", "vowel"),
    [
        ("thank", "a"),
        ("you", "u"),
        ("see", "i"),
        ("go", "o"),
        ("make", "e"),
        ("day", "e"),
        ("mm", "@"),
        ("I", "a"),
        ("my", "a"),
        ("like", "a"),
        ("light", "a"),
        ("would", "u"),
        ("turn", "@"),
        ("car", "a"),
        ("all", "o"),
        ("walk", "o"),
        ("cup", "@"),
        ("the", "@"),
        ("out", "a"),
        ("home", "o"),
        ("Good", "u"),
        ("ning", "i"),
        ("cof", "o"),
        ("fee", "i"),
        ("wa", "a"),
        ("ter", "@"),
    ],
)
def test_syllable_vowel(text: str, vowel: str) -> None:  # fmt: skip
    assert syllable_vowel(text) == vowel


def test_note_contour_for_simulated_singers(tracker: Tracker) -> None:
    sr = 16000
    notes = [(0.2, 1.0, 150.0), (1.0, 1.8, 180.0), (2.1, 2.9, 140.0)]  # legato join, then a gap
    f0 = note_contour(notes, n_samples=3 * sr, sample_rate_hz=sr, glide_s=0.08)
    assert np.isnan(f0[: int(0.2 * sr)]).all() and np.isnan(f0[int(1.85 * sr) : int(2.05 * sr)]).all()
    assert f0[int(0.5 * sr)] == 150.0 and f0[int(1.5 * sr)] == 180.0
    join = f0[int(0.96 * sr) : int(1.04 * sr)]
    assert np.all(np.diff(join) >= 0) and 150.0 < join[len(join) // 2] < 180.0  # a smooth glide up
    y = synthesize_voice(f0, sample_rate_hz=sr, vowels="a", params=VoiceParams.male(jitter_percent=0.0))
    times, tracked = tracker.track(y, sr)
    for onset, offset, note in notes:
        m = (times > onset + 0.15) & (times < offset - 0.15)
        assert abs(cents(float(np.nanmedian(tracked[m])), note)) < 10
    assert rms(y[int(1.9 * sr) : int(2.0 * sr)]) < 1e-3 * rms(y[int(0.4 * sr) : int(0.9 * sr)])
    with pytest.raises(ValueError, match="positive"):
        note_contour([(0.0, 1.0, -5.0)], n_samples=sr, sample_rate_hz=sr)


@pytest.mark.parametrize("female", [False, True])
@pytest.mark.parametrize("rate", [16000, 48000])
def test_cascade_filter_equals_the_recursive_filter(female: bool, rate: int) -> None:
    """The frequency-domain cascade gives what ``scipy.signal.sosfilt`` gives (from rest), for every vowel."""
    from scipy.signal import sosfilt

    from mit_trainer.analysis.voice import VOWELS, VoiceParams, cascade_filter, vowel_sos

    params = VoiceParams.female() if female else VoiceParams.male()
    rng = np.random.default_rng(5)
    x = rng.standard_normal(rate // 3)
    x[: rate // 10] = 0.0
    x[rate // 10] = 50.0  # an impulse, then noise: the whole response and a busy signal
    for vowel in VOWELS:
        sos = vowel_sos(vowel, sample_rate_hz=rate, params=params)
        want = sosfilt(sos, x)
        got = cascade_filter(sos, x)
        assert got.dtype == np.float32 and got.shape == x.shape
        assert np.max(np.abs(got - want)) < 1e-5 * np.max(np.abs(want)), vowel
    assert cascade_filter(vowel_sos("a", sample_rate_hz=rate, params=params), np.zeros(0)).shape == (0,)


def test_the_trainer_does_not_import_scipy_signal() -> None:
    """scipy.signal's import holds the GIL ~100 ms (extension initialisation): a GUI stall when prewarmed."""
    import subprocess
    import sys

    code = (
        "import sys, mit_trainer.analysis.stimulus, mit_trainer.scoring.attempt, mit_trainer.app.session;"
        "print('scipy.signal' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_decay_length_follows_the_slowest_pole() -> None:
    from mit_trainer.analysis.voice import decay_length

    assert decay_length([[1.0, 0.0, 0.0, 1.0, -0.5, 0.0]]) == 30 + 3  # 0.5**30 < 1e-9 <= 0.5**29
    two = [[1.0, 0.0, 0.0, 1.0, -0.5, 0.0], [1.0, 0.0, 0.0, 1.0, 0.0, -0.81]]  # poles at +-0.9
    assert decay_length(two) == 197 + 3  # 0.9**197 < 1e-9
    assert decay_length([[1.0, 2.0, 1.0, 1.0, 0.0, 0.0]]) == 3  # FIR only
    with pytest.raises(ValueError, match="not stable"):
        decay_length([[1.0, 0.0, 0.0, 1.0, -1.0, 0.0]])
