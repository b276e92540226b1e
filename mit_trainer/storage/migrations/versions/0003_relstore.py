"""0003_relstore: the access audit and the research-id key.

``access_log`` holds every PIN attempt (who was chosen, when, what for, whether it succeeded;
never the PIN); the lock screen's throttle is computed from it, so a restart does not reset it.
``research_ids`` is the clinic's key from a patient to the random research id used in
de-identified exports, one per export key; it is deleted with the patient.

Revision ID: 0003_relstore
Revises: 0002_recmodel
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_relstore"
down_revision = "0002_recmodel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('unlock', 'approve', 'setup', 'refused')", name=op.f("ck_access_log_action")
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"],
            ["therapists.id"],
            name=op.f("fk_access_log_therapist_id_therapists"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index(op.f("ix_access_log_created_at"), "access_log", ["created_at"], unique=False)
    op.create_table(
        "research_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("export_key", sa.String(length=64), nullable=False),
        sa.Column("research_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_research_ids_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_ids")),
        sa.UniqueConstraint("patient_id", "export_key", name=op.f("uq_research_ids_patient_id_export_key")),
        sa.UniqueConstraint("export_key", "research_id", name=op.f("uq_research_ids_export_key_research_id")),
    )


def downgrade() -> None:
    op.drop_table("research_ids")
    op.drop_index(op.f("ix_access_log_created_at"), table_name="access_log")
    op.drop_table("access_log")
