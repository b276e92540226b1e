"""The item rules: one phrase through the steps of a level, with tries, backup and points.

Rules (PROTOCOL.md §2): a correct attempt earns the step's ``first`` points (``after_backup`` on the retry
after a backup) and moves on; a failed attempt uses the next try while tries remain, then backs up to
``backup_to`` when there is one (trained items only) and retries the failed step once, or else scores 0 and
ends the item. Untrained probe items never back up and go on to their next probe step after a failure.
Score overrides replay the item's log with the corrected outcome: events that no longer fit the corrected
path (same phase, step, try and backup role) are kept but marked superseded.
"""

from __future__ import annotations

from dataclasses import replace
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
from mit_trainer.core.engine_item import (
    AttemptRecord,
    ItemSpec,
    ItemState,
    ItemTransition,
    LogEntry,
    OverrideRecord,
    StepResult,
    context_key,
    item_sequence,
)
from mit_trainer.core.protocol import Cue, LevelDef, StepDef


class ItemRun:
    """Mutable scratch state used while folding a log; never escapes this module."""

    def __init__(self, spec: ItemSpec, overrides: dict[int, Outcome]) -> None:
        self.spec = spec
        self.overrides = overrides
        self.seq = item_sequence(spec.level, spec.kind)
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
    def resume(cls, spec: ItemSpec, state: ItemState) -> ItemRun:
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
        return context_key(self.phase, self.step_id, self.try_no, self.role)

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
        # Steps the item never reached cost their points when the item itself ended them (failed, or the
        # therapist ended it); when the session ended they were never presented and are not possible.
        unreached = 0 if reason is EndReason.SESSION_ENDED else None
        for s in self.seq:
            if s.id not in self.results:
                possible = s.max_points if unreached is None else unreached
                self.results[s.id] = StepResult(s.id, StepStatus.NOT_REACHED, 0, possible)
        pts = sum(r.points for r in self.results.values())
        possible = sum(r.possible for r in self.results.values())
        self.effects.append(ItemEnded(self.spec.index, self.spec.phrase_id, reason, pts, possible))


def _parsecontext_key(context: str) -> tuple[Phase, str, int, BackupRole]:
    phase, step_id, try_no, role = context.split("|")
    return Phase(phase), step_id, int(try_no), BackupRole(role)


def _replay(
    spec: ItemSpec, log: tuple[LogEntry, ...], overrides: tuple[OverrideRecord, ...], closed: bool
) -> ItemRun:
    run = ItemRun(spec, {o.attempt_no: o.outcome for o in overrides})
    run.start()
    for entry in log:
        if entry.context == run.context() and run.check(entry.event) is None:
            run.apply(entry)
            continue
        phase, step_id, try_no, role = _parsecontext_key(entry.context)
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
    run = ItemRun(ItemSpec(index, phrase_id, kind, level, confirm_auto), {})
    run.start()
    return ItemTransition(run.state((), (), False), tuple(run.effects))


def close_item(state: ItemState) -> ItemState:
    """Mark an item as left by the session (a later override cannot reopen it)."""
    return replace(state, closed=True)


def advance_item(state: ItemState, event: Event) -> ItemTransition:
    """Apply one event to an item. Raises :class:`EngineError` when the event is not allowed now."""
    spec = ItemSpec(state.index, state.phrase_id, state.kind, state.level, state.confirm_auto)
    if isinstance(event, OverrideScore):
        return _override(state, spec, event)
    run = ItemRun.resume(spec, state)
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


def _override(state: ItemState, spec: ItemSpec, event: OverrideScore) -> ItemTransition:
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


def replay_item(
    spec: ItemSpec, log: tuple[LogEntry, ...], overrides: tuple[OverrideRecord, ...], closed: bool
) -> ItemState:
    """The state implied by an item's log and overrides (used to rebuild a state from JSON)."""
    return _replay(spec, log, overrides, closed).state(log, overrides, closed)


def item_state_from_dict(d: dict[str, Any], *, level: LevelDef | None = None) -> ItemState:
    """Rebuild an item from :meth:`ItemState.to_dict`; derived fields are recomputed by replaying its log."""
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
    spec = ItemSpec(int(d["index"]), d["phrase_id"], ItemKind(d["kind"]), lv, bool(d["confirm_auto"]))
    return replay_item(spec, log, overrides, bool(d.get("closed", False)))
