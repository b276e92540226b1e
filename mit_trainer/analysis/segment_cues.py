"""Cues for syllable segmentation: frame level and activity, octave-slip repair, pitch steps, level dips.

Signal-level helpers of :mod:`mit_trainer.analysis.segmentation`, with its settings. Frame level is the RMS
(dBFS) around each pitch frame; activity is that level above a noise-floor-relative threshold with
hysteresis; a pitch step is the difference of medians either side of a frame; a level dip is found on a fine
(5 ms) envelope, plain and pre-emphasised, weighted by the tracker's confidence drop, and rejected when it
repeats one vibrato period away (vibrato's level ripple).
"""

from __future__ import annotations

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
    #: Activity starts this far above the noise floor ...
    activity_on_db: float = 6.0
    #: ... and at most this fraction of the floor-to-peak range (quiet vowels at low SNR stay active).
    activity_range_fraction: float = 0.4
    #: Activity ends at this fraction of the on-threshold's height above the floor (hysteresis).
    activity_off_fraction: float = 0.5
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
    #: A legato glide between two notes may last up to this long (s) and still be one step.
    max_glide_s: float = 0.3
    #: Pitch within this range (st) over a window is a plateau (a held note).
    plateau_st: float = 1.0
    #: Sung modes: a part shorter than this (s) with no plateau of ``pitch_step_window_s`` (a fall at the
    #: end of a note, a scoop into one) is not a syllable: it joins its neighbour.
    fragment_s: float = 0.25
    #: A piece this many dB quieter than the syllable right after (before) it, with at most a consonant's
    #: gap between them, is that syllable's soft attack (fading end).
    weak_piece_db: float = 10.0
    #: When fewer syllables than expected were found, a syllable at least ``long_syllable_beats`` of the
    #: attempt's own beat long is split at its strongest weak cue: a pitch step of ``weak_pitch_step_st``
    #: or a level dip of ``weak_energy_dip_db``; both parts must last ``min_part_beats`` beats.
    long_syllable_beats: float = 1.6
    weak_pitch_step_st: float = 0.6
    weak_energy_dip_db: float = 2.5
    #: ... or a change of vowel colour: the band spectra before and after differ by this (mean dB).
    weak_spectral_change_db: float = 4.0
    #: Each side of a vowel-colour change is its mean spectral shape over this span (s).
    spectral_window_s: float = 0.08
    min_part_beats: float = 0.55
    #: The same in spoken mode, where syllables keep the phrase's count but not its beats.
    spoken_long_syllable_beats: float = 0.9
    spoken_min_part_beats: float = 0.3
    #: Median filter length (frames) applied to the semitone track before step detection.
    median_filter_frames: int = 5
    #: Central fraction of a syllable used for its f0 (score centres, not edges).
    centre_fraction: float = 0.6


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


def mono(samples: npt.ArrayLike) -> FloatArray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] <= 8 else x.mean(axis=0)
    return np.nan_to_num(x.ravel(), nan=0.0, posinf=0.0, neginf=0.0)


def frame_energy_db(
    samples: npt.ArrayLike, *, sample_rate_hz: float, times_s: FloatArray, window_s: float
) -> FloatArray:
    """RMS level (dBFS) of a ``window_s`` window centred on each of ``times_s``."""
    x = mono(samples)
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
    # the floor is the level of the aperiodic frames when there are enough of them (a legato recording
    # that is nearly all voice would otherwise put its floor among its own quieter syllables)
    aperiodic = e_db[np.nan_to_num(track.confidence, nan=0.0) < 0.5]
    pool = aperiodic if aperiodic.size >= max(10, 0.05 * e_db.size) else e_db
    floor = float(np.percentile(pool, settings.noise_floor_percentile))
    peak = float(np.percentile(e_db, 95.0))
    height = min(settings.activity_on_db, settings.activity_range_fraction * max(peak - floor, 0.0))
    on = floor + max(height, 1.0)
    off = floor + max(height * settings.activity_off_fraction, 0.5)
    active = _hysteresis(e_db, on, off)
    voiced = active & track.voiced
    return FrameActivity(e_db, floor, peak, active, voiced)


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


def semitones(f0: FloatArray, filt: int) -> FloatArray:
    """Semitones re 100 Hz with NaN gaps filled by interpolation, then median filtered."""
    st = 12.0 * np.log2(np.where(np.isnan(f0), np.nan, np.maximum(f0, 1e-3)) / 100.0)
    good = ~np.isnan(st)
    if not good.any():
        return np.zeros_like(st)
    idx = np.arange(st.size)
    st = np.interp(idx, idx[good], st[good])
    return median_filter(st, size=max(1, filt), mode="nearest") if filt > 1 else st


def pick_splits(score: FloatArray, threshold: float, lo: int, hi: int, min_len: int) -> list[int]:
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


def pitch_step_score(
    st: FloatArray, w: int, gaps: tuple[int, ...] = (0,), plateau_st: float = 1.0
) -> FloatArray:
    """Pitch step at each frame: |median of ``w`` frames after - median of ``w`` frames before|.

    With ``gaps`` the two windows may also stand ``g`` frames away on each side (a legato glide between
    two notes lasts up to ``2 g`` frames); such a wide step counts only when both windows are plateaus
    (pitch range within ``plateau_st``), so a fall at the end of a note or speech's gliding pitch is no step.
    The largest score over the gaps is kept.
    """
    n = st.size
    score = np.zeros(n)
    if n < 2 * w + 1:
        return score
    win = np.lib.stride_tricks.sliding_window_view(st, w)
    med = np.median(win, axis=1)  # med[k] = median(st[k:k+w])
    rng = win.max(axis=1) - win.min(axis=1)
    mean = np.convolve(st, np.ones(w) / w, mode="valid")  # mean[k] = mean(st[k:k+w])
    for g in gaps:
        idx = np.arange(w + g, n - w - g + 1)
        if idx.size == 0:
            continue
        left, right = idx - g - w, idx + g
        # medians make the score robust; the mean difference (tiny weight) breaks ties at the step's centre
        sc = np.abs(med[right] - med[left]) + 1e-3 * np.abs(mean[right] - mean[left])
        if g > 0:
            sc = np.where((rng[left] <= plateau_st) & (rng[right] <= plateau_st), sc, 0.0)
        score[idx] = np.maximum(score[idx], sc)
    return score


def spectral_change_db(
    x: FloatArray, sample_rate_hz: float, times_s: FloatArray, *, window_s: float, bands: int = 24
) -> FloatArray:
    """Distance (dB, RMS over cepstral coefficients 1-8 of mel-spaced band levels) between the mean
    spectral shape of the ``window_s`` before and after each of ``times_s``: high where one vowel turns
    into another (a syllable boundary without a dip or a pitch step); level and pitch do not enter."""
    n_fft = 1 << max(6, int(np.ceil(np.log2(0.032 * sample_rate_hz))))
    centres = np.round(np.asarray(times_s) * sample_rate_hz).astype(np.int64)
    if x.size == 0 or centres.size == 0:
        return np.zeros(centres.size)
    idx = np.clip(centres[:, None] + np.arange(-n_fft // 2, n_fft // 2)[None, :], 0, x.size - 1)
    power = np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft)[None, :], axis=1)) ** 2
    mel = 2595.0 * np.log10(1.0 + np.fft.rfftfreq(n_fft, 1.0 / sample_rate_hz) / 700.0)
    top = 2595.0 * np.log10(1.0 + min(4000.0, 0.45 * sample_rate_hz) / 700.0)
    edges = np.linspace(2595.0 * np.log10(1.0 + 100.0 / 700.0), top, bands + 2)
    band_db = np.stack(
        [10.0 * np.log10(power[:, (mel >= lo) & (mel < hi)].sum(axis=1) + 1e-12)
         for lo, hi in zip(edges[:-2], edges[2:], strict=True)], axis=1,
    )  # fmt: skip  # overlapping bands, two wide
    k = np.arange(1, 9)[:, None]
    basis = np.sqrt(2.0 / bands) * np.cos(np.pi * k * (2 * np.arange(bands)[None, :] + 1) / (2 * bands))
    cep = band_db @ basis.T  # DCT-II (orthonormal) coefficients 1-8
    n = cep.shape[0]
    hop = float(times_s[1] - times_s[0]) if n > 1 else window_s
    w = max(1, round(window_s / hop))
    out = np.zeros(n)
    if n < 2 * w + 1:
        return out
    csum = np.concatenate((np.zeros((1, cep.shape[1])), np.cumsum(cep, axis=0)))
    i = np.arange(w, n - w + 1)
    before = (csum[i] - csum[i - w]) / w
    after = (csum[i + w] - csum[i]) / w
    out[i] = np.sqrt(np.mean((after - before) ** 2, axis=1))
    return out


def is_plateau(st: FloatArray, plateau_st: float, min_frames: int) -> bool:
    """True when some ``min_frames`` consecutive values of ``st`` stay within ``plateau_st`` (a held note)."""
    if st.size < min_frames or min_frames < 1:
        return False
    win = np.lib.stride_tricks.sliding_window_view(st, min_frames)
    return bool(np.any(win.max(axis=1) - win.min(axis=1) <= plateau_st))


def dip_score(e_db: FloatArray, span: int) -> FloatArray:
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
class Envelope:
    """Fine-grained level envelopes (plain and pre-emphasised) and the tracker confidence on their grid."""

    times_s: FloatArray
    level_db: FloatArray
    emphasis_db: FloatArray
    confidence: FloatArray


def envelope(track: PitchTrack, x: FloatArray, sample_rate_hz: float, s: SegmentationSettings) -> Envelope:
    t = np.arange(0.0, x.size / sample_rate_hz, s.dip_hop_s)
    emph = np.concatenate((x[:1], x[1:] - 0.95 * x[:-1])) if x.size else x
    lvl = frame_energy_db(x, sample_rate_hz=sample_rate_hz, times_s=t, window_s=s.dip_window_s)
    emp = frame_energy_db(emph, sample_rate_hz=sample_rate_hz, times_s=t, window_s=s.dip_window_s)
    k = np.clip(np.searchsorted(track.times_s, t), 0, max(len(track) - 1, 0))
    conf = np.nan_to_num(track.confidence[k], nan=0.0) if len(track) else np.zeros(t.size)
    return Envelope(t, uniform_filter1d(lvl, 3), uniform_filter1d(emp, 3), conf)


def dip_splits(
    t0: float, t1: float, env: Envelope, s: SegmentationSettings, dip_db: float, reject_periodic: bool
) -> list[float]:
    """Times (s) where a syllable starts at a level dip between ``t0`` and ``t1``."""
    fa, fb = np.searchsorted(env.times_s, [t0, t1])
    if fb - fa < 5:
        return []
    h = s.dip_hop_s
    span = max(2, round(s.dip_peak_span_s / h))
    min_len = max(1, round(s.min_syllable_s / h))
    lvl, emp = env.level_db[fa:fb], env.emphasis_db[fa:fb]
    d_lvl, d_emp = dip_score(lvl, span), dip_score(emp, span)
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
    for i in pick_splits(dscore, dip_db, 0, fb - fa, min_len):
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
