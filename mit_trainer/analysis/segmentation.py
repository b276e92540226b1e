"""Syllable segmentation: where each produced syllable starts and ends.

Works on a pitch track plus the raw samples. A syllable nucleus is a stretch of
frames that are both voiced (tracker) and active (frame energy above a noise-floor
relative threshold, with hysteresis). Stretches of continuous voicing are split
where the pitch steps by at least ``pitch_step_st`` and stays there (legato MIT
singing changes syllable *on* the pitch step) and where the energy dips by at least
``energy_dip_db`` (consonants inside legato voicing). In spoken mode pitch steps are
ignored and energy dips carry the segmentation. Unvoiced consonants just before a
stretch are attached to its first syllable (up to ``max_consonant_s``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import median_filter, uniform_filter1d

from mit_trainer.core.records import FloatArray, PitchTrack

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SegmentationSettings:
    """Named thresholds of the syllable segmenter (times in s, levels in dB, pitch in semitones)."""

    #: Length of the RMS window centred on each pitch frame.
    energy_window_s: float = 0.03
    #: Percentile of frame energy taken as the noise floor.
    noise_floor_percentile: float = 5.0
    #: Activity starts this far above the noise floor (capped at half the floor-to-peak range).
    activity_on_db: float = 9.0
    #: Activity ends at this fraction of the on-threshold's height above the floor (hysteresis).
    activity_off_fraction: float = 0.6
    #: Voicing gaps shorter than this inside a stretch are bridged.
    min_gap_s: float = 0.035
    #: Syllables (and parts produced by a split) shorter than this are dropped / not split off.
    min_syllable_s: float = 0.08
    #: A pitch step of at least this many semitones, held, starts a new syllable (sung modes).
    pitch_step_st: float = 1.5
    #: Both parts of a pitch-step split must last at least this long (a scoop is not a new note).
    min_note_s: float = 0.15
    #: Each side of a candidate step is summarised by its median over this span.
    pitch_step_window_s: float = 0.08
    #: An energy dip at least this deep below both neighbouring peaks starts a new syllable.
    energy_dip_db: float = 6.0
    #: The same in spoken mode, where the energy envelope carries the segmentation.
    spoken_energy_dip_db: float = 6.0
    #: A dip also counts this many dB per unit drop of tracker confidence (periodicity) at its bottom.
    dip_confidence_db: float = 20.0
    #: Level dips are looked for on an envelope with this hop and window (finer than most pitch hops).
    dip_hop_s: float = 0.005
    dip_window_s: float = 0.02
    #: Sung modes: a dip with another dip at least ``vibrato_dip_ratio`` as deep one vibrato period
    #: (this range, s) away is the level ripple of vibrato, not a consonant.
    vibrato_period_s: tuple[float, float] = (0.13, 0.26)
    vibrato_dip_ratio: float = 0.6
    #: Neighbouring peaks of a dip are searched within this span on each side.
    dip_peak_span_s: float = 0.3
    #: Active unvoiced frames before a stretch (a consonant) are attached to its first syllable.
    max_consonant_s: float = 0.15
    #: Median filter length (frames) applied to the semitone track before step detection.
    median_filter_frames: int = 5
    #: Central fraction of a syllable used for its f0 (score centres, not edges).
    centre_fraction: float = 0.6


@dataclass(frozen=True)
class DetectedSyllable:
    """One produced syllable: its extent, median f0 of its centre, how voiced and how loud it is."""

    onset_s: float
    offset_s: float
    f0_hz: float | None
    voiced_fraction: float
    energy_db: float
    f0_spread_st: float | None = None  # inter-quartile range of the centre's pitch, semitones

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s


@dataclass(frozen=True)
class FrameActivity:
    """Per-frame energy and the decisions derived from it, on the pitch track's frames."""

    energy_db: FloatArray  # dBFS of the RMS around each frame
    floor_db: float  # estimated noise floor
    peak_db: float  # 95th percentile of frame energy
    active: BoolArray  # energy above the floor (hysteresis)
    voiced: BoolArray  # tracker voiced AND active

    @property
    def dynamic_range_db(self) -> float:
        return self.peak_db - self.floor_db


def _mono(samples: npt.ArrayLike) -> FloatArray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] <= 8 else x.mean(axis=0)
    return np.nan_to_num(x.ravel(), nan=0.0, posinf=0.0, neginf=0.0)


def frame_energy_db(
    samples: npt.ArrayLike, *, sample_rate_hz: float, times_s: FloatArray, window_s: float
) -> FloatArray:
    """RMS level (dBFS) of a ``window_s`` window centred on each of ``times_s``."""
    x = _mono(samples)
    if x.size == 0 or len(times_s) == 0:
        return np.full(len(times_s), -120.0)
    csum = np.concatenate(([0.0], np.cumsum(x * x)))
    half = max(1, round(window_s * sample_rate_hz / 2))
    centres = np.round(np.asarray(times_s) * sample_rate_hz).astype(np.int64)
    lo = np.clip(centres - half, 0, x.size)
    hi = np.clip(centres + half, 0, x.size)
    n = np.maximum(hi - lo, 1)
    power = (csum[hi] - csum[lo]) / n
    return 10.0 * np.log10(np.maximum(power, 1e-12))


def _hysteresis(values: FloatArray, on: float, off: float) -> BoolArray:
    out = np.zeros(values.shape[0], dtype=bool)
    state = False
    for i, v in enumerate(values):
        state = v >= off if state else v >= on
        out[i] = state
    return out


def frame_activity(
    track: PitchTrack, samples: npt.ArrayLike, *, sample_rate_hz: float, settings: SegmentationSettings
) -> FrameActivity:
    """Energy per pitch frame, its noise floor, and the active / voiced decisions."""
    e_db = frame_energy_db(
        samples, sample_rate_hz=sample_rate_hz, times_s=track.times_s, window_s=settings.energy_window_s
    )
    if e_db.size == 0:
        empty = np.zeros(0, dtype=bool)
        return FrameActivity(e_db, -120.0, -120.0, empty, empty)
    floor = float(np.percentile(e_db, settings.noise_floor_percentile))
    peak = float(np.percentile(e_db, 95.0))
    height = min(settings.activity_on_db, 0.5 * max(peak - floor, 0.0))
    on = floor + max(height, 1.0)
    off = floor + max(height * settings.activity_off_fraction, 0.5)
    active = _hysteresis(e_db, on, off)
    voiced = active & track.voiced
    return FrameActivity(e_db, floor, peak, active, voiced)


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """Half-open [start, end) index ranges where ``mask`` is True."""
    if mask.size == 0:
        return []
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2], strict=True)]


def _bridge(mask: BoolArray, max_gap: int) -> BoolArray:
    out = mask.copy()
    runs = _runs(~mask)
    for a, b in runs:
        if a > 0 and b < mask.size and b - a <= max_gap:
            out[a:b] = True
    return out


def fix_octaves(f0_hz: FloatArray, *, span: int = 21) -> FloatArray:
    """Fold isolated octave jumps (a tracker's commonest error) back to the local median pitch."""
    good = ~np.isnan(f0_hz)
    if good.sum() < 3:
        return f0_hz
    st = 12.0 * np.log2(np.maximum(f0_hz[good], 1e-3))
    med = median_filter(st, size=min(span, st.size), mode="nearest")
    shift = np.round((st - med) / 12.0)
    out = f0_hz.copy()
    out[good] = 2.0 ** ((st - 12.0 * shift) / 12.0)
    return out


def _semitones(f0: FloatArray, filt: int) -> FloatArray:
    """Semitones re 100 Hz with NaN gaps filled by interpolation, then median filtered."""
    st = 12.0 * np.log2(np.where(np.isnan(f0), np.nan, np.maximum(f0, 1e-3)) / 100.0)
    good = ~np.isnan(st)
    if not good.any():
        return np.zeros_like(st)
    idx = np.arange(st.size)
    st = np.interp(idx, idx[good], st[good])
    return median_filter(st, size=max(1, filt), mode="nearest") if filt > 1 else st


def _pick_splits(score: FloatArray, threshold: float, lo: int, hi: int, min_len: int) -> list[int]:
    """Greedy: strongest local maxima of ``score`` over ``threshold``, keeping parts >= ``min_len``."""
    cands = np.flatnonzero(score >= threshold)
    chosen: list[int] = []
    for i in sorted(cands.tolist(), key=lambda k: -score[k]):
        if i - lo < min_len or hi - i < min_len:
            continue
        if any(abs(i - c) < min_len for c in chosen):
            continue
        chosen.append(i)
    return sorted(chosen)


def _pitch_step_score(st: FloatArray, w: int) -> FloatArray:
    """|median of the next ``w`` frames - median of the previous ``w``| at each frame."""
    n = st.size
    score = np.zeros(n)
    if n < 2 * w + 1:
        return score
    win = np.lib.stride_tricks.sliding_window_view(st, w)
    med = np.median(win, axis=1)  # med[k] = median(st[k:k+w])
    mean = np.convolve(st, np.ones(w) / w, mode="valid")  # mean[k] = mean(st[k:k+w])
    idx = np.arange(w, n - w + 1)
    # medians make the score robust; the mean difference (tiny weight) breaks ties at the step's centre
    score[idx] = np.abs(med[idx] - med[idx - w]) + 1e-3 * np.abs(mean[idx] - mean[idx - w])
    return score


def _dip_score(e_db: FloatArray, span: int) -> FloatArray:
    """Depth of each local minimum below the lower of the highest points on either side."""
    n = e_db.size
    score = np.zeros(n)
    if n < 3:
        return score
    pad = np.concatenate((np.full(span, -np.inf), e_db, np.full(span, -np.inf)))
    win = np.lib.stride_tricks.sliding_window_view(pad, span)
    left = win[np.arange(n)].max(axis=1)  # max of e[i-span : i]
    right = win[np.arange(n) + span + 1].max(axis=1)  # max of e[i+1 : i+1+span]
    is_min = np.zeros(n, dtype=bool)
    is_min[1:-1] = (e_db[1:-1] <= e_db[:-2]) & (e_db[1:-1] <= e_db[2:])
    depth = np.minimum(left, right) - e_db
    score[is_min] = depth[is_min]
    return np.where(np.isfinite(score), score, 0.0)


@dataclass(frozen=True)
class _Envelope:
    """Fine-grained level envelopes (plain and pre-emphasised) and the tracker confidence on their grid."""

    times_s: FloatArray
    level_db: FloatArray
    emphasis_db: FloatArray
    confidence: FloatArray


def _envelope(track: PitchTrack, x: FloatArray, sample_rate_hz: float, s: SegmentationSettings) -> _Envelope:
    t = np.arange(0.0, x.size / sample_rate_hz, s.dip_hop_s)
    emph = np.concatenate((x[:1], x[1:] - 0.95 * x[:-1])) if x.size else x
    lvl = frame_energy_db(x, sample_rate_hz=sample_rate_hz, times_s=t, window_s=s.dip_window_s)
    emp = frame_energy_db(emph, sample_rate_hz=sample_rate_hz, times_s=t, window_s=s.dip_window_s)
    k = np.clip(np.searchsorted(track.times_s, t), 0, max(len(track) - 1, 0))
    conf = np.nan_to_num(track.confidence[k], nan=0.0) if len(track) else np.zeros(t.size)
    return _Envelope(t, uniform_filter1d(lvl, 3), uniform_filter1d(emp, 3), conf)


def _dip_splits(
    t0: float, t1: float, env: _Envelope, s: SegmentationSettings, dip_db: float, reject_periodic: bool
) -> list[float]:
    """Times (s) where a syllable starts at a level dip between ``t0`` and ``t1``."""
    fa, fb = np.searchsorted(env.times_s, [t0, t1])
    if fb - fa < 5:
        return []
    h = s.dip_hop_s
    span = max(2, round(s.dip_peak_span_s / h))
    min_len = max(1, round(s.min_syllable_s / h))
    lvl, emp = env.level_db[fa:fb], env.emphasis_db[fa:fb]
    d_lvl, d_emp = _dip_score(lvl, span), _dip_score(emp, span)
    # consonants also lower the periodicity (tracker confidence); vibrato's level ripple does not
    conf = env.confidence[fa:fb]
    near = max(1, span // 3)
    pad = np.concatenate((np.full(near, -np.inf), conf, np.full(near, -np.inf)))
    local_max = np.lib.stride_tricks.sliding_window_view(pad, 2 * near + 1).max(axis=1)
    lo = max(1, round(0.01 / h))
    pad_lo = np.concatenate((np.full(lo, np.inf), conf, np.full(lo, np.inf)))
    local_min = np.lib.stride_tricks.sliding_window_view(pad_lo, 2 * lo + 1).min(axis=1)
    dscore = np.maximum(d_lvl, d_emp)
    dscore = np.where(dscore > 0, dscore + s.dip_confidence_db * (local_max - local_min), 0.0)
    raw = np.maximum(d_lvl, d_emp)
    lo_p, hi_p = round(s.vibrato_period_s[0] / h), round(s.vibrato_period_s[1] / h)
    out = []
    for i in _pick_splits(dscore, dip_db, 0, fb - fa, min_len):
        if reject_periodic:  # a dip repeated one vibrato period away is level modulation, not a consonant
            near_dips = [raw[j] for j in (*range(i - hi_p, i - lo_p + 1), *range(i + lo_p, i + hi_p + 1))
                         if 0 <= j < raw.size]  # fmt: skip
            if near_dips and max(near_dips) >= s.vibrato_dip_ratio * raw[i]:
                continue
        e = lvl if d_lvl[i] >= d_emp[i] else emp
        # the syllable starts where the level begins to fall into the dip (half depth)
        level = e[i] + 0.5 * (float(np.max(e[max(0, i - near) : i + 1])) - e[i])
        j = i
        while j > 1 and e[j - 1] < level and i - j < near:
            j -= 1
        out.append(float(env.times_s[fa + j]))
    return out


def _split_run(
    a: int,
    b: int,
    track: PitchTrack,
    act: FrameActivity,
    env: _Envelope,
    settings: SegmentationSettings,
    use_pitch: bool,
) -> list[int]:
    hop = float(track.hop_s)
    min_len = max(1, round(settings.min_syllable_s / hop))
    splits: set[int] = set()
    if use_pitch:
        st = _semitones(np.where(act.voiced[a:b], track.f0_hz[a:b], np.nan), settings.median_filter_frames)
        w = max(2, round(settings.pitch_step_window_s / hop))
        score = _pitch_step_score(st, w)
        min_note = max(min_len, round(settings.min_note_s / hop))
        splits.update(a + i for i in _pick_splits(score, settings.pitch_step_st, 0, b - a, min_note))
    dip_db = settings.energy_dip_db if use_pitch else settings.spoken_energy_dip_db
    t0, t1 = float(track.times_s[a]), float(track.times_s[b - 1])
    for t in _dip_splits(t0, t1, env, settings, dip_db, reject_periodic=use_pitch):
        j = int(np.clip(np.searchsorted(track.times_s, t), a, b - 1))
        if j - a >= min_len and b - j >= min_len and all(abs(j - s) >= min_len for s in splits):
            splits.add(j)
    return sorted(splits)


def _describe(
    a: int, b: int, onset_frame: int, track: PitchTrack, act: FrameActivity, settings: SegmentationSettings
) -> DetectedSyllable:
    hop = track.hop_s
    times = track.times_s
    onset_s = max(0.0, float(times[onset_frame]) - hop / 2)
    offset_s = float(times[b - 1]) + hop / 2
    seg_voiced = act.voiced[onset_frame:b]
    n = b - a
    trim = round(n * (1.0 - settings.centre_fraction) / 2)
    c0, c1 = a + trim, max(a + trim + 1, b - trim)
    f0c = track.f0_hz[c0:c1][act.voiced[c0:c1]]
    if f0c.size == 0:
        f0c = track.f0_hz[a:b][act.voiced[a:b]]
    f0 = float(np.median(f0c)) if f0c.size else None
    spread = None
    if f0c.size >= 3:
        st = 12.0 * np.log2(f0c)
        q75, q25 = np.percentile(st, [75, 25])
        spread = float(q75 - q25)
    return DetectedSyllable(
        onset_s=onset_s,
        offset_s=offset_s,
        f0_hz=f0,
        voiced_fraction=float(seg_voiced.mean()) if seg_voiced.size else 0.0,
        energy_db=float(np.mean(act.energy_db[onset_frame:b])),
        f0_spread_st=spread,
    )


def segment_syllables(
    track: PitchTrack,
    samples: npt.ArrayLike,
    *,
    sample_rate_hz: float,
    settings: SegmentationSettings,
    mode: str = "sung",
    activity: FrameActivity | None = None,
) -> list[DetectedSyllable]:
    """Produced syllables in time order.

    Parameters
    ----------
    track : pitch track of ``samples`` (frame centres in ``track.times_s``).
    samples : mono (or multi-channel, averaged) audio, float.
    sample_rate_hz : sample rate of ``samples``.
    settings : segmentation thresholds.
    mode : ``"sung"``, ``"sprechgesang"`` or ``"spoken"``; spoken mode ignores pitch steps.
    activity : precomputed :func:`frame_activity` (saves recomputing it).
    """
    if len(track) == 0:
        return []
    hop = float(track.hop_s)
    act = activity or frame_activity(track, samples, sample_rate_hz=sample_rate_hz, settings=settings)
    env = _envelope(track, _mono(samples), sample_rate_hz, settings)
    f0 = fix_octaves(np.where(act.voiced, track.f0_hz, np.nan))
    track = PitchTrack(track.times_s, f0, track.confidence, track.hop_s, track.tracker, track.version)
    use_pitch = mode != "spoken"
    nucleus = _bridge(act.voiced, max(1, round(settings.min_gap_s / hop)))
    min_len = max(1, round(settings.min_syllable_s / hop))
    max_cons = round(settings.max_consonant_s / hop)
    out: list[DetectedSyllable] = []
    prev_end = -(10**9)
    for a, b in _runs(nucleus):
        if b - a < min_len:
            continue
        bounds = [a, *_split_run(a, b, track, act, env, settings, use_pitch), b]
        for k, (s, e) in enumerate(itertools.pairwise(bounds)):
            onset = s
            if (
                k == 0 and s - prev_end <= max_cons
            ):  # a consonant gap inside the phrase: it starts the syllable
                onset = prev_end
            elif k == 0:  # attach an unvoiced consonant that precedes the stretch
                while onset > max(0, s - max_cons) and act.active[onset - 1] and not act.voiced[onset - 1]:
                    onset -= 1
            out.append(_describe(s, e, onset, track, act, settings))
        prev_end = b
    return out
