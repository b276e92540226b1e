"""Time-scaling a voice with the WORLD vocoder: longer or shorter, same pitch and timbre.

Used to play a therapist's recorded model at another tempo than the one it was sung at. The voice is
analysed with WORLD (``pyworld``: Harvest for f0, CheapTrick for the spectral envelope, D4C for the
aperiodicity) on a 5 ms frame grid, the three tracks are resampled onto a grid ``factor`` times as long
(f0 interpolated only between voiced frames, the voiced/unvoiced decision taken from the nearest
frame), and the voice is synthesised again. Pitch is kept: only the time axis changes.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import soxr

#: WORLD's analysis frame period (ms).
FRAME_PERIOD_MS = 5.0
#: Accepted range of the duration factor (0.25x to 4x).
MIN_FACTOR, MAX_FACTOR = 0.25, 4.0


def time_scale(
    samples: npt.ArrayLike,
    *,
    sample_rate_hz: int,
    factor: float,
    f0_floor_hz: float = 60.0,
    f0_ceil_hz: float = 800.0,
    f0_method: Literal["harvest", "dio"] = "harvest",
    work_rate_hz: int | None = None,
) -> npt.NDArray[np.float32]:
    """``samples`` (mono) made ``factor`` times as long with the same pitch (float32, same rate).

    ``f0_method`` is WORLD's Harvest (robust, slow) or DIO refined by StoneMask (several times faster);
    ``work_rate_hz`` below ``sample_rate_hz`` runs WORLD at that rate (soxr down, WORLD, soxr up: the
    voice's content above half that rate is lost). ``benchmarks/bench_timescale.py`` compares them.
    A factor of 1 returns a float32 copy. Raises ``ValueError`` for a factor outside
    [:data:`MIN_FACTOR`, :data:`MAX_FACTOR`], a non-positive rate or input that is not mono.
    """
    if f0_method not in ("harvest", "dio"):
        raise ValueError(f"f0_method must be 'harvest' or 'dio', not {f0_method!r}")
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"time_scale needs mono samples, got shape {x.shape}")
    if sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be positive, not {sample_rate_hz}")
    if not MIN_FACTOR <= factor <= MAX_FACTOR:
        raise ValueError(f"factor must be in [{MIN_FACTOR}, {MAX_FACTOR}], not {factor}")
    if factor == 1.0 or x.size == 0:
        return x.astype(np.float32)
    n_target = round(x.size * factor)
    fs = int(sample_rate_hz)
    if work_rate_hz is not None and 0 < work_rate_hz < fs:
        low = soxr.resample(x, fs, work_rate_hz)
        y = _world_stretch(low, int(work_rate_hz), factor, f0_floor_hz, f0_ceil_hz, f0_method)
        y = soxr.resample(y, work_rate_hz, fs)
    else:
        y = _world_stretch(x, fs, factor, f0_floor_hz, f0_ceil_hz, f0_method)
    if y.size < n_target:
        y = np.pad(y, (0, n_target - y.size))
    return y[:n_target].astype(np.float32)


def _world_stretch(
    x: npt.NDArray[np.float64], fs: int, factor: float, f0_floor_hz: float, f0_ceil_hz: float, f0_method: str
) -> npt.NDArray[np.float64]:
    import pyworld

    x = np.ascontiguousarray(x, dtype=np.float64)
    if f0_method == "harvest":
        f0, t = pyworld.harvest(x, fs, f0_floor=f0_floor_hz, f0_ceil=f0_ceil_hz, frame_period=FRAME_PERIOD_MS)
    elif f0_method == "dio":
        f0, t = pyworld.dio(x, fs, f0_floor=f0_floor_hz, f0_ceil=f0_ceil_hz, frame_period=FRAME_PERIOD_MS)
        f0 = pyworld.stonemask(x, f0, t, fs)
    else:
        raise ValueError(f"f0_method must be 'harvest' or 'dio', not {f0_method!r}")  # pragma: no cover
    sp = pyworld.cheaptrick(x, f0, t, fs)
    ap = pyworld.d4c(x, f0, t, fs)
    n_out = max(2, round(f0.size * factor))
    pos = np.linspace(0.0, f0.size - 1.0, n_out)  # output frame -> input frame (fractional)
    f0_out = _stretch_f0(f0, pos)
    sp_out = _interp_rows(sp, pos)
    ap_out = _interp_rows(ap, pos)
    y = pyworld.synthesize(
        np.ascontiguousarray(f0_out), np.ascontiguousarray(sp_out), np.ascontiguousarray(ap_out), fs,
        FRAME_PERIOD_MS,
    )  # fmt: skip
    return np.asarray(y, dtype=np.float64)


def _stretch_f0(f0: npt.NDArray[np.float64], pos: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """f0 at fractional frame positions: voicing from the nearest frame, log-f0 interpolated between
    voiced neighbours (a voiced frame next to an unvoiced one keeps its own value)."""
    nearest = np.clip(np.rint(pos).astype(np.int64), 0, f0.size - 1)
    voiced = f0[nearest] > 0
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, f0.size - 1)
    w = pos - lo
    f_lo, f_hi = f0[lo], f0[hi]
    both = (f_lo > 0) & (f_hi > 0)
    safe_lo, safe_hi = np.where(both, f_lo, 1.0), np.where(both, f_hi, 1.0)
    log_mix = np.exp((1.0 - w) * np.log(safe_lo) + w * np.log(safe_hi))
    out = np.where(both, log_mix, np.where(f_lo > 0, f_lo, f_hi))
    return np.where(voiced, out, 0.0)


def _interp_rows(frames: npt.NDArray[np.float64], pos: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, frames.shape[0] - 1)
    w = (pos - lo)[:, None]
    return (1.0 - w) * frames[lo] + w * frames[hi]
