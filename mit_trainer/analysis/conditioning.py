"""Conditioning of a recording before analysis: DC removed, level normalised, tap clicks taken out.

The analysis must behave the same for a correct attempt recorded at -6 or at -50 dBFS peak, with or without a
DC offset, and with the trainer's (or the patient's) tap clicks mixed in. :func:`condition` therefore

* removes the DC offset and rumble (a 2nd-order Butterworth high-pass at
  ``highpass_hz`` run forwards and backwards, applied as its zero-phase gain in the frequency domain);
* finds short broadband transients near the tap times it is given (clicks: the high band jumps by
  ``click_rise_db`` and has decayed by ``click_decay_db`` 20 ms later, as a tap on a table or the trainer's
  woodblock does; a vowel's onset holds its level) and removes their
  high band (above ``click_band_hz``), leaving the voice's fundamental and low harmonics untouched;
* scales the result so that its robust peak (the ``peak_percentile`` of the absolute samples, so a single
  click does not set the level) is at ``target_peak_dbfs``.

The level of the raw recording is kept (:attr:`Conditioned.raw_peak_dbfs`) for the "nothing recorded" check,
which is the only place an absolute level still matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mit_trainer.core.records import FloatArray


@dataclass(frozen=True)
class ConditioningSettings:
    """Settings of :func:`condition` (frequencies in Hz, levels in dB, times in s)."""

    highpass_hz: float = 50.0
    target_peak_dbfs: float = -3.0
    peak_percentile: float = 99.9
    click_band_hz: float = 900.0
    click_frame_s: float = 0.0025
    click_rise_db: float = 8.0
    #: Known tap times are searched this far (s) either side for their click.
    click_search_s: float = 0.03
    #: Look for clicks without known tap times (off: a blind search also finds plosives and fricatives;
    #: measured 203 false clicks in 52 espeak-ng utterances).
    detect_unknown_clicks: bool = False
    click_max_s: float = 0.05
    #: ... and ``click_decay_s`` after its start at least this far below its peak (a struck object).
    click_decay_s: float = 0.02
    click_decay_db: float = 6.0


@dataclass(frozen=True)
class Conditioned:
    """A conditioned signal, the raw recording's peak level, the gain applied and the clicks removed."""

    samples: FloatArray
    raw_peak_dbfs: float
    gain_db: float
    clicks_s: tuple[float, ...]


def _butter_highpass(x: FloatArray, cutoff_hz: float, sample_rate_hz: float, order: int) -> FloatArray:
    """``x`` through a zero-phase Butterworth high-pass of ``order`` run forwards and backwards, applied
    in the frequency domain (the gain of such a pass is ``1 / (1 + (fc / f) ** (2 order))``); no filter
    design library is imported (scipy.signal costs about a second of start-up)."""
    n = x.size
    pad = min(n - 1, round(sample_rate_hz / max(cutoff_hz, 1.0)) * 4)
    y = np.pad(x, pad, mode="reflect") if pad > 0 else x
    f = np.fft.rfftfreq(y.size, 1.0 / sample_rate_hz)
    with np.errstate(divide="ignore"):
        gain = 1.0 / (1.0 + (cutoff_hz / np.maximum(f, 1e-9)) ** (2 * order))
    out = np.fft.irfft(np.fft.rfft(y) * gain, y.size)
    return out[pad : pad + n] if pad else out


def _frame_db(x: FloatArray, hop: int) -> FloatArray:
    n = x.size // hop
    if n == 0:
        return np.zeros(0)
    p = np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1)
    return 10.0 * np.log10(np.maximum(p, 1e-14))


def find_clicks(
    x: FloatArray,
    *,
    sample_rate_hz: float,
    settings: ConditioningSettings,
    near_s: Sequence[float] | None = None,
) -> list[int]:
    """Sample indices where a click starts: a sudden burst of the high band that decays at once.

    With ``near_s`` (tap times the trainer knows: its own tap clicks, the patient's taps) the click is
    looked for within ``click_search_s`` of each; without them only when ``detect_unknown_clicks`` is set
    (a blind search also fires on plosives and fricatives)."""
    s = settings
    if x.size < 64 or s.click_band_hz >= 0.45 * sample_rate_hz:
        return []
    if near_s is None and not s.detect_unknown_clicks:
        return []
    e = _frame_db(
        _butter_highpass(x, s.click_band_hz, sample_rate_hz, 4),
        hop := max(8, round(s.click_frame_s * sample_rate_hz)),
    )
    before = max(2, round(0.02 * sample_rate_hz / hop))
    decay = max(3, round(s.click_decay_s * sample_rate_hz / hop))
    frames: Sequence[int]
    if near_s is None:
        frames = range(before, e.size - decay - 2)
    else:
        reach = round(s.click_search_s * sample_rate_hz / hop)
        centres = [round(t * sample_rate_hz / hop) for t in near_s]
        frames = sorted(
            {f for c in centres for f in range(c - reach, c + reach + 1) if before <= f < e.size - decay - 2}
        )
    out: list[int] = []
    last = -(10**9)
    for i in frames:
        if i - last < decay:
            continue
        prev = float(np.median(e[i - before : i - 1]))
        peak = float(np.max(e[i : i + 2]))
        if e[i] - prev < s.click_rise_db:
            continue
        # a struck object decays at once; a consonant or a vowel's onset holds its level for a while
        if float(np.max(e[i + decay : i + decay + 2])) > peak - s.click_decay_db:
            continue
        out.append(i * hop)
        last = i
    return out


def _remove_clicks(
    x: FloatArray, starts: list[int], sample_rate_hz: float, s: ConditioningSettings
) -> FloatArray:
    if not starts:
        return x
    hp = _butter_highpass(x, s.click_band_hz, sample_rate_hz, 4)
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
    samples: npt.ArrayLike,
    *,
    sample_rate_hz: float,
    settings: ConditioningSettings | None = None,
    tap_times_s: Sequence[float] | None = None,
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
        x = _butter_highpass(x, s.highpass_hz, sample_rate_hz, 2)
    clicks = find_clicks(x, sample_rate_hz=sample_rate_hz, settings=s, near_s=tap_times_s)
    x = _remove_clicks(x, clicks, sample_rate_hz, s)
    peak = float(np.percentile(np.abs(x), s.peak_percentile))
    gain_db = 0.0
    if peak > 1e-9:
        gain_db = s.target_peak_dbfs - 20.0 * np.log10(peak)
        x = x * 10.0 ** (gain_db / 20.0)
        np.clip(x, -1.0, 1.0, out=x)
    return Conditioned(x, raw_peak_dbfs, float(gain_db), tuple(c / sample_rate_hz for c in clicks))
