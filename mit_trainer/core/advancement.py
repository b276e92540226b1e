"""Advancement proposals from session percentages at one level (PROTOCOL.md §2, "Advancement").

The rule lives in the protocol file (:class:`~mit_trainer.core.protocol.AdvancementRule`): propose the next
level after ``criterion_percent`` or more in ``consecutive_sessions`` consecutive sessions; otherwise "stay"
while the mean of the last ``stay_window`` sessions beats the mean of the ``stay_window`` before; otherwise
flag the patient for the therapist's review. The result is data: the therapist accepts or declines it with
an event; nothing here changes a level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mit_trainer.core.protocol import AdvancementRule


class ProposalKind(StrEnum):
    """What the rule proposes after a session."""

    ADVANCE = "advance"  # criterion met: propose the next level
    TOP_LEVEL_MET = "top_level_met"  # criterion met at the highest level: consider maintenance or ending
    STAY = "stay"  # improving: stay at this level
    CONTINUE = "continue"  # too few sessions to judge a trend: stay at this level
    REVIEW = "review"  # no improvement: the therapist should review the plan


@dataclass(frozen=True)
class Proposal:
    """An advancement proposal with the numbers that produced it."""

    kind: ProposalKind
    level: int
    to_level: int | None
    reason: str
    streak: int  # sessions in a row at or above the criterion, ending with the latest
    mean_recent_percent: float | None
    mean_before_percent: float | None
    n_sessions: int

    @property
    def requires_decision(self) -> bool:
        """True when the therapist must accept or decline (advance, top level met, review)."""
        return self.kind in (ProposalKind.ADVANCE, ProposalKind.TOP_LEVEL_MET, ProposalKind.REVIEW)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "level": self.level,
            "to_level": self.to_level,
            "reason": self.reason,
            "streak": self.streak,
            "mean_recent_percent": self.mean_recent_percent,
            "mean_before_percent": self.mean_before_percent,
            "n_sessions": self.n_sessions,
            "requires_decision": self.requires_decision,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Proposal:
        return cls(
            kind=ProposalKind(d["kind"]),
            level=int(d["level"]),
            to_level=d.get("to_level"),
            reason=d["reason"],
            streak=int(d["streak"]),
            mean_recent_percent=d.get("mean_recent_percent"),
            mean_before_percent=d.get("mean_before_percent"),
            n_sessions=int(d["n_sessions"]),
        )


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def evaluate_advancement(
    percentages: Sequence[float | None],
    *,
    level: int,
    max_level: int,
    rule: AdvancementRule,
) -> Proposal:
    """Apply the advancement rule to the session percentages at ``level``, oldest first.

    ``None`` marks a session without trained items; it is left out. The latest session is the last value.
    """
    scores = [float(p) for p in percentages if p is not None]
    streak = 0
    for p in reversed(scores):
        if p < rule.criterion_percent:
            break
        streak += 1
    w = rule.stay_window
    recent = _mean(scores[-w:]) if len(scores) >= w else None
    before = _mean(scores[-2 * w : -w]) if len(scores) >= 2 * w else None

    def make(kind: ProposalKind, to_level: int | None, reason: str) -> Proposal:
        return Proposal(kind, level, to_level, reason, streak, recent, before, len(scores))

    crit = f"{rule.criterion_percent:g}%"
    if streak >= rule.consecutive_sessions:
        if level < max_level:
            reason = f"{streak} consecutive sessions at or above {crit} (needs {rule.consecutive_sessions})"
            return make(ProposalKind.ADVANCE, level + 1, reason)
        reason = f"{streak} consecutive sessions at or above {crit} at the highest level"
        return make(ProposalKind.TOP_LEVEL_MET, None, reason)
    if recent is None or before is None:
        reason = (
            f"{len(scores)} session(s) at this level; the trend needs {2 * w}; "
            f"{streak} of {rule.consecutive_sessions} consecutive sessions at or above {crit}"
        )
        return make(ProposalKind.CONTINUE, None, reason)
    if recent > before:
        reason = f"mean of the last {w} sessions {recent:.1f}% beats the {w} before ({before:.1f}%)"
        return make(ProposalKind.STAY, None, reason)
    reason = f"mean of the last {w} sessions {recent:.1f}% does not beat the {w} before ({before:.1f}%)"
    return make(ProposalKind.REVIEW, None, reason)
