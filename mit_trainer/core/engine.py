"""The MIT protocol engine: a pure state machine over session -> item -> step -> try.

``advance(state, event) -> Transition(new_state, effects)`` never mutates and never does I/O. A
:class:`SessionState` runs the planned items in order (each an
:class:`~mit_trainer.core.engine_item.ItemState`), keeps the totals (points earned / possible overall and
per step, trained and untrained apart), and when the last item ends computes the advancement proposal,
which the therapist accepts or declines with an event. ``panel()`` says where the session is and what
comes next, for the therapist's panel. Every state and event serialises to JSON (``to_dict``/``from_dict``)
so the store can log them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar, overload

from mit_trainer.core.advancement import Proposal, evaluate_advancement
from mit_trainer.core.engine_events import (
    AcceptProposal,
    DeclineProposal,
    Effect,
    EndSession,
    EngineError,
    Event,
    ItemKind,
    OverrideScore,
    ProposalDecided,
    ProposalMade,
    SessionEnded,
)
from mit_trainer.core.engine_item import ItemState
from mit_trainer.core.engine_rules import advance_item, close_item, item_state_from_dict, start_item
from mit_trainer.core.protocol import AdvancementRule, LevelDef, Protocol
from mit_trainer.core.selection import PlannedItem, PracticeRecord

S = TypeVar("S")


@dataclass(frozen=True)
class Transition(Generic[S]):
    """The result of one event: the new state and what the rest of the trainer should do or log."""

    new_state: S
    effects: tuple[Effect, ...]


class SessionPhase(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"


@dataclass(frozen=True)
class Decision:
    """The therapist's answer to an advancement proposal."""

    accepted: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "reason": self.reason}


@dataclass(frozen=True)
class StepTotal:
    step_id: str
    step_name: str
    points: int
    possible: int
    n_items: int  # items in which the step counted towards the points possible

    @property
    def percent(self) -> float | None:
        return 100.0 * self.points / self.possible if self.possible else None


@dataclass(frozen=True)
class SessionTotals:
    """Points earned / possible: trained items (the session score) and untrained probes, apart."""

    points: int
    possible: int
    untrained_points: int
    untrained_possible: int
    per_step: tuple[StepTotal, ...]
    items_done: int
    items_planned: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.points / self.possible if self.possible else None

    @property
    def untrained_percent(self) -> float | None:
        return 100.0 * self.untrained_points / self.untrained_possible if self.untrained_possible else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "possible": self.possible,
            "percent": self.percent,
            "untrained_points": self.untrained_points,
            "untrained_possible": self.untrained_possible,
            "untrained_percent": self.untrained_percent,
            "items_done": self.items_done,
            "items_planned": self.items_planned,
            "per_step": [
                {"step_id": s.step_id, "step_name": s.step_name, "points": s.points, "possible": s.possible,
                 "n_items": s.n_items, "percent": s.percent}
                for s in self.per_step
            ],
        }  # fmt: skip


@dataclass(frozen=True)
class PanelInfo:
    """What the therapist's panel shows: where we are, and what comes next."""

    level: int
    level_name: str
    item_no: int  # 1-based
    n_items: int
    phrase_id: str | None
    item_kind: str | None
    step_id: str | None
    step_name: str | None
    step_no: int | None
    n_steps: int | None
    try_no: int | None
    tries: int | None
    backup_role: str | None
    phase: str
    prompt: str | None
    next: str


@dataclass(frozen=True)
class SessionState:
    """A session at one level: the plan, the items so far, totals, and the advancement proposal."""

    protocol_id: str
    protocol_version: str
    level: LevelDef
    max_level: int
    rule: AdvancementRule
    confirm_auto: bool
    plan: tuple[PlannedItem, ...]
    items: tuple[ItemState, ...]
    phase: SessionPhase
    end_reason: str | None
    prior_percentages: tuple[float | None, ...]
    proposal: Proposal | None = None
    decision: Decision | None = None

    @property
    def current_item(self) -> ItemState | None:
        return self.items[-1] if self.phase is SessionPhase.RUNNING and self.items else None

    def totals(self) -> SessionTotals:
        per: dict[str, list[int]] = {s.id: [0, 0, 0] for s in self.level.sequence if s.scored}
        pts = pos = upts = upos = 0
        for item in self.items:
            if item.kind is ItemKind.UNTRAINED:
                upts, upos = upts + item.points, upos + item.possible
                continue
            pts, pos = pts + item.points, pos + item.possible
            for r in item.results:
                if r.step_id in per and r.possible:
                    acc = per[r.step_id]
                    acc[0], acc[1], acc[2] = acc[0] + r.points, acc[1] + r.possible, acc[2] + 1
        steps = tuple(StepTotal(sid, self.level.step(sid).name, a[0], a[1], a[2]) for sid, a in per.items())
        done = sum(1 for i in self.items if i.ended)
        return SessionTotals(pts, pos, upts, upos, steps, done, len(self.plan))

    def panel(self) -> PanelInfo:
        lv = self.level
        item = self.current_item
        if item is None:
            nxt = "session complete"
            if self.proposal is not None and self.proposal.requires_decision and self.decision is None:
                nxt = f"decide: {self.proposal.kind.value} ({self.proposal.reason})"
            return PanelInfo(lv.level, lv.name, len(self.items), len(self.plan), None, None, None, None, None,
                             None, None, None, None, "complete", None, nxt)  # fmt: skip
        st = item.step
        return PanelInfo(
            level=lv.level,
            level_name=lv.name,
            item_no=item.index + 1,
            n_items=len(self.plan),
            phrase_id=item.phrase_id,
            item_kind=item.kind.value,
            step_id=st.id,
            step_name=st.name,
            step_no=lv.step_number(st.id),
            n_steps=len(item.sequence),
            try_no=item.try_no,
            tries=1 if item.backup_role.value != "none" else st.tries,
            backup_role=item.backup_role.value,
            phase=item.phase.value,
            prompt=st.prompt,
            next=self._next_label(item),
        )

    def _next_label(self, item: ItemState) -> str:
        if item.backup_role.value == "support" and item.failed_step:
            failed = self.level.step(item.failed_step)
            return f"next: retry {failed.name}"
        pos = item.seq_pos + 1
        if pos < len(item.sequence):
            nxt = item.sequence[pos]
            return f"next: step {self.level.step_number(nxt.id)} {nxt.name}"
        if item.index + 1 < len(self.plan):
            p = self.plan[item.index + 1]
            return f"next: item {item.index + 2} of {len(self.plan)} ({p.phrase_id})"
        return "next: end of session"

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol_id": self.protocol_id,
            "protocol_version": self.protocol_version,
            "level": self.level.to_dict(),
            "max_level": self.max_level,
            "rule": self.rule.to_dict(),
            "confirm_auto": self.confirm_auto,
            "plan": [p.to_dict() for p in self.plan],
            "items": [i.to_dict(include_level=False) for i in self.items],
            "phase": self.phase.value,
            "end_reason": self.end_reason,
            "prior_percentages": list(self.prior_percentages),
            "proposal": None if self.proposal is None else self.proposal.to_dict(),
            "decision": None if self.decision is None else self.decision.to_dict(),
            "totals": self.totals().to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SessionState:
        level = LevelDef.from_dict(d["level"])
        dec = d.get("decision")
        prop = d.get("proposal")
        return cls(
            protocol_id=d["protocol_id"],
            protocol_version=str(d["protocol_version"]),
            level=level,
            max_level=int(d["max_level"]),
            rule=AdvancementRule.from_dict(d["rule"]),
            confirm_auto=bool(d["confirm_auto"]),
            plan=tuple(PlannedItem.from_dict(p) for p in d["plan"]),
            items=tuple(item_state_from_dict(i, level=level) for i in d["items"]),
            phase=SessionPhase(d["phase"]),
            end_reason=d.get("end_reason"),
            prior_percentages=tuple(d.get("prior_percentages", ())),
            proposal=None if prop is None else Proposal.from_dict(prop),
            decision=None if dec is None else Decision(bool(dec["accepted"]), dec.get("reason", "")),
        )


@dataclass(frozen=True)
class Replan:
    """The therapist changes the items still to come: which phrases, their order, how many.

    ``remaining`` replaces every planned item after the one running now (the items already started stay
    as they were). An empty list makes the current item the last one."""

    kind: ClassVar[str] = "replan"
    remaining: tuple[PlannedItem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "remaining": [p.to_dict() for p in self.remaining]}


def replan(state: SessionState, event: Replan) -> SessionState:
    """The plan with its upcoming items replaced. Raises :class:`EngineError` once the session is over."""
    if state.phase is not SessionPhase.RUNNING:
        raise EngineError("the plan of a finished session cannot change")
    started = len(state.items)
    return replace(state, plan=(*state.plan[:started], *event.remaining))


def start_session(
    protocol: Protocol,
    level: int,
    plan: Sequence[PlannedItem],
    *,
    prior_percentages: Sequence[float | None] = (),
    confirm_auto: bool | None = None,
) -> Transition[SessionState]:
    """A session at ``level`` running ``plan``; ``prior_percentages`` are earlier sessions at this level."""
    if not plan:
        raise EngineError("a session needs at least one planned item")
    lv = protocol.level(level)
    confirm = protocol.session.confirm_auto_scores if confirm_auto is None else confirm_auto
    first = start_item(0, plan[0].phrase_id, plan[0].kind, lv, confirm_auto=confirm)
    state = SessionState(
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        level=lv,
        max_level=protocol.max_level,
        rule=protocol.advancement,
        confirm_auto=confirm,
        plan=tuple(plan),
        items=(first.new_state,),
        phase=SessionPhase.RUNNING,
        end_reason=None,
        prior_percentages=tuple(prior_percentages),
    )
    return Transition(state, first.effects)


@overload
def advance(state: SessionState, event: Event) -> Transition[SessionState]: ...
@overload
def advance(state: ItemState, event: Event) -> Transition[ItemState]: ...
def advance(state: SessionState | ItemState, event: Event) -> Transition[Any]:
    """Apply one event. Raises :class:`EngineError` (state unchanged) when the event is not allowed."""
    if isinstance(state, ItemState):
        t = advance_item(state, event)
        return Transition(t.new_state, t.effects)
    return _advance_session(state, event)


def _replace_item(s: SessionState, item: ItemState) -> SessionState:
    items = list(s.items)
    items[item.index] = item
    return replace(s, items=tuple(items))


def _advance_session(s: SessionState, ev: Event) -> Transition[SessionState]:
    if isinstance(ev, AcceptProposal | DeclineProposal):
        return _decide(s, ev)
    if isinstance(ev, OverrideScore):
        return _override(s, ev)
    item = s.current_item
    if item is None:
        raise EngineError(f"{type(ev).__name__}: the session is complete")
    t = advance_item(item, ev)
    s2 = _replace_item(s, t.new_state)
    effects = list(t.effects)
    if isinstance(ev, EndSession):
        return _complete(s2, effects, ev.reason or "ended by therapist")
    if t.new_state.ended:
        return _next_item(s2, effects)
    return Transition(s2, tuple(effects))


def _next_item(s: SessionState, effects: list[Effect]) -> Transition[SessionState]:
    cur = s.items[-1]
    s = _replace_item(s, close_item(cur))
    if len(s.items) < len(s.plan):
        p = s.plan[len(s.items)]
        t = start_item(len(s.items), p.phrase_id, p.kind, s.level, confirm_auto=s.confirm_auto)
        return Transition(replace(s, items=(*s.items, t.new_state)), (*effects, *t.effects))
    return _complete(s, effects, "completed")


def _proposal(s: SessionState) -> Proposal:
    pct = s.totals().percent
    return evaluate_advancement(
        (*s.prior_percentages, pct), level=s.level.level, max_level=s.max_level, rule=s.rule
    )


def _complete(s: SessionState, effects: list[Effect], reason: str) -> Transition[SessionState]:
    items = tuple(close_item(i) for i in s.items)
    s = replace(s, items=items, phase=SessionPhase.COMPLETE, end_reason=reason)
    tot = s.totals()
    proposal = _proposal(s)
    s = replace(s, proposal=proposal)
    effects.append(
        SessionEnded(
            tot.points, tot.possible, tot.percent, tot.untrained_points, tot.untrained_possible, reason
        )
    )
    effects.append(ProposalMade(proposal))
    return Transition(s, tuple(effects))


def _decide(s: SessionState, ev: AcceptProposal | DeclineProposal) -> Transition[SessionState]:
    name = type(ev).__name__
    if s.phase is not SessionPhase.COMPLETE or s.proposal is None:
        raise EngineError(f"{name}: no proposal yet (the session is still running)")
    if not s.proposal.requires_decision:
        raise EngineError(f"{name}: the proposal ({s.proposal.kind.value}) needs no decision")
    if s.decision is not None:
        raise EngineError(
            f"{name}: the proposal was already {'accepted' if s.decision.accepted else 'declined'}"
        )
    accepted = isinstance(ev, AcceptProposal)
    s = replace(s, decision=Decision(accepted, ev.reason))
    return Transition(s, (ProposalDecided(accepted, s.proposal, ev.reason),))


def _override(s: SessionState, ev: OverrideScore) -> Transition[SessionState]:
    idx = ev.attempt_ref.item_index
    if not 0 <= idx < len(s.items):
        raise EngineError(f"no item {idx} in this session")
    was_current = s.current_item is not None and s.current_item.index == idx
    t = advance_item(s.items[idx], ev)
    s2 = _replace_item(s, t.new_state)
    effects = list(t.effects)
    if was_current and t.new_state.ended:
        return _next_item(s2, effects)
    if s2.phase is SessionPhase.COMPLETE and s2.decision is None:
        proposal = _proposal(s2)
        if proposal != s2.proposal:
            s2 = replace(s2, proposal=proposal)
            effects.append(ProposalMade(proposal))
    return Transition(s2, tuple(effects))


def session_practice_records(state: SessionState, time: datetime) -> list[PracticeRecord]:
    """The session's items (every item started) as practice history for the next selection."""
    return [PracticeRecord(i.phrase_id, time, i.practice_passed, i.kind) for i in state.items]
