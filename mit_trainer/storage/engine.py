"""Opening a database: URL or path resolution, SQLite pragmas, and schema migrations.

``None`` means the default SQLite file in the user data folder, a path means a SQLite file
there (a folder means ``<folder>/mit-trainer.sqlite3``), a ``postgresql://`` or
``postgresql+psycopg://`` URL means a PostgreSQL server.

SQLite runs with ``journal_mode=WAL`` (readers never block the writer), ``foreign_keys=ON``
(cascades and references are enforced), ``secure_delete=ON`` (deleted content is overwritten
with zeros) and ``synchronous=FULL``: in WAL mode NORMAL already survives a crash of the
process, but a power cut may lose the last commits; FULL syncs the WAL on every commit, which
costs a few milliseconds per attempt (one commit every several seconds), a price worth paying
for clinical records.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from mit_trainer.storage import paths
from mit_trainer.storage.errors import BadDatabaseUrl, StoreError

if TYPE_CHECKING:
    from alembic.config import Config

#: The newest schema revision (the head of ``migrations/versions``; a test checks it against alembic).
#: Opening a database already at this revision needs no alembic at all: its import alone takes ~0.3 s
#: and, on the start-up worker, holds the interpreter lock for stretches the GUI thread would wait on.
SCHEMA_HEAD = "0004_voice"

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",  # first: switching a new file to WAL waits for a second process
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
    "PRAGMA synchronous=FULL",
)


@dataclass(frozen=True)
class Target:
    """Where the store lives: a SQLAlchemy URL and, for SQLite, the database file."""

    url: URL
    sqlite_path: Path | None

    @property
    def is_sqlite(self) -> bool:
        return self.sqlite_path is not None

    def display(self) -> str:
        """A printable name without any password."""
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        return self.url.render_as_string(hide_password=True)


def resolve_target(url_or_path: str | Path | None) -> Target:
    """Turn the ``--db`` argument into a :class:`Target`; raises :class:`BadDatabaseUrl`."""
    if url_or_path is None:
        return _sqlite_target(paths.default_db_path())
    if isinstance(url_or_path, Path) or "://" not in url_or_path:
        text = str(url_or_path).strip()
        if not text:
            raise BadDatabaseUrl("empty database path")
        return _sqlite_target(Path(text).expanduser())
    try:
        url = make_url(url_or_path)
    except (ArgumentError, ValueError) as exc:
        raise BadDatabaseUrl(f"not a database URL: {url_or_path!r}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BadDatabaseUrl("an in-memory SQLite database cannot keep recordings; give a file")
        return _sqlite_target(Path(url.database).expanduser())
    if backend == "postgresql":
        if url.drivername != "postgresql+psycopg":
            url = url.set(drivername="postgresql+psycopg")
        return Target(url=url, sqlite_path=None)
    raise BadDatabaseUrl(f"unsupported database {backend!r}: give a file path or a postgresql+psycopg:// URL")


def _sqlite_target(path: Path) -> Target:
    if path.is_dir():
        path = path / paths.DB_FILENAME
    path = path.absolute()
    return Target(url=URL.create("sqlite+pysqlite", database=str(path)), sqlite_path=path)


def create_store_engine(target: Target) -> Engine:
    """A SQLAlchemy engine for ``target``; SQLite connections get the pragmas above."""
    if target.sqlite_path is not None:
        target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(target.url)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    try:
        return create_engine(target.url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (NoSuchModuleError, ImportError) as exc:  # pragma: no cover - psycopg missing
        raise BadDatabaseUrl(f"PostgreSQL driver not installed: {exc}") from exc


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _alembic_config(connection: Any = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    location = resources.files("mit_trainer.storage") / "migrations"
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["connection"] = connection
    return cfg


#: Alembic keeps the running migration in module globals (``alembic.op``, ``alembic.context``), so two
#: threads of one process must not migrate at the same time; this lock guards that library state.
_ALEMBIC_LOCK = threading.Lock()
#: Key of the PostgreSQL advisory lock that serialises migrations of clients starting together.
_MIGRATION_LOCK = 0x4D17_0001


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (``head`` by default) in one transaction.

    On PostgreSQL an advisory lock makes clients that open the database at the same moment
    migrate one after the other (the second then finds nothing to do).
    """
    from alembic import command

    if engine.dialect.name == "sqlite":
        _upgrade_sqlite(engine, revision)
        return
    with _ALEMBIC_LOCK, engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        command.upgrade(_alembic_config(conn), revision)


def _upgrade_sqlite(engine: Engine, revision: str) -> None:
    """Migrate a SQLite file inside one ``BEGIN IMMEDIATE`` transaction.

    Python's sqlite3 driver opens a transaction only before INSERT/UPDATE/DELETE, so alembic's
    ``CREATE TABLE`` statements ran outside any transaction: two processes opening a brand-new file
    both created the tables and one failed ("table patients already exists"). Here the driver is put
    in autocommit mode and the transaction is begun by hand with ``BEGIN IMMEDIATE``, which takes the
    write lock at once: a second process waits (``busy_timeout``), then re-reads the revision inside
    its own transaction and finds nothing left to do. SQLite's DDL is transactional, so a migration
    cut off half-way leaves the file as it was.
    """
    from alembic import command
    from sqlalchemy.pool import NullPool

    migrator = create_engine(engine.url, poolclass=NullPool)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        _sqlite_on_connect(dbapi_connection, _record)
        dbapi_connection.isolation_level = None  # the driver begins nothing by itself

    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(migrator, "connect", on_connect)
    event.listen(migrator, "begin", on_begin)
    try:
        with _ALEMBIC_LOCK, migrator.begin() as conn:
            if revision == "head" and _revision_in(conn) == SCHEMA_HEAD:
                return  # another process migrated while this one waited for the lock
            command.upgrade(_alembic_config(conn), revision)
    finally:
        migrator.dispose()


def _revision_in(conn: Any) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` removes every table)."""
    from alembic import command

    with _ALEMBIC_LOCK, engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database).

    Read from alembic's version table with plain SQL (one row: this schema has a single branch)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise StoreError(f"the database has {len(rows)} schema revisions at once: {sorted(rows)}")
    return rows[0] if rows else None


def head_revision() -> str:
    """The newest schema revision this version of MIT Trainer knows (from the migration scripts)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def backup_sqlite(engine: Engine, dest: Path) -> None:
    """Copy the SQLite database of ``engine`` to a new file ``dest`` with SQLite's online backup API."""
    import sqlite3

    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(str(dest))
        try:
            raw.driver_connection.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()
    finally:
        raw.close()


def quick_check_file(path: Path) -> list[str]:
    """``PRAGMA quick_check`` of a SQLite file, opened read-only (``["ok"]`` when sound)."""
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [str(r[0]) for r in con.execute("PRAGMA quick_check")]
    finally:
        con.close()
