"""0004_voice: the patient's model voice.

Adds ``patient_settings.model_voice`` (nullable: None means the workstation's model-voice setting), the
per-patient choice of the voice that sings the model (``male``, ``female``, ``formant-male``...; issue 13).

Revision ID: 0004_voice
Revises: 0003_relstore
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_voice"
down_revision = "0003_relstore"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patient_settings") as batch:
        batch.add_column(sa.Column("model_voice", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patient_settings") as batch:
        batch.drop_column("model_voice")
