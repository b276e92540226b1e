"""Events, effects and enums of the MIT protocol engine, all frozen and JSON-serialisable.

Events are what happens (a model finished playing, an attempt was scored, a therapist decision); effects
are what the engine asks the rest of the trainer to do or record (present a step, open the response window,
log an attempt, show a proposal). Both serialise with ``to_dict`` (a ``kind`` plus the fields) and events
come back with :func:`event_from_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum, StrEnum
from typing import Any, ClassVar


class Outcome(StrEnum):
    """The result of one attempt."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    NO_RESPONSE = "no_response"


class ScoreSource(StrEnum):
    """Who scored an attempt: the acoustic analysis (advises) or the therapist (final)."""

    AUTO = "auto"
    THERAPIST = "therapist"


class ItemKind(StrEnum):
    """A trained item, or an untrained generalisation probe (scored, not trained, reported separately)."""

    TRAINED = "trained"
    UNTRAINED = "untrained"


class Phase(StrEnum):
    """Where an item is within its current step and try."""

    MODEL = "model"  # the model is being presented
    RESPONSE = "response"  # waiting for the patient's response and its score
    CONFIRM = "confirm"  # an automatic score waits for the therapist's score
    ENDED = "ended"


class BackupRole(StrEnum):
    """Backup context of the current step: none, the support step, or the retry of the failed step."""

    NONE = "none"
    SUPPORT = "support"
    RETRY = "retry"


class EndReason(StrEnum):
    """Why an item ended."""

    COMPLETED = "completed"
    FAILED = "failed"
    ENDED_BY_THERAPIST = "ended_by_therapist"
    SESSION_ENDED = "session_ended"
    CLOSED_AFTER_OVERRIDE = "closed_after_override"


class StepStatus(StrEnum):
    """The result of one step of one item."""

    PRESENTED = "presented"  # unscored (listen-only) step
    PASSED = "passed"
    PASSED_AFTER_BACKUP = "passed_after_backup"
    FAILED = "failed"
    SKIPPED = "skipped"  # skipped by the therapist: not counted in the points possible
    NOT_REACHED = "not_reached"  # the item ended before this step: 0 of its points


def _value(v: Any) -> Any:
    if isinstance(v, Enum):
        return v.value
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, tuple | list):
        return [_value(x) for x in v]
    return v


class _Serial:
    kind: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):  # type: ignore[arg-type]
            out[f.name] = _value(getattr(self, f.name))
        return out


# ----------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class AttemptRef(_Serial):
    """Names one attempt: the item's position in the session and the attempt's number within the item."""

    kind: ClassVar[str] = "attempt_ref"
    item_index: int
    attempt_no: int


@dataclass(frozen=True)
class ModelPlayed(_Serial):
    kind: ClassVar[str] = "model_played"


@dataclass(frozen=True)
class Continue(_Serial):
    """The therapist moves on from an unscored (listen-only) step."""

    kind: ClassVar[str] = "continue"


@dataclass(frozen=True)
class AttemptScored(_Serial):
    kind: ClassVar[str] = "attempt_scored"
    outcome: Outcome
    source: ScoreSource = ScoreSource.THERAPIST

    def __post_init__(self) -> None:  # accept plain strings ("correct", "auto") as well as the enums
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "source", ScoreSource(self.source))


@dataclass(frozen=True)
class Skip(_Serial):
    """Skip the current step (its points leave the points possible)."""

    kind: ClassVar[str] = "skip"


@dataclass(frozen=True)
class Repeat(_Serial):
    """Present the current step again without using a try."""

    kind: ClassVar[str] = "repeat"


@dataclass(frozen=True)
class EndItem(_Serial):
    kind: ClassVar[str] = "end_item"


@dataclass(frozen=True)
class EndSession(_Serial):
    kind: ClassVar[str] = "end_session"
    reason: str = ""


@dataclass(frozen=True)
class OverrideScore(_Serial):
    """The therapist corrects the outcome of an earlier attempt; the reason is required and kept."""

    kind: ClassVar[str] = "override_score"
    attempt_ref: AttemptRef
    outcome: Outcome
    reason: str
    therapist: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", Outcome(self.outcome))


@dataclass(frozen=True)
class AcceptProposal(_Serial):
    kind: ClassVar[str] = "accept_proposal"
    reason: str = ""


@dataclass(frozen=True)
class DeclineProposal(_Serial):
    kind: ClassVar[str] = "decline_proposal"
    reason: str = ""


Event = (
    ModelPlayed
    | Continue
    | AttemptScored
    | Skip
    | Repeat
    | EndItem
    | EndSession
    | OverrideScore
    | AcceptProposal
    | DeclineProposal
)

_EVENTS: dict[str, type[Any]] = {
    c.kind: c
    for c in (
        ModelPlayed,
        Continue,
        AttemptScored,
        Skip,
        Repeat,
        EndItem,
        EndSession,
        OverrideScore,
        AcceptProposal,
        DeclineProposal,
    )
}


def event_from_dict(d: dict[str, Any]) -> Event:
    """Rebuild an event from :meth:`to_dict` output."""
    cls = _EVENTS.get(d.get("kind", ""))
    if cls is None:
        raise ValueError(f"unknown event kind {d.get('kind')!r}")
    if cls is AttemptScored:
        return AttemptScored(Outcome(d["outcome"]), ScoreSource(d.get("source", "therapist")))
    if cls is OverrideScore:
        ref = d["attempt_ref"]
        return OverrideScore(
            AttemptRef(int(ref["item_index"]), int(ref["attempt_no"])),
            Outcome(d["outcome"]),
            d["reason"],
            d.get("therapist"),
        )
    kwargs = {k: v for k, v in d.items() if k != "kind"}
    return cls(**kwargs)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------------------------- effects


@dataclass(frozen=True)
class PresentStep(_Serial):
    """Present the model of a step (or, for cue ``none``, ask the question)."""

    kind: ClassVar[str] = "present_step"
    item_index: int
    phrase_id: str
    step_id: str
    step_no: int | None  # None for a backup-only step
    try_no: int
    backup_role: BackupRole
    cue: str
    taps: str
    fade: tuple[float, float] | None
    probe_question: bool
    repeat: bool


@dataclass(frozen=True)
class AwaitResponse(_Serial):
    """Open the response window: record, analyse with ``analysis_mode``, then send AttemptScored."""

    kind: ClassVar[str] = "await_response"
    item_index: int
    step_id: str
    try_no: int
    attempt_no: int  # the number the next attempt will get
    delay_s: float
    analysis_mode: str | None


@dataclass(frozen=True)
class AwaitConfirmation(_Serial):
    """An automatic score is only advice: ask the therapist for the final score."""

    kind: ClassVar[str] = "await_confirmation"
    item_index: int
    attempt_no: int
    proposed: Outcome


@dataclass(frozen=True)
class AttemptRecorded(_Serial):
    """An attempt got its final outcome (log it with the step, try and backup context)."""

    kind: ClassVar[str] = "attempt_recorded"
    item_index: int
    phrase_id: str
    attempt_no: int
    step_id: str
    step_no: int | None  # None for a backup-only step
    try_no: int
    backup_role: BackupRole
    outcome: Outcome
    auto_outcome: Outcome | None
    therapist_outcome: Outcome | None
    points: int
    cue: str
    taps: str
    fade: tuple[float, float] | None
    delay_s: float
    analysis_mode: str | None


@dataclass(frozen=True)
class StepScored(_Serial):
    kind: ClassVar[str] = "step_scored"
    item_index: int
    step_id: str
    status: StepStatus
    points: int
    possible: int


@dataclass(frozen=True)
class BackupStarted(_Serial):
    kind: ClassVar[str] = "backup_started"
    item_index: int
    failed_step: str
    backup_step: str


@dataclass(frozen=True)
class ItemStarted(_Serial):
    kind: ClassVar[str] = "item_started"
    item_index: int
    phrase_id: str
    item_kind: ItemKind


@dataclass(frozen=True)
class ItemEnded(_Serial):
    kind: ClassVar[str] = "item_ended"
    item_index: int
    phrase_id: str
    reason: EndReason
    points: int
    possible: int


@dataclass(frozen=True)
class ScoreOverridden(_Serial):
    kind: ClassVar[str] = "score_overridden"
    attempt_ref: AttemptRef
    old_outcome: Outcome | None
    new_outcome: Outcome
    reason: str
    therapist: str | None
    item_points_before: int
    item_points_after: int


@dataclass(frozen=True)
class SessionEnded(_Serial):
    kind: ClassVar[str] = "session_ended"
    points: int
    possible: int
    percent: float | None
    untrained_points: int
    untrained_possible: int
    reason: str


@dataclass(frozen=True)
class ProposalMade(_Serial):
    kind: ClassVar[str] = "proposal_made"
    proposal: Any  # advancement.Proposal


@dataclass(frozen=True)
class ProposalDecided(_Serial):
    kind: ClassVar[str] = "proposal_decided"
    accepted: bool
    proposal: Any  # advancement.Proposal
    reason: str


Effect = (
    PresentStep
    | AwaitResponse
    | AwaitConfirmation
    | AttemptRecorded
    | StepScored
    | BackupStarted
    | ItemStarted
    | ItemEnded
    | ScoreOverridden
    | SessionEnded
    | ProposalMade
    | ProposalDecided
)


class EngineError(ValueError):
    """An event that is not allowed in the current state (the state is left unchanged)."""
