"""State of one item of a session: its definition, its event log, and what the log implies.

An :class:`ItemState` is defined by the item (phrase, kind, level definition) and the append-only log of
events applied to it; every other field (step, try, backup role, step results, attempts) is derived from
that log by the rules in :mod:`mit_trainer.core.engine_rules`, so a state rebuilt from JSON is exactly the
state that was saved. This module holds the frozen records and their JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mit_trainer.core.engine_events import (
    BackupRole,
    Effect,
    EndReason,
    Event,
    ItemKind,
    Outcome,
    Phase,
    StepStatus,
)
from mit_trainer.core.protocol import LevelDef, StepDef


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt of one item; ``outcome`` is final (None while awaiting the therapist, or superseded)."""

    no: int
    step_id: str
    try_no: int
    backup_role: BackupRole
    auto_outcome: Outcome | None
    therapist_outcome: Outcome | None
    outcome: Outcome | None
    points: int
    superseded: bool = False
    override_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "no": self.no,
            "step_id": self.step_id,
            "try_no": self.try_no,
            "backup_role": self.backup_role.value,
            "auto_outcome": _opt(self.auto_outcome),
            "therapist_outcome": _opt(self.therapist_outcome),
            "outcome": _opt(self.outcome),
            "points": self.points,
            "superseded": self.superseded,
            "override_reason": self.override_reason,
        }


@dataclass(frozen=True)
class StepResult:
    """Points of one step of one item; ``possible`` is 0 for unscored and skipped steps."""

    step_id: str
    status: StepStatus
    points: int
    possible: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "step_id": self.step_id,
            "status": self.status.value,
            "points": self.points,
            "possible": self.possible,
        }


@dataclass(frozen=True)
class LogEntry:
    """An event as applied to an item, with the context (phase|step|try|role) it was applied in."""

    context: str
    event: Event
    attempt_no: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"context": self.context, "event": self.event.to_dict(), "attempt_no": self.attempt_no}


@dataclass(frozen=True)
class OverrideRecord:
    attempt_no: int
    outcome: Outcome
    reason: str
    therapist: str | None
    old_outcome: Outcome | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempt_no": self.attempt_no,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "therapist": self.therapist,
            "old_outcome": _opt(self.old_outcome),
        }


def _opt(o: Outcome | None) -> str | None:
    return None if o is None else o.value


@dataclass(frozen=True)
class ItemState:
    """One item of a session. Build with :func:`start_item`; change only through ``advance_item``."""

    index: int
    phrase_id: str
    kind: ItemKind
    level: LevelDef
    confirm_auto: bool
    closed: bool
    log: tuple[LogEntry, ...]
    overrides: tuple[OverrideRecord, ...]
    phase: Phase
    seq_pos: int
    step_id: str
    try_no: int
    backup_role: BackupRole
    failed_step: str | None
    results: tuple[StepResult, ...]
    attempts: tuple[AttemptRecord, ...]
    pending_attempt: int | None
    end_reason: EndReason | None

    @property
    def sequence(self) -> tuple[StepDef, ...]:
        return item_sequence(self.level, self.kind)

    @property
    def step(self) -> StepDef:
        return self.level.step(self.step_id)

    @property
    def ended(self) -> bool:
        return self.phase is Phase.ENDED

    @property
    def context(self) -> str:
        return context_key(self.phase, self.step_id, self.try_no, self.backup_role)

    @property
    def points(self) -> int:
        return sum(r.points for r in self.results)

    @property
    def possible(self) -> int:
        """Points possible: every scored step of the item except skipped ones (once the item has ended)."""
        return sum(r.possible for r in self.results)

    @property
    def max_points(self) -> int:
        return sum(s.max_points for s in self.sequence)

    @property
    def practice_passed(self) -> bool | None:
        """For selection history: True completed, False failed, None neither (ended early, or a probe)."""
        if self.kind is ItemKind.UNTRAINED or self.end_reason is None:
            return None
        if self.end_reason is EndReason.COMPLETED:
            return True
        return False if self.end_reason is EndReason.FAILED else None

    def attempt(self, attempt_no: int) -> AttemptRecord:
        for a in self.attempts:
            if a.no == attempt_no:
                return a
        raise KeyError(attempt_no)

    @property
    def next_attempt_no(self) -> int:
        return max((e.attempt_no or 0 for e in self.log), default=0) + 1

    def to_dict(self, *, include_level: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "phrase_id": self.phrase_id,
            "kind": self.kind.value,
            "confirm_auto": self.confirm_auto,
            "closed": self.closed,
            "phase": self.phase.value,
            "step_id": self.step_id,
            "step_no": self.level.step_number(self.step_id),
            "try_no": self.try_no,
            "backup_role": self.backup_role.value,
            "failed_step": self.failed_step,
            "end_reason": None if self.end_reason is None else self.end_reason.value,
            "points": self.points,
            "possible": self.possible,
            "results": [r.to_dict() for r in self.results],
            "attempts": [a.to_dict() for a in self.attempts],
            "log": [e.to_dict() for e in self.log],
            "overrides": [o.to_dict() for o in self.overrides],
        }
        if include_level:
            out["level"] = self.level.to_dict()
        return out


@dataclass(frozen=True)
class ItemTransition:
    new_state: ItemState
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class ItemSpec:
    """What defines an item before anything happens to it."""

    index: int
    phrase_id: str
    kind: ItemKind
    level: LevelDef
    confirm_auto: bool


def item_sequence(level: LevelDef, kind: ItemKind) -> tuple[StepDef, ...]:
    return level.sequence if kind is ItemKind.TRAINED else level.probe_sequence


def context_key(phase: Phase, step_id: str, try_no: int, role: BackupRole) -> str:
    return f"{phase.value}|{step_id}|{try_no}|{role.value}"
