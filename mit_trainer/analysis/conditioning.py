"""Conditioning of a recording before analysis: DC removed, level normalised, tap clicks taken out.

The analysis must behave the same for a correct attempt recorded at -6 or at -50 dBFS peak, with or without a
DC offset, and with the trainer's (or the patient's) tap clicks mixed in. :func:`condition` therefore

* removes the DC offset and rumble (a 2nd-order high-pass at ``highpass_hz``, run forwards and backwards);
* finds short broadband transients (clicks: the high band jumps by ``click_rise_db`` within a few ms and
  falls back within ``click_max_s``, as a tap on a table or the trainer's woodblock does) and removes their
  high band (above ``click_band_hz``), leaving the voice's fundamental and low harmonics untouched;
* scales the result so that its robust peak (the ``peak_percentile`` of the absolute samples, so a single
  click does not set the level) is at ``target_peak_dbfs``.

The level of the raw recording is kept (:attr:`Conditioned.raw_peak_dbfs`) for the "nothing recorded" check,
which is the only place an absolute level still matters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import butter, sosfiltfilt

from mit_trainer.core.records import FloatArray


@dataclass(frozen=True)
class ConditioningSettings:
    """Settings of :func:`condition` (frequencies in Hz, levels in dB, times in s)."""

    highpass_hz: float = 50.0
    target_peak_dbfs: float = -3.0
    peak_percentile: float = 99.9
    click_band_hz: float = 900.0
    click_frame_s: float = 0.0025
    click_rise_db: float = 12.0
    click_max_s: float = 0.05
    #: After ``click_max_s`` the high band must be back within this of its level before the click.
    click_return_db: float = 6.0


@dataclass(frozen=True)
class Conditioned:
    """A conditioned signal, the raw recording's peak level, the gain applied and the clicks removed."""

    samples: FloatArray
    raw_peak_dbfs: float
    gain_db: float
    clicks_s: tuple[float, ...]


def _frame_db(x: FloatArray, hop: int) -> FloatArray:
    n = x.size // hop
    if n == 0:
        return np.zeros(0)
    p = np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1)
    return 10.0 * np.log10(np.maximum(p, 1e-14))


def find_clicks(x: FloatArray, *, sample_rate_hz: float, settings: ConditioningSettings) -> list[int]:
    """Sample indices where a click starts (a sudden, short burst of the high band)."""
    s = settings
    if x.size < 64 or s.click_band_hz >= 0.45 * sample_rate_hz:
        return []
    sos = butter(4, s.click_band_hz, btype="highpass", fs=sample_rate_hz, output="sos")
    hp = sosfiltfilt(sos, x)
    hop = max(8, round(s.click_frame_s * sample_rate_hz))
    e = _frame_db(hp, hop)
    before = max(2, round(0.02 * sample_rate_hz / hop))
    after = max(2, round(s.click_max_s * sample_rate_hz / hop))
    rise = 2  # the rise must happen within this many frames
    out: list[int] = []
    i = before
    floor = float(np.percentile(e, 10)) if e.size else -140.0
    while i < e.size - after:
        prev = float(np.median(e[i - before : i - rise + 1]))
        if e[i] - prev >= s.click_rise_db and e[i] > floor + s.click_rise_db:
            tail = float(np.median(e[i + after - 2 : i + after + 2]))
            if tail <= prev + s.click_return_db:
                # the burst starts at the first frame of the rise
                j = i
                while j > i - rise and e[j - 1] - prev >= 0.5 * s.click_rise_db:
                    j -= 1
                out.append(j * hop)
                i += after
                continue
        i += 1
    return out


def _remove_clicks(
    x: FloatArray, starts: list[int], sample_rate_hz: float, s: ConditioningSettings
) -> FloatArray:
    if not starts:
        return x
    sos = butter(4, s.click_band_hz, btype="highpass", fs=sample_rate_hz, output="sos")
    hp = sosfiltfilt(sos, x)
    y = x.copy()
    pre = round(0.003 * sample_rate_hz)
    n = round(s.click_max_s * sample_rate_hz)
    taper = round(0.003 * sample_rate_hz)
    w = np.ones(pre + n)
    w[:taper] = np.linspace(0.0, 1.0, taper)
    w[-taper:] = np.linspace(1.0, 0.0, taper)
    for a in starts:
        lo, hi = max(0, a - pre), min(x.size, a + n)
        y[lo:hi] -= hp[lo:hi] * w[lo - (a - pre) : lo - (a - pre) + hi - lo]
    return y


def condition(
    samples: npt.ArrayLike, *, sample_rate_hz: float, settings: ConditioningSettings | None = None
) -> Conditioned:
    """DC-free, click-free, level-normalised copy of mono ``samples`` (see the module docstring)."""
    s = settings or ConditioningSettings()
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0:
        return Conditioned(x, -np.inf, 0.0, ())
    raw_peak = float(np.max(np.abs(x)))
    raw_peak_dbfs = 20.0 * np.log10(raw_peak) if raw_peak > 0 else -np.inf
    x = x - float(np.mean(x))
    if x.size > 64 and s.highpass_hz > 0:
        sos = butter(2, s.highpass_hz, btype="highpass", fs=sample_rate_hz, output="sos")
        x = sosfiltfilt(sos, x)
    clicks = find_clicks(x, sample_rate_hz=sample_rate_hz, settings=s)
    x = _remove_clicks(x, clicks, sample_rate_hz, s)
    peak = float(np.percentile(np.abs(x), s.peak_percentile))
    gain_db = 0.0
    if peak > 1e-9:
        gain_db = s.target_peak_dbfs - 20.0 * np.log10(peak)
        x = x * 10.0 ** (gain_db / 20.0)
        np.clip(x, -1.0, 1.0, out=x)
    return Conditioned(x, raw_peak_dbfs, float(gain_db), tuple(c / sample_rate_hz for c in clicks))
