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

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mit_trainer.analysis.segment_cues import (
    BoolArray,
    Envelope,
    FrameActivity,
    SegmentationSettings,
    dip_splits,
    envelope,
    fix_octaves,
    frame_activity,
    mono,
    pick_splits,
    pitch_step_score,
    semitones,
    spectral_change_db,
)
from mit_trainer.core.records import FloatArray, PitchTrack

__all__ = ["DetectedSyllable", "FrameActivity", "SegmentationSettings", "frame_activity", "segment_syllables"]


@dataclass(frozen=True)
class DetectedSyllable:
    """One produced syllable: its extent, median f0 of its centre, how voiced and how loud it is."""

    onset_s: float
    offset_s: float
    f0_hz: float | None
    voiced_fraction: float
    energy_db: float
    f0_spread_st: float | None = None  # inter-quartile range of the centre's pitch, semitones
    #: Where the voice (or the sound, for an unvoiced start) of the syllable begins after the consonant gap
    #: that ``onset_s`` starts: a gap between two syllables holds the coda of one and the onset of the next.
    voice_onset_s: float | None = None

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s


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


def _step_scores(
    a: int, b: int, track: PitchTrack, act: FrameActivity, settings: SegmentationSettings
) -> tuple[FloatArray, FloatArray, int]:
    """Semitone track of frames [a, b), its glide-tolerant pitch-step score, and the window (frames)."""
    hop = float(track.hop_s)
    st = semitones(np.where(act.voiced[a:b], track.f0_hz[a:b], np.nan), settings.median_filter_frames)
    w = max(2, round(settings.pitch_step_window_s / hop))
    half = settings.max_glide_s / 2 / hop
    gaps = tuple(sorted({0, round(half / 2), round(half)}))
    return st, pitch_step_score(st, w, gaps, settings.plateau_st), w


def _split_run(
    a: int,
    b: int,
    track: PitchTrack,
    act: FrameActivity,
    env: Envelope,
    settings: SegmentationSettings,
    use_pitch: bool,
) -> list[int]:
    hop = float(track.hop_s)
    min_len = max(1, round(settings.min_syllable_s / hop))
    min_note = max(min_len, round(settings.min_note_s / hop))
    splits: list[int] = []
    st = np.zeros(b - a)
    w = 2
    if use_pitch:
        st, score, w = _step_scores(a, b, track, act, settings)
        splits = [a + i for i in pick_splits(score, settings.pitch_step_st, 0, b - a, min_note)]
    dip_db = settings.energy_dip_db if use_pitch else settings.spoken_energy_dip_db
    t0, t1 = float(track.times_s[a]), float(track.times_s[b - 1])
    for t in dip_splits(t0, t1, env, settings, dip_db, reject_periodic=use_pitch):
        j = int(np.clip(np.searchsorted(track.times_s, t), a, b - 1))
        if j - a < min_len or b - j < min_len:
            continue
        near = [k for k in splits if abs(j - k) < min_note]
        if near:  # a consonant's dip beside a glide: the dip is where the syllable starts
            k = min(near, key=lambda k: abs(j - k))
            splits[splits.index(k)] = j
        elif all(abs(j - k) >= min_len for k in splits):
            splits.append(j)
    splits = sorted(set(splits))
    if use_pitch:
        splits = _merge_fragments(a, b, splits, st, w, hop, settings)
    return splits


def _merge_fragments(
    a: int, b: int, splits: list[int], st: FloatArray, w: int, hop: float, settings: SegmentationSettings
) -> list[int]:
    """Drop splits that cut off a part too short to be a sung syllable (a fall or a coda consonant at a
    note's end, a scoop into a note, a glide between two): it joins its neighbour of closer pitch."""
    max_len = round(settings.fragment_s / hop)
    bounds = [a, *splits, b]
    changed = True
    while changed and len(bounds) > 2:
        changed = False
        for k, (s, e) in enumerate(itertools.pairwise(bounds)):
            if e - s >= max_len:
                continue
            if k == 0:
                del bounds[1]
            elif k == len(bounds) - 2:
                del bounds[k]
            else:  # join the neighbour whose pitch is closer
                mid = float(np.median(st[s - a : e - a]))
                left = float(np.median(st[bounds[k - 1] - a : s - a]))
                right = float(np.median(st[e - a : bounds[k + 2] - a]))
                del bounds[k if abs(mid - left) <= abs(mid - right) else k + 1]
            changed = True
            break
    return bounds[1:-1]


def _weak_split(
    s: int,
    e: int,
    track: PitchTrack,
    act: FrameActivity,
    env: Envelope,
    settings: SegmentationSettings,
    use_pitch: bool,
    min_part: int,
    x: FloatArray,
    sample_rate_hz: float,
) -> tuple[float, int] | None:
    """The best weak cue inside [s, e) that leaves parts of ``min_part`` frames: (strength, frame).

    Cues: a pitch step (sung), a level dip, a change of vowel colour (spoken), each relative to its weak
    threshold; a
    duration prior (the part holds two syllables, so the boundary lies near its middle) weighs them."""
    if e - s < 2 * min_part:
        return None
    cands: list[tuple[float, int]] = []
    lo, hi = min_part, e - s - min_part + 1
    curves: list[tuple[FloatArray, float]] = []
    if use_pitch:
        curves.append((_step_scores(s, e, track, act, settings)[1], settings.weak_pitch_step_st))
    else:  # speech: a change of vowel colour (sung, it also fired inside one long held vowel: measured,
        # 4 of 12 Festival attempts that held one syllable over two passed)
        change = spectral_change_db(
            x, sample_rate_hz, track.times_s[s:e], window_s=settings.spectral_window_s
        )
        curves.append((change, settings.weak_spectral_change_db))
    for curve, thr in curves:
        inner = curve[lo:hi]
        for i in np.flatnonzero(inner >= thr):
            cands.append((float(inner[i]) / thr, s + lo + int(i)))
    t0, t1 = float(track.times_s[s]), float(track.times_s[e - 1])
    sub = dataclasses.replace(settings, min_syllable_s=min_part * float(track.hop_s))
    for t in dip_splits(t0, t1, env, sub, settings.weak_energy_dip_db, reject_periodic=use_pitch):
        j = int(np.clip(np.searchsorted(track.times_s, t), s, e - 1))
        if j - s >= min_part and e - j >= min_part:
            cands.append((1.5, j))
    if not cands:
        return None
    mid, sd = (s + e) / 2, 0.25 * (e - s)
    return max(cands, key=lambda c: c[0] * math.exp(-0.5 * ((c[1] - mid) / sd) ** 2))


def _split_long(
    parts: list[tuple[int, int, int]],
    beats: list[float],
    track: PitchTrack,
    act: FrameActivity,
    env: Envelope,
    settings: SegmentationSettings,
    use_pitch: bool,
    x: FloatArray,
    sample_rate_hz: float,
) -> list[tuple[int, int, int]]:
    """While fewer syllables than expected were found, split the syllable that is long enough to hold two
    (in the attempt's own beats) at its strongest weak cue."""
    hop = float(track.hop_s)
    span = parts[-1][2] - parts[0][0]
    unit = span / max(sum(beats), 1e-9) * min(beats)  # frames of the shortest target syllable
    if use_pitch:  # sung: notes keep their beats
        long_beats = settings.long_syllable_beats
        min_part = max(1, round(settings.min_part_beats * unit), round(settings.min_note_s / hop))
    else:  # speech keeps the count, not the chant's durations
        long_beats = settings.spoken_long_syllable_beats
        min_part = max(1, round(settings.spoken_min_part_beats * unit), round(settings.min_syllable_s / hop))
    while len(parts) < len(beats):
        best: tuple[float, int, int] | None = None
        for k, (_, s, e) in enumerate(parts):
            if e - s < long_beats * unit:
                continue
            cut = _weak_split(s, e, track, act, env, settings, use_pitch, min_part, x, sample_rate_hz)
            if cut is not None and (best is None or cut[0] > best[0]):
                best = (cut[0], k, cut[1])
        if best is None:
            break
        _, k, j = best
        onset, s, e = parts[k]
        parts[k : k + 1] = [(onset, s, j), (j, j, e)]
    return parts


def _join_short(
    parts: list[tuple[int, int, int]], beats: list[float], track: PitchTrack, settings: SegmentationSettings
) -> list[tuple[int, int, int]]:
    """While more syllables than expected were found, join two touching parts on the same pitch whose sum
    is no longer than one syllable may be (a level dip inside a diphthong or a held vowel)."""
    span = parts[-1][2] - parts[0][0]
    unit = span / max(sum(beats), 1e-9) * min(beats)
    st = 12.0 * np.log2(np.maximum(np.nan_to_num(track.f0_hz, nan=1.0), 1.0))
    voiced = ~np.isnan(track.f0_hz)

    def pitch(s: int, e: int) -> float:
        v = st[s:e][voiced[s:e]]
        return float(np.median(v)) if v.size else math.nan

    while len(parts) > len(beats):
        best: tuple[int, int] | None = None
        for k in range(len(parts) - 1):
            (on, s, e), (n_on, n_s, n_e) = parts[k], parts[k + 1]
            if n_on != e or n_e - on > settings.long_syllable_beats * unit:
                continue
            if not abs(pitch(s, e) - pitch(n_s, n_e)) < settings.pitch_step_st:
                continue
            if best is None or n_e - on < best[0]:
                best = (n_e - on, k)
        if best is None:
            break
        k = best[1]
        parts[k : k + 2] = [(parts[k][0], parts[k][1], parts[k + 1][2])]
    return parts


def _merge_weak(
    parts: list[tuple[int, int, int]], act: FrameActivity, settings: SegmentationSettings, max_gap: int
) -> list[tuple[int, int, int]]:
    """A piece much quieter and less than half as long as the syllable right after (or before) it is
    that syllable's soft attack (or its fading end), not a syllable of its own."""
    out = list(parts)
    k = 0
    while k < len(out) and len(out) > 1:
        on, s, e = out[k]
        level = float(np.mean(act.energy_db[s:e]))
        merged = False
        for j in (k + 1, k - 1):
            if not 0 <= j < len(out):
                continue
            o_on, o_s, o_e = out[j]
            gap = o_on - e if j > k else on - o_e
            loud = float(np.mean(act.energy_db[o_s:o_e]))
            if gap <= max_gap and e - on < 0.5 * (o_e - o_on) and level < loud - settings.weak_piece_db:
                lo = min(k, j)
                out[lo : lo + 2] = [(on, o_s, o_e)] if j > k else [(o_on, o_s, e)]
                merged = True
                k = max(0, lo - 1)
                break
        if not merged:
            k += 1
    return out


def _describe(
    a: int,
    b: int,
    onset_frame: int,
    track: PitchTrack,
    act: FrameActivity,
    settings: SegmentationSettings,
    voice_frame: int | None = None,
) -> DetectedSyllable:
    hop = track.hop_s
    times = track.times_s
    onset_s = max(0.0, float(times[onset_frame]) - hop / 2)
    if 0 < onset_frame < times.size and not act.active[onset_frame - 1]:
        # out of silence: the level window (centred on the frame) first caught the sound at its leading edge
        onset_s = max(0.0, float(times[onset_frame]) + settings.energy_window_s / 2 - hop)
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
        energy_db=float(10.0 * np.log10(np.mean(10.0 ** (act.energy_db[a:b] / 10.0)) + 1e-12)),
        f0_spread_st=spread,
        voice_onset_s=None if voice_frame is None else float(times[voice_frame]) - hop / 2,
    )


def segment_syllables(
    track: PitchTrack,
    samples: npt.ArrayLike,
    *,
    sample_rate_hz: float,
    settings: SegmentationSettings,
    mode: str = "sung",
    activity: FrameActivity | None = None,
    expected_beats: Sequence[float] | None = None,
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
    expected_beats : the target's beats per syllable; when fewer syllables are found, long ones are split
        at weaker cues (see ``long_syllable_beats`` in :class:`SegmentationSettings`).
    """
    if len(track) == 0:
        return []
    hop = float(track.hop_s)
    act = activity or frame_activity(track, samples, sample_rate_hz=sample_rate_hz, settings=settings)
    x = mono(samples)
    env = envelope(track, x, sample_rate_hz, settings)
    f0 = fix_octaves(np.where(act.voiced, track.f0_hz, np.nan))
    track = PitchTrack(track.times_s, f0, track.confidence, track.hop_s, track.tracker, track.version)
    use_pitch = mode != "spoken"
    nucleus = _bridge(act.voiced, max(1, round(settings.min_gap_s / hop)))
    min_len = max(1, round(settings.min_syllable_s / hop))
    max_cons = round(settings.max_consonant_s / hop)
    parts: list[tuple[int, int, int]] = []  # (onset frame, nucleus start, end)
    prev_end = -(10**9)
    pending: tuple[int, int] | None = None  # a voiced blip too short to be a syllable: maybe an onset
    voice_at: dict[int, int] = {}  # onset frame at a consonant gap -> frame where the sound resumes
    for a, b in _runs(nucleus):
        if b - a < min_len:
            if pending is not None and a - pending[1] <= max_cons:
                pending = (pending[0], b)
            elif a - prev_end > max_cons or pending is None:
                pending = (a, b)
            continue
        start = a
        if pending is not None and a - pending[1] <= max_cons and a - pending[1] <= pending[0] - prev_end:
            start = pending[0]  # the blip is the start of this syllable (a consonant, a soft attack)
        pending = None
        bounds = [a, *_split_run(a, b, track, act, env, settings, use_pitch), b]
        for k, (s, e) in enumerate(itertools.pairwise(bounds)):
            onset = s
            if k == 0 and start - prev_end <= max_cons:  # a consonant gap inside the phrase
                onset = prev_end
                voice_at[onset] = start
            elif k == 0:  # attach an unvoiced consonant that precedes the stretch
                onset, stop = start, max(0, start - max_cons)
                while onset > stop and act.active[onset - 1] and not act.voiced[onset - 1]:
                    onset -= 1
            parts.append((onset, s, e))
        prev_end = b
    parts = _merge_weak(parts, act, settings, max_cons)
    if expected_beats and parts:
        beats = [float(b) for b in expected_beats]
        parts = _split_long(parts, beats, track, act, env, settings, use_pitch, x, sample_rate_hz)
        if use_pitch:
            parts = _join_short(parts, beats, track, settings)
    return [_describe(s, e, onset, track, act, settings, voice_at.get(onset)) for onset, s, e in parts]
