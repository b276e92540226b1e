"""Store behaviour on SQLite and PostgreSQL: records, consents, constraints, append-only, cascades."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from helpers_storage import make_attempt
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mit_trainer.storage import (
    Consents,
    DuplicatePatientCode,
    InvalidValue,
    PatientIdentity,
    Store,
    UnknownPatient,
    UnknownRecord,
)
from mit_trainer.storage.models import APPEND_ONLY_TABLES

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _session(store: Store, code: str = "P01", **kw: object) -> tuple[int, int]:
    p = store.add_patient(code, Consents(research=True))
    s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1.0", level=1, started_at=T0, **kw)
    return p.id, s.id


def test_patient_consents_identity_and_settings(store: Store) -> None:
    p = store.add_patient(
        "P01",
        Consents(clinical=True, research=True, share_audio=False),
        PatientIdentity(full_name="Jane Roe", date_of_birth=date(1950, 4, 1), notes="lives alone"),
    )
    assert p.consents == Consents(clinical=True, research=True, share_audio=False)
    assert store.get_patient_by_code("P01") == p
    assert store.get_identity(p.id) == PatientIdentity("Jane Roe", date(1950, 4, 1), "lives alone")
    changed = store.update_consents(p.id, Consents(clinical=True, research=False, share_audio=True))
    assert changed.consents.research is False and changed.consents.share_audio is True
    assert [e.kind for e in store.list_events(patient_id=p.id)] == ["consent", "consent"]
    s = store.update_patient_settings(p.id, low_note_hz=196.0, tempo_bpm=50.0)
    assert (s.low_note_hz, s.tempo_bpm, s.interval_semitones, s.tap_side) == (196.0, 50.0, 3.0, "left")
    assert store.get_patient_settings(p.id) == s
    with pytest.raises(InvalidValue, match="tap side"):
        store.update_patient_settings(p.id, tap_side="both")
    with pytest.raises(InvalidValue, match="unknown patient setting"):
        store.update_patient_settings(p.id, colour="red")
    store.add_patient("P02")
    assert [q.code for q in store.list_patients()] == ["P01", "P02"]
    assert store.get_identity(store.get_patient_by_code("P02").id) is None


def test_patient_code_rules(store: Store) -> None:
    store.add_patient("P01")
    with pytest.raises(DuplicatePatientCode, match="P01"):
        store.add_patient("P01")
    for bad in ("", "Jane Roe", "p-01", "x" * 33):
        with pytest.raises(InvalidValue, match="letters or digits"):
            store.add_patient(bad)
    with pytest.raises(UnknownPatient, match="'NOPE'"):
        store.get_patient_by_code("NOPE")
    with pytest.raises(UnknownPatient):
        store.get_patient(999)


def test_sessions_are_numbered_and_ended(store: Store) -> None:
    t = store.add_therapist("Dr. A", pin_hash="$argon2id$v=19$stub")
    assert store.get_therapist(t.id).pin_hash.startswith("$argon2id")
    pid, sid = _session(store, therapist_id=t.id, fatigue_before=2)
    s2 = store.start_session(
        pid, protocol_id="HE1989", protocol_version="1.0", level=1, started_at=T0 + timedelta(days=1)
    )
    assert (store.get_session(sid).number, s2.number) == (1, 2)
    ended = store.end_session(
        sid, fatigue_after=5, notes="tired", points_possible=8, ended_at=T0 + timedelta(minutes=30)
    )
    assert ended.duration_s == 1800.0 and ended.fatigue_after == 5 and ended.points_earned == 0
    assert ended.started_at == T0 and ended.started_at.tzinfo is not None
    assert [s.id for s in store.list_sessions(pid)] == [sid, s2.id]
    store.set_advancement_decision(sid, "accepted", therapist_id=t.id)
    assert store.get_session(sid).advancement_decision == "accepted"
    assert store.list_events(session_id=sid)[-1].payload == {
        "from": "none",
        "to": "accepted",
        "therapist_id": t.id,
    }
    with pytest.raises(UnknownRecord):
        store.start_session(pid, protocol_id="HE1989", protocol_version="1", level=1, therapist_id=999)
    with pytest.raises(InvalidValue, match="naive datetime"):
        store.start_session(
            pid, protocol_id="HE1989", protocol_version="1", level=1, started_at=datetime(2026, 1, 1)
        )
    assert len(store.list_sessions(pid)) == 2


def test_check_constraints_in_store_and_database(store: Store) -> None:
    pid, sid = _session(store)
    for bad in (-1, 11, 3.5):
        with pytest.raises(InvalidValue, match="fatigue"):
            store.end_session(sid, fatigue_after=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="advancement"):
        store.end_session(sid, advancement_decision="maybe")
    with pytest.raises(InvalidValue, match="cue"):
        store.record_attempt(sid, make_attempt(cue="whistle"))
    with pytest.raises(InvalidValue, match="assessment test"):
        store.add_assessment(pid, test="MMSE", time_point="baseline", assessed_at=T0, score=3.0)
    # The database itself rejects what the store's checks would stop (a second line of defence).
    for sql in (
        f"UPDATE sessions SET fatigue_after = 11 WHERE id = {sid}",
        f"UPDATE sessions SET advancement_decision = 'maybe' WHERE id = {sid}",
        f"INSERT INTO assessments (patient_id, test, time_point, assessed_at, blinded) "
        f"VALUES ({pid}, 'MMSE', 'x', '2026-01-01', false)",
        f"UPDATE patient_settings SET tap_side = 'both' WHERE patient_id = {pid}",
    ):
        with pytest.raises(DBAPIError), store.engine.begin() as conn:
            conn.execute(text(sql))
    assert store.get_session(sid).fatigue_after is None


def test_attempt_round_trip_and_override_is_a_new_row(store: Store) -> None:
    _, sid = _session(store)
    t = store.add_therapist("Dr. B")
    a = store.record_attempt(sid, make_attempt(points=1, started_at=T0 + timedelta(seconds=5)))
    assert a.scores.overall == 0.96 and a.auto_verdict == "pass" and a.points_awarded == 1
    assert [s.text for s in a.syllables] == ["thank", "you"]
    assert a.syllables[0].duration_s == pytest.approx(0.8)
    assert a.syllables[0].error_cents == pytest.approx(0.0, abs=1e-6)
    assert [tp.asynchrony_ms for tp in a.taps] == [20.0, -20.0]
    score = store.add_therapist_score(
        a.id, outcome="fail", points=0, reason="unintelligible", therapist_id=t.id
    )
    again = store.get_attempt(a.id)
    assert dataclasses.replace(again, therapist_scores=()) == dataclasses.replace(a, analysis=again.analysis)
    assert again.scores.overall == 0.96 and again.auto_verdict == "pass" and again.points_awarded == 1
    assert again.therapist_scores == (score,)
    assert (again.final_outcome, again.final_points) == ("fail", 0)
    store.add_therapist_score(a.id, outcome="pass", points=1, reason="on reflection", therapist_id=t.id)
    assert [s.outcome for s in store.get_attempt(a.id).therapist_scores] == ["fail", "pass"]
    assert store.get_attempt(a.id).analysis["pitch"]["f0_hz"][0] is None
    with pytest.raises(InvalidValue, match="outcome"):
        store.add_therapist_score(a.id, outcome="great")
    with pytest.raises(UnknownRecord):
        store.add_therapist_score(12345, outcome="pass")


def test_append_only_no_update_api_and_triggers(store: Store) -> None:
    _, sid = _session(store)
    a = store.record_attempt(sid, make_attempt())
    store.add_therapist_score(a.id, outcome="pass", points=1)
    public = [n for n in dir(store) if not n.startswith("_")]
    assert not [
        n for n in public if "attempt" in n and any(w in n for w in ("update", "set", "edit", "change"))
    ]
    for table, column in (("attempts", "points_awarded"), ("syllables", "onset_s"), ("taps", "t_s")):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET {column} = 0"))
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("UPDATE therapist_scores SET reason = 'x'"))
    assert set(APPEND_ONLY_TABLES) == {"attempts", "syllables", "taps", "therapist_scores"}
    assert store.get_attempt(a.id).points_awarded == 1


def test_summary_history_and_points(store: Store) -> None:
    pid, sid = _session(store)
    a1 = store.record_attempt(sid, make_attempt(0, points=1, started_at=T0 + timedelta(seconds=1)))
    store.record_attempt(
        sid, make_attempt(1, points=0, phrase_id="hello", started_at=T0 + timedelta(seconds=2))
    )
    a3 = store.record_attempt(
        sid,
        make_attempt(2, points=None, step_id="humming", step_index=1, started_at=T0 + timedelta(seconds=3)),
    )
    store.add_therapist_score(a1.id, outcome="fail", points=0, reason="x")
    store.add_therapist_score(a3.id, outcome="pass", points=2)
    summary = store.session_summary(sid)
    assert (summary.n_attempts, summary.n_items, summary.points_earned, summary.n_overrides) == (3, 3, 2, 2)
    assert {s.step_id: (s.n_attempts, s.points) for s in summary.steps} == {
        "unison": (2, 0),
        "humming": (1, 2),
    }
    assert store.end_session(sid, points_possible=4).points_earned == 2
    assert store.session_summary(sid).score_fraction == 0.5
    history = store.history_for_selection(pid)
    assert [(h.phrase_id, h.outcome, h.points) for h in history] == [
        ("thank-you", "fail", 0),
        ("hello", "pass", 0),
        ("thank-you", "pass", 2),
    ]
    assert [a.item_index for a in store.attempts_for_session(sid)] == [0, 1, 2]


def test_assessments_and_events(store: Store) -> None:
    pid, sid = _session(store)
    a = store.add_assessment(
        pid, test="WAB", subtest="repetition", score=62.5, time_point="baseline", assessed_at=T0, blinded=True
    )
    assert store.list_assessments(pid) == [a]
    e = store.log_event("skip_item", {"item_index": 3, "np": float("nan")}, session_id=sid)
    assert e.patient_id == pid and e.payload == {"item_index": 3, "np": None}
    with pytest.raises(UnknownRecord):
        store.log_event("x", session_id=999)


def test_delete_patient_cascades_every_table(store: Store) -> None:
    keep, _ = _session(store, "KEEP")
    pid, sid = _session(store, "GONE")
    t = store.add_therapist("Dr. C")
    a = store.record_attempt(sid, make_attempt())
    store.add_therapist_score(a.id, outcome="pass", points=1, therapist_id=t.id)
    store.add_assessment(pid, test="AAT", score=1.0, time_point="post", assessed_at=T0)
    store.log_event("note", {"x": 1}, session_id=sid)
    store.set_identity(pid, PatientIdentity(full_name="Gone Person"))
    report = store.delete_patient(pid)
    assert (report.code, report.sessions_deleted, report.attempts_deleted) == ("GONE", 1, 1)
    with store.engine.connect() as conn:
        for table in ("attempts", "syllables", "taps", "therapist_scores", "assessments", "patient_identity"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
        assert conn.execute(text(f"SELECT count(*) FROM events WHERE patient_id = {pid}")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar_one() == 1
    assert [p.code for p in store.list_patients()] == ["KEEP"] and store.get_patient(keep)
    assert store.list_therapists() == [t]
    with pytest.raises(UnknownPatient):
        store.delete_patient(pid)
