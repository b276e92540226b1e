"""Every pitch tracker against signals with known f0: tones, an H/L step, silence, noise, any input format."""

from __future__ import annotations

import numpy as np
import pytest
from pitch_signals import add_noise, cents_error, harmonic_tone, step_f0, sung_voice, truth_at

from mit_trainer.analysis.audio_input import AudioInputError
from mit_trainer.analysis.pitch import (
    DEFAULT_TRACKER,
    LIVE_TRACKER,
    TRACKER_NAMES,
    PitchTracker,
    VoicingSettings,
    get_tracker,
)

SR = 16000
FAST = ("yin", "swiftf0", "crepe-tiny", "crepe-small")


@pytest.fixture(scope="module")
def trackers() -> dict[str, PitchTracker]:
    return {name: get_tracker(name) for name in (*FAST, "pyin")}


def _voiced_errors(
    tracker: PitchTracker, x: np.ndarray, truth: np.ndarray, sr: int
) -> tuple[np.ndarray, float]:
    track = tracker.track(x, sample_rate_hz=sr)
    expected = truth_at(track.times_s, truth, sr)
    inner = (track.times_s > 0.08) & (track.times_s < x.shape[0] / sr - 0.08)  # away from the edges
    voiced = track.voiced[inner]
    err = cents_error(track.f0_hz[inner][voiced], expected[inner][voiced])
    return err, float(np.mean(voiced))


@pytest.mark.parametrize("name", FAST)
@pytest.mark.parametrize("f0", [110.0, 220.0, 440.0])
def test_harmonic_tones(trackers: dict[str, PitchTracker], name: str, f0: float) -> None:
    x = harmonic_tone(f0, duration_s=0.6, sample_rate_hz=SR)
    err, voiced = _voiced_errors(trackers[name], x, np.full(x.size, f0), SR)
    assert voiced > 0.95
    assert np.percentile(err, 95) < 20 and err.max() < 30


@pytest.mark.parametrize("name", FAST)
def test_high_low_step(trackers: dict[str, PitchTracker], name: str) -> None:
    truth = step_f0(196.0, 3.0, duration_s=1.2, sample_rate_hz=SR)
    x = harmonic_tone(truth, duration_s=1.2, sample_rate_hz=SR)
    track = trackers[name].track(x, sample_rate_hz=SR)
    expected = truth_at(track.times_s, truth, SR)
    away = np.abs(track.times_s - 0.6) > 0.06  # frames whose window does not straddle the step
    inner = away & (track.times_s > 0.08) & (track.times_s < 1.12)
    err = cents_error(track.f0_hz[inner], expected[inner])
    assert np.mean(track.voiced[inner]) > 0.95 and np.nanmax(err) < 30


@pytest.mark.slow
@pytest.mark.slow
def test_pyin_tone_and_stream() -> None:
    tracker = get_tracker("pyin")
    x = harmonic_tone(220.0, duration_s=0.8, sample_rate_hz=SR)
    err, voiced = _voiced_errors(tracker, x, np.full(x.size, 220.0), SR)
    assert voiced > 0.95 and err.max() < 20
    _assert_stream_matches_batch(tracker, x, SR, block=800)


@pytest.mark.parametrize("name", [*FAST, "pyin"])
def test_silence_and_noise_are_unvoiced(trackers: dict[str, PitchTracker], name: str) -> None:
    n = SR // 2 if name == "pyin" else SR
    assert not trackers[name].track(np.zeros(n), sample_rate_hz=SR).voiced.any()
    for seed in (1, 3, 6):  # with no confidence threshold pyin calls 16-27% of frames of seeds 3, 6 voiced
        noise = 0.1 * np.random.default_rng(seed).standard_normal(n)
        assert np.mean(trackers[name].track(noise, sample_rate_hz=SR).voiced) <= 0.02


@pytest.mark.parametrize("name", ["yin", "swiftf0", "crepe-tiny"])
@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000, 96000])
def test_any_sample_rate(trackers: dict[str, PitchTracker], name: str, rate: int) -> None:
    x = harmonic_tone(220.0, duration_s=0.5, sample_rate_hz=rate, n_harmonics=3)
    track = trackers[name].track(x, sample_rate_hz=rate)
    assert track.times_s[-1] == pytest.approx(0.5, abs=1.5 * trackers[name].hop_s)
    err, voiced = _voiced_errors(trackers[name], x, np.full(x.size, 220.0), rate)
    assert voiced > 0.95 and err.max() < 25


@pytest.mark.parametrize("name", ["yin", "swiftf0", "crepe-tiny"])
def test_stereo_and_integer_input(trackers: dict[str, PitchTracker], name: str) -> None:
    x = harmonic_tone(330.0, duration_s=0.5, sample_rate_hz=SR)
    ref = trackers[name].track(x, sample_rate_hz=SR)
    stereo = np.stack([x, x], axis=1)
    for variant in (stereo, (x * 32767).astype(np.int16), (x * 2**31).astype(np.int32), stereo.T.copy()):
        got = trackers[name].track(variant, sample_rate_hz=SR)
        np.testing.assert_array_equal(got.voiced, ref.voiced)
        np.testing.assert_allclose(got.f0_hz[got.voiced], ref.f0_hz[ref.voiced], rtol=2e-3)


@pytest.mark.parametrize("name", FAST)
def test_unusable_arrays_never_crash(trackers: dict[str, PitchTracker], name: str) -> None:
    tracker = trackers[name]
    assert len(tracker.track(np.zeros(0), sample_rate_hz=SR)) == 0
    short = tracker.track(harmonic_tone(220.0, duration_s=0.01, sample_rate_hz=SR), sample_rate_hz=SR)
    assert 1 <= len(short) <= 2
    clipped = np.clip(harmonic_tone(220.0, duration_s=0.5, sample_rate_hz=SR, amplitude=3.0), -1, 1)
    err, _ = _voiced_errors(tracker, clipped, np.full(clipped.size, 220.0), SR)
    assert np.median(err) < 20
    for bad in (np.nan, np.inf):
        x = np.zeros(SR)
        x[10] = bad
        with pytest.raises(AudioInputError, match="NaN or infinite"):
            tracker.track(x, sample_rate_hz=SR)
    with pytest.raises(AudioInputError, match="sample_rate_hz"):
        tracker.track(np.zeros(100), sample_rate_hz=0)


def _assert_stream_matches_batch(tracker: PitchTracker, x: np.ndarray, sr: int, *, block: int) -> None:
    batch = tracker.track(x, sample_rate_hz=sr)
    stream = tracker.stream(sample_rate_hz=sr)
    parts = [stream.push(x[i : i + block]) for i in range(0, x.shape[0], block)]
    parts.append(stream.flush())
    times = np.concatenate([p.times_s for p in parts])
    f0 = np.concatenate([p.f0_hz for p in parts])
    np.testing.assert_allclose(times, batch.times_s, atol=1e-9)
    both = ~np.isnan(f0) & batch.voiced
    assert np.mean(np.isnan(f0) == ~batch.voiced) >= 0.97
    assert cents_error(f0[both], batch.f0_hz[both]).max() < 5


@pytest.mark.parametrize(
    ("name", "rate", "block"),
    [
        ("yin", SR, 160),
        ("yin", 48000, 37),
        ("swiftf0", 44100, 1000),
        ("crepe-tiny", 44100, 441),
        ("crepe-tiny", 22050, 5000),
        ("crepe-small", SR, 1600),
    ],
)
def test_stream_matches_batch(trackers: dict[str, PitchTracker], name: str, rate: int, block: int) -> None:
    truth = step_f0(150.0, 4.0, duration_s=1.0, sample_rate_hz=rate)
    x = add_noise(harmonic_tone(truth, duration_s=1.0, sample_rate_hz=rate), snr_db=25)
    x = np.concatenate([np.zeros(rate // 5), x, np.zeros(rate // 5)])
    _assert_stream_matches_batch(trackers[name], x, rate, block=block)


@pytest.mark.parametrize("name", ["yin", "swiftf0", "crepe-tiny"])
def test_stream_delivers_frames_within_the_window(trackers: dict[str, PitchTracker], name: str) -> None:
    tracker = trackers[name]
    stream = tracker.stream(sample_rate_hz=SR)
    x = harmonic_tone(220.0, duration_s=1.0, sample_rate_hz=SR)
    received = 0.0
    for i in range(0, x.size, 160):
        out = stream.push(x[i : i + 160])
        received = (i + 160) / SR
        if len(out):  # the newest frame is no older than the look-ahead plus one hop
            assert received - out.times_s[-1] <= tracker.window_s + tracker.hop_s + 0.005


@pytest.mark.parametrize("name", FAST)
@pytest.mark.parametrize("female", [False, True])
def test_sung_voice_in_room_noise(trackers: dict[str, PitchTracker], name: str, female: bool) -> None:
    low = 220.0 if female else 110.0
    truth = step_f0(low, 3.0, duration_s=1.6, sample_rate_hz=SR)
    truth[: SR // 4] = np.nan  # silence, voice, silence
    truth[-SR // 4 :] = np.nan
    x = add_noise(sung_voice(truth, sample_rate_hz=SR, female=female), snr_db=15, seed=2)
    track = trackers[name].track(x, sample_rate_hz=SR)
    expected = truth_at(track.times_s, truth, SR)
    ref_voiced = ~np.isnan(expected)
    core = ref_voiced & ~np.isnan(truth_at(track.times_s - 0.05, truth, SR))
    core &= ~np.isnan(truth_at(track.times_s + 0.05, truth, SR)) & (np.abs(track.times_s - 0.8) > 0.05)
    both = core & track.voiced
    assert np.mean(track.voiced[core]) > 0.9  # voicing recall
    assert np.mean(cents_error(track.f0_hz[both], expected[both]) < 50) > 0.97  # raw pitch accuracy
    assert np.mean(track.voiced[~ref_voiced]) < 0.05  # false alarms in the noise


def test_names_and_defaults() -> None:
    assert DEFAULT_TRACKER in TRACKER_NAMES and LIVE_TRACKER in TRACKER_NAMES
    with pytest.raises(ValueError, match="unknown pitch tracker"):
        get_tracker("crepe-huge")
    with pytest.raises(ValueError, match="hop is fixed"):
        get_tracker("swiftf0", hop_s=0.01)
    with pytest.raises(ValueError, match="fmin_hz"):
        VoicingSettings(fmin_hz=500.0, fmax_hz=400.0)
    yin = get_tracker("yin", voicing=VoicingSettings(confidence_threshold=1.01))
    assert not yin.track(
        harmonic_tone(220.0, duration_s=0.3, sample_rate_hz=SR), sample_rate_hz=SR
    ).voiced.any()
    track = get_tracker("crepe-tiny").track(np.zeros(1600), sample_rate_hz=SR)
    assert track.tracker == "crepe-tiny" and track.version.startswith("1.0.0") and track.hop_s == 0.01


@pytest.mark.parametrize("name", FAST)
def test_stream_edge_cases(trackers: dict[str, PitchTracker], name: str) -> None:
    assert len(trackers[name].stream(sample_rate_hz=SR).flush()) == 0  # flushed before any audio
    stream = trackers[name].stream(sample_rate_hz=44100)
    assert len(stream.push(np.zeros(0))) == 0
    got = [stream.push(np.zeros((441, 2), dtype=np.int16)) for _ in range(30)]  # 0.3 s of stereo int16 zeros
    got.append(stream.flush())
    n = sum(len(p) for p in got)
    assert abs(n - 0.3 / trackers[name].hop_s) <= 1.5
    assert not any(p.voiced.any() for p in got)
    with pytest.raises(RuntimeError):
        stream.push(np.zeros(10))


def test_shared_trackers_build_their_sessions_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building an onnxruntime session holds the GIL for tens of ms: each process builds one per tracker."""
    from mit_trainer.analysis.pitch import shared_tracker, warm_up
    from mit_trainer.core.records import Phrase
    from mit_trainer.scoring.attempt import analyze_attempt

    warm_up("swiftf0")
    warm_up("crepe-tiny")
    swift = shared_tracker("swiftf0")
    assert swift is shared_tracker("swiftf0") and swift is not get_tracker("swiftf0")
    detector = swift.detector()  # type: ignore[attr-defined]
    crepe = shared_tracker("crepe-tiny")
    streams = [crepe.stream(sample_rate_hz=44100) for _ in range(2)]
    assert streams[0]._t is streams[1]._t  # type: ignore[attr-defined]  # one single-threaded session
    session = streams[0]._t.session()  # type: ignore[attr-defined]
    phrase = Phrase(
        id="p", text="wa ter", level=1, syllables=("wa", "ter"), pattern=("H", "L"), beats=(1.0, 1.0)
    )
    voice = sung_voice(step_f0(200.0, 3.0, duration_s=1.5, sample_rate_hz=SR), sample_rate_hz=SR)
    import onnxruntime

    built: list[object] = []
    real = onnxruntime.InferenceSession

    def counting(*args: object, **kwargs: object) -> object:
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting)
    result = analyze_attempt(voice, sample_rate_hz=SR, phrase=phrase)
    live = crepe.stream(sample_rate_hz=16000)
    live.push(voice[:8000])
    assert built == []  # neither the analysis nor a new live stream built a session
    assert result.pitch.tracker == "swiftf0"
    assert swift.detector() is detector  # type: ignore[attr-defined]  # the analysis reused the session
    assert live._t.session() is session  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown pitch tracker"):
        shared_tracker("nope")
