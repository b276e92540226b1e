"""Levels, clipping, noise floor and voice activity against signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mit_trainer.audio.levels import (
    SILENCE_DBFS,
    LevelAccumulator,
    VadConfig,
    VoiceActivityDetector,
    detect_response_onset_s,
    estimate_noise_floor_dbfs,
    frame_rms_dbfs,
    level_stats,
    peak_dbfs,
    rms_dbfs,
)

SR = 16000


def sine(amp: float, seconds: float, f_hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * f_hz * t)).astype(np.float32)


def test_full_scale_sine_is_minus_3_dbfs_rms_and_0_peak() -> None:
    x = sine(1.0, 1.0)
    assert rms_dbfs(x) == pytest.approx(-3.0103, abs=0.01)
    assert peak_dbfs(x) == pytest.approx(0.0, abs=0.01)


def test_half_amplitude_is_6_db_lower() -> None:
    assert rms_dbfs(sine(0.5, 1.0)) == pytest.approx(-9.03, abs=0.01)


def test_silence_and_empty_are_floor() -> None:
    assert rms_dbfs(np.zeros(100, np.float32)) == SILENCE_DBFS
    assert peak_dbfs(np.zeros(0, np.float32)) == SILENCE_DBFS


def test_clipping_counts_samples_at_full_scale() -> None:
    x = np.clip(sine(2.0, 0.1), -1, 1)
    stats = level_stats(x)
    assert stats.clipping
    expected = int(np.count_nonzero(np.abs(x) >= 0.999))
    assert stats.clipped_samples == expected > 0
    assert not level_stats(sine(0.5, 0.1)).clipping


def test_accumulator_equals_one_shot_stats() -> None:
    x = np.concatenate([sine(0.1, 0.3), sine(0.8, 0.2), np.zeros(777, np.float32)])
    acc = LevelAccumulator()
    for block in np.array_split(x, 13):
        acc.update(block)
    a, b = acc.stats(), level_stats(x)
    assert a.rms_dbfs == pytest.approx(b.rms_dbfs, abs=1e-6)
    assert a.peak_dbfs == pytest.approx(b.peak_dbfs, abs=1e-6)
    assert a.n_samples == x.size


def test_frame_levels_shape_and_values() -> None:
    x = np.concatenate([np.zeros(SR // 2, np.float32), sine(1.0, 0.5)])
    levels = frame_rms_dbfs(x, frame_length=320, hop_length=160)
    assert levels.shape == (1 + (x.size - 320) // 160,)
    assert levels[0] == SILENCE_DBFS
    assert levels[-1] == pytest.approx(-3.01, abs=0.1)
    with pytest.raises(ValueError):
        frame_rms_dbfs(x, frame_length=0, hop_length=1)


def test_noise_floor_ignores_speech() -> None:
    rng = np.random.default_rng(0)
    noise = (0.001 * rng.standard_normal(SR * 3)).astype(np.float32)  # -60 dBFS
    x = noise.copy()
    x[SR // 2 : SR * 2] += sine(0.3, 1.5)  # voice over half the signal
    floor = estimate_noise_floor_dbfs(x, sample_rate_hz=SR)
    assert floor == pytest.approx(-60.0, abs=2.0)


def _noisy_with_voice(onset_s: float, total_s: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(1)
    x = (0.001 * rng.standard_normal(int(total_s * SR))).astype(np.float32)
    i = int(onset_s * SR)
    x[i : i + SR // 2] += sine(0.2, 0.5)
    return x


def test_vad_finds_response_onset_within_one_frame() -> None:
    x = _noisy_with_voice(1.234)
    vad = VoiceActivityDetector(sample_rate_hz=SR, config=VadConfig(initial_noise_floor_dbfs=-50.0))
    for block in np.array_split(x, 37):  # odd block sizes
        state = vad.process(block)
    assert state.response_onset_s == pytest.approx(1.234, abs=0.021)
    assert not state.no_response
    assert state.noise_floor_dbfs == pytest.approx(-60, abs=3)


def test_vad_reports_no_response_after_timeout_only() -> None:
    rng = np.random.default_rng(2)
    x = (0.001 * rng.standard_normal(SR * 4)).astype(np.float32)
    vad = VoiceActivityDetector(sample_rate_hz=SR, config=VadConfig(no_response_timeout_s=3.0))
    assert not vad.process(x[: SR * 2]).no_response
    state = vad.process(x[SR * 2 :])
    assert state.no_response and state.response_onset_s is None


def test_vad_ignores_a_click_shorter_than_min_voiced() -> None:
    x = _noisy_with_voice(2.0)
    x[SR // 2 : SR // 2 + 480] += 0.5  # 30 ms bump
    assert detect_response_onset_s(x, sample_rate_hz=SR) == pytest.approx(2.0, abs=0.021)


def test_offline_onset_when_recording_starts_with_voice() -> None:
    x = _noisy_with_voice(0.0)
    assert detect_response_onset_s(x, sample_rate_hz=SR) == pytest.approx(0.0, abs=0.021)
    rng = np.random.default_rng(3)
    noise_only = (0.001 * rng.standard_normal(SR * 3)).astype(np.float32)
    assert detect_response_onset_s(noise_only, sample_rate_hz=SR) is None
