"""Store fixtures: a private PostgreSQL 15 server for the session, and a store per backend.

The server is a throw-away cluster (``initdb`` in a temporary folder, unix socket there and
127.0.0.1 on a free port, ``fsync=off``) run as the ``postgres`` user when the tests run as root.
Without PostgreSQL the PostgreSQL cases skip locally, but FAIL in CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from mit_trainer.storage import Store, open_store

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


def _pg_bin() -> Path | None:
    for d in PG_BIN_DIRS:
        if (Path(d) / "initdb").exists():
            return Path(d)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="mitpg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._n_db = 0

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"
        )
        opts = f"-k {self.root} -p {self.port} -h 127.0.0.1 -F -c fsync=off -c full_page_writes=off"
        log = self.root / "server.log"
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", opts, "-w", "start"
        )

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@/{name}?host={self.root}&port={self.port}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(
            dbname="postgres", user="postgres", host=str(self.root), port=self.port, autocommit=True
        ) as conn:
            conn.execute(sql)

    def create_database(self, *, migrated: bool = True) -> str:
        """A new database: a copy of a template already migrated to head (fast), or empty."""
        self._n_db += 1
        name = f"mit{self._n_db}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {'mit_template' if migrated else 'template0'}")
        return self.url(name)

    def prepare_template(self) -> None:
        self._admin("CREATE DATABASE mit_template TEMPLATE template0")
        open_store(self.url("mit_template"), recordings_dir=self.root / "unused").close()

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL is not installed (scripts/setup.sh --dev installs it); required in CI")
        pytest.skip("PostgreSQL not installed")
    server = PgServer(bindir)
    try:
        server.start()
        server.prepare_template()
    except (subprocess.CalledProcessError, OSError, psycopg.Error) as exc:
        detail = (
            exc.stderr.decode(errors="replace") if isinstance(exc, subprocess.CalledProcessError) else exc
        )
        server.stop()
        pytest.fail(f"could not start a private PostgreSQL server: {detail}")
    except BaseException:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh PostgreSQL database for one test, already at the newest schema."""
    return pg_server.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (no tables) on each backend, for migration tests."""
    if request.param == "sqlite":
        return str(tmp_path / "empty.sqlite3")
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database(migrated=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database argument for each backend: a SQLite file path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "db" / "mit-trainer.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    s = open_store(db_url, recordings_dir=tmp_path / "db" / "recordings")
    yield s
    s.close()
