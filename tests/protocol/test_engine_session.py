"""Session-level engine: item sequence, totals (trained and untrained apart), panel, proposals, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from mit_trainer.core.advancement import ProposalKind
from mit_trainer.core.engine import (
    SessionPhase,
    SessionState,
    Transition,
    advance,
    session_practice_records,
    start_session,
)
from mit_trainer.core.engine_events import (
    AcceptProposal,
    AttemptRef,
    AttemptScored,
    DeclineProposal,
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
    ProposalDecided,
    ProposalMade,
    SessionEnded,
    event_from_dict,
)
from mit_trainer.core.protocol_files import load_protocol
from mit_trainer.core.selection import PlannedItem

HE = load_protocol("HE1989")
C, X = AttemptScored(Outcome.CORRECT), AttemptScored(Outcome.INCORRECT)
M = ModelPlayed()


def _plan(n_trained: int, n_untrained: int = 0, n_syl: int = 2) -> list[PlannedItem]:
    pats = [("H", "L"), ("L", "H")] if n_syl == 2 else [("L", "H", "L", "H"), ("H", "L", "L", "H")]
    items = [PlannedItem(f"u{i}", ItemKind.UNTRAINED, n_syl, pats[i % 2]) for i in range(n_untrained)]
    items += [PlannedItem(f"t{i}", ItemKind.TRAINED, n_syl, pats[i % 2]) for i in range(n_trained)]
    return items


def _feed(t: Transition[SessionState], events: list[Event]) -> tuple[SessionState, list]:
    state, effects = t.new_state, list(t.effects)
    for ev in events:
        t = advance(state, ev)
        state = t.new_state
        effects.extend(t.effects)
    return state, effects


L1_ALL_CORRECT: list[Event] = [M, M, C, M, C, M, C, C]  # humming, unison, unison-fade, repetition, probe
L1_PROBE_FAILS: list[Event] = [M, M, C, M, C, M, C, X]  # 3 of 4
L1_UNTRAINED_OK: list[Event] = [M, C]  # immediate repetition only


def test_a_full_session_with_probes_and_totals() -> None:
    t = start_session(HE, 1, _plan(3, 2), confirm_auto=False)
    events = [*L1_UNTRAINED_OK, M, X, *L1_ALL_CORRECT, *L1_PROBE_FAILS, *L1_ALL_CORRECT]
    state, effects = _feed(t, events)
    assert state.phase is SessionPhase.COMPLETE and state.end_reason == "completed"
    tot = state.totals()
    assert (tot.points, tot.possible, tot.percent) == (11, 12, pytest.approx(100 * 11 / 12))
    assert (tot.untrained_points, tot.untrained_possible, tot.untrained_percent) == (1, 2, 50.0)
    per = {s.step_id: (s.points, s.possible, s.n_items) for s in tot.per_step}
    assert per == {
        "unison": (3, 3, 3),
        "unison-fade": (3, 3, 3),
        "immediate-repetition": (3, 3, 3),
        "probe-response": (2, 3, 3),
    }
    assert [type(e) for e in effects].count(ItemStarted) == 5
    ended = [e for e in effects if isinstance(e, ItemEnded)]
    assert [(e.phrase_id, e.points, e.possible) for e in ended] == [
        ("u0", 1, 1),
        ("u1", 0, 1),
        ("t0", 4, 4),
        ("t1", 3, 4),
        ("t2", 4, 4),
    ]
    se = [e for e in effects if isinstance(e, SessionEnded)]
    assert len(se) == 1 and (se[0].points, se[0].possible) == (11, 12)
    pm = [e for e in effects if isinstance(e, ProposalMade)]
    assert len(pm) == 1 and pm[0].proposal.kind is ProposalKind.CONTINUE
    assert all(i.closed for i in state.items)
    assert state.panel().next == "session complete"
    with pytest.raises(EngineError, match="session is complete"):
        advance(state, M)
    with pytest.raises(EngineError, match="needs no decision"):
        advance(state, AcceptProposal())


def test_panel_shows_level_step_try_and_next() -> None:
    t = start_session(HE, 2, _plan(2, n_syl=4), confirm_auto=False)
    s = t.new_state
    p = s.panel()
    assert (p.level, p.level_name, p.item_no, p.n_items, p.step_name, p.step_no, p.n_steps) == (
        2,
        "Intermediate",
        1,
        2,
        "Introduction",
        1,
        4,
    )
    assert p.next == "next: step 2 Unison with fading"
    s, _ = _feed(Transition(s, ()), [M, M, C, M, X])
    p = s.panel()
    assert (p.step_name, p.backup_role, p.try_no, p.next) == (
        "Unison with fading",
        "support",
        1,
        "next: retry Delayed repetition",
    )
    s, _ = _feed(Transition(s, ()), [M, C, M, C])
    p = s.panel()
    assert (p.step_name, p.phase, p.next) == (
        "Response to a probe question",
        "response",
        "next: item 2 of 2 (t1)",
    )
    s, _ = _feed(Transition(s, ()), [C, M, M, C, M, C])
    assert s.panel().next == "next: end of session"


def test_end_session_mid_item() -> None:
    t = start_session(HE, 1, _plan(4), confirm_auto=False)
    state, _ = _feed(t, [*L1_ALL_CORRECT, M, M, C, EndSession("patient tired")])
    assert state.phase is SessionPhase.COMPLETE and state.end_reason == "patient tired"
    assert len(state.items) == 2 and state.items[1].end_reason is EndReason.SESSION_ENDED
    tot = state.totals()
    # item 2 reached one scored step (unison, 1 point): its other steps were never presented
    assert (tot.points, tot.possible, tot.items_done, tot.items_planned) == (5, 5, 2, 4)


def test_ending_the_session_as_an_item_begins_counts_only_presented_steps() -> None:
    """Ending just after item 2 began must not give "4 of 8": nothing of item 2 was presented."""
    t = start_session(HE, 1, _plan(4), confirm_auto=False)
    state, _ = _feed(t, [*L1_ALL_CORRECT, EndSession("end of time")])
    tot = state.totals()
    assert (tot.points, tot.possible, tot.percent) == (4, 4, 100.0)
    assert state.items[1].possible == 0


def _session_with_percent(prior: list[float | None], fail_probe_items: int) -> SessionState:
    """A 5-item Level I session: each failed probe step costs 1 of 20 points (95% for one failure)."""
    t = start_session(HE, 1, _plan(5), prior_percentages=prior, confirm_auto=False)
    events: list[Event] = []
    for i in range(5):
        events += L1_PROBE_FAILS if i < fail_probe_items else L1_ALL_CORRECT
    state, _ = _feed(t, events)
    return state


def test_advancement_proposal_appears_exactly_when_the_rule_is_met() -> None:
    history: list[float | None] = []
    kinds = []
    for n_fail in [1, 1, 1, 1, 1]:  # five sessions at 95%
        s = _session_with_percent(history, n_fail)
        assert s.totals().percent == 95.0
        assert s.proposal is not None
        kinds.append(s.proposal.kind)
        history.append(s.totals().percent)
    assert kinds == [ProposalKind.CONTINUE] * 4 + [ProposalKind.ADVANCE]
    assert s.proposal is not None and s.proposal.to_level == 2
    # One 85% session in between resets the count.
    history = []
    kinds = []
    for n_fail in [1, 1, 3, 1, 1, 1, 1, 1]:  # 95, 95, 85, 95 x 5
        s = _session_with_percent(history, n_fail)
        assert s.proposal is not None
        kinds.append(s.proposal.kind)
        history.append(s.totals().percent)
    assert history[2] == 85.0
    assert [k is ProposalKind.ADVANCE for k in kinds] == [False] * 7 + [True]


def test_accept_and_decline_are_events() -> None:
    s = _session_with_percent([95.0] * 4, 1)
    assert s.proposal is not None and s.proposal.kind is ProposalKind.ADVANCE
    assert s.panel().next.startswith("decide: advance")
    t = advance(s, AcceptProposal("ready for longer phrases"))
    assert t.new_state.decision is not None and t.new_state.decision.accepted
    assert [type(e) for e in t.effects] == [ProposalDecided]
    with pytest.raises(EngineError, match="already accepted"):
        advance(t.new_state, DeclineProposal())
    d = advance(s, DeclineProposal("wants another week")).new_state
    assert d.decision is not None and not d.decision.accepted and d.decision.reason == "wants another week"
    running = start_session(HE, 1, _plan(1), confirm_auto=False).new_state
    with pytest.raises(EngineError, match="no proposal yet"):
        advance(running, AcceptProposal())


def test_override_of_a_past_item_updates_totals_and_proposal() -> None:
    s = _session_with_percent([95.0] * 4, 2)  # 90%: already meets the criterion
    assert s.totals().percent == 90.0 and s.proposal is not None
    # Attempt 4 of item 0 is the failed probe; mark it correct: 95%.
    t = advance(s, OverrideScore(AttemptRef(0, 4), Outcome.CORRECT, "answer was intelligible"))
    assert t.new_state.totals().percent == 95.0
    assert t.new_state.items[0].closed and t.new_state.items[0].points == 4
    # Now mark a first-step attempt of item 1 incorrect: the item fails early and stays closed.
    t2 = advance(t.new_state, OverrideScore(AttemptRef(1, 1), Outcome.INCORRECT, "not intelligible"))
    item1 = t2.new_state.items[1]
    assert item1.ended and item1.points == 0
    assert item1.end_reason is EndReason.CLOSED_AFTER_OVERRIDE
    assert t2.new_state.totals().points == 16  # 19 minus the 3 points item 1 had
    assert any(isinstance(e, ProposalMade) for e in t2.effects)


def test_override_ending_the_current_item_moves_the_session_on() -> None:
    t = start_session(HE, 2, _plan(2, n_syl=4), confirm_auto=False)
    s, _ = _feed(t, [M, M, C, M, X, M, C, M, C])  # delayed repetition passed after backup
    assert s.items[0].step_id == "probe-response"
    t2 = advance(s, OverrideScore(AttemptRef(0, 4), Outcome.INCORRECT, "retry was not intelligible"))
    assert len(t2.new_state.items) == 2 and t2.new_state.items[0].end_reason is EndReason.FAILED
    assert [type(e).__name__ for e in t2.effects][:3] == ["ScoreOverridden", "ItemEnded", "ItemStarted"]


def test_json_round_trip_at_every_event() -> None:
    t = start_session(HE, 2, _plan(2, 1, n_syl=4), confirm_auto=True)
    s = t.new_state
    auto_c = AttemptScored(Outcome.CORRECT, "auto")  # type: ignore[arg-type]
    # probe item u0; t0 fails unison-fade; t1: auto score confirmed, probe fails, backup, session ended.
    script: list[Event] = [M, C, M, M, X, M, M, auto_c, C, M, C, X, M, X, EndSession()]
    for ev in script:
        assert event_from_dict(json.loads(json.dumps(ev.to_dict()))) == ev
        s = advance(s, event_from_dict(ev.to_dict())).new_state
        d = json.loads(json.dumps(s.to_dict()))
        back = SessionState.from_dict(d)
        assert back == s
        assert back.to_dict() == s.to_dict()
    assert s.phase is SessionPhase.COMPLETE
    assert [i.end_reason for i in s.items] == [EndReason.COMPLETED, EndReason.FAILED, EndReason.SESSION_ENDED]
    assert s.items[2].attempt(1).auto_outcome is Outcome.CORRECT
    assert s.items[2].attempt(1).therapist_outcome is Outcome.CORRECT


def test_start_session_needs_a_plan() -> None:
    with pytest.raises(EngineError, match="at least one"):
        start_session(HE, 1, [])


def test_attempt_effects_carry_the_research_fields_and_history_records() -> None:
    t = start_session(HE, 2, _plan(2, n_syl=4), confirm_auto=False)
    events: list[Event] = [M, M, C, M, AttemptScored("incorrect"), M, C, M, C, C, M, M, X]  # type: ignore[arg-type]
    state, effects = _feed(t, events)
    recorded = [e for e in effects if type(e).__name__ == "AttemptRecorded"]
    first_delayed = next(e for e in recorded if e.step_id == "delayed-repetition")
    assert (first_delayed.cue, first_delayed.delay_s, first_delayed.analysis_mode, first_delayed.step_no) == (
        "intone",
        6.0,
        "sung",
        3,
    )
    support = next(e for e in recorded if e.backup_role.value == "support")
    assert (support.step_id, support.fade, support.points) == ("unison-fade", (0.5, 0.8), 0)
    when = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    history = session_practice_records(state, when)
    assert [(r.phrase_id, r.passed, r.time) for r in history] == [("t0", True, when), ("t1", False, when)]
