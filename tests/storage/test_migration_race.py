"""Two processes on a brand-new SQLite file: the first migration runs once, and no write is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mit_trainer.storage import engine as db
from mit_trainer.storage import open_store

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')


def _add(db_path: Path, code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mit_trainer", "patients", "add", code, "--db", str(db_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ten_pairs_of_patients_add_on_a_new_database_lose_no_write(tmp_path: Path) -> None:
    failures = []
    for pair in range(10):
        path = tmp_path / f"new{pair}.sqlite3"
        procs = [_add(path, f"P{pair}A"), _add(path, f"P{pair}B")]
        for p in procs:
            _out, err = p.communicate(timeout=120)
            if p.returncode != 0:
                failures.append(f"pair {pair}: exit {p.returncode}: {err.strip()}")
        with open_store(path) as store:
            assert store.schema_revision() == db.SCHEMA_HEAD
            codes = [p.code for p in store.list_patients()]
        if codes != [f"P{pair}A", f"P{pair}B"]:
            failures.append(f"pair {pair}: patients {codes}")
    assert failures == []
