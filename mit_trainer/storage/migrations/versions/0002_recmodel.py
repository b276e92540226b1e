"""0002_recmodel: therapists' recorded models of phrases.

One row per kept recording: the phrase (set name and id), the therapist, the tempo, low note,
interval and analysis mode it was sung at, the WAV inside the recordings folder with its sample
rate and SHA-256, the scoring pipeline's analysis JSON, whether the analysis passed (``accepted``)
and, when it did not, the therapist's reason for keeping it anyway (a CHECK requires one).

Revision ID: 0002_recmodel
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_recmodel"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recorded_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase_set", sa.String(length=200), nullable=False),
        sa.Column("phrase_id", sa.String(length=64), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tempo_bpm", sa.Float(), nullable=False),
        sa.Column("low_hz", sa.Float(), nullable=True),
        sa.Column("interval_semitones", sa.Float(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("audio_path", sa.String(length=500), nullable=False),
        sa.Column("sample_rate_hz", sa.Integer(), nullable=False),
        sa.Column("audio_sha256", sa.String(length=64), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("analysis_json", sa.Text(), nullable=False),
        sa.Column("analysis_version", sa.String(length=64), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("insisted_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("tempo_bpm > 0", name=op.f("ck_recorded_models_tempo")),
        sa.CheckConstraint("low_hz IS NULL OR low_hz > 0", name=op.f("ck_recorded_models_low_hz")),
        sa.CheckConstraint(
            "interval_semitones >= 0 AND interval_semitones <= 12", name=op.f("ck_recorded_models_interval")
        ),
        sa.CheckConstraint(
            "mode IN ('sung', 'sprechgesang', 'spoken')", name=op.f("ck_recorded_models_mode")
        ),
        sa.CheckConstraint(
            "verdict IN ('pass', 'fail', 'no_response')", name=op.f("ck_recorded_models_verdict")
        ),
        sa.CheckConstraint("sample_rate_hz > 0", name=op.f("ck_recorded_models_sample_rate")),
        sa.CheckConstraint(
            "accepted OR (insisted_reason IS NOT NULL AND length(trim(insisted_reason)) > 0)",
            name=op.f("ck_recorded_models_kept_for_a_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"],
            ["therapists.id"],
            name=op.f("fk_recorded_models_therapist_id_therapists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recorded_models")),
    )
    op.create_index(op.f("ix_recorded_models_phrase_id"), "recorded_models", ["phrase_id"], unique=False)
    op.create_index(
        op.f("ix_recorded_models_therapist_id"), "recorded_models", ["therapist_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_recorded_models_therapist_id"), table_name="recorded_models")
    op.drop_index(op.f("ix_recorded_models_phrase_id"), table_name="recorded_models")
    op.drop_table("recorded_models")
