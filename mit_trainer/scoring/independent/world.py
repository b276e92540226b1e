"""WORLD (pyworld) re-synthesis: put a generated voice on given notes, glides and vibrato, re-time it,
and move it to a female or child range (f0 and spectral envelope together), keeping the voice's own envelope.

The new f0 is the truth: a step per syllable from its onset to the next, joined by a raised-cosine glide of
``glide_s`` centred on each onset, with sinusoidal vibrato; it is applied where WORLD found the voice voiced.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

with warnings.catch_warnings():  # pyworld imports pkg_resources, which warns on import
    warnings.simplefilter("ignore")
    import pyworld as pw

FRAME_PERIOD_MS = 5.0
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class WorldParams:
    """WORLD's analysis of a voice: f0 (0 = unvoiced), spectral envelope and aperiodicity per 5 ms frame."""

    f0_hz: FloatArray
    sp: FloatArray
    ap: FloatArray
    sample_rate_hz: int

    @property
    def times_s(self) -> FloatArray:
        return np.asarray(np.arange(self.f0_hz.size) * FRAME_PERIOD_MS / 1000.0, dtype=np.float64)


def analyse(samples: npt.ArrayLike, *, sample_rate_hz: int) -> WorldParams:
    """DIO + StoneMask f0 (50-800 Hz), CheapTrick envelope and D4C aperiodicity."""
    x = np.ascontiguousarray(np.asarray(samples, dtype=np.float64))
    f0, t = pw.dio(x, sample_rate_hz, f0_floor=50.0, f0_ceil=800.0, frame_period=FRAME_PERIOD_MS)
    f0 = pw.stonemask(x, f0, t, sample_rate_hz)
    sp = pw.cheaptrick(x, f0, t, sample_rate_hz)
    ap = pw.d4c(x, f0, t, sample_rate_hz)
    return WorldParams(f0, sp, ap, sample_rate_hz)


def note_contour(
    times_s: FloatArray,
    *,
    onsets_s: tuple[float, ...],
    notes_hz: tuple[float, ...],
    glide_s: float,
    vibrato_cents: float = 0.0,
    vibrato_hz: float = 5.5,
    vibrato_phase: float = 0.0,
) -> FloatArray:
    """Sung f0 (Hz) at ``times_s``: note ``k`` from onset ``k``, glides of ``glide_s`` centred on onsets."""
    st = 12.0 * np.log2(np.asarray(notes_hz, dtype=float) / notes_hz[0])
    out = np.full(times_s.shape, st[0])
    for k in range(1, len(st)):
        a = onsets_s[k] - glide_s / 2.0
        frac = np.clip((times_s - a) / max(glide_s, 1e-6), 0.0, 1.0)
        out += (st[k] - st[k - 1]) * 0.5 * (1.0 - np.cos(np.pi * frac))
    out = out + vibrato_cents / 100.0 * np.sin(2 * np.pi * vibrato_hz * times_s + vibrato_phase)
    return np.asarray(notes_hz[0] * 2.0 ** (out / 12.0), dtype=np.float64)


def warp_envelope(sp: FloatArray, ratio: float) -> FloatArray:
    """The spectral envelope with every formant moved up by ``ratio`` (a shorter vocal tract for > 1)."""
    if ratio == 1.0:
        return sp
    bins = np.arange(sp.shape[1], dtype=float)
    src = np.clip(bins / ratio, 0, sp.shape[1] - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, sp.shape[1] - 1)
    w = src - lo
    return np.ascontiguousarray(sp[:, lo] * (1 - w) + sp[:, hi] * w)


def resynthesize(
    params: WorldParams,
    f0_hz: FloatArray,
    *,
    formant_ratio: float = 1.0,
    source_frames: FloatArray | None = None,
) -> npt.NDArray[np.float32]:
    """Synthesise ``f0_hz`` (one value per output frame; 0 = unvoiced) with the voice's envelope.

    ``source_frames`` (fractional source frame index per output frame) re-times the voice; by default output
    frame ``i`` is source frame ``i``. Voicing follows the source frame; ``f0_hz`` is used where it is voiced.
    """
    n_src = params.f0_hz.size
    idx = np.arange(f0_hz.size, dtype=float) if source_frames is None else source_frames
    k = np.clip(np.round(idx).astype(int), 0, n_src - 1)
    voiced = params.f0_hz[k] > 0
    f0 = np.where(voiced, f0_hz, 0.0)
    sp = warp_envelope(params.sp[k], formant_ratio)
    ap = np.ascontiguousarray(params.ap[k])
    y = pw.synthesize(np.ascontiguousarray(f0), sp, ap, params.sample_rate_hz, FRAME_PERIOD_MS)
    return np.asarray(y, dtype=np.float32)
