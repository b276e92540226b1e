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
)
from mit_trainer.core.records import PitchTrack

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
    splits: set[int] = set()
    if use_pitch:
        st = semitones(np.where(act.voiced[a:b], track.f0_hz[a:b], np.nan), settings.median_filter_frames)
        w = max(2, round(settings.pitch_step_window_s / hop))
        score = pitch_step_score(st, w)
        min_note = max(min_len, round(settings.min_note_s / hop))
        splits.update(a + i for i in pick_splits(score, settings.pitch_step_st, 0, b - a, min_note))
    dip_db = settings.energy_dip_db if use_pitch else settings.spoken_energy_dip_db
    t0, t1 = float(track.times_s[a]), float(track.times_s[b - 1])
    for t in dip_splits(t0, t1, env, settings, dip_db, reject_periodic=use_pitch):
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
    env = envelope(track, mono(samples), sample_rate_hz, settings)
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
