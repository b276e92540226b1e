"""The model in the microphone: find, subtract and mask the played model in a recording.

The trainer knows what it played and when (the stream clock gives where the model's first sample lies on
the recording's clock). :func:`cancel_echo` uses that:

1. **Lag.** The loudspeaker-to-microphone delay (up to ``max_lag_s``, about 300 ms of device latency plus
   the air path) is the peak of a band-limited, phase-weighted cross-correlation (GCC with a partial PHAT
   weighting: the direct path stands out even in a reverberant room).
2. **Acoustic path.** The recording's short-time spectrum is modelled as the played model's spectrum
   through a convolutive transfer function: in every frequency bin, a short FIR filter across frames
   covering ``tail_s`` of reverberation. The filters are fitted offline by ridge-regularised least squares,
   re-weighted so that frames the model does not explain (the patient's voice) stop pulling the fit
   (iteratively re-weighted least squares with redescending weights).
3. **Mask.** A frame is *explained* when the leak is present there and subtraction leaves at most the
   leak's predicted level minus ``explained_margin_db``, or (magnitudes only) no bin holds much more than
   the predicted leak; short unexplained gaps between explained frames are filled. Nothing is explained
   unless the leak was *found* (a clear lag peak and subtraction cancelling a minimum duration): a voice
   singing along correlates with the model too.
4. **Output.** Explained frames are attenuated by ``suppress_db``; the rest of the recording is left as
   recorded by default (``subtract="none"``: subtracting the fitted leak everywhere thinned a patient
   singing the same notes). The analysis treats explained frames as unvoiced: sound the played model
   explains is never credited. Measurements and limits: ``docs/echo.md``.

Everything runs at :data:`ECHO_RATE_HZ` (16 kHz, the pitch trackers' rate); the cleaned signal is returned
at that rate. Pure functions on arrays; no device, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr

from mit_trainer.analysis.echo_path import (
    BoolArray,
    EchoSettings,
    FloatArray,
    fit_path,
    istft,
    stft,
)

#: The rate echo cancellation works at (and returns the cleaned recording at).
ECHO_RATE_HZ = 16_000

__all__ = ["ECHO_RATE_HZ", "EchoResult", "EchoSettings", "cancel_echo", "estimate_lag"]


@dataclass(frozen=True)
class EchoResult:
    """The cleaned recording (at ``sample_rate_hz``) and what the canceller found.

    ``frame_times_s``, ``explained``, ``leak_db`` and ``residual_db`` are per STFT frame (hop
    ``EchoSettings.hop_s``); levels are dBFS of the frame's band energy. ``offset_s`` is where the played
    model's first sample was heard in the recording (the given offset plus ``lag_s``).
    """

    cleaned: FloatArray
    sample_rate_hz: int
    lag_s: float
    offset_s: float
    lag_strength: float
    reduction_db: float | None
    frame_times_s: FloatArray
    explained: BoolArray
    leak_db: FloatArray
    residual_db: FloatArray
    cancelled_s: float = 0.0
    present_s: float = 0.0
    found: bool = False

    @property
    def explained_fraction(self) -> float:
        """Fraction of the recording's frames that the played model explains."""
        return float(np.mean(self.explained)) if self.explained.size else 0.0

    def explained_at(self, times_s: npt.ArrayLike) -> BoolArray:
        """The explained mask sampled at ``times_s`` (for instance a pitch track's frames)."""
        t = np.asarray(times_s, dtype=np.float64)
        if self.frame_times_s.size == 0:
            return np.zeros(t.shape, dtype=bool)
        hop = float(self.frame_times_s[1] - self.frame_times_s[0]) if self.frame_times_s.size > 1 else 1.0
        idx = np.clip(
            np.round((t - self.frame_times_s[0]) / hop).astype(np.int64), 0, self.explained.size - 1
        )
        return self.explained[idx]

    def to_json(self) -> dict[str, Any]:
        """The small ``echo`` object of the attempt's JSON."""
        return {
            "found": self.found,
            "lag_ms": round(self.lag_s * 1000.0, 1),
            "offset_s": round(self.offset_s, 4),
            "reduction_db": None if self.reduction_db is None else round(self.reduction_db, 1),
            "explained_fraction": round(self.explained_fraction, 3),
            "lag_strength": round(self.lag_strength, 1),
        }


def _mono(x: npt.ArrayLike, what: str) -> FloatArray:
    a = np.asarray(x)
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] <= 8 else a.mean(axis=0)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float64) / float(np.iinfo(a.dtype).max)
    a = np.asarray(a, dtype=np.float64).ravel()
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what} contains NaN or infinite samples")
    return a


def _to_rate(x: FloatArray, rate_hz: float) -> FloatArray:
    if round(rate_hz) == ECHO_RATE_HZ:
        return x
    if not math.isfinite(rate_hz) or rate_hz < 1000:
        raise ValueError(f"sample rate {rate_hz!r} Hz is not usable")
    return np.asarray(soxr.resample(x, float(rate_hz), ECHO_RATE_HZ, quality="HQ"), dtype=np.float64)


def _placed(reference: FloatArray, start: int, n: int) -> FloatArray:
    """``reference`` on a timeline of ``n`` samples, its first sample at ``start`` (may be negative)."""
    out = np.zeros(n)
    a, b = max(0, start), min(n, start + reference.size)
    if b > a:
        out[a:b] = reference[a - start : b - start]
    return out


def estimate_lag(
    recording: npt.ArrayLike,
    reference: npt.ArrayLike,
    *,
    sample_rate_hz: int,
    min_lag_s: float,
    max_lag_s: float,
    band_hz: tuple[float, float] = (80.0, 4000.0),
    phat_beta: float = 0.8,
) -> tuple[int, float]:
    """Delay (samples) of ``reference`` inside ``recording``, searched in [min_lag_s, max_lag_s].

    Both on the same clock and rate. Returns ``(lag, strength)``: the recording at ``t + lag`` matches the
    reference at ``t``; ``strength`` is the correlation peak over the median absolute value in the
    searched range (about 1-4 when there is nothing to find, tens when the reference is clearly there).
    """
    y = np.asarray(recording, dtype=np.float64)
    x = np.asarray(reference, dtype=np.float64)
    n = y.size + x.size
    nfft = 1 << max(1, (n - 1).bit_length())
    spec = np.fft.rfft(y, nfft) * np.conj(np.fft.rfft(x, nfft))
    freqs = np.fft.rfftfreq(nfft, 1.0 / sample_rate_hz)
    band = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    mag = np.abs(spec)
    spec = np.where(band, spec / np.maximum(mag, 1e-12 * (mag.max() + 1e-30)) ** phat_beta, 0.0)
    cc = np.fft.irfft(spec, nfft)
    lo, hi = round(min_lag_s * sample_rate_hz), round(max_lag_s * sample_rate_hz)
    lags = np.arange(lo, hi + 1)
    vals = np.abs(cc[lags % nfft])
    k = int(np.argmax(vals))
    noise = float(np.median(vals)) + 1e-30
    return int(lags[k]), float(vals[k] / noise)


def _fill_gaps(mask: BoolArray, max_run: int) -> BoolArray:
    """``mask`` with runs of False of at most ``max_run`` frames between two True frames set True."""
    out = mask.copy()
    idx = np.flatnonzero(mask)
    gaps = np.flatnonzero((np.diff(idx) > 1) & (np.diff(idx) <= max_run + 1))
    for g in gaps:
        out[idx[g] + 1 : idx[g + 1]] = True
    return out


def cancel_echo(
    recording: npt.ArrayLike,
    *,
    sample_rate_hz: float,
    played: npt.ArrayLike,
    played_rate_hz: float,
    played_offset_s: float | None,
    settings: EchoSettings | None = None,
) -> EchoResult:
    """Subtract the played model from ``recording`` and mark the frames it explains.

    ``recording`` and ``played`` are mono or channels-last, float or integer, at their own rates;
    ``played_offset_s`` is where the played model's first sample lies on the recording's clock (negative
    when it started before the recording); ``None`` when unknown (a wider lag search). Raises
    ``ValueError`` for unusable input (non-finite samples, a bad rate).
    """
    s = settings or EchoSettings()
    y = _to_rate(_mono(recording, "recording"), sample_rate_hz)
    x = _to_rate(_mono(played, "played model"), played_rate_hz)
    sr = ECHO_RATE_HZ
    if played_offset_s is not None and not math.isfinite(played_offset_s):
        raise ValueError("played offset must be a finite number of seconds")
    known = played_offset_s is not None
    offset = float(played_offset_s) if played_offset_s is not None else 0.0
    lo, hi = (s.min_lag_s, s.max_lag_s) if known else s.unknown_offset_lag_s
    placed = _placed(x, round(offset * sr), y.size)
    lag, strength = 0, 0.0
    if np.any(placed) and np.any(y):
        lag, strength = estimate_lag(
            y, placed, sample_rate_hz=sr, min_lag_s=lo, max_lag_s=hi, band_hz=s.band_hz, phat_beta=s.phat_beta
        )
    ref = _placed(x, round(offset * sr) + lag, y.size)
    n = 1 << max(1, round(s.window_s * sr - 1).bit_length())
    hop = max(1, round(s.hop_s * sr))
    taps = max(1, math.ceil(s.tail_s / (hop / sr)) + 1)
    ys, xs = stft(y, n, hop), stft(ref, n, hop)
    pred = fit_path(ys, xs, s, taps) if np.any(ref) else np.zeros_like(ys)
    res = ys - pred
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    band = (freqs >= s.band_hz[0]) & (freqs <= s.band_hz[1])
    norm = (np.hanning(n + 2)[1:-1] ** 2).sum() * n / 2.0  # band energy of a full-scale sine ~ 0 dBFS
    leak_db = 10.0 * np.log10(np.sum(np.abs(pred[band]) ** 2, axis=0) / norm + 1e-12)
    resid_db = 10.0 * np.log10(np.sum(np.abs(res[band]) ** 2, axis=0) / norm + 1e-12)
    floor_db = float(np.percentile(resid_db, 10)) if resid_db.size else -120.0
    # explained: what is left is well below the leak, or (magnitudes only, robust to a path fitted
    # during singing along) no bin holds much more than the leak predicts there
    p2, y2 = np.abs(pred[band]) ** 2, np.abs(ys[band]) ** 2
    excess = np.sum(np.maximum(y2 - s.excess_ratio * p2, 0.0), axis=0)
    excess_db = 10.0 * np.log10(excess / norm + 1e-12)
    cancelled = resid_db <= leak_db - s.explained_margin_db
    no_excess = excess_db <= leak_db - s.excess_margin_db
    present = leak_db >= floor_db + s.leak_presence_db
    cancelled_s = float(np.sum(present & cancelled)) * hop / sr
    found = strength >= s.min_lag_strength and cancelled_s >= s.min_cancelled_s
    explained = present & (cancelled | no_excess) & found
    explained = _fill_gaps(explained, max(0, round(s.fill_gap_s / s.hop_s)))
    rec_db = 10.0 * np.log10(np.sum(np.abs(ys[band]) ** 2, axis=0) / norm + 1e-12)
    reduction = None
    if explained.any():
        e_in = np.sum(10.0 ** (rec_db[explained] / 10.0))
        e_out = np.sum(10.0 ** (resid_db[explained] / 10.0))
        reduction = float(10.0 * np.log10(e_in / max(e_out, 1e-30)))
    gain = np.where(explained, 10.0 ** (-s.suppress_db / 20.0), 1.0)
    if s.subtract == "everywhere":
        out = res
    elif s.subtract == "leak-heavy":
        out = np.where((leak_db >= resid_db - s.subtract_within_db)[None, :], res, ys)
    else:
        out = ys
    cleaned = istft(out * gain[None, :], n, hop, y.size)
    times = (np.arange(ys.shape[1]) * hop + hop - n / 2.0) / sr  # frame centres
    return EchoResult(
        cleaned=cleaned,
        sample_rate_hz=sr,
        lag_s=lag / sr,
        offset_s=offset + lag / sr,
        lag_strength=strength,
        reduction_db=reduction,
        frame_times_s=times,
        explained=explained,
        leak_db=leak_db,
        residual_db=resid_db,
        cancelled_s=cancelled_s,
        present_s=float(np.sum(present)) * hop / sr,
        found=found,
    )
