"""Migrations: empty -> head matches the models, downgrade to base and back, unknown schema refused."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from mit_trainer.storage import StoreError, open_store
from mit_trainer.storage import engine as db
from mit_trainer.storage.models import Base

TABLES = {
    "access_log",
    "research_ids",
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
    "recorded_models",
}


def test_upgrade_from_empty_matches_models_and_downgrade(empty_db_url: str) -> None:
    target = db.resolve_target(empty_db_url)
    engine = db.create_store_engine(target)
    try:
        assert db.current_revision(engine) is None
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision() == db.SCHEMA_HEAD
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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("UPDATE alembic_version SET version_num = '0099'", "newer than this MIT Trainer knows"),
        ("INSERT INTO alembic_version (version_num) VALUES ('0002')", "2 schema revisions"),
    ],
    ids=["newer schema", "two revisions"],
)
def test_open_store_refuses_a_schema_it_does_not_know(tmp_path: Path, change: str, message: str) -> None:
    path = tmp_path / "x.sqlite3"
    open_store(path).close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text(change))
    engine.dispose()
    with pytest.raises(StoreError, match=message):
        open_store(path)


def test_reopening_keeps_data(db_url: str, tmp_path: Path) -> None:
    s = open_store(db_url, recordings_dir=tmp_path)
    s.add_patient("P01")
    s.close()
    s = open_store(db_url, recordings_dir=tmp_path)
    assert [p.code for p in s.list_patients()] == ["P01"] and s.schema_revision() == db.SCHEMA_HEAD
    s.close()


@pytest.mark.postgres
def test_clients_opening_a_new_database_together_migrate_once(pg_server: Any, tmp_path: Path) -> None:
    """Two processes (say the GUI and a script) create the schema at the same moment."""
    url = pg_server.create_database(migrated=False)
    code = (
        "import sys; from mit_trainer.storage import open_store; "
        "print(open_store(sys.argv[1]).schema_revision())"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [(p.returncode, out.strip()) for p, (out, _err) in zip(procs, results, strict=True)] == [
        (0, db.SCHEMA_HEAD)
    ] * 2
    fresh = pg_server.create_database(migrated=False)
    with ThreadPoolExecutor(2) as pool:  # and two threads of one process
        stores = list(pool.map(lambda _: open_store(fresh, recordings_dir=tmp_path), range(2)))
    assert [s.schema_revision() for s in stores] == [db.SCHEMA_HEAD] * 2
    for s in stores:
        s.close()


def test_schema_head_constant_is_the_newest_migration() -> None:
    assert db.head_revision() == db.SCHEMA_HEAD


def test_only_a_database_to_migrate_loads_alembic(db_url: str, tmp_path: Path) -> None:
    """A database already at head opens without importing alembic (~0.3 s at every start-up)."""
    code = (
        "import sys; from pathlib import Path; from mit_trainer.storage import open_store; "
        "s = open_store(sys.argv[1], recordings_dir=Path(sys.argv[2])); "
        "print(s.schema_revision(), 'alembic' in sys.modules)"
    )

    def open_in_new_process() -> str:
        out = subprocess.run(
            [sys.executable, "-c", code, db_url, str(tmp_path)], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    with open_store(db_url, recordings_dir=tmp_path) as s:  # at head
        s.add_patient("P01")
    assert open_in_new_process() == f"{db.SCHEMA_HEAD} False"
    target = db.resolve_target(db_url)
    engine = db.create_store_engine(target)
    try:
        db.downgrade(engine, "base")
    finally:
        engine.dispose()
    assert open_in_new_process() == f"{db.SCHEMA_HEAD} True"  # an empty schema is migrated, with alembic
