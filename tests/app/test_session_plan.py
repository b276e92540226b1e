"""Today's plan: proposed by the planner, chosen and changed by the therapist, shown item by item."""

from __future__ import annotations

from pathlib import Path

import pytest

from mit_trainer.app.demo import combined_phrase_set
from mit_trainer.app.session import SessionError, TrainingSession, VoiceSettings
from mit_trainer.app.session_plan import PlanError, plan_warnings, planned_items
from mit_trainer.app.session_rules import propose_plan
from mit_trainer.core.engine import Replan, SessionPhase, replan
from mit_trainer.core.engine_events import EngineError
from mit_trainer.core.protocol_files import load_protocol
from mit_trainer.storage import Consents, PatientSettings, open_store


@pytest.fixture(scope="module")
def phrases():
    return combined_phrase_set()


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(tmp_path / "db.sqlite3")
    s.add_patient("P01", Consents(clinical=True), settings=PatientSettings(low_note_hz=120.0))
    yield s
    s.close()


def _level1(phrases, n: int, trained: bool = True) -> list[str]:
    return [p.id for p in phrases.phrases if p.level == 1 and p.trained is trained][:n]


def _start(store, phrases, ids):
    return TrainingSession.start(
        store, patient_code="P01", protocol=load_protocol("HE1989"), phrase_set=phrases, level=1,
        voice=VoiceSettings(low_note_hz=120.0, sample_rate_hz=16000), plan_items=ids,
    )  # fmt: skip


def test_the_planner_proposes_and_the_therapists_list_is_used(store, phrases) -> None:
    proposal = propose_plan(store, patient_code="P01", protocol=load_protocol("HE1989"), phrase_set=phrases,
                            level=1, items_per_session=5, probe_items=1, seed=3)  # fmt: skip
    # five trained items and one untrained probe
    assert len(proposal.items) == 6 and sum(i.kind.value != "trained" for i in proposal.items) == 1
    chosen = [*_level1(phrases, 2), *_level1(phrases, 1, trained=False)]
    session = _start(store, phrases, chosen)
    rows = session.view().plan
    assert [r.phrase_id for r in rows] == chosen
    assert [r.status for r in rows] == ["current", "upcoming", "upcoming"]
    assert [r.trained for r in rows] == [True, True, False]


def test_the_plan_changes_during_the_session_and_is_logged(store, phrases) -> None:
    ids = _level1(phrases, 4)
    session = _start(store, phrases, ids[:2])
    view = session.replan([ids[3], ids[2]])  # a new order and other phrases for what is to come
    assert [r.phrase_id for r in view.plan] == [ids[0], ids[3], ids[2]]
    assert view.panel.n_items == 3
    session.end_item()
    view = session.view()
    assert [r.status for r in view.plan] == ["done", "current", "upcoming"]
    assert view.phrase is not None and view.phrase.id == ids[3]
    events = [e for e in store.list_events(session_id=session.session_id) if e.kind == "session_replanned"]
    assert len(events) == 1 and [p["phrase_id"] for p in events[0].payload["remaining"]] == [ids[3], ids[2]]
    session.replan([])  # the current item is the last one
    session.end_item()
    assert session.view().awaiting == "done"


def test_a_plan_with_unknown_or_wrong_level_phrases_is_refused(store, phrases) -> None:
    with pytest.raises(SessionError, match="not in the phrase set"):
        _start(store, phrases, ["no-such-phrase"])
    level2 = next(p.id for p in phrases.phrases if p.level == 2)
    with pytest.raises(SessionError, match="not level 1"):
        _start(store, phrases, [level2])
    session = _start(store, phrases, _level1(phrases, 1))
    with pytest.raises(PlanError):
        session.replan(["nope"])


def test_a_finished_session_keeps_its_plan(store, phrases) -> None:
    session = _start(store, phrases, _level1(phrases, 1))
    session.end()
    with pytest.raises(EngineError):
        replan(session.state, Replan(()))
    assert session.state.phase is SessionPhase.COMPLETE


def test_warnings_name_same_melody_neighbours_and_repeats(phrases) -> None:
    level1 = [p for p in phrases.phrases if p.level == 1]
    a = level1[0]
    twin = next(p for p in level1[1:] if tuple(p.pattern) == tuple(a.pattern))
    other = next(p for p in level1 if tuple(p.pattern) != tuple(a.pattern))
    warnings = plan_warnings([a, twin, other, a])
    assert any("same melody" in w for w in warnings) and any("twice" in w for w in warnings)
    assert plan_warnings([a, other]) == []
    assert [i.phrase_id for i in planned_items(phrases, [a.id, other.id])] == [a.id, other.id]
