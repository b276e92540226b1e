"""Per-patient progress series computed from the store (runs on the database executor, no Qt).

One row per session, oldest first: points %, level, per-step success, median pitch error (cents),
mean rhythm score, median tap asynchrony (ms), fatigue before and after. Values are ``nan`` where a
session has nothing to measure (e.g. no taps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SessionPoint:
    session_id: int
    number: int
    level: int
    started: str  # ISO date
    points_pct: float
    step_success_pct: dict[str, float] = field(default_factory=dict)
    pitch_error_cents: float = math.nan
    rhythm_score: float = math.nan
    tap_asynchrony_ms: float = math.nan
    fatigue_before: float = math.nan
    fatigue_after: float = math.nan
    n_attempts: int = 0
    n_overrides: int = 0


def _nan(x: Any) -> float:
    return math.nan if x is None else float(x)


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else math.nan


def session_point(store: Any, record: Any) -> SessionPoint:
    attempts = store.attempts_for_session(record.id)
    step_points: dict[str, list[float]] = {}
    errors: list[float] = []
    rhythm: list[float] = []
    taps: list[float] = []
    earned = possible = 0
    for a in attempts:
        pts = a.final_points
        scored = a.points_awarded is not None or a.therapist_scores
        if scored:
            entry = step_points.setdefault(a.step_id, [0.0, 0.0])
            entry[0] += 1 if (pts or 0) > 0 else 0
            entry[1] += 1
        earned += pts or 0
        errors += [abs(s.error_cents) for s in a.syllables if s.error_cents is not None]
        if a.scores.rhythm is not None:
            rhythm.append(float(a.scores.rhythm))
        taps += [abs(t.asynchrony_ms) for t in a.taps if t.asynchrony_ms is not None]
    possible = record.points_possible or 0
    if record.points_earned is not None:
        earned = record.points_earned
    return SessionPoint(
        session_id=record.id,
        number=record.number,
        level=record.level,
        started=record.started_at.date().isoformat(),
        points_pct=100.0 * earned / possible if possible else math.nan,
        step_success_pct={k: 100.0 * v[0] / v[1] for k, v in step_points.items() if v[1]},
        pitch_error_cents=_median(errors),
        rhythm_score=float(np.mean(rhythm)) if rhythm else math.nan,
        tap_asynchrony_ms=_median(taps),
        fatigue_before=_nan(record.fatigue_before),
        fatigue_after=_nan(record.fatigue_after),
        n_attempts=len(attempts),
        n_overrides=sum(1 for a in attempts if a.therapist_scores and a.therapist_scores[-1].reason),
    )


def progress_series(store: Any, patient_id: int) -> list[SessionPoint]:
    return [session_point(store, rec) for rec in store.list_sessions(patient_id)]
