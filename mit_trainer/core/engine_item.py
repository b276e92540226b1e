"""The item state machine: one phrase through the steps of a level, with tries, backup and points.

An :class:`ItemState` is defined by the item (phrase, kind, level definition) and the append-only log of
events applied to it; every other field is derived by replaying that log. Replaying is what makes score
overrides exact: the corrected outcome is applied at its place in the log and the events that no longer
fit the corrected path (same step, try, backup role and phase) are kept but marked superseded. Rules
(PROTOCOL.md §2): a correct attempt earns the step's ``first`` points (``after_backup`` on the retry after a
backup) and moves on; a failed attempt uses the next try while tries remain, then backs up to ``backup_to``
when there is one (trained items only) and retries the failed step once, or else scores 0 and ends the item.
Untrained probe items never back up and go on to their next probe step after a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mit_trainer.core.engine_events import (
    AttemptRecorded,
    AttemptRef,
    AttemptScored,
    AwaitConfirmation,
    AwaitResponse,
    BackupRole,
    BackupStarted,
    Continue,
    Effect,
    EndItem,
    EndReason,
    EndSession,
    EngineError,
    Event,
    ItemEnded,
    ItemKind,
    ItemStarted,
    ModelPlayed,
    Outcome,
    OverrideScore,
    Phase,
    PresentStep,
    Repeat,
    ScoreOverridden,
    ScoreSource,
    Skip,
    StepScored,
    StepStatus,
    event_from_dict,
)
from mit_trainer.core.protocol import Cue, LevelDef, StepDef


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
        return _sequence(self.level, self.kind)

    @property
    def step(self) -> StepDef:
        return self.level.step(self.step_id)

    @property
    def ended(self) -> bool:
        return self.phase is Phase.ENDED

    @property
    def context(self) -> str:
        return _context(self.phase, self.step_id, self.try_no, self.backup_role)

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

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, level: LevelDef | None = None) -> ItemState:
        """Rebuild from :meth:`to_dict`; derived fields are recomputed by replaying the log."""
        lv = level if level is not None else LevelDef.from_dict(d["level"])
        log = tuple(
            LogEntry(e["context"], event_from_dict(e["event"]), e.get("attempt_no")) for e in d.get("log", [])
        )
        overrides = tuple(
            OverrideRecord(
                int(o["attempt_no"]),
                Outcome(o["outcome"]),
                o["reason"],
                o.get("therapist"),
                None if o.get("old_outcome") is None else Outcome(o["old_outcome"]),
            )
            for o in d.get("overrides", [])
        )
        spec = _Spec(int(d["index"]), d["phrase_id"], ItemKind(d["kind"]), lv, bool(d["confirm_auto"]))
        return _replay(spec, log, overrides, bool(d.get("closed", False))).state(
            log, overrides, bool(d.get("closed"))
        )


@dataclass(frozen=True)
class ItemTransition:
    new_state: ItemState
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class _Spec:
    index: int
    phrase_id: str
    kind: ItemKind
    level: LevelDef
    confirm_auto: bool


def _sequence(level: LevelDef, kind: ItemKind) -> tuple[StepDef, ...]:
    return level.sequence if kind is ItemKind.TRAINED else level.probe_sequence


def _context(phase: Phase, step_id: str, try_no: int, role: BackupRole) -> str:
    return f"{phase.value}|{step_id}|{try_no}|{role.value}"


class _Run:
    """Mutable scratch state used while folding a log; never escapes this module."""

    def __init__(self, spec: _Spec, overrides: dict[int, Outcome]) -> None:
        self.spec = spec
        self.overrides = overrides
        self.seq = _sequence(spec.level, spec.kind)
        if not self.seq:
            raise EngineError(f"level {spec.level.level} has no steps for {spec.kind.value} items")
        self.effects: list[Effect] = []
        self.phase = Phase.MODEL
        self.seq_pos = 0
        self.step_id = self.seq[0].id
        self.try_no = 1
        self.role = BackupRole.NONE
        self.failed: str | None = None
        self.results: dict[str, StepResult] = {}
        self.attempts: dict[int, AttemptRecord] = {}
        self.pending: int | None = None
        self.end_reason: EndReason | None = None

    @classmethod
    def resume(cls, spec: _Spec, state: ItemState) -> _Run:
        """Continue from a state built by this module (the same as replaying its log, without the cost)."""
        run = cls(spec, {o.attempt_no: o.outcome for o in state.overrides})
        run.phase, run.seq_pos, run.step_id, run.try_no = (
            state.phase,
            state.seq_pos,
            state.step_id,
            state.try_no,
        )
        run.role, run.failed, run.pending, run.end_reason = (
            state.backup_role,
            state.failed_step,
            state.pending_attempt,
            state.end_reason,
        )
        run.results = {r.step_id: r for r in state.results}
        run.attempts = {a.no: a for a in state.attempts}
        return run

    # ------------------------------------------------------------------ helpers
    @property
    def step(self) -> StepDef:
        return self.spec.level.step(self.step_id)

    def context(self) -> str:
        return _context(self.phase, self.step_id, self.try_no, self.role)

    def state(
        self, log: tuple[LogEntry, ...], overrides: tuple[OverrideRecord, ...], closed: bool
    ) -> ItemState:
        order = [s.id for s in self.seq]
        results = sorted(self.results.values(), key=lambda r: order.index(r.step_id))
        return ItemState(
            index=self.spec.index,
            phrase_id=self.spec.phrase_id,
            kind=self.spec.kind,
            level=self.spec.level,
            confirm_auto=self.spec.confirm_auto,
            closed=closed,
            log=log,
            overrides=overrides,
            phase=self.phase,
            seq_pos=self.seq_pos,
            step_id=self.step_id,
            try_no=self.try_no,
            backup_role=self.role,
            failed_step=self.failed,
            results=tuple(results),
            attempts=tuple(self.attempts[k] for k in sorted(self.attempts)),
            pending_attempt=self.pending,
            end_reason=self.end_reason,
        )

    def check(self, event: Event) -> str | None:
        """Why ``event`` is not allowed now, or None when it is."""
        ph = self.phase
        name = type(event).__name__
        if ph is Phase.ENDED:
            return f"{name}: the item has ended"
        if isinstance(event, EndItem | EndSession):
            return None
        if ph is Phase.CONFIRM:
            if isinstance(event, AttemptScored) and event.source is ScoreSource.THERAPIST:
                return None
            return f"{name}: attempt {self.pending} awaits the therapist's score"
        if isinstance(event, Skip | Repeat):
            return None
        if isinstance(event, ModelPlayed | Continue):
            return None if ph is Phase.MODEL else f"{name}: waiting for a scored response"
        if isinstance(event, AttemptScored):
            return None if self.step.scored else f"{name}: step {self.step_id!r} is not scored"
        return f"{name} is not an item event"

    # ------------------------------------------------------------------ transitions
    def start(self) -> None:
        self.effects.append(ItemStarted(self.spec.index, self.spec.phrase_id, self.spec.kind))
        self.enter(self.seq[0].id, BackupRole.NONE, 1)

    def enter(self, step_id: str, role: BackupRole, try_no: int, repeat: bool = False) -> None:
        self.step_id, self.role, self.try_no = step_id, role, try_no
        self.phase = Phase.RESPONSE if self.step.cue is Cue.NONE else Phase.MODEL
        self.effects.extend(self.prompt_effects(repeat))

    def prompt_effects(self, repeat: bool = False, next_attempt: int | None = None) -> list[Effect]:
        st = self.step
        out: list[Effect] = []
        if self.phase is Phase.CONFIRM and self.pending is not None:
            proposed = self.attempts[self.pending].auto_outcome or Outcome.NO_RESPONSE
            return [AwaitConfirmation(self.spec.index, self.pending, proposed)]
        out.append(
            PresentStep(
                item_index=self.spec.index,
                phrase_id=self.spec.phrase_id,
                step_id=st.id,
                step_no=self.spec.level.step_number(st.id),
                try_no=self.try_no,
                backup_role=self.role,
                cue=st.cue.value,
                taps=st.taps.value,
                fade=None if st.fade is None else (st.fade.start, st.fade.end),
                probe_question=st.probe,
                repeat=repeat,
            )
        )
        if self.phase is Phase.RESPONSE:
            out.append(self.await_response(next_attempt))
        return out

    def await_response(self, next_attempt: int | None = None) -> AwaitResponse:
        st = self.step
        n = next_attempt if next_attempt is not None else max(self.attempts, default=0) + 1
        mode = None if st.analysis_mode is None else st.analysis_mode.value
        return AwaitResponse(self.spec.index, st.id, self.try_no, n, st.delay_s, mode)

    def apply(self, entry: LogEntry) -> None:
        ev = entry.event
        if isinstance(ev, EndItem):
            self.end(EndReason.ENDED_BY_THERAPIST)
        elif isinstance(ev, EndSession):
            self.end(EndReason.SESSION_ENDED)
        elif isinstance(ev, Repeat):
            self.enter(self.step_id, self.role, self.try_no, repeat=True)
        elif isinstance(ev, Skip):
            self.skip()
        elif isinstance(ev, ModelPlayed | Continue):
            if self.step.scored:
                self.phase = Phase.RESPONSE
                self.effects.append(self.await_response())
            elif self.role is BackupRole.SUPPORT:
                self.retry()
            else:
                self.record(StepStatus.PRESENTED, 0, 0)
                self.next_step()
        elif isinstance(ev, AttemptScored):
            self.scored(ev, entry.attempt_no)

    def scored(self, ev: AttemptScored, attempt_no: int | None) -> None:
        if self.phase is Phase.CONFIRM:
            assert self.pending is not None
            n = self.pending
            self.attempts[n] = replace(self.attempts[n], therapist_outcome=ev.outcome)
            self.pending = None
            self.finalize(n)
            return
        assert attempt_no is not None
        auto = ev.outcome if ev.source is ScoreSource.AUTO else None
        therapist = ev.outcome if ev.source is ScoreSource.THERAPIST else None
        self.attempts[attempt_no] = AttemptRecord(
            attempt_no, self.step_id, self.try_no, self.role, auto, therapist, None, 0
        )
        if ev.source is ScoreSource.AUTO and self.spec.confirm_auto:
            self.phase, self.pending = Phase.CONFIRM, attempt_no
            self.effects.append(AwaitConfirmation(self.spec.index, attempt_no, ev.outcome))
            return
        self.finalize(attempt_no)

    def finalize(self, n: int) -> None:
        rec = self.attempts[n]
        outcome = self.overrides.get(n) or rec.therapist_outcome or rec.auto_outcome
        assert outcome is not None
        st = self.step
        points = 0
        if self.role is not BackupRole.SUPPORT and outcome is Outcome.CORRECT and st.points is not None:
            after = st.points.after_backup if self.role is BackupRole.RETRY else None
            points = after if after is not None else st.points.first
        self.attempts[n] = replace(rec, outcome=outcome, points=points)
        a = self.attempts[n]
        self.effects.append(
            AttemptRecorded(
                item_index=self.spec.index,
                phrase_id=self.spec.phrase_id,
                attempt_no=n,
                step_id=a.step_id,
                step_no=self.spec.level.step_number(a.step_id),
                try_no=a.try_no,
                backup_role=a.backup_role,
                outcome=outcome,
                auto_outcome=a.auto_outcome,
                therapist_outcome=a.therapist_outcome,
                points=points,
                cue=st.cue.value,
                taps=st.taps.value,
                fade=None if st.fade is None else (st.fade.start, st.fade.end),
                delay_s=st.delay_s,
                analysis_mode=None if st.analysis_mode is None else st.analysis_mode.value,
            )
        )
        if self.role is BackupRole.SUPPORT:
            self.retry()
        elif outcome is Outcome.CORRECT:
            status = StepStatus.PASSED_AFTER_BACKUP if self.role is BackupRole.RETRY else StepStatus.PASSED
            self.record(status, points, st.max_points)
            self.next_step()
        elif self.role is BackupRole.RETRY:
            self.record(StepStatus.FAILED, 0, st.max_points)
            self.end(EndReason.FAILED)
        elif self.try_no < st.tries:
            self.enter(st.id, BackupRole.NONE, self.try_no + 1)
        elif st.backup_to and self.spec.kind is ItemKind.TRAINED:
            self.failed = st.id
            self.effects.append(BackupStarted(self.spec.index, st.id, st.backup_to))
            self.enter(st.backup_to, BackupRole.SUPPORT, 1)
        else:
            self.record(StepStatus.FAILED, 0, st.max_points)
            if self.spec.kind is ItemKind.UNTRAINED:
                self.next_step()
            else:
                self.end(EndReason.FAILED)

    def skip(self) -> None:
        if self.role is BackupRole.SUPPORT:
            self.retry()
            return
        self.record(StepStatus.SKIPPED, 0, 0)
        self.next_step()

    def retry(self) -> None:
        assert self.failed is not None
        self.enter(self.failed, BackupRole.RETRY, 1)

    def record(self, status: StepStatus, points: int, possible: int) -> None:
        res = StepResult(self.step_id, status, points, possible)
        self.results[self.step_id] = res
        if status is not StepStatus.PRESENTED:
            self.effects.append(StepScored(self.spec.index, self.step_id, status, points, possible))

    def next_step(self) -> None:
        self.role, self.failed = BackupRole.NONE, None
        self.seq_pos += 1
        if self.seq_pos >= len(self.seq):
            self.end(EndReason.COMPLETED)
        else:
            self.enter(self.seq[self.seq_pos].id, BackupRole.NONE, 1)

    def end(self, reason: EndReason) -> None:
        self.phase, self.end_reason, self.pending = Phase.ENDED, reason, None
        for s in self.seq:
            if s.id not in self.results:
                self.results[s.id] = StepResult(s.id, StepStatus.NOT_REACHED, 0, s.max_points)
        pts = sum(r.points for r in self.results.values())
        possible = sum(r.possible for r in self.results.values())
        self.effects.append(ItemEnded(self.spec.index, self.spec.phrase_id, reason, pts, possible))


def _parse_context(context: str) -> tuple[Phase, str, int, BackupRole]:
    phase, step_id, try_no, role = context.split("|")
    return Phase(phase), step_id, int(try_no), BackupRole(role)


def _replay(
    spec: _Spec, log: tuple[LogEntry, ...], overrides: tuple[OverrideRecord, ...], closed: bool
) -> _Run:
    run = _Run(spec, {o.attempt_no: o.outcome for o in overrides})
    run.start()
    for entry in log:
        if entry.context == run.context() and run.check(entry.event) is None:
            run.apply(entry)
            continue
        phase, step_id, try_no, role = _parse_context(entry.context)
        ev = entry.event
        creates = phase in (Phase.MODEL, Phase.RESPONSE) and isinstance(ev, AttemptScored)
        if creates and entry.attempt_no is not None and entry.attempt_no not in run.attempts:
            assert isinstance(ev, AttemptScored)
            auto = ev.outcome if ev.source is ScoreSource.AUTO else None
            ther = ev.outcome if ev.source is ScoreSource.THERAPIST else None
            run.attempts[entry.attempt_no] = AttemptRecord(
                entry.attempt_no, step_id, try_no, role, auto, ther, None, 0, superseded=True
            )
    if closed and run.phase is not Phase.ENDED:
        run.end(EndReason.CLOSED_AFTER_OVERRIDE)
    for o in overrides:  # keep the reason on the attempt record
        rec = run.attempts.get(o.attempt_no)
        if rec is not None and not rec.superseded:
            run.attempts[o.attempt_no] = replace(rec, override_reason=o.reason)
    return run


def start_item(
    index: int, phrase_id: str, kind: ItemKind, level: LevelDef, *, confirm_auto: bool
) -> ItemTransition:
    """A new item at its first step; the effects present that step."""
    run = _Run(_Spec(index, phrase_id, kind, level, confirm_auto), {})
    run.start()
    return ItemTransition(run.state((), (), False), tuple(run.effects))


def close_item(state: ItemState) -> ItemState:
    """Mark an item as left by the session (a later override cannot reopen it)."""
    return replace(state, closed=True)


def advance_item(state: ItemState, event: Event) -> ItemTransition:
    """Apply one event to an item. Raises :class:`EngineError` when the event is not allowed now."""
    spec = _Spec(state.index, state.phrase_id, state.kind, state.level, state.confirm_auto)
    if isinstance(event, OverrideScore):
        return _override(state, spec, event)
    run = _Run.resume(spec, state)
    problem = run.check(event)
    if problem:
        raise EngineError(problem)
    attempt_no: int | None = None
    if isinstance(event, AttemptScored):  # a new attempt, or the confirmation of the pending one
        attempt_no = run.pending if run.phase is Phase.CONFIRM else state.next_attempt_no
    entry = LogEntry(run.context(), event, attempt_no)
    run.effects.clear()
    run.apply(entry)
    log = (*state.log, entry)
    return ItemTransition(run.state(log, state.overrides, state.closed), tuple(run.effects))


def _override(state: ItemState, spec: _Spec, event: OverrideScore) -> ItemTransition:
    ref = event.attempt_ref
    if ref.item_index != state.index:
        raise EngineError(f"attempt {ref.item_index}:{ref.attempt_no} is not in item {state.index}")
    if not event.reason or not event.reason.strip():
        raise EngineError("a score override needs a reason")
    try:
        rec = state.attempt(ref.attempt_no)
    except KeyError:
        raise EngineError(f"item {state.index} has no attempt {ref.attempt_no}") from None
    if rec.superseded:
        raise EngineError(f"attempt {ref.attempt_no} was superseded by an earlier correction")
    if rec.outcome is None:
        raise EngineError(f"attempt {ref.attempt_no} has no final score yet (score it instead)")
    record = OverrideRecord(ref.attempt_no, event.outcome, event.reason.strip(), event.therapist, rec.outcome)
    overrides = (*state.overrides, record)
    run = _replay(spec, state.log, overrides, state.closed)
    new = run.state(state.log, overrides, state.closed)
    effects: list[Effect] = [
        ScoreOverridden(
            AttemptRef(state.index, ref.attempt_no),
            rec.outcome,
            event.outcome,
            record.reason,
            event.therapist,
            state.points,
            new.points,
        )
    ]
    if new.end_reason is not None and not state.ended:
        effects.append(ItemEnded(state.index, state.phrase_id, new.end_reason, new.points, new.possible))
    elif not new.ended and new.context != state.context:
        effects.extend(run.prompt_effects(next_attempt=new.next_attempt_no))
    return ItemTransition(new, tuple(effects))
