"""Migrations: empty -> head matches the models, downgrade to base and back, unknown schema refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from mit_trainer.storage import StoreError, open_store
from mit_trainer.storage import engine as db
from mit_trainer.storage.models import Base

TABLES = {
    "therapists",
    "patients",
    "patient_identity",
    "patient_settings",
    "sessions",
    "attempts",
    "therapist_scores",
    "syllables",
    "taps",
    "assessments",
    "events",
}


def test_upgrade_from_empty_matches_models_and_downgrade(empty_db_url: str) -> None:
    target = db.resolve_target(empty_db_url)
    engine = db.create_store_engine(target)
    try:
        assert db.current_revision(engine) is None
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision() == "0001"
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        with engine.connect() as conn:
            diffs = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diffs == []
        db.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        db.upgrade(engine)
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_open_store_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    open_store(path).close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this MIT Trainer knows"):
        open_store(path)


def test_reopening_keeps_data(db_url: str, tmp_path: Path) -> None:
    s = open_store(db_url, recordings_dir=tmp_path)
    s.add_patient("P01")
    s.close()
    s = open_store(db_url, recordings_dir=tmp_path)
    assert [p.code for p in s.list_patients()] == ["P01"] and s.schema_revision() == "0001"
    s.close()
