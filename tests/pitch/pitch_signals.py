"""Test signals with known f0 for the pitch tests (harmonic tones, steps, voices in noise)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mit_trainer.analysis.voice import VoiceParams, synthesize_voice


def harmonic_tone(
    f0_hz: float | npt.NDArray[np.float64],
    *,
    duration_s: float,
    sample_rate_hz: int,
    n_harmonics: int = 6,
    amplitude: float = 0.3,
) -> npt.NDArray[np.float64]:
    """A harmonic tone (1/k amplitudes) following ``f0_hz`` (a constant or one value per sample)."""
    n = round(duration_s * sample_rate_hz)
    f0 = np.broadcast_to(np.asarray(f0_hz, dtype=np.float64), (n,))
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate_hz
    x = sum(np.sin(k * phase) / k for k in range(1, n_harmonics + 1) if k * f0.max() < sample_rate_hz / 2)
    return amplitude * np.asarray(x) / np.max(np.abs(x))


def step_f0(
    low_hz: float, semitones: float, *, duration_s: float, sample_rate_hz: int
) -> npt.NDArray[np.float64]:
    """f0 per sample: first half ``low_hz * 2**(semitones/12)`` (H), second half ``low_hz`` (L)."""
    n = round(duration_s * sample_rate_hz)
    f0 = np.full(n, low_hz)
    f0[: n // 2] = low_hz * 2 ** (semitones / 12)
    return f0


def sung_voice(
    f0_hz: npt.NDArray[np.float64], *, sample_rate_hz: int, female: bool = False, seed: int = 0
) -> npt.NDArray[np.float32]:
    """A synthetic sung vowel following ``f0_hz`` (one value per sample; NaN for silence), with vibrato."""
    params = (VoiceParams.female if female else VoiceParams.male)(vibrato_depth_cents=30.0)
    return synthesize_voice(f0_hz, sample_rate_hz=sample_rate_hz, vowels="a", params=params, rng=seed)


def add_noise(x: npt.NDArray[np.floating], *, snr_db: float, seed: int = 0) -> npt.NDArray[np.float64]:
    """White noise at ``snr_db`` relative to the RMS of the non-silent part of ``x``."""
    rng = np.random.default_rng(seed)
    active = np.abs(x) > 1e-4
    signal_rms = np.sqrt(np.mean(np.square(x[active]))) if active.any() else 0.1
    noise = rng.standard_normal(x.size) * signal_rms * 10 ** (-snr_db / 20)
    return np.asarray(x, dtype=np.float64) + noise


def cents_error(f0_hz: npt.NDArray[np.float64], truth_hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(1200 * np.abs(np.log2(f0_hz / truth_hz)))


def truth_at(times_s: npt.NDArray[np.float64], f0_per_sample: npt.NDArray[np.float64], sample_rate_hz: int):
    idx = np.clip(np.rint(times_s * sample_rate_hz).astype(int), 0, f0_per_sample.size - 1)
    return f0_per_sample[idx]
