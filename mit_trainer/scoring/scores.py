"""The individual scores of an attempt, each with its raw measures.

Pure functions over the aligned syllables: contour (H/L relative to the attempt's own
pitch, interval size, note accuracy, steadiness), rhythm (inter-onset intervals vs
the target beats, tempo-free, or vs the model's own onsets in unison), completeness
and voicing (legato continuity). Each returns a score in [0, 1] (or None when it
cannot be judged) and a dict of raw measures that is kept with the result.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mit_trainer.scoring.settings import ModeWeights, ScoringSettings, ramp_down, ramp_up


@dataclass(frozen=True)
class Scores:
    """Scores in [0, 1]; None where the mode does not judge it (or it cannot be measured)."""

    contour: float | None
    rhythm: float | None
    completeness: float | None
    voicing: float | None
    overall: float | None

    def to_json(self) -> dict[str, float | None]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(float(v), 3)

        return {
            "contour": r(self.contour),
            "rhythm": r(self.rhythm),
            "completeness": r(self.completeness),
            "voicing": r(self.voicing),
            "overall": r(self.overall),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Scores:
        return cls(
            d.get("contour"), d.get("rhythm"), d.get("completeness"), d.get("voicing"), d.get("overall")
        )


def two_cluster_labels(st: np.ndarray, min_step_st: float) -> tuple[list[str], float]:
    """Label each pitch (semitones) H or L by the best split into two groups.

    Returns the labels and the distance between the group means; when that is below
    ``min_step_st`` the attempt is heard as one pitch and every syllable is L.
    """
    order = np.argsort(st)
    vals = st[order]
    best_gap, best_cut, best_score = 0.0, None, -1.0
    for cut in range(1, vals.size):
        lo, hi = vals[:cut], vals[cut:]
        score = cut * (vals.size - cut) * (hi.mean() - lo.mean()) ** 2  # between-group variance
        if score > best_score:
            best_score, best_cut, best_gap = score, cut, float(hi.mean() - lo.mean())
    labels = ["L"] * st.size
    if best_cut is not None and best_gap >= min_step_st:
        for k in order[best_cut:]:
            labels[int(k)] = "H"
    return labels, best_gap


def contour_score(
    pattern: Sequence[str],
    f0_hz: Sequence[float | None],
    spreads_st: Sequence[float | None],
    *,
    interval_st: float,
    strict: bool,
    min_step_st: float,
    s: ScoringSettings,
) -> tuple[float | None, list[str | None], list[float | None], dict[str, Any]]:
    """Contour score, produced labels, per-syllable cents errors and raw measures.

    ``f0_hz[i]`` is the produced median f0 of target syllable ``i`` (None if not
    produced or unvoiced). Strict (sung): agreement x interval credit x steadiness.
    Lenient (sprechgesang): agreement only.
    """
    n = len(pattern)
    idx = [i for i in range(n) if f0_hz[i] is not None]
    labels: list[str | None] = [None] * n
    cents: list[float | None] = [None] * n
    measures: dict[str, Any] = {}
    if len(idx) < 2:
        return None, labels, cents, measures
    f0 = [float(f) for f in f0_hz if f is not None]
    st = 12.0 * np.log2(np.array(f0, dtype=np.float64))
    produced, gap = two_cluster_labels(st, min_step_st)
    for k, i in enumerate(idx):
        labels[i] = produced[k]
    agreement = float(np.mean([labels[i] == pattern[i] for i in idx]))
    expected = np.array([interval_st if pattern[i] == "H" else 0.0 for i in idx])
    key_st = float(np.median(st - expected))
    err = st - key_st - expected
    for k, i in enumerate(idx):
        cents[i] = float(err[k] * 100.0)
    note_credit = float(
        np.mean([ramp_down(abs(e), s.note_full_credit_st, s.note_zero_credit_st) for e in err])
    )
    hi = [st[k] for k, i in enumerate(idx) if pattern[i] == "H"]
    lo = [st[k] for k, i in enumerate(idx) if pattern[i] == "L"]
    if hi and lo:
        produced_interval = float(np.median(hi) - np.median(lo))
        target_interval = interval_st
    else:  # a one-tone pattern: the attempt should stay on one pitch
        produced_interval, target_interval = gap, 0.0
    interval_error = produced_interval - target_interval
    interval_credit = ramp_down(abs(interval_error), s.interval_full_credit_st, s.interval_zero_credit_st)
    spread_vals = [float(v) for i in idx if (v := spreads_st[i]) is not None]
    spread = float(np.median(spread_vals)) if spread_vals else 0.0
    steadiness = ramp_down(spread, s.steadiness_full_credit_st, s.steadiness_zero_credit_st)
    low = [f0[k] for k, i in enumerate(idx) if labels[i] == "L"]
    measures.update(
        {
            "contour_agreement": round(agreement, 3),
            "interval_st": round(produced_interval, 2),
            "interval_error_st": round(interval_error, 2),
            "note_accuracy": round(note_credit, 3),
            "mean_abs_error_cents": round(float(np.mean(np.abs(err))) * 100.0, 1),
            "pitch_spread_st": round(spread, 2),
            "reference_hz": round(float(2.0 ** (key_st / 12.0)), 2),
            "low_note_hz": round(float(np.median(low)), 2) if low else None,
        }
    )
    score = agreement * interval_credit * steadiness if strict else agreement
    return score, labels, cents, measures


def rhythm_score(
    target_beats: Sequence[float],
    onsets_s: Sequence[float | None],
    *,
    model_onsets_s: Sequence[float] | None,
    s: ScoringSettings,
    tolerance_factor: float = 1.0,
) -> tuple[float | None, dict[str, Any]]:
    """Rhythm on proportions: the share of produced onsets that fall where the target's beats put them.

    Tempo-free (repetition): the beat length and start are the steady tempo that puts most onsets on their
    beats (each pair of onsets proposes one), so any steady tempo scores 1. Unison
    (``model_onsets_s``): the model's onsets are the expectation, shifted by the median asynchrony. Each
    onset earns credit by its displacement from the expectation as a fraction of the beat, on the ramp
    ``2**rhythm_full_credit_log2 - 1`` .. ``2**rhythm_zero_credit_log2 - 1`` (the duration ratios of the
    settings, times ``tolerance_factor``); the score is the mean credit, so one late onset costs one
    syllable's share, not the whole score.
    """
    starts = np.concatenate(([0.0], np.cumsum(np.asarray(target_beats, dtype=float))))[:-1]
    idx = [i for i, t in enumerate(onsets_s) if t is not None]
    measures: dict[str, Any] = {}
    if len(idx) < 2:
        return None, measures
    on = np.array([float(onsets_s[i]) for i in idx])  # type: ignore[arg-type]
    pos = starts[idx]
    if model_onsets_s is not None:
        model = np.array([float(model_onsets_s[i]) for i in idx])
        lag = float(np.median(on - model))
        expected = model + lag
        all_model = np.asarray(model_onsets_s, dtype=float)
        steps = np.diff(starts)
        beat = float(np.median(np.diff(all_model) / steps)) if steps.size else math.nan
        if not math.isfinite(beat) or beat <= 0:
            return None, measures
        measures["mean_asynchrony_s"] = round(float(np.mean(on - model)), 3)
    else:
        fit = _consensus_tempo(on, pos, _credit_ramp(s, tolerance_factor))
        if fit is None:
            return None, measures
        beat, offset = fit
        expected = offset + beat * pos
        measures["tempo_bpm"] = round(60.0 / beat, 1)
        if len(idx) < 3:
            measures["rhythm_note"] = "fewer than 3 syllables: rhythm not judged tempo-free"
            return None, measures
    dev = np.abs(on - expected) / beat
    full, zero = _credit_ramp(s, tolerance_factor)
    credit = [ramp_down(float(d), full, zero) for d in dev]
    measures["rhythm_deviation_beats"] = [round(float(d), 3) for d in dev]
    measures["rhythm_off_syllables"] = int(sum(c < 0.5 for c in credit))
    return float(np.mean(credit)), measures


def _credit_ramp(s: ScoringSettings, k: float) -> tuple[float, float]:
    """Onset displacement (fraction of a beat) for full and for no credit: the duration ratios of the
    settings' ramp (``2**log2 - 1``), times ``k``."""
    return k * (2.0**s.rhythm_full_credit_log2 - 1.0), k * (2.0**s.rhythm_zero_credit_log2 - 1.0)


def _consensus_tempo(
    on: np.ndarray, pos: np.ndarray, ramp: tuple[float, float]
) -> tuple[float, float] | None:
    """(beat s, time of beat 0) explaining most onsets: each pair of onsets proposes a steady tempo and
    the one whose onsets earn the most credit wins (ties: the smaller squared displacement)."""
    best: tuple[float, float, float, float] | None = None  # (-credit, sq, beat, offset)
    for a, b in itertools.combinations(range(on.size), 2):
        if pos[b] <= pos[a]:
            continue
        beat = float((on[b] - on[a]) / (pos[b] - pos[a]))
        if not 0.05 < beat < 10.0:
            continue
        offset = float(on[a] - beat * pos[a])
        dev = np.abs(on - offset - beat * pos) / beat
        credit = sum(ramp_down(float(d), *ramp) for d in dev)
        key = (-credit, float(np.sum(np.minimum(dev, 1.0) ** 2)), beat, offset)
        if best is None or key[:2] < best[:2]:
            best = key
    return None if best is None else (best[2], best[3])


def voicing_score(
    voiced: np.ndarray, times_s: np.ndarray, start_s: float, end_s: float, *, s: ScoringSettings
) -> tuple[float | None, dict[str, Any]]:
    """Legato continuity: voiced fraction of frames between the first onset and the last offset."""
    sel = (times_s >= start_s) & (times_s <= end_s)
    if not sel.any():
        return None, {}
    frac = float(voiced[sel].mean())
    return ramp_up(frac, s.voicing_zero_credit, s.voicing_full_credit), {"voiced_fraction": round(frac, 3)}


def overall_score(scores: dict[str, float | None], weights: ModeWeights) -> float | None:
    """Weighted mean of the judged scores (weights renormalised over those present)."""
    total, wsum = 0.0, 0.0
    for name in ("contour", "rhythm", "completeness", "voicing"):
        v, w = scores.get(name), float(getattr(weights, name))
        if v is not None and w > 0:
            total += w * v
            wsum += w
    return total / wsum if wsum > 0 else None
