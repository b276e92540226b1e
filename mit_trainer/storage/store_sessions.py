"""Store methods about sessions, assessments and the event log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from mit_trainer.storage import convert
from mit_trainer.storage.base import StoreBase, utc_now
from mit_trainer.storage.errors import InvalidValue, UnknownRecord
from mit_trainer.storage.models import AssessmentRow, EventRow, SessionRow, TherapistRow
from mit_trainer.storage.records import (
    ADVANCEMENT_DECISIONS,
    ASSESSMENT_TESTS,
    Assessment,
    Event,
    SessionRecord,
)


def _check_fatigue(name: str, value: int | None) -> None:
    if value is not None and not (isinstance(value, int) and 0 <= value <= 10):
        raise InvalidValue(f"{name} must be a whole number from 0 to 10, not {value!r}")


def _check_decision(decision: str) -> None:
    if decision not in ADVANCEMENT_DECISIONS:
        raise InvalidValue(f"advancement decision must be one of {', '.join(ADVANCEMENT_DECISIONS)}")


class SessionsMixin(StoreBase):
    def start_session(
        self,
        patient_id: int,
        *,
        protocol_id: str,
        protocol_version: str,
        level: int,
        therapist_id: int | None = None,
        phrase_set_name: str | None = None,
        phrase_set_sha256: str | None = None,
        fatigue_before: int | None = None,
        started_at: datetime | None = None,
    ) -> SessionRecord:
        """Open a session; it is numbered 1, 2, ... per patient."""
        _check_fatigue("fatigue before", fatigue_before)
        if level not in (1, 2, 3):
            raise InvalidValue(f"level must be 1, 2 or 3, not {level}")
        with self._tx() as orm:
            self._patient_row(orm, patient_id)
            if therapist_id is not None and self._get(orm, TherapistRow, therapist_id) is None:
                raise UnknownRecord(f"no therapist with id {therapist_id}")
            number = 1 + (
                orm.scalar(select(func.max(SessionRow.number)).where(SessionRow.patient_id == patient_id))
                or 0
            )
            row = SessionRow(
                patient_id=patient_id,
                number=number,
                therapist_id=therapist_id,
                protocol_id=protocol_id,
                protocol_version=protocol_version,
                phrase_set_name=phrase_set_name,
                phrase_set_sha256=phrase_set_sha256,
                level=level,
                started_at=started_at or utc_now(),
                fatigue_before=fatigue_before,
                advancement_decision="none",
            )
            orm.add(row)
            orm.flush()
            # Held until the session ends or this process dies (then the next start recovers it);
            # taken before the commit, so no other process sees the session open without its lock.
            self._claim_session(row.id, self._patient_row(orm, patient_id).recordings_key)
            return convert.session(row)

    def end_session(
        self,
        session_id: int,
        *,
        fatigue_after: int | None = None,
        notes: str | None = None,
        points_possible: int | None = None,
        points_earned: int | None = None,
        advancement_decision: str = "none",
        ended_at: datetime | None = None,
    ) -> SessionRecord:
        """Close a session. ``points_earned`` defaults to the sum of its attempts' final points."""
        _check_fatigue("fatigue after", fatigue_after)
        _check_decision(advancement_decision)
        if points_earned is None:
            points_earned = self._final_points_sum(session_id)
        with self._tx() as orm:
            row = self._session_row(orm, session_id)
            row.ended_at = ended_at or utc_now()
            if row.ended_at < row.started_at:
                raise InvalidValue("a session cannot end before it starts")
            row.fatigue_after = fatigue_after
            if notes is not None:
                row.notes = notes
            row.points_possible = points_possible
            row.points_earned = points_earned
            row.advancement_decision = advancement_decision
            record = convert.session(row)
        self._release_session(session_id)
        return record

    def set_advancement_decision(
        self, session_id: int, decision: str, *, therapist_id: int | None = None
    ) -> None:
        """Record the therapist's answer to a proposal (also logged as an event)."""
        _check_decision(decision)
        with self._tx() as orm:
            row = self._session_row(orm, session_id)
            previous = row.advancement_decision
            row.advancement_decision = decision
            payload = {"from": previous, "to": decision, "therapist_id": therapist_id}
            orm.add(
                EventRow(
                    session_id=session_id,
                    patient_id=row.patient_id,
                    created_at=utc_now(),
                    kind="advancement_decision",
                    payload_json=convert.dump_json(payload) or "{}",
                )
            )

    def get_session(self, session_id: int) -> SessionRecord:
        with self._tx() as orm:
            return convert.session(self._session_row(orm, session_id))

    def list_sessions(self, patient_id: int | None = None) -> list[SessionRecord]:
        """Sessions of one patient (or all), oldest first."""
        stmt = select(SessionRow).order_by(SessionRow.started_at, SessionRow.id)
        if patient_id is not None:
            stmt = stmt.where(SessionRow.patient_id == patient_id)
        with self._tx() as orm:
            if patient_id is not None:
                self._patient_row(orm, patient_id)
            return self._converted(
                self._tolerant(orm, stmt, SessionRow, "sessions"), convert.session, "sessions"
            )

    # -- assessments -----------------------------------------------------------------------
    def add_assessment(
        self,
        patient_id: int,
        *,
        test: str,
        time_point: str,
        assessed_at: datetime,
        score: float | None,
        subtest: str | None = None,
        blinded: bool = False,
        assessor_id: int | None = None,
        notes: str | None = None,
    ) -> Assessment:
        """Add a standardised assessment result (WAB, BDAE, AAT, CAL, ANELT, CIU)."""
        if test not in ASSESSMENT_TESTS:
            raise InvalidValue(f"assessment test must be one of {', '.join(ASSESSMENT_TESTS)}, not {test!r}")
        if not time_point.strip():
            raise InvalidValue("an assessment needs a time point (e.g. baseline, post, follow-up)")
        with self._tx() as orm:
            self._patient_row(orm, patient_id)
            row = AssessmentRow(
                patient_id=patient_id,
                test=test,
                subtest=subtest,
                score=score,
                time_point=time_point.strip(),
                assessed_at=assessed_at,
                blinded=blinded,
                assessor_id=assessor_id,
                notes=notes,
            )
            orm.add(row)
            orm.flush()
            return convert.assessment(row)

    def list_assessments(self, patient_id: int) -> list[Assessment]:
        with self._tx() as orm:
            self._patient_row(orm, patient_id)
            stmt = (
                select(AssessmentRow)
                .where(AssessmentRow.patient_id == patient_id)
                .order_by(AssessmentRow.assessed_at, AssessmentRow.id)
            )
            rows = self._tolerant(orm, stmt, AssessmentRow, "assessments")
            return self._converted(rows, convert.assessment, "assessments")

    # -- events ----------------------------------------------------------------------------
    def log_event(
        self,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        *,
        session_id: int | None = None,
        patient_id: int | None = None,
        created_at: datetime | None = None,
    ) -> Event:
        """Log an engine event or a therapist decision (skip, repeat, accept ...) as JSON."""
        if not kind:
            raise InvalidValue("an event needs a kind")
        with self._tx() as orm:
            if session_id is not None:
                srow = self._session_row(orm, session_id)
                patient_id = patient_id if patient_id is not None else srow.patient_id
            elif patient_id is not None:
                self._patient_row(orm, patient_id)
            row = EventRow(
                session_id=session_id,
                patient_id=patient_id,
                created_at=created_at or utc_now(),
                kind=kind,
                payload_json=convert.dump_json(payload or {}) or "{}",
            )
            orm.add(row)
            orm.flush()
            return convert.event(row)

    def list_events(self, *, session_id: int | None = None, patient_id: int | None = None) -> list[Event]:
        stmt = select(EventRow).order_by(EventRow.id)
        if session_id is not None:
            stmt = stmt.where(EventRow.session_id == session_id)
        if patient_id is not None:
            stmt = stmt.where(EventRow.patient_id == patient_id)
        with self._tx() as orm:
            return self._converted(self._tolerant(orm, stmt, EventRow, "events"), convert.event, "events")
