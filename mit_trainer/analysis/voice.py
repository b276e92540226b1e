"""A small, fast source-filter voice synthesiser for intoned models and labelled test voices.

Responsible for turning an instantaneous f0 contour (one value per sample, NaN where the voice is silent)
into a voice-like waveform: a Rosenberg glottal-flow-derivative pulse train whose phase is accumulated
sample by sample (so the pitch is exactly the contour asked for, plus any vibrato/jitter/flutter asked for),
with band-limited glottal closures (polyBLEP), per-period jitter and shimmer, aspiration noise gated by the
open phase, a spectral-tilt low-pass, and a cascade of formant resonators per vowel (Klatt-style, unity DC
gain), cross-faded between vowels. A closed-mouth ``"m"`` hum adds a nasal anti-resonance.

Everything is vectorised numpy (the formant cascade is applied in the frequency domain); randomness comes
only from the ``rng`` argument, so a given seed always gives the same samples. The stimulus renderer, the
simulated patient and the benchmark corpus all build on :func:`synthesize_voice` with
:class:`VoiceParams` (``VoiceParams.male()``, ``VoiceParams.female()``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]

#: Vowel names accepted by :func:`synthesize_voice`; a per-sample vowel array indexes this tuple.
VOWELS: tuple[str, ...] = ("a", "e", "i", "o", "u", "@", "m")


@dataclass(frozen=True)
class VowelSpec:
    """Formants (Hz) and bandwidths (Hz) of an adult male vowel, plus optional anti-resonances."""

    formants_hz: tuple[float, ...]
    bandwidths_hz: tuple[float, ...]
    zeros_hz: tuple[float, ...] = ()
    zero_bandwidths_hz: tuple[float, ...] = ()


#: Adult male formant table (after Peterson & Barney 1952 and Klatt 1980, rounded). ``@`` is schwa;
#: ``m`` is a closed-mouth nasal murmur (low nasal formant, anti-resonance near 1 kHz, damped upper poles).
VOWEL_TABLE: dict[str, VowelSpec] = {
    "a": VowelSpec((730, 1090, 2440, 3400, 4200), (80, 90, 130, 250, 300)),
    "e": VowelSpec((530, 1840, 2480, 3400, 4200), (60, 100, 130, 250, 300)),
    "i": VowelSpec((280, 2250, 3000, 3500, 4200), (50, 90, 150, 200, 300)),
    "o": VowelSpec((570, 840, 2410, 3400, 4200), (60, 80, 130, 250, 300)),
    "u": VowelSpec((300, 870, 2240, 3400, 4200), (50, 80, 130, 250, 300)),
    "@": VowelSpec((500, 1500, 2500, 3500, 4500), (70, 100, 150, 250, 300)),
    "m": VowelSpec((270, 1150, 2200, 3300, 4200), (70, 250, 350, 450, 550), (900,), (120,)),
}

_TABLE_SIZE = 1 << 13  # points per glottal period in the pulse look-up table (a power of two)
_MIN_F0_HZ = 20.0


@dataclass(frozen=True)
class VoiceParams:
    """Timbre and imperfection settings of a synthetic voice (all deterministic given the ``rng``).

    ``formant_scale`` multiplies every formant (1.0 adult male, about 1.17 adult female);
    ``open_quotient`` and ``speed_quotient`` shape the Rosenberg pulse (open fraction of the period,
    opening/closing duration ratio); ``tilt_hz`` is the corner of the first-order low-pass that stands in
    for the return phase (lower = softer, darker voice). ``vibrato_depth_cents`` is the peak deviation of a
    sinusoidal vibrato at ``vibrato_rate_hz``; ``jitter_percent`` the standard deviation of the per-period f0
    perturbation; ``shimmer_db`` that of the per-period amplitude; ``flutter_cents`` the standard deviation of
    a slow random pitch wander (band-limited to ``flutter_rate_hz``) for imperfect singing;
    ``breathiness`` the aspiration-noise amplitude relative to the voiced source RMS.
    ``vowel_transition_s`` is the cross-fade time between vowels and ``onset_ramp_s`` the amplitude ramp
    where voicing starts or stops.
    """

    formant_scale: float = 1.0
    bandwidth_scale: float = 1.0
    open_quotient: float = 0.6
    speed_quotient: float = 2.0
    tilt_hz: float = 2500.0
    vibrato_rate_hz: float = 5.5
    vibrato_depth_cents: float = 0.0
    jitter_percent: float = 0.3
    shimmer_db: float = 0.3
    flutter_cents: float = 0.0
    flutter_rate_hz: float = 3.0
    breathiness: float = 0.04
    vowel_transition_s: float = 0.05
    onset_ramp_s: float = 0.012

    def __post_init__(self) -> None:
        checks = {
            "formant_scale": 0.5 <= self.formant_scale <= 2.0,
            "bandwidth_scale": 0.2 <= self.bandwidth_scale <= 5.0,
            "open_quotient": 0.2 <= self.open_quotient <= 0.95,
            "speed_quotient": 0.5 <= self.speed_quotient <= 6.0,
            "tilt_hz": self.tilt_hz >= 0.0,
            "vibrato_rate_hz": 0.0 <= self.vibrato_rate_hz <= 20.0,
            "vibrato_depth_cents": 0.0 <= self.vibrato_depth_cents <= 300.0,
            "jitter_percent": 0.0 <= self.jitter_percent <= 10.0,
            "shimmer_db": 0.0 <= self.shimmer_db <= 6.0,
            "flutter_cents": 0.0 <= self.flutter_cents <= 600.0,
            "flutter_rate_hz": 0.05 <= self.flutter_rate_hz <= 20.0,
            "breathiness": 0.0 <= self.breathiness <= 2.0,
            "vowel_transition_s": 0.0 <= self.vowel_transition_s <= 0.5,
            "onset_ramp_s": 0.0 <= self.onset_ramp_s <= 0.5,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"VoiceParams.{name} out of range: {getattr(self, name)!r}")

    @classmethod
    def male(cls, **overrides: float) -> VoiceParams:
        """An adult male voice (chest register, firm closure)."""
        base = {"formant_scale": 1.0, "open_quotient": 0.55, "tilt_hz": 2800.0, "breathiness": 0.03}
        return cls(**{**base, **overrides})

    @classmethod
    def female(cls, **overrides: float) -> VoiceParams:
        """An adult female voice (formants ~17% higher, longer open phase, breathier, darker source)."""
        base = {
            "formant_scale": 1.17,
            "bandwidth_scale": 1.15,
            "open_quotient": 0.68,
            "tilt_hz": 2200.0,
            "breathiness": 0.08,
        }
        return cls(**{**base, **overrides})

    def replace(self, **changes: float) -> VoiceParams:
        """A copy with some fields changed (validated again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return VoiceParams(**values)


VowelInput: TypeAlias = str | npt.NDArray[np.integer] | Sequence[tuple[float, str]]


def vowel_for_params(vowel: str, params: VoiceParams) -> VowelSpec:
    """The formants of ``vowel`` scaled for ``params`` (``formant_scale``, ``bandwidth_scale``)."""
    try:
        spec = VOWEL_TABLE[vowel]
    except KeyError:
        raise ValueError(f"vowel must be one of {', '.join(VOWELS)}; got {vowel!r}") from None
    k, b = params.formant_scale, params.bandwidth_scale
    return VowelSpec(
        tuple(f * k for f in spec.formants_hz),
        tuple(w * b for w in spec.bandwidths_hz),
        tuple(f * k for f in spec.zeros_hz),
        tuple(w * b for w in spec.zero_bandwidths_hz),
    )


def vowel_sos(vowel: str, *, sample_rate_hz: int, params: VoiceParams) -> FloatArray:
    """Second-order sections: spectral tilt, anti-resonances, then the formant cascade of ``vowel``.

    Each resonator has unity gain at 0 Hz (Klatt 1980); formants above 0.45 x the sample rate are dropped.
    """
    spec = vowel_for_params(vowel, params)
    t = 1.0 / sample_rate_hz
    rows: list[list[float]] = []
    if params.tilt_hz > 0:
        a = float(np.exp(-2.0 * np.pi * params.tilt_hz * t))
        rows.append([1.0 - a, 0.0, 0.0, 1.0, -a, 0.0])
    for f, bw in zip(spec.zeros_hz, spec.zero_bandwidths_hz, strict=True):
        if f < 0.45 * sample_rate_hz:
            c = -np.exp(-2.0 * np.pi * bw * t)
            b = 2.0 * np.exp(-np.pi * bw * t) * np.cos(2.0 * np.pi * f * t)
            gain = 1.0 - b - c
            rows.append([1.0 / gain, -b / gain, -c / gain, 1.0, 0.0, 0.0])
    for f, bw in zip(spec.formants_hz, spec.bandwidths_hz, strict=True):
        if f < 0.45 * sample_rate_hz:
            c = -np.exp(-2.0 * np.pi * bw * t)
            b = 2.0 * np.exp(-np.pi * bw * t) * np.cos(2.0 * np.pi * f * t)
            rows.append([1.0 - b - c, 0.0, 0.0, 1.0, -b, -c])
    return np.asarray(rows, dtype=np.float64)


def glottal_tables(params: VoiceParams) -> tuple[FloatArray, FloatArray]:
    """One period of the Rosenberg flow derivative and of the flow itself, ``_TABLE_SIZE`` points each.

    The derivative rises as a half sine over the opening phase, falls over the closing phase and jumps back
    to zero at closure (phase = ``open_quotient``), the abrupt closure that gives a voice its harmonics.
    """
    oq, sq = params.open_quotient, params.speed_quotient
    tp, tn = oq * sq / (1.0 + sq), oq / (1.0 + sq)
    t = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    deriv = np.zeros(_TABLE_SIZE)
    flow = np.zeros(_TABLE_SIZE)
    opening = t < tp
    closing = (t >= tp) & (t < oq)
    deriv[opening] = np.pi / (2.0 * tp) * np.sin(np.pi * t[opening] / tp)
    flow[opening] = 0.5 * (1.0 - np.cos(np.pi * t[opening] / tp))
    deriv[closing] = -np.pi / (2.0 * tn) * np.sin(np.pi * (t[closing] - tp) / (2.0 * tn))
    flow[closing] = np.cos(np.pi * (t[closing] - tp) / (2.0 * tn))
    return deriv, flow


def _as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(0 if rng is None else rng)


def _real_array(x: npt.ArrayLike) -> npt.NDArray[np.floating]:
    """``x`` as a float32 or float64 array (no copy when it already is one)."""
    a = np.asarray(x)
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)


def _moving_average(x: FloatArray, width: int) -> FloatArray:
    """Centred moving average with edge padding (cumulative-sum form, O(n))."""
    if width <= 1:
        return x
    half = width // 2
    padded = np.concatenate((np.full(half + 1, x[0]), x, np.full(width - half, x[-1])))
    c = np.cumsum(padded)
    return np.asarray((c[width:] - c[:-width])[: x.shape[0]] / width)


def _vowel_segments(vowels: VowelInput, n: int, sample_rate_hz: int) -> list[tuple[int, int, str]]:
    """Normalise the ``vowels`` argument to contiguous ``(start, stop, vowel)`` sample ranges."""
    if isinstance(vowels, str):
        vowel_for_params(vowels, VoiceParams())  # validates the name
        return [(0, n, vowels)]
    if isinstance(vowels, np.ndarray) and vowels.ndim == 1 and np.issubdtype(vowels.dtype, np.integer):
        if vowels.shape[0] != n:
            raise ValueError(f"vowels has {vowels.shape[0]} samples but f0_hz has {n}")
        if n and (vowels.min() < 0 or vowels.max() >= len(VOWELS)):
            raise ValueError(f"vowel indices must be in 0..{len(VOWELS) - 1}")
        cuts = np.flatnonzero(np.diff(vowels)) + 1
        starts = np.concatenate(([0], cuts))
        stops = np.concatenate((cuts, [n]))
        return [(int(a), int(b), VOWELS[int(vowels[a])]) for a, b in zip(starts, stops, strict=True)]
    if isinstance(vowels, np.ndarray):
        raise ValueError("vowels: a per-sample array must be one-dimensional integers indexing VOWELS")
    segs = sorted(((float(s), str(v)) for s, v in vowels), key=lambda sv: sv[0])
    if not segs:
        raise ValueError("vowels: give a vowel name, a per-sample index array or (start_s, vowel) segments")
    out: list[tuple[int, int, str]] = []
    for i, (start_s, v) in enumerate(segs):
        vowel_for_params(v, VoiceParams())
        a = 0 if i == 0 else min(n, max(0, round(start_s * sample_rate_hz)))
        b = n if i == len(segs) - 1 else min(n, max(0, round(segs[i + 1][0] * sample_rate_hz)))
        if b > a:
            if out and out[-1][2] == v:
                out[-1] = (out[-1][0], b, v)
            else:
                out.append((a, b, v))
    return out


def _pitch_modulation(
    f0: FloatArray,
    vibrato_weight: npt.NDArray[np.floating] | None,
    sr: int,
    p: VoiceParams,
    rng: np.random.Generator,
) -> FloatArray:
    """Per-sample frequency ratio from vibrato, flutter and per-period jitter (computed at ~2 kHz)."""
    n = f0.shape[0]
    hop = max(1, round(sr / 2000))
    fc = f0[::hop]
    m = fc.shape[0]
    tc = np.arange(m) * (hop / sr)
    cents = np.zeros(m)
    if p.vibrato_depth_cents > 0:
        phase0 = rng.uniform(0.0, 2.0 * np.pi)
        vib = p.vibrato_depth_cents * np.sin(2.0 * np.pi * p.vibrato_rate_hz * tc + phase0)
        cents += vib if vibrato_weight is None else vib * vibrato_weight[::hop]
    if p.flutter_cents > 0:
        noise = np.asarray(rng.standard_normal(m), dtype=np.float64)
        width = max(1, round(sr / hop / p.flutter_rate_hz))
        wander = _moving_average(_moving_average(noise, width), width)
        wander = wander - float(np.mean(wander))
        sd = float(wander.std())
        if sd > 0:
            cents += wander * (p.flutter_cents / sd)
    ratio = np.exp2(cents / 1200.0)
    if p.jitter_percent > 0:
        periods = np.floor(np.cumsum(fc) * (hop / sr)).astype(np.intp)
        draws = 1.0 + rng.standard_normal(int(periods[-1]) + 1) * (p.jitter_percent / 100.0)
        ratio *= np.clip(draws, 0.5, 1.5)[periods]
    return np.repeat(ratio, hop)[:n]


def synthesize_voice(
    f0_hz: npt.ArrayLike,
    *,
    sample_rate_hz: int,
    vowels: VowelInput,
    params: VoiceParams | None = None,
    amplitude: npt.ArrayLike | None = None,
    vibrato_weight: npt.ArrayLike | None = None,
    peak: float | None = 0.5,
    rng: np.random.Generator | int | None = 0,
) -> npt.NDArray[np.float32]:
    """Synthesise a voice following ``f0_hz``.

    Parameters
    ----------
    f0_hz : array, shape (n,)
        Instantaneous fundamental frequency per output sample, Hz; NaN (or <= 0) where the voice is silent.
        Pitch is exact: the glottal phase is the running sum of ``f0_hz / sample_rate_hz`` (times the
        vibrato/jitter/flutter ratio when those are enabled in ``params``).
    sample_rate_hz : int
        Output sample rate (no default, see STYLE.md).
    vowels : str | int array (n,) | sequence of (start_s, vowel)
        One vowel name from :data:`VOWELS`, a per-sample index into :data:`VOWELS`, or segments each starting
        at ``start_s`` (the first one covers the start). Changes are cross-faded over
        ``params.vowel_transition_s``.
    params : VoiceParams, optional
        Timbre and imperfections; default ``VoiceParams.male()``.
    amplitude : array (n,), optional
        Linear amplitude envelope applied to the glottal source (formant ring-out stays natural).
    vibrato_weight : array (n,), optional
        0..1 multiplier of ``params.vibrato_depth_cents`` per sample (e.g. vibrato only once a note settles).
    peak : float or None
        Scale the result to this absolute peak; ``None`` keeps the raw level (source RMS about 1).
    rng : Generator or int seed
        The only source of randomness (jitter, shimmer, breath, flutter, vibrato phase).

    Returns
    -------
    float32 array, shape (n,)
    """
    if sample_rate_hz < 4000:
        raise ValueError(f"sample_rate_hz must be at least 4000; got {sample_rate_hz}")
    p = VoiceParams.male() if params is None else params
    f0 = np.asarray(f0_hz, dtype=np.float64)
    if f0.ndim != 1:
        raise ValueError("f0_hz must be one-dimensional (one value per sample)")
    n = f0.shape[0]
    segments = _vowel_segments(vowels, n, sample_rate_hz)
    gen = _as_rng(rng)
    voiced = np.isfinite(f0) & (f0 > 0)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    if float(np.max(f0, where=voiced, initial=0.0)) >= 0.5 * sample_rate_hz:
        raise ValueError("f0_hz must stay below half the sample rate")
    if not voiced.any():
        return np.zeros(n, dtype=np.float32)
    amp = None if amplitude is None else _real_array(amplitude)
    if amp is not None and amp.shape != (n,):
        raise ValueError(f"amplitude must have shape ({n},)")
    weight = None if vibrato_weight is None else _real_array(vibrato_weight)
    if weight is not None and weight.shape != (n,):
        raise ValueError(f"vibrato_weight must have shape ({n},)")
    # Only the stretch from just before the first voiced sample to a 50 ms ring-out after the last one is
    # synthesised; leading and trailing silence stays zero.
    lo = max(0, int(np.argmax(voiced)) - 1)
    hi = min(n, n - int(np.argmax(voiced[::-1])) + round(0.05 * sample_rate_hz))
    span = slice(lo, hi)
    spans = [(max(a, lo) - lo, min(b, hi) - lo, v) for a, b, v in segments if min(b, hi) > max(a, lo)]
    out = np.zeros(n, dtype=np.float32)
    out[span] = _synthesize_span(
        f0[span],
        voiced[span],
        None if amp is None else amp[span],
        None if weight is None else weight[span],
        spans,
        sample_rate_hz,
        p,
        gen,
    )
    if peak is not None:
        top = max(float(out.max()), -float(out.min()))
        if top > 0:
            out *= peak / top
    return out


def _synthesize_span(
    f0_in: FloatArray,
    voiced: npt.NDArray[np.bool_],
    amplitude: npt.NDArray[np.floating] | None,
    weight: npt.NDArray[np.floating] | None,
    segments: list[tuple[int, int, str]],
    sample_rate_hz: int,
    p: VoiceParams,
    gen: np.random.Generator,
) -> npt.NDArray[np.float32]:
    """The voice over one stretch (see :func:`synthesize_voice`), not normalised."""
    n = f0_in.shape[0]
    edges = np.flatnonzero(np.diff(voiced)) + 1  # sample indices where voicing switches on or off
    runs = np.concatenate(([0], edges, [n]))
    f0 = f0_in.copy()
    for a, b in itertools.pairwise(runs.tolist()):
        if not voiced[a]:  # hold the neighbouring voiced f0 so the glottal phase runs on smoothly
            f0[a:b] = f0[b] if b < n else f0[a - 1]
    np.maximum(f0, _MIN_F0_HZ, out=f0)

    # Glottal source: phase accumulation + table look-up, band-limited closures. Large temporaries are
    # reused in place: allocating a fresh array per step costs more than the arithmetic at these sizes.
    dphase = _pitch_modulation(f0, weight, sample_rate_hz, p, gen)
    dphase *= f0
    dphase *= 1.0 / sample_rate_hz
    phase = np.cumsum(dphase)
    phase -= phase[0]
    blep_idx, blep_val = _closure_bleps(phase, dphase, p)
    # Table index = fractional phase x table size; with a power-of-two size one float->int conversion
    # and a bit mask do it (phase >= 0, so truncation is floor).
    index_type = np.int32 if phase[-1] * _TABLE_SIZE < 2**31 - 1 else np.int64
    tidx: npt.NDArray[np.integer] = np.multiply(phase, _TABLE_SIZE, out=dphase).astype(index_type)
    np.bitwise_and(tidx, _TABLE_SIZE - 1, out=tidx)
    deriv_table, flow_table = glottal_tables(p)
    source = deriv_table.astype(np.float32)[tidx]
    source[blep_idx] += blep_val
    if p.shimmer_db > 0:  # one gain per glottal period: repeat each over its samples
        starts = np.searchsorted(phase, np.arange(1.0, float(np.floor(phase[-1])) + 1.0))
        counts = np.diff(np.concatenate(([0], starts, [n])))
        gains = 10.0 ** (gen.standard_normal(counts.shape[0]) * (p.shimmer_db / 20.0))
        source *= np.repeat(gains.astype(np.float32), counts)
    scratch = np.empty(n, dtype=np.float32)
    if p.breathiness > 0:
        rms = float(np.sqrt(np.mean(deriv_table**2)))
        gate = ((0.3 + 0.7 * flow_table) * (p.breathiness * rms)).astype(np.float32)
        # A 2**16-sample noise buffer, tiled: aspiration gated by the glottal cycle does not reveal the
        # repetition (>= 1.3 s at 48 kHz) and it saves most of the cost of drawing n normals.
        noise = gen.standard_normal(min(n, 1 << 16), dtype=np.float32)
        np.take(gate, tidx, out=scratch)
        for start in range(0, n, noise.shape[0]):
            chunk = scratch[start : start + noise.shape[0]]
            chunk *= noise[: chunk.shape[0]]
        source += scratch
    if amplitude is not None:
        np.multiply(source, amplitude, out=source, casting="same_kind")
    if edges.size:
        _voicing_ramps(source, voiced, runs, round(p.onset_ramp_s * sample_rate_hz))

    return _formant_filter(source, segments, sample_rate_hz, p)


def note_contour(
    notes: Sequence[tuple[float, float, float]],
    *,
    n_samples: int,
    sample_rate_hz: int,
    glide_s: float = 0.06,
) -> FloatArray:
    """A per-sample f0 contour for :func:`synthesize_voice` from ``(onset_s, offset_s, f0_hz)`` notes.

    NaN (silence) outside the notes; where one note ends exactly where the next begins (legato) the pitch
    moves between them in a raised-cosine glide of ``glide_s`` centred on the join (in log frequency).
    Handy for simulated singers: shift onsets for timing errors, scale ``f0_hz`` for off-key notes, leave
    gaps for broken voicing.
    """
    f0 = np.full(n_samples, np.nan)
    spans = [
        (max(0, round(a * sample_rate_hz)), min(n_samples, round(b * sample_rate_hz)), float(f))
        for a, b, f in sorted(notes)
    ]
    for lo, hi, f in spans:
        if f <= 0 or not np.isfinite(f):
            raise ValueError(f"note f0_hz must be positive; got {f!r}")
        f0[lo:hi] = f
    half = round(glide_s * sample_rate_hz / 2)
    for (lo0, hi0, f_prev), (lo1, hi1, f_next) in itertools.pairwise(spans):
        k = min(half, (hi0 - lo0) // 2, (hi1 - lo1) // 2)
        if hi0 == lo1 and k > 0 and f_prev != f_next:
            ramp = _rise(2 * k).astype(np.float64)
            f0[lo1 - k : lo1 + k] = f_prev * (f_next / f_prev) ** ramp
    return f0


def _voicing_ramps(
    env: npt.NDArray[np.floating], voiced: npt.NDArray[np.bool_], runs: npt.NDArray[np.intp], ramp: int
) -> None:
    """Zero ``env`` where unvoiced and ramp it (raised cosine, ``ramp`` samples) into and out of each run."""
    for a, b in itertools.pairwise(runs.tolist()):
        if not voiced[a]:
            env[a:b] = 0.0
            continue
        k = min(ramp, (b - a) // 2)
        if k > 0:
            rise = _rise(k)
            if a > 0:
                env[a : a + k] *= rise
            if b < env.shape[0]:
                env[b - k : b] *= rise[::-1]


def _closure_bleps(
    phase: FloatArray, dphase: FloatArray, p: VoiceParams
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """Sample indices and additive corrections that turn each naive step at a glottal closure into a
    polyBLEP (two samples per closure)."""
    oq, sq = p.open_quotient, p.speed_quotient
    jump = np.pi / (2.0 * oq / (1.0 + sq))  # the derivative goes from -jump to 0 at closure
    first = int(np.floor(phase[0] - oq)) + 1
    closures = np.arange(first, int(np.floor(phase[-1] - oq)) + 1) + oq
    j = np.searchsorted(phase, closures)
    ok = (j >= 1) & (j < phase.shape[0])
    j, closures = j[ok], closures[ok]
    after = (phase[j] - closures) / dphase[j]
    before = (phase[j - 1] - closures) / dphase[j]
    keep = (after < 1.0) & (before > -1.0)
    j, after, before = j[keep], after[keep], before[keep]
    idx = np.concatenate((j, j - 1))
    val = np.concatenate((-jump * 0.5 * (1.0 - after) ** 2, jump * 0.5 * (before + 1.0) ** 2))
    return idx, val.astype(np.float32)


_FILTER_DECAY = 1e-9  # the impulse response is cut where its envelope has fallen below this


def _fft_len(n: int) -> int:
    """The smallest 2**k or 3 * 2**k at least ``n`` (fast sizes for numpy's FFT)."""
    k = max(0, (n - 1).bit_length())
    three = 3 << max(0, k - 2)
    return three if three >= n else 1 << k


def decay_length(sos: npt.ArrayLike) -> int:
    """Samples after which the cascade's impulse response envelope is below ``_FILTER_DECAY`` (from the
    largest pole radius; every section must be stable)."""
    radius = 0.0
    for _b0, _b1, _b2, a0, a1, a2 in np.asarray(sos, dtype=np.float64):
        radius = max(radius, float(np.max(np.abs(np.roots([a0, a1, a2])), initial=0.0)))
    if not radius < 1.0:
        raise ValueError("the filter is not stable (a pole on or outside the unit circle)")
    if radius == 0.0:
        return 3  # all sections are FIR of order 2
    return int(np.ceil(np.log(_FILTER_DECAY) / np.log(radius))) + 3


@lru_cache(maxsize=16)
def _unit_circle(nfft: int) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.complex128]]:
    z1 = np.exp(-2j * np.pi * np.arange(nfft // 2 + 1) / nfft)
    return z1, z1 * z1


def cascade_response(sos: npt.ArrayLike, nfft: int) -> npt.NDArray[np.complex128]:
    """Frequency response of second-order sections ``sos`` (rows b0 b1 b2 a0 a1 a2) on the ``rfft`` bins."""
    z1, z2 = _unit_circle(nfft)
    h = np.ones(nfft // 2 + 1, dtype=np.complex128)
    for b0, b1, b2, a0, a1, a2 in np.asarray(sos, dtype=np.float64):
        h *= (b0 + b1 * z1 + b2 * z2) / (a0 + a1 * z1 + a2 * z2)
    return h


def cascade_filter(
    sos: npt.ArrayLike, x: npt.ArrayLike, *, tail: int | None = None
) -> npt.NDArray[np.float32]:
    """``x`` through the cascade ``sos`` from rest, as ``scipy.signal.sosfilt`` computes it (to float32
    precision), done as one product in the frequency domain. The transform is padded by ``tail`` samples
    (default :func:`decay_length`), past which the stable sections' response is negligible, so the circular
    product equals the linear filter. This keeps scipy.signal, whose import holds the GIL for ~100 ms in
    extension initialisation (a GUI stall), out of the trainer."""
    xs = np.asarray(x, dtype=np.float64)
    n = xs.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    nfft = _fft_len(n + (decay_length(sos) if tail is None else tail))
    y = np.fft.irfft(np.fft.rfft(xs, nfft) * cascade_response(sos, nfft), nfft)[:n]
    return y.astype(np.float32)


def _formant_filter(
    source: npt.NDArray[np.float32], segments: list[tuple[int, int, str]], sr: int, p: VoiceParams
) -> npt.NDArray[np.float32]:
    """Filter each vowel segment through its cascade; cross-fade neighbours with raised-cosine weights.

    Each segment is filtered from a short pre-roll before its fade-in (state starts at zero there), so the
    cost is about one pass of the cascade over the signal whatever the number of vowels.
    """
    n = source.shape[0]
    cascades: dict[str, tuple[FloatArray, int]] = {}  # vowel -> (sections, decay length)

    def through(v: str, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        if v not in cascades:
            sos = vowel_sos(v, sample_rate_hz=sr, params=p)
            cascades[v] = (sos, decay_length(sos))
        sos, tail = cascades[v]
        return cascade_filter(sos, x, tail=tail)

    if len(segments) == 1:
        return through(segments[0][2], source)
    half = max(1, round(p.vowel_transition_s * sr / 2))
    pre = round(0.03 * sr)
    out = np.zeros(n, dtype=np.float32)
    last = len(segments) - 1
    for i, (a, b, v) in enumerate(segments):
        fade_in_start = 0 if i == 0 else max(0, a - half)
        fade_in_stop = 0 if i == 0 else min(n, a + half)
        stop = n if i == last else min(n, b + half)
        start = max(0, fade_in_start - pre)
        y = through(v, source[start:stop])
        if i > 0:
            y[fade_in_start - start : fade_in_stop - start] *= _rise(fade_in_stop - fade_in_start)
        if i < last:
            k = stop - max(fade_in_stop, b - half)
            y[y.shape[0] - k :] *= _rise(k)[::-1]
        out[fade_in_start:stop] += y[fade_in_start - start :]
    return out


def _rise(k: int) -> npt.NDArray[np.float32]:
    """A raised-cosine ramp from 0 to 1 over ``k`` samples (midpoint-sampled, so rise + reversed = 1)."""
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * (np.arange(k) + 0.5) / max(k, 1)), dtype=np.float32)
