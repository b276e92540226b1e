"""Opening a store: default location, paths and URLs, pragmas, one-line errors."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from mit_trainer.storage import BadDatabaseUrl, DatabaseUnreachable, open_store
from mit_trainer.storage.engine import resolve_target


def test_default_location_is_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIT_TRAINER_HOME", str(tmp_path / "home"))
    store = open_store(None)
    assert store.db_path == tmp_path / "home" / "mit-trainer.sqlite3"
    assert store.recordings_dir == tmp_path / "home" / "recordings"
    assert store.db_path.exists()
    store.close()


def test_folder_and_url_forms(tmp_path: Path) -> None:
    assert resolve_target(tmp_path).sqlite_path == tmp_path / "mit-trainer.sqlite3"
    assert resolve_target(f"sqlite:///{tmp_path}/a.db").sqlite_path == tmp_path / "a.db"
    pg = resolve_target("postgresql://u:secret@db.example/mit")
    assert pg.url.drivername == "postgresql+psycopg" and "secret" not in pg.display()
    for bad, msg in (
        ("mysql://x/y", "unsupported database 'mysql'"),
        ("sqlite://", "in-memory"),
        ("", "empty"),
        ("postgresql://x:notaport/y", "not a database URL"),
    ):
        with pytest.raises(BadDatabaseUrl, match=msg):
            resolve_target(bad)


def test_sqlite_pragmas_on_every_connection(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.sqlite3")
    for _ in range(2):
        with store.engine.connect() as conn:
            got = [
                conn.execute(text(f"PRAGMA {p}")).scalar_one()
                for p in ("journal_mode", "foreign_keys", "secure_delete", "synchronous")
            ]
        assert got == ["wal", 1, 1, 2]  # synchronous 2 = FULL
    store.close()


def test_unreachable_server_is_one_line_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    t0 = time.monotonic()
    with pytest.raises(
        DatabaseUnreachable, match=rf"cannot open database postgresql\+psycopg://u:\*\*\*@127.0.0.1:{port}/x"
    ) as exc:
        open_store(f"postgresql://u:pw@127.0.0.1:{port}/x")
    assert "\n" not in str(exc.value) and "pw" not in str(exc.value)
    assert time.monotonic() - t0 < 10


def test_not_a_database_file(tmp_path: Path) -> None:
    bad = tmp_path / "junk.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseUnreachable, match=r"junk\.sqlite3"):
        open_store(bad)
