"""0001: initial schema of the session store.

Therapists; patients with a separate identity table and per-patient settings; sessions;
append-only attempts with their syllables, taps and therapist scores; assessments; events.
Written from ``alembic revision --autogenerate`` and checked by hand; triggers make the
append-only tables reject ``UPDATE`` on SQLite and PostgreSQL alike.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("attempts", "syllables", "taps", "therapist_scores")


def _create_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION mit_reject_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
    for table in APPEND_ONLY_TABLES:
        if dialect == "sqlite":
            op.execute(
                f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        elif dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mit_reject_update()"
            )


def _drop_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS mit_reject_update()")


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("recordings_key", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_clinical", sa.Boolean(), nullable=False),
        sa.Column("consent_research", sa.Boolean(), nullable=False),
        sa.Column("consent_share_audio", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("code", name=op.f("uq_patients_code")),
        sa.UniqueConstraint("recordings_key", name=op.f("uq_patients_recordings_key")),
    )
    op.create_table(
        "therapists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("pin_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_therapists")),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("test", sa.String(length=16), nullable=False),
        sa.Column("subtest", sa.String(length=100), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("time_point", sa.String(length=64), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blinded", sa.Boolean(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "test IN ('WAB', 'BDAE', 'AAT', 'CAL', 'ANELT', 'CIU')", name=op.f("ck_assessments_test")
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"],
            ["therapists.id"],
            name=op.f("fk_assessments_assessor_id_therapists"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_assessments_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index(op.f("ix_assessments_patient_id"), "assessments", ["patient_id"], unique=False)
    op.create_table(
        "patient_identity",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_patient_identity_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_identity")),
    )
    op.create_table(
        "patient_settings",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("low_note_hz", sa.Float(), nullable=True),
        sa.Column("interval_semitones", sa.Float(), nullable=False),
        sa.Column("tempo_bpm", sa.Float(), nullable=False),
        sa.Column("tap_side", sa.String(length=8), nullable=False),
        sa.Column("font_scale", sa.Float(), nullable=False),
        sa.Column("protocol_id", sa.String(length=64), nullable=False),
        sa.Column("phrase_set", sa.String(length=200), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tap_side IN ('left', 'right')", name=op.f("ck_patient_settings_tap_side")),
        sa.CheckConstraint(
            "interval_semitones > 0 AND interval_semitones <= 12", name=op.f("ck_patient_settings_interval")
        ),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name=op.f("ck_patient_settings_level")),
        sa.CheckConstraint(
            "low_note_hz IS NULL OR low_note_hz > 0", name=op.f("ck_patient_settings_low_note")
        ),
        sa.CheckConstraint("tempo_bpm > 0", name=op.f("ck_patient_settings_tempo")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_patient_settings_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_settings")),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("protocol_id", sa.String(length=64), nullable=False),
        sa.Column("protocol_version", sa.String(length=32), nullable=False),
        sa.Column("phrase_set_name", sa.String(length=200), nullable=True),
        sa.Column("phrase_set_sha256", sa.String(length=64), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fatigue_before", sa.Integer(), nullable=True),
        sa.Column("fatigue_after", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("points_earned", sa.Integer(), nullable=True),
        sa.Column("points_possible", sa.Integer(), nullable=True),
        sa.Column("advancement_decision", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "advancement_decision IN ('none', 'proposed', 'accepted', 'declined', 'flagged')",
            name=op.f("ck_sessions_advancement"),
        ),
        sa.CheckConstraint("fatigue_after BETWEEN 0 AND 10", name=op.f("ck_sessions_fatigue_after")),
        sa.CheckConstraint("fatigue_before BETWEEN 0 AND 10", name=op.f("ck_sessions_fatigue_before")),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name=op.f("ck_sessions_level")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_sessions_patient_id_patients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"],
            ["therapists.id"],
            name=op.f("fk_sessions_therapist_id_therapists"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("patient_id", "number", name=op.f("uq_sessions_patient_id_number")),
    )
    op.create_index(op.f("ix_sessions_patient_id"), "sessions", ["patient_id"], unique=False)
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("item_index", sa.Integer(), nullable=False),
        sa.Column("phrase_id", sa.String(length=64), nullable=False),
        sa.Column("trained", sa.Boolean(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("backup", sa.Boolean(), nullable=False),
        sa.Column("cue", sa.String(length=32), nullable=False),
        sa.Column("fade_start_s", sa.Float(), nullable=True),
        sa.Column("fade_end_s", sa.Float(), nullable=True),
        sa.Column("tempo_bpm", sa.Float(), nullable=True),
        sa.Column("interval_semitones", sa.Float(), nullable=True),
        sa.Column("low_note_hz", sa.Float(), nullable=True),
        sa.Column("delay_s", sa.Float(), nullable=True),
        sa.Column("analysis_mode", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audio_path", sa.String(length=500), nullable=True),
        sa.Column("audio_sha256", sa.String(length=64), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("response_latency_s", sa.Float(), nullable=True),
        sa.Column("analysis_json", sa.Text(), nullable=True),
        sa.Column("analysis_version", sa.String(length=64), nullable=True),
        sa.Column("tracker", sa.String(length=64), nullable=True),
        sa.Column("score_contour", sa.Float(), nullable=True),
        sa.Column("score_rhythm", sa.Float(), nullable=True),
        sa.Column("score_completeness", sa.Float(), nullable=True),
        sa.Column("score_voicing", sa.Float(), nullable=True),
        sa.Column("score_overall", sa.Float(), nullable=True),
        sa.Column("auto_verdict", sa.String(length=16), nullable=True),
        sa.Column("points_awarded", sa.Integer(), nullable=True),
        sa.Column("interrupted", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "auto_verdict IN ('pass', 'fail', 'no_response')", name=op.f("ck_attempts_verdict")
        ),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name=op.f("ck_attempts_level")),
        sa.CheckConstraint("points_awarded IS NULL OR points_awarded >= 0", name=op.f("ck_attempts_points")),
        sa.CheckConstraint("try_number >= 1", name=op.f("ck_attempts_try_number")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_attempts_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
    )
    op.create_index(op.f("ix_attempts_phrase_id"), "attempts", ["phrase_id"], unique=False)
    op.create_index(op.f("ix_attempts_session_id"), "attempts", ["session_id"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_events_patient_id_patients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_events_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_patient_id"), "events", ["patient_id"], unique=False)
    op.create_index(op.f("ix_events_session_id"), "events", ["session_id"], unique=False)
    op.create_table(
        "syllables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("syllable_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=1), nullable=False),
        sa.Column("onset_s", sa.Float(), nullable=True),
        sa.Column("offset_s", sa.Float(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("f0_hz", sa.Float(), nullable=True),
        sa.Column("produced", sa.String(length=1), nullable=True),
        sa.Column("error_cents", sa.Float(), nullable=True),
        sa.CheckConstraint("produced IS NULL OR produced IN ('H', 'L')", name=op.f("ck_syllables_produced")),
        sa.CheckConstraint("target IN ('H', 'L')", name=op.f("ck_syllables_target")),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_syllables_attempt_id_attempts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_syllables")),
        sa.UniqueConstraint(
            "attempt_id", "syllable_index", name=op.f("uq_syllables_attempt_id_syllable_index")
        ),
    )
    op.create_table(
        "taps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("t_s", sa.Float(), nullable=False),
        sa.Column("syllable_index", sa.Integer(), nullable=True),
        sa.Column("asynchrony_ms", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_taps_attempt_id_attempts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taps")),
    )
    op.create_index(op.f("ix_taps_attempt_id"), "taps", ["attempt_id"], unique=False)
    op.create_table(
        "therapist_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('pass', 'fail', 'no_response')", name=op.f("ck_therapist_scores_outcome")
        ),
        sa.CheckConstraint("points IS NULL OR points >= 0", name=op.f("ck_therapist_scores_points")),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_therapist_scores_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"],
            ["therapists.id"],
            name=op.f("fk_therapist_scores_therapist_id_therapists"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_therapist_scores")),
    )
    op.create_index(op.f("ix_therapist_scores_attempt_id"), "therapist_scores", ["attempt_id"], unique=False)
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    op.drop_index(op.f("ix_therapist_scores_attempt_id"), table_name="therapist_scores")
    op.drop_table("therapist_scores")
    op.drop_index(op.f("ix_taps_attempt_id"), table_name="taps")
    op.drop_table("taps")
    op.drop_table("syllables")
    op.drop_index(op.f("ix_events_session_id"), table_name="events")
    op.drop_index(op.f("ix_events_patient_id"), table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_attempts_session_id"), table_name="attempts")
    op.drop_index(op.f("ix_attempts_phrase_id"), table_name="attempts")
    op.drop_table("attempts")
    op.drop_index(op.f("ix_sessions_patient_id"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("patient_settings")
    op.drop_table("patient_identity")
    op.drop_index(op.f("ix_assessments_patient_id"), table_name="assessments")
    op.drop_table("assessments")
    op.drop_table("therapists")
    op.drop_table("patients")
