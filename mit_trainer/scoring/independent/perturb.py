"""Recording conditions applied to a generated attempt: each a pure function of the audio and a seeded rng.

Levels are relative to the voice as it comes in (peak about 0.5) unless the name says dBFS. Nothing here
touches the truth, except that callers shift onsets by any silence they prepend.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr
from scipy.signal import butter, fftconvolve, sosfilt, sosfiltfilt

from mit_trainer.analysis.stimulus import tap_click

FloatArray = npt.NDArray[np.float64]


def rms(x: FloatArray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0


def active_rms(x: FloatArray, sr: int) -> float:
    """RMS over the loudest half of 20 ms frames (the voice, not its pauses)."""
    w = max(1, int(0.02 * sr))
    n = x.size // w
    if n == 0:
        return rms(x)
    e = np.mean(np.square(x[: n * w].reshape(n, w)), axis=1)
    top = np.sort(e)[n // 2 :]
    return float(np.sqrt(np.mean(top)))


def pink_noise(rng: np.random.Generator, n: int) -> FloatArray:
    """Unit-RMS pink (1/f power) noise."""
    spec = np.fft.rfft(rng.standard_normal(max(n, 2)))
    spec /= np.sqrt(np.maximum(np.arange(spec.size, dtype=float), 1.0))
    x = np.fft.irfft(spec, max(n, 2))[:n]
    return np.asarray(x / (rms(x) + 1e-12), dtype=np.float64)


def mix_at_snr(x: FloatArray, noise: FloatArray, snr_db: float, sr: int) -> FloatArray:
    """``x`` plus ``noise`` scaled so the voice's active RMS is ``snr_db`` above the noise's RMS."""
    n = noise[: x.size] if noise.size >= x.size else np.pad(noise, (0, x.size - noise.size))
    return x + n * active_rms(x, sr) / (rms(n) + 1e-12) * 10 ** (-snr_db / 20)


def reverb(x: FloatArray, sr: int, rng: np.random.Generator, *, rt60_s: float = 0.6) -> FloatArray:
    """A room: the direct sound plus exponentially decaying noise (RT60 ``rt60_s``) at equal energy."""
    t = np.arange(int(rt60_s * 1.2 * sr)) / sr
    tail = rng.standard_normal(t.size) * np.exp(-6.9 * t / rt60_s)
    tail[: int(0.004 * sr)] = 0.0
    tail *= 1.0 / (np.sqrt(np.sum(tail**2)) + 1e-12)
    ir = tail
    ir[0] += 1.0
    y = fftconvolve(x, ir)[: x.size]
    return np.asarray(y * (np.max(np.abs(x)) / (np.max(np.abs(y)) + 1e-12)), dtype=np.float64)


def hum(n: int, sr: int, rng: np.random.Generator, *, mains_hz: float) -> FloatArray:
    """Unit-peak mains hum: the fundamental and odd/even harmonics up to 5x, random phases."""
    t = np.arange(n) / sr
    y = sum(a * np.sin(2 * np.pi * mains_hz * k * t + rng.uniform(0, 6.3)) for k, a in
            ((1, 1.0), (2, 0.5), (3, 0.6), (4, 0.2), (5, 0.3)))  # fmt: skip
    y = np.asarray(y, dtype=np.float64)
    return y / (np.max(np.abs(y)) + 1e-12)


def hard_clip(x: FloatArray, *, drive_db: float) -> FloatArray:
    """Drive the peak ``drive_db`` above full scale and clip at +-1 (the converter's limit)."""
    y = x * (10 ** (drive_db / 20) / (np.max(np.abs(x)) + 1e-12))
    return np.clip(y, -1.0, 1.0)


def telephone(x: FloatArray, sr: int) -> FloatArray:
    """Telephone band: 300-3400 Hz band-pass, through 8 kHz and back."""
    sos = butter(4, [300.0, 3400.0], btype="bandpass", fs=sr, output="sos")
    y = sosfiltfilt(sos, x)
    if sr > 8000:
        y = soxr.resample(soxr.resample(y, sr, 8000), 8000, sr)[: x.size]
        y = np.pad(y, (0, x.size - y.size))
    return np.asarray(y, dtype=np.float64)


def cough(sr: int, rng: np.random.Generator) -> FloatArray:
    """A cough: 0.25-0.4 s of low-passed noise, fast attack, decaying, unit peak."""
    n = int(rng.uniform(0.25, 0.4) * sr)
    t = np.arange(n) / sr
    env = (1 - np.exp(-t / 0.01)) * np.exp(-t / rng.uniform(0.06, 0.12))
    sos = butter(2, [200.0, min(2500.0, sr / 2 - 100)], btype="bandpass", fs=sr, output="sos")
    y = sosfilt(sos, rng.standard_normal(n)) * env
    return np.asarray(y / (np.max(np.abs(y)) + 1e-12), dtype=np.float64)


def click(sr: int, rng: np.random.Generator) -> FloatArray:
    """A sharp click (a knock on the microphone): 3 ms of decaying noise, unit peak."""
    n = int(0.003 * sr)
    y = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.0008 * sr))
    return np.asarray(y / (np.max(np.abs(y)) + 1e-12), dtype=np.float64)


def add_at(x: FloatArray, event: FloatArray, at_s: float, sr: int, gain: float) -> FloatArray:
    """``x`` with ``event`` added from ``at_s`` (cut at the end)."""
    y = x.copy()
    i = max(0, round(at_s * sr))
    k = min(event.size, y.size - i)
    if k > 0:
        y[i : i + k] += gain * event[:k]
    return y


def breathy(x: FloatArray, sr: int, rng: np.random.Generator, *, rel_db: float) -> FloatArray:
    """Aspiration: high-passed noise following the voice's 30 ms envelope, ``rel_db`` below the voice."""
    w = max(1, int(0.03 * sr))
    env = np.sqrt(np.convolve(np.square(x), np.ones(w) / w, mode="same"))
    sos = butter(2, 1200.0, btype="highpass", fs=sr, output="sos")
    noise = sosfilt(sos, rng.standard_normal(x.size)) * env
    return x + noise * (rms(x) / (rms(noise) + 1e-12)) * 10 ** (rel_db / 20)


def tap_track(
    n: int, sr: int, times_s: list[float], rng: np.random.Generator, *, jitter_s: float
) -> FloatArray:
    """The trainer's own tap click (unit peak) at each time, each moved by N(0, ``jitter_s``)."""
    c = np.asarray(tap_click(sample_rate_hz=sr), dtype=np.float64)
    c /= np.max(np.abs(c)) + 1e-12
    y = np.zeros(n)
    for t in times_s:
        y = add_at(y, c, max(0.0, t + rng.normal(0.0, jitter_s)), sr, 1.0)
    return y


def set_peak_dbfs(x: FloatArray, peak_dbfs: float) -> FloatArray:
    return np.asarray(x * (10 ** (peak_dbfs / 20) / (np.max(np.abs(x)) + 1e-12)), dtype=np.float64)
