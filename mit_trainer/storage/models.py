"""SQLAlchemy 2 table models of the session store (schema revision 0001).

The migration in ``migrations/versions/0001_initial.py`` creates exactly these tables; a test
compares the two. Foreign keys cascade from patients down to every row about them, so deleting a
patient is one ``DELETE``. Attempts, syllables, taps and therapist scores are append-only: the
store has no update path and database triggers (created by the migration) reject ``UPDATE``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _fk(target: str, ondelete: str = "CASCADE") -> Any:
    return ForeignKey(target, ondelete=ondelete)


class TherapistRow(Base):
    __tablename__ = "therapists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PatientRow(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    recordings_key: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    consent_clinical: Mapped[bool] = mapped_column(Boolean)
    consent_research: Mapped[bool] = mapped_column(Boolean)
    consent_share_audio: Mapped[bool] = mapped_column(Boolean)


class PatientIdentityRow(Base):
    __tablename__ = "patient_identity"
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class PatientSettingsRow(Base):
    __tablename__ = "patient_settings"
    __table_args__ = (
        CheckConstraint("interval_semitones > 0 AND interval_semitones <= 12", name="interval"),
        CheckConstraint("tempo_bpm > 0", name="tempo"),
        CheckConstraint("low_note_hz IS NULL OR low_note_hz > 0", name="low_note"),
        CheckConstraint("tap_side IN ('left', 'right')", name="tap_side"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
    )
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), primary_key=True)
    low_note_hz: Mapped[float | None] = mapped_column(Float)
    interval_semitones: Mapped[float] = mapped_column(Float)
    tempo_bpm: Mapped[float] = mapped_column(Float)
    tap_side: Mapped[str] = mapped_column(String(8))
    font_scale: Mapped[float] = mapped_column(Float)
    protocol_id: Mapped[str] = mapped_column(String(64))
    phrase_set: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    model_voice: Mapped[str | None] = mapped_column(String(32))  # migration 0004_voice


class SessionRow(Base):
    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("patient_id", "number"),
        CheckConstraint("fatigue_before BETWEEN 0 AND 10", name="fatigue_before"),
        CheckConstraint("fatigue_after BETWEEN 0 AND 10", name="fatigue_after"),
        CheckConstraint(
            "advancement_decision IN ('none', 'proposed', 'accepted', 'declined', 'flagged')",
            name="advancement",
        ),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    therapist_id: Mapped[int | None] = mapped_column(_fk("therapists.id", "RESTRICT"))
    protocol_id: Mapped[str] = mapped_column(String(64))
    protocol_version: Mapped[str] = mapped_column(String(32))
    phrase_set_name: Mapped[str | None] = mapped_column(String(200))
    phrase_set_sha256: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fatigue_before: Mapped[int | None] = mapped_column(Integer)
    fatigue_after: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    points_earned: Mapped[int | None] = mapped_column(Integer)
    points_possible: Mapped[int | None] = mapped_column(Integer)
    advancement_decision: Mapped[str] = mapped_column(String(16))


class AttemptRow(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint("try_number >= 1", name="try_number"),
        CheckConstraint("points_awarded IS NULL OR points_awarded >= 0", name="points"),
        CheckConstraint("auto_verdict IN ('pass', 'fail', 'no_response')", name="verdict"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(_fk("sessions.id"), index=True)
    item_index: Mapped[int] = mapped_column(Integer)
    phrase_id: Mapped[str] = mapped_column(String(64), index=True)
    trained: Mapped[bool] = mapped_column(Boolean)
    level: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(String(64))
    step_index: Mapped[int] = mapped_column(Integer)
    try_number: Mapped[int] = mapped_column(Integer)
    backup: Mapped[bool] = mapped_column(Boolean)
    cue: Mapped[str] = mapped_column(String(32))
    fade_start_s: Mapped[float | None] = mapped_column(Float)
    fade_end_s: Mapped[float | None] = mapped_column(Float)
    tempo_bpm: Mapped[float | None] = mapped_column(Float)
    interval_semitones: Mapped[float | None] = mapped_column(Float)
    low_note_hz: Mapped[float | None] = mapped_column(Float)
    delay_s: Mapped[float | None] = mapped_column(Float)
    analysis_mode: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    audio_path: Mapped[str | None] = mapped_column(String(500))
    audio_sha256: Mapped[str | None] = mapped_column(String(64))
    duration_s: Mapped[float | None] = mapped_column(Float)
    response_latency_s: Mapped[float | None] = mapped_column(Float)
    analysis_json: Mapped[str | None] = mapped_column(Text)
    analysis_version: Mapped[str | None] = mapped_column(String(64))
    tracker: Mapped[str | None] = mapped_column(String(64))
    score_contour: Mapped[float | None] = mapped_column(Float)
    score_rhythm: Mapped[float | None] = mapped_column(Float)
    score_completeness: Mapped[float | None] = mapped_column(Float)
    score_voicing: Mapped[float | None] = mapped_column(Float)
    score_overall: Mapped[float | None] = mapped_column(Float)
    auto_verdict: Mapped[str | None] = mapped_column(String(16))
    points_awarded: Mapped[int | None] = mapped_column(Integer)
    interrupted: Mapped[bool] = mapped_column(Boolean)


class TherapistScoreRow(Base):
    __tablename__ = "therapist_scores"
    __table_args__ = (
        CheckConstraint("outcome IN ('pass', 'fail', 'no_response')", name="outcome"),
        CheckConstraint("points IS NULL OR points >= 0", name="points"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(_fk("attempts.id"), index=True)
    therapist_id: Mapped[int | None] = mapped_column(_fk("therapists.id", "RESTRICT"))
    outcome: Mapped[str] = mapped_column(String(16))
    points: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyllableRow(Base):
    __tablename__ = "syllables"
    __table_args__ = (
        UniqueConstraint("attempt_id", "syllable_index"),
        CheckConstraint("target IN ('H', 'L')", name="target"),
        CheckConstraint("produced IS NULL OR produced IN ('H', 'L')", name="produced"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(_fk("attempts.id"))
    syllable_index: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(1))
    onset_s: Mapped[float | None] = mapped_column(Float)
    offset_s: Mapped[float | None] = mapped_column(Float)
    duration_s: Mapped[float | None] = mapped_column(Float)
    f0_hz: Mapped[float | None] = mapped_column(Float)
    produced: Mapped[str | None] = mapped_column(String(1))
    error_cents: Mapped[float | None] = mapped_column(Float)


class TapRow(Base):
    __tablename__ = "taps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(_fk("attempts.id"), index=True)
    t_s: Mapped[float] = mapped_column(Float)
    syllable_index: Mapped[int | None] = mapped_column(Integer)
    asynchrony_ms: Mapped[float | None] = mapped_column(Float)


class AssessmentRow(Base):
    __tablename__ = "assessments"
    __table_args__ = (CheckConstraint("test IN ('WAB', 'BDAE', 'AAT', 'CAL', 'ANELT', 'CIU')", name="test"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"), index=True)
    test: Mapped[str] = mapped_column(String(16))
    subtest: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[float | None] = mapped_column(Float)
    time_point: Mapped[str] = mapped_column(String(64))
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    blinded: Mapped[bool] = mapped_column(Boolean)
    assessor_id: Mapped[int | None] = mapped_column(_fk("therapists.id", "RESTRICT"))
    notes: Mapped[str | None] = mapped_column(Text)


class EventRow(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int | None] = mapped_column(_fk("sessions.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(_fk("patients.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(64))
    payload_json: Mapped[str] = mapped_column(Text)


#: Tables whose rows may never be updated (enforced by triggers created in migration 0001).
APPEND_ONLY_TABLES = ("attempts", "syllables", "taps", "therapist_scores")


class RecordedModelRow(Base):
    """A therapist's own recording of a phrase's model (migration ``0002_recmodel``).

    Kept only when its analysis passed (``accepted``) or the therapist insisted, with a reason."""

    __tablename__ = "recorded_models"
    __table_args__ = (
        CheckConstraint("tempo_bpm > 0", name="tempo"),
        CheckConstraint("low_hz IS NULL OR low_hz > 0", name="low_hz"),
        CheckConstraint("interval_semitones >= 0 AND interval_semitones <= 12", name="interval"),
        CheckConstraint("mode IN ('sung', 'sprechgesang', 'spoken')", name="mode"),
        CheckConstraint("verdict IN ('pass', 'fail', 'no_response')", name="verdict"),
        CheckConstraint("sample_rate_hz > 0", name="sample_rate"),
        CheckConstraint(
            "accepted OR (insisted_reason IS NOT NULL AND length(trim(insisted_reason)) > 0)",
            name="kept_for_a_reason",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phrase_set: Mapped[str] = mapped_column(String(200))
    phrase_id: Mapped[str] = mapped_column(String(64), index=True)
    therapist_id: Mapped[int | None] = mapped_column(_fk("therapists.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    tempo_bpm: Mapped[float] = mapped_column(Float)
    low_hz: Mapped[float | None] = mapped_column(Float)
    interval_semitones: Mapped[float] = mapped_column(Float)
    mode: Mapped[str] = mapped_column(String(16))
    audio_path: Mapped[str] = mapped_column(String(500))
    sample_rate_hz: Mapped[int] = mapped_column(Integer)
    audio_sha256: Mapped[str] = mapped_column(String(64))
    duration_s: Mapped[float] = mapped_column(Float)
    analysis_json: Mapped[str] = mapped_column(Text)
    analysis_version: Mapped[str | None] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))
    accepted: Mapped[bool] = mapped_column(Boolean)
    insisted_reason: Mapped[str | None] = mapped_column(Text)


class AccessLogRow(Base):
    """One PIN attempt (never the PIN): ``unlock``, ``approve`` (a new therapist), ``setup`` (the first
    therapist) or ``refused`` (asked while throttled; not checked, not counted)."""

    __tablename__ = "access_log"
    __table_args__ = (CheckConstraint("action IN ('unlock', 'approve', 'setup', 'refused')", name="action"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    therapist_id: Mapped[int | None] = mapped_column(_fk("therapists.id", "SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    success: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ResearchIdRow(Base):
    """The clinic's key: patient -> random research id, one per export key (migration 0003_relstore)."""

    __tablename__ = "research_ids"
    __table_args__ = (
        UniqueConstraint("patient_id", "export_key"),
        UniqueConstraint("export_key", "research_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(_fk("patients.id"))
    export_key: Mapped[str] = mapped_column(String(64))
    research_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
