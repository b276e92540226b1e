"""Alignment of produced syllables to the target syllables of a phrase.

An edit-distance (Needleman-Wunsch) alignment over onset time expressed in beats,
plus a small relative-pitch term, so that missing syllables (gaps on the produced
side), extra syllables (gaps on the target side) and a different tempo are all
tolerated. The tempo and start time are not known in advance: several hypotheses
(a beat length and an offset, taken from anchor pairs at both ends, from the given
tempo, or from the model's own syllable times for unison steps) are aligned and the
cheapest alignment wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AlignmentSettings:
    """Costs of the alignment (in beats; pitch in semitones)."""

    #: Cost of leaving a target syllable unmatched or a produced syllable extra.
    gap_cost: float = 0.5
    #: Time differences are capped at this many beats in the match cost.
    max_time_cost: float = 2.0
    #: Weight of the relative-pitch mismatch (per semitone) in the match cost.
    pitch_weight: float = 0.05
    #: Plausible beat lengths (s) for tempo hypotheses.
    min_beat_s: float = 0.2
    max_beat_s: float = 3.0
    #: A produced syllable shorter than this many beats is less than a note: its salience (0-1) falls in
    #: proportion, so it costs less to leave out and more to match (a fragment never outvotes a note).
    full_note_beats: float = 0.5
    #: ... and so does one quieter than the attempt's main voice: full salience within the first value
    #: (dB below the reference level), none at the second.
    level_full_db: float = 6.0
    level_zero_db: float = 18.0
    #: Matching a produced syllable of salience ``w`` costs ``fragment_cost * (1 - w)`` more.
    fragment_cost: float = 1.0
    #: Without pitch (spoken mode) time differences weigh this much: speech keeps the syllables, not
    #: the chant's even beats.
    spoken_time_weight: float = 0.5


@dataclass(frozen=True)
class Alignment:
    """Which produced syllable (index) realises each target syllable, or None."""

    target_to_detected: tuple[int | None, ...]
    extra: tuple[int, ...]  # produced syllables matched to no target
    beat_s: float  # beat length of the winning hypothesis
    offset_s: float  # time of beat 0 in the winning hypothesis
    cost: float

    @property
    def n_matched(self) -> int:
        return sum(1 for j in self.target_to_detected if j is not None)


def _nw(
    expected_s: np.ndarray,
    onsets_s: np.ndarray,
    beat_s: float,
    pitch_cost: np.ndarray,
    settings: AlignmentSettings,
    durations_s: np.ndarray | None = None,
    level_w: np.ndarray | None = None,
    time_weight: float = 1.0,
) -> tuple[float, list[int | None]]:
    n, m = expected_s.size, onsets_s.size
    gap = settings.gap_cost
    time_cost = time_weight * np.minimum(
        np.abs(onsets_s[None, :] - expected_s[:, None]) / beat_s, settings.max_time_cost
    )
    w = np.ones(m)
    if durations_s is not None:
        w = np.minimum(w, durations_s / (settings.full_note_beats * beat_s))
    if level_w is not None:
        w = np.minimum(w, level_w)
    w = np.clip(w, 0.05, 1.0)
    match = time_cost + pitch_cost + settings.fragment_cost * (1.0 - w)[None, :]
    extra = gap * w
    d = np.zeros((n + 1, m + 1))
    d[:, 0] = np.arange(n + 1) * gap
    d[0, 1:] = np.cumsum(extra)
    back = np.zeros((n + 1, m + 1), dtype=np.int8)  # 0 diag, 1 up (target gap), 2 left (extra)
    back[1:, 0] = 1
    back[0, 1:] = 2
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            diag = d[i - 1, j - 1] + match[i - 1, j - 1]
            up = d[i - 1, j] + gap
            left = d[i, j - 1] + extra[j - 1]
            if diag <= up and diag <= left:
                d[i, j], back[i, j] = diag, 0
            elif up <= left:
                d[i, j], back[i, j] = up, 1
            else:
                d[i, j], back[i, j] = left, 2
    mapping: list[int | None] = [None] * n
    i, j = n, m
    while i > 0 or j > 0:
        step = back[i, j]
        if step == 0:
            mapping[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return float(d[n, m]), mapping


def _pitch_costs(
    target_pattern: Sequence[str], produced_f0_hz: Sequence[float | None], interval_st: float, weight: float
) -> np.ndarray:
    """|relative pitch produced - relative pitch expected| * weight, 0 where unknown."""
    n, m = len(target_pattern), len(produced_f0_hz)
    if weight <= 0 or m == 0:
        return np.zeros((n, m))
    f0 = np.array([np.nan if f is None else float(f) for f in produced_f0_hz])
    if np.all(np.isnan(f0)):
        return np.zeros((n, m))
    st = 12.0 * np.log2(f0 / np.nanmin(f0))
    exp = np.array([interval_st if t == "H" else 0.0 for t in target_pattern])
    cost = np.abs(st[None, :] - exp[:, None]) * weight
    return np.nan_to_num(cost, nan=0.0)


def align_syllables(
    target_beats: Sequence[float],
    target_pattern: Sequence[str],
    produced_onsets_s: Sequence[float],
    produced_f0_hz: Sequence[float | None] | None = None,
    *,
    tempo_bpm: float | None = None,
    model_onsets_s: Sequence[float] | None = None,
    interval_st: float = 3.0,
    use_pitch: bool = True,
    settings: AlignmentSettings | None = None,
    durations_s: Sequence[float] | None = None,
    levels_db: Sequence[float] | None = None,
) -> Alignment:
    """Align produced syllable onsets (s) to the target syllables (beats per syllable, H/L pattern).

    With ``model_onsets_s`` (unison steps) the model's own onsets are one hypothesis.
    The tempo and start are otherwise free: hypotheses come from anchoring
    the first/second and last/second-to-last syllables on both sides and, when
    ``tempo_bpm`` is given, from that tempo with each of the first produced onsets.
    ``durations_s`` and ``levels_db`` of the produced syllables give each a salience: a short or quiet
    one (a fall at a note's end, background speech) is cheap to leave out and dear to match.
    """
    s = settings or AlignmentSettings()
    n, m = len(target_beats), len(produced_onsets_s)
    if n == 0 or m == 0:
        return Alignment(tuple([None] * n), tuple(range(m)), math.nan, math.nan, s.gap_cost * (n + m))
    onsets = np.asarray(produced_onsets_s, dtype=float)
    starts_b = np.concatenate(([0.0], np.cumsum(np.asarray(target_beats, dtype=float))[:-1]))
    f0s = list(produced_f0_hz) if produced_f0_hz is not None else [None] * m
    pcost = _pitch_costs(target_pattern, f0s, interval_st, s.pitch_weight if use_pitch else 0.0)

    durs = None if durations_s is None else np.asarray(durations_s, dtype=float)
    level_w = None
    if levels_db is not None and m:
        lv = np.asarray(levels_db, dtype=float)
        ref = float(np.max(lv)) if durs is None else float(np.max(lv[durs >= np.median(durs)]))
        below = ref - lv
        level_w = np.clip((s.level_zero_db - below) / (s.level_zero_db - s.level_full_db), 0.0, 1.0)
    hyps: list[tuple[float, float, np.ndarray]] = []  # (beat_s, offset_s, expected onsets s)
    if model_onsets_s is not None and len(model_onsets_s) == n:
        exp = np.asarray(model_onsets_s, dtype=float)
        beat = float(np.median(np.diff(exp) / np.diff(starts_b))) if n > 1 else 1.0
        hyps.append((beat, float(exp[0]), exp))
    # free-tempo hypotheses (also for unison: a patient may drift from the model)
    for i in range(min(2, n)):
        for j in range(min(2, m)):
            for k in range(max(i + 1, n - 2), n):
                for ll in range(max(j + 1, m - 2), m):
                    beat = (onsets[ll] - onsets[j]) / (starts_b[k] - starts_b[i])
                    if s.min_beat_s <= beat <= s.max_beat_s:
                        off = onsets[j] - starts_b[i] * beat
                        hyps.append((beat, off, off + starts_b * beat))
    if tempo_bpm:
        beat = 60.0 / tempo_bpm
        for j in range(min(2, m)):
            for i in range(min(2, n)):
                off = onsets[j] - starts_b[i] * beat
                hyps.append((beat, off, off + starts_b * beat))
    if not hyps:  # a single produced syllable, or implausible spans: assume one beat per second
        for i in range(n):
            off = onsets[0] - starts_b[i]
            hyps.append((1.0, off, off + starts_b))
    best: tuple[float, list[int | None], float, float] | None = None
    given = 60.0 / tempo_bpm if tempo_bpm else None
    for beat, off, exp in hyps:
        tw = 1.0 if use_pitch else s.spoken_time_weight
        cost, mapping = _nw(exp, onsets, beat, pcost, s, durs, level_w, tw)
        if given is not None:  # a tie goes to the tempo the patient was asked for
            cost += 0.01 * abs(math.log2(beat / given))
        if best is None or cost < best[0] - 1e-9:
            best = (cost, mapping, beat, off)
    assert best is not None
    cost, mapping, beat, off = best
    used = {j for j in mapping if j is not None}
    extra = tuple(j for j in range(m) if j not in used)
    return Alignment(tuple(mapping), extra, float(beat), float(off), float(cost))
