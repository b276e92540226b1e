"""Table-driven tests of every transition of every step of every shipped protocol, plus HE1989 by hand.

The generated tables walk an item to each step of each level of each shipped protocol and check what the
definition implies: success first time, failure with backup then success, failure twice, tries exhausted,
listen-only steps, skip, repeat, end item, and overrides with and without a reason. The hand-written table
for HE1989 states the expected points as literal numbers (PROTOCOL.md §2).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from protocol_engine_helpers import item_at, new_item, pass_current, respond, run

from mit_trainer.core.engine import advance
from mit_trainer.core.engine_events import (
    AttemptRef,
    AttemptScored,
    AwaitConfirmation,
    AwaitResponse,
    BackupRole,
    BackupStarted,
    Continue,
    EndItem,
    EndReason,
    EngineError,
    ItemEnded,
    ItemKind,
    ModelPlayed,
    Outcome,
    OverrideScore,
    Phase,
    PresentStep,
    Repeat,
    ScoreOverridden,
    ScoreSource,
    Skip,
    StepStatus,
)
from mit_trainer.core.engine_item import ItemState
from mit_trainer.core.protocol import Cue, LevelDef, Protocol
from mit_trainer.core.protocol_files import load_protocol, shipped_protocols

PROTOCOLS: dict[str, Protocol] = {p.id: p for p in shipped_protocols()}
LEVEL_CASES = [
    pytest.param(pid, lv.level, id=f"{pid}-L{lv.level}") for pid, p in PROTOCOLS.items() for lv in p.levels
]


def _each_step(pid: str, level: int, case: Callable[..., None], scored: bool | None, *args: object) -> int:
    """Run ``case`` for every step of the level's sequence (only scored / unscored ones when asked)."""
    n = 0
    for step in PROTOCOLS[pid].level(level).sequence:
        if scored is not None and step.scored != scored:
            continue
        try:
            case(pid, level, step.id, *args)
        except (AssertionError, EngineError) as exc:
            raise AssertionError(f"{pid} level {level} step {step.id}: {exc}") from exc
        n += 1
    return n


def _level(pid: str, level: int) -> LevelDef:
    return PROTOCOLS[pid].level(level)


def _earned_before(lv: LevelDef, step_id: str) -> int:
    ids = [s.id for s in lv.sequence]
    return sum(s.max_points for s in lv.sequence[: ids.index(step_id)])


def _next_id(lv: LevelDef, step_id: str) -> str | None:
    ids = [s.id for s in lv.sequence]
    i = ids.index(step_id)
    return ids[i + 1] if i + 1 < len(ids) else None


def _result(state: ItemState, step_id: str) -> tuple[StepStatus, int, int]:
    r = next(r for r in state.results if r.step_id == step_id)
    return r.status, r.points, r.possible


def _after_step(state: ItemState, lv: LevelDef, step_id: str) -> None:
    """The item moved on from ``step_id``: to the next step's first try, or it completed."""
    nxt = _next_id(lv, step_id)
    if nxt is None:
        assert state.ended and state.end_reason is EndReason.COMPLETED
    else:
        assert (state.step_id, state.try_no, state.backup_role) == (nxt, 1, BackupRole.NONE)
        expected_phase = Phase.RESPONSE if lv.step(nxt).cue is Cue.NONE else Phase.MODEL
        assert state.phase is expected_phase


def _case_success_first_time(pid: str, level: int, step_id: str) -> None:
    lv = _level(pid, level)
    step = lv.step(step_id)
    state = respond(item_at(lv, step_id), Outcome.CORRECT)
    assert step.points is not None
    assert _result(state, step_id) == (StepStatus.PASSED, step.points.first, step.points.first)
    assert state.points == _earned_before(lv, step_id) + step.points.first
    _after_step(state, lv, step_id)


def _case_failure_then_backup_then_success(pid: str, level: int, step_id: str) -> None:
    lv = _level(pid, level)
    step = lv.step(step_id)
    state = item_at(lv, step_id)
    for _ in range(step.tries):
        state = respond(state, Outcome.INCORRECT)
    if step.backup_to is None:
        # No backup: tries exhausted -> 0 points and the item ends.
        assert _result(state, step_id) == (StepStatus.FAILED, 0, step.max_points)
        assert state.end_reason is EndReason.FAILED
        assert len([a for a in state.attempts if a.step_id == step_id]) == step.tries
        return
    assert (state.step_id, state.backup_role, state.failed_step) == (
        step.backup_to,
        BackupRole.SUPPORT,
        step_id,
    )
    state = pass_current(state)  # the support step (scored or listen-only), never any points
    assert (state.step_id, state.backup_role) == (step_id, BackupRole.RETRY)
    before = state.points
    state = respond(state, Outcome.CORRECT)
    assert step.points is not None and step.points.after_backup is not None
    assert _result(state, step_id) == (
        StepStatus.PASSED_AFTER_BACKUP,
        step.points.after_backup,
        step.max_points,
    )
    assert state.points == before + step.points.after_backup == _earned_before(lv, step_id) + 1
    assert [a.points for a in state.attempts if a.backup_role is BackupRole.SUPPORT] in ([0], [])
    _after_step(state, lv, step_id)


def _case_failure_twice_ends_item_with_zero(pid: str, level: int, step_id: str) -> None:
    lv = _level(pid, level)
    step = lv.step(step_id)
    state = item_at(lv, step_id)
    for _ in range(step.tries):
        state = respond(state, Outcome.NO_RESPONSE)
    if step.backup_to is not None:
        state = respond(state, Outcome.INCORRECT) if state.step.scored else pass_current(state)
        assert state.backup_role is BackupRole.RETRY
        state = respond(state, Outcome.INCORRECT)
    assert state.ended and state.end_reason is EndReason.FAILED
    assert _result(state, step_id) == (StepStatus.FAILED, 0, step.max_points)
    assert state.points == _earned_before(lv, step_id)
    assert state.possible == lv.max_points
    later = [s.id for s in lv.sequence][[s.id for s in lv.sequence].index(step_id) + 1 :]
    assert all(_result(state, sid)[0] is StepStatus.NOT_REACHED for sid in later)


def _case_tries_then_success_on_last_try(pid: str, level: int, step_id: str) -> None:
    lv = _level(pid, level)
    step = lv.step(step_id)
    state = item_at(lv, step_id)
    for n in range(1, step.tries):
        state = respond(state, Outcome.INCORRECT)
        assert (state.step_id, state.try_no, state.backup_role) == (step_id, n + 1, BackupRole.NONE)
    state = respond(state, Outcome.CORRECT)
    assert step.points is not None
    assert _result(state, step_id) == (StepStatus.PASSED, step.points.first, step.points.first)
    tries = [a.try_no for a in state.attempts if a.step_id == step_id]
    assert tries == list(range(1, step.tries + 1))


def _case_unscored_step_advances_on_model_played_or_continue(
    pid: str, level: int, step_id: str, event: ModelPlayed | Continue
) -> None:
    lv = _level(pid, level)
    state = item_at(lv, step_id)
    assert state.phase is Phase.MODEL
    with pytest.raises(EngineError, match="not scored"):
        advance(state, AttemptScored(Outcome.CORRECT))
    state = advance(state, event).new_state
    assert _result(state, step_id) == (StepStatus.PRESENTED, 0, 0)
    _after_step(state, lv, step_id)


def _case_skip_leaves_points_possible(pid: str, level: int, step_id: str) -> None:
    lv = _level(pid, level)
    state = advance(item_at(lv, step_id), Skip()).new_state
    assert _result(state, step_id) == (StepStatus.SKIPPED, 0, 0)
    _after_step(state, lv, step_id)
    while not state.ended:
        state = pass_current(state)
    assert state.possible == lv.max_points - lv.step(step_id).max_points
    assert state.points == state.possible


def _case_repeat_presents_again_without_using_a_try(pid: str, level: int, step_id: str) -> None:
    lv = _level(pid, level)
    state = item_at(lv, step_id)
    t = advance(state, Repeat())
    present = [e for e in t.effects if isinstance(e, PresentStep)]
    assert len(present) == 1 and present[0].repeat and present[0].step_id == step_id
    assert (t.new_state.step_id, t.new_state.try_no) == (step_id, 1)
    assert t.new_state.attempts == state.attempts
    assert pass_current(t.new_state).points == pass_current(state).points


def _case_end_item_keeps_points_so_far(pid: str, level: int, step_id: str) -> None:
    lv = _level(pid, level)
    t = advance(item_at(lv, step_id), EndItem())
    state = t.new_state
    assert state.ended and state.end_reason is EndReason.ENDED_BY_THERAPIST
    assert state.points == _earned_before(lv, step_id)
    assert state.possible == lv.max_points
    assert _result(state, step_id)[0] is StepStatus.NOT_REACHED
    assert any(isinstance(e, ItemEnded) for e in t.effects)
    with pytest.raises(EngineError, match="ended"):
        advance(state, ModelPlayed())


def _case_override_with_and_without_reason(pid: str, level: int, step_id: str) -> None:
    lv = _level(pid, level)
    step = lv.step(step_id)
    state = respond(item_at(lv, step_id), Outcome.INCORRECT)
    attempt = max(a.no for a in state.attempts)
    ref = AttemptRef(0, attempt)
    for reason in ("", "   "):
        with pytest.raises(EngineError, match="needs a reason"):
            advance(state, OverrideScore(ref, Outcome.CORRECT, reason))
    t = advance(state, OverrideScore(ref, Outcome.CORRECT, "intelligible; noise fooled the scorer", "slp1"))
    new = t.new_state
    assert step.points is not None
    assert _result(new, step_id) == (StepStatus.PASSED, step.points.first, step.points.first)
    assert new.points == _earned_before(lv, step_id) + step.points.first
    rec = new.attempt(attempt)
    assert rec.outcome is Outcome.CORRECT and rec.therapist_outcome is Outcome.INCORRECT
    assert rec.override_reason == "intelligible; noise fooled the scorer"
    ov = [e for e in t.effects if isinstance(e, ScoreOverridden)]
    assert len(ov) == 1 and (ov[0].old_outcome, ov[0].new_outcome, ov[0].therapist) == (
        Outcome.INCORRECT,
        Outcome.CORRECT,
        "slp1",
    )
    _after_step(new, lv, step_id)
    # Overriding back restores the original path exactly.
    back = advance(new, OverrideScore(ref, Outcome.INCORRECT, "listened again")).new_state
    assert (back.step_id, back.try_no, back.backup_role, back.points) == (
        state.step_id,
        state.try_no,
        state.backup_role,
        state.points,
    )


@pytest.mark.parametrize(
    ("pid", "level"), [(pid, lv.level) for pid, p in PROTOCOLS.items() for lv in p.levels]
)
def test_untrained_probe_item_runs_probe_steps_without_backup(pid: str, level: int) -> None:
    lv = _level(pid, level)
    state = new_item(lv, ItemKind.UNTRAINED)
    assert [s.id for s in state.sequence] == list(lv.probe_steps)
    seen = []
    while not state.ended:
        seen.append(state.step_id)
        state = respond(state, Outcome.INCORRECT)
    # every try of every probe step is used: a failed probe step does not end a probe item
    assert seen == [s.id for s in lv.probe_sequence for _ in range(s.tries)]
    assert state.backup_role is BackupRole.NONE and all(
        a.backup_role is BackupRole.NONE for a in state.attempts
    )
    assert state.possible == lv.probe_max_points and state.points == 0
    assert state.practice_passed is None


@pytest.mark.parametrize(("pid", "level"), LEVEL_CASES)
def test_success_first_time(pid: str, level: int) -> None:
    assert _each_step(pid, level, _case_success_first_time, True) >= 1


@pytest.mark.parametrize(("pid", "level"), LEVEL_CASES)
def test_failure_then_backup_then_success(pid: str, level: int) -> None:
    assert _each_step(pid, level, _case_failure_then_backup_then_success, True) >= 1


@pytest.mark.parametrize(("pid", "level"), LEVEL_CASES)
def test_failure_twice_ends_item_with_zero(pid: str, level: int) -> None:
    assert _each_step(pid, level, _case_failure_twice_ends_item_with_zero, True) >= 1


@pytest.mark.parametrize(("pid", "level"), LEVEL_CASES)
def test_tries_then_success_on_last_try(pid: str, level: int) -> None:
    assert _each_step(pid, level, _case_tries_then_success_on_last_try, True) >= 1


@pytest.mark.parametrize(("pid", "level"), LEVEL_CASES)
def test_unscored_steps_advance_on_model_played_or_continue(pid: str, level: int) -> None:
    for event in (ModelPlayed(), Continue()):
        assert (
            _each_step(pid, level, _case_unscored_step_advances_on_model_played_or_continue, False, event)
            >= 1
        )


@pytest.mark.parametrize(("pid", "level"), LEVEL_CASES)
def test_skip_leaves_points_possible(pid: str, level: int) -> None:
    assert _each_step(pid, level, _case_skip_leaves_points_possible, None) >= 1


@pytest.mark.parametrize(("pid", "level"), LEVEL_CASES)
def test_repeat_presents_again_without_using_a_try(pid: str, level: int) -> None:
    assert _each_step(pid, level, _case_repeat_presents_again_without_using_a_try, None) >= 1


@pytest.mark.parametrize(("pid", "level"), LEVEL_CASES)
def test_end_item_keeps_points_so_far(pid: str, level: int) -> None:
    assert _each_step(pid, level, _case_end_item_keeps_points_so_far, None) >= 1


@pytest.mark.parametrize(("pid", "level"), LEVEL_CASES)
def test_override_with_and_without_reason(pid: str, level: int) -> None:
    assert _each_step(pid, level, _case_override_with_and_without_reason, True) >= 1


# ---------------------------------------------------------------------------------------- HE1989 by hand

HE = load_protocol("HE1989")

HE1989_TABLE = [
    # level, script, points, possible, end reason, number of attempts
    (1, "M MC MC MC C", 4, 4, EndReason.COMPLETED, 4),
    (1, "M MX MX MX MC MC MC C", 4, 4, EndReason.COMPLETED, 7),
    (1, "M MX MX MX MX", 0, 4, EndReason.FAILED, 4),
    (1, "M MC MN MN MC MX", 2, 4, EndReason.FAILED, 5),
    (1, "M MC MC MC X", 3, 4, EndReason.FAILED, 4),
    (1, "M MC S MC C", 3, 3, EndReason.COMPLETED, 3),
    (1, "M R MC MC MC C", 4, 4, EndReason.COMPLETED, 4),
    (1, "M MC E", 1, 4, EndReason.ENDED_BY_THERAPIST, 1),
    (1, "K KC KC KC C", 4, 4, EndReason.COMPLETED, 4),
    (2, "M MC MC C", 5, 5, EndReason.COMPLETED, 3),
    (2, "M MC MX MC MC C", 4, 5, EndReason.COMPLETED, 5),
    (2, "M MC MX MX MC C", 4, 5, EndReason.COMPLETED, 5),
    (2, "M MC MX MC MX", 1, 5, EndReason.FAILED, 4),
    (2, "M MC MC X MC C", 4, 5, EndReason.COMPLETED, 5),
    (2, "M MC MC X MC X", 3, 5, EndReason.FAILED, 5),
    (2, "M MX", 0, 5, EndReason.FAILED, 1),
    (2, "M MC MX S C C", 4, 5, EndReason.COMPLETED, 4),
    (2, "M MC MC S", 3, 3, EndReason.COMPLETED, 2),
    (3, "MC M MC MC C", 8, 8, EndReason.COMPLETED, 4),
    (3, "MX MC MC M MC MC C", 7, 8, EndReason.COMPLETED, 6),
    (3, "MC M MX M MC MC C", 7, 8, EndReason.COMPLETED, 5),
    (3, "MC M MX M MX", 2, 8, EndReason.FAILED, 3),
    (3, "MC M MC MX MC MC C", 7, 8, EndReason.COMPLETED, 6),
    (3, "MC M MC MC X MC C", 7, 8, EndReason.COMPLETED, 6),
    (3, "MX MX MX", 0, 8, EndReason.FAILED, 3),
    (3, "MX MC MC M MX M MC MX MC MC X MC C", 4, 8, EndReason.COMPLETED, 11),
]


@pytest.mark.parametrize(("level", "script", "points", "possible", "reason", "n_attempts"), HE1989_TABLE)
def test_he1989_paths(
    level: int, script: str, points: int, possible: int, reason: EndReason, n_attempts: int
) -> None:
    state = run(new_item(HE.level(level)), script)
    assert (state.points, state.possible, state.end_reason) == (points, possible, reason)
    assert len(state.attempts) == n_attempts


def test_he1989_maxima() -> None:
    assert [HE.level(n).max_points for n in (1, 2, 3)] == [4, 5, 8]


def test_backup_effects_and_roles_level_two() -> None:
    state = run(new_item(HE.level(2)), "M MC M")
    t = advance(state, AttemptScored(Outcome.INCORRECT))
    kinds = [type(e).__name__ for e in t.effects]
    assert kinds == ["AttemptRecorded", "BackupStarted", "PresentStep"]
    bs = next(e for e in t.effects if isinstance(e, BackupStarted))
    assert (bs.failed_step, bs.backup_step) == ("delayed-repetition", "unison-fade")
    state = run(t.new_state, "MC M")
    assert (state.step_id, state.backup_role) == ("delayed-repetition", BackupRole.RETRY)
    assert [(a.step_id, a.backup_role.value, a.points) for a in state.attempts] == [
        ("unison-fade", "none", 1),
        ("delayed-repetition", "none", 0),
        ("unison-fade", "support", 0),
    ]
    await_effects = advance(run(new_item(HE.level(2)), "M MC"), ModelPlayed()).effects
    aw2 = [e for e in await_effects if isinstance(e, AwaitResponse)]
    assert len(aw2) == 1 and (aw2[0].delay_s, aw2[0].analysis_mode, aw2[0].attempt_no) == (6.0, "sung", 2)


def test_auto_scores_wait_for_the_therapist() -> None:
    state = run(new_item(HE.level(1), confirm_auto=True), "M M")
    t = advance(state, AttemptScored(Outcome.INCORRECT, ScoreSource.AUTO))
    assert t.new_state.phase is Phase.CONFIRM
    assert [type(e) for e in t.effects] == [AwaitConfirmation]
    for bad in (ModelPlayed(), Skip(), Repeat(), AttemptScored(Outcome.CORRECT, ScoreSource.AUTO)):
        with pytest.raises(EngineError, match="awaits the therapist"):
            advance(t.new_state, bad)
    done = advance(t.new_state, AttemptScored(Outcome.CORRECT, ScoreSource.THERAPIST)).new_state
    a = done.attempt(1)
    assert (a.auto_outcome, a.therapist_outcome, a.outcome, a.points) == (
        Outcome.INCORRECT,
        Outcome.CORRECT,
        Outcome.CORRECT,
        1,
    )
    assert done.step_id == "unison-fade"
    with pytest.raises(EngineError, match="no final score"):
        advance(t.new_state, OverrideScore(AttemptRef(0, 1), Outcome.CORRECT, "why"))


def test_override_replays_and_supersedes_later_attempts() -> None:
    state = run(new_item(HE.level(2)), "M MC MX MC MC C")
    assert (state.points, state.possible) == (4, 5)
    new = advance(state, OverrideScore(AttemptRef(0, 2), Outcome.CORRECT, "was correct")).new_state
    assert (new.points, new.possible, new.end_reason) == (5, 5, EndReason.COMPLETED)
    assert [(a.no, a.superseded) for a in new.attempts] == [
        (1, False),
        (2, False),
        (3, True),
        (4, True),
        (5, False),
    ]
    with pytest.raises(EngineError, match="superseded"):
        advance(new, OverrideScore(AttemptRef(0, 3), Outcome.INCORRECT, "x"))
    with pytest.raises(EngineError, match="has no attempt 9"):
        advance(new, OverrideScore(AttemptRef(0, 9), Outcome.INCORRECT, "x"))
    with pytest.raises(EngineError, match="not in item 0"):
        advance(new, OverrideScore(AttemptRef(1, 1), Outcome.INCORRECT, "x"))
    assert len(new.overrides) == 1 and new.overrides[0].old_outcome is Outcome.INCORRECT


def test_invalid_events_are_rejected_without_change() -> None:
    state = run(new_item(HE.level(2)), "M M")
    assert state.phase is Phase.RESPONSE
    for bad in (ModelPlayed(), Continue()):
        with pytest.raises(EngineError, match="waiting for a scored response"):
            advance(state, bad)
