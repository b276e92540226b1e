"""The session store: one :class:`Store` object over SQLite or PostgreSQL, and :func:`open_store`.

Every method runs in its own transaction and returns frozen records (:mod:`.records`), never ORM
objects. Attempts are append-only; a therapist's judgement is a new row. Typical use::

    store = open_store(None)                       # the user's default database
    p = store.add_patient("P01", Consents(research=True))
    s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1", level=1)
    store.record_attempt(s.id, attempt_from_analysis(analysis, item_index=0, phrase_id="thank-you",
                                                     level=1, step_id="unison", step_index=2))
    store.end_session(s.id, fatigue_after=3, points_possible=4)
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from mit_trainer.storage import engine as db
from mit_trainer.storage import paths
from mit_trainer.storage.base import utc_now
from mit_trainer.storage.deletion import DeletionMixin
from mit_trainer.storage.errors import DamagedDatabase, DatabaseUnreachable, StoreError
from mit_trainer.storage.recovery import RecoveryMixin
from mit_trainer.storage.store_access import AccessMixin
from mit_trainer.storage.store_attempts import AttemptsMixin
from mit_trainer.storage.store_people import PeopleMixin
from mit_trainer.storage.store_recorded import RecordedModelsMixin
from mit_trainer.storage.store_sessions import SessionsMixin


class Store(
    PeopleMixin, SessionsMixin, AttemptsMixin, RecordedModelsMixin, DeletionMixin, AccessMixin, RecoveryMixin
):
    """Repository over the session database; build it with :func:`open_store`."""

    def schema_revision(self) -> str | None:
        return db.current_revision(self._engine)

    @property
    def damaged(self) -> str | None:
        """Why the file is open read-only (it failed ``PRAGMA quick_check`` on open), or None."""
        return self._damaged

    def backup(self, folder: Path | None = None) -> Path:
        """Copy the SQLite database with SQLite's online backup API (safe while others write) to
        ``<folder>/mit-trainer-<UTC time>.sqlite3`` (default folder: ``backups/`` beside the database),
        check the copy, and return its path."""
        if self.db_path is None:
            raise StoreError("a PostgreSQL database is backed up with the server's tools (pg_dump)")
        folder = folder if folder is not None else self.db_path.parent / paths.BACKUPS_DIRNAME
        stamp = utc_now().strftime("%Y%m%dT%H%M%S.%fZ")
        dest = folder / f"mit-trainer-{stamp}.sqlite3"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            db.backup_sqlite(self._engine, dest)
        except (OSError, sqlite3.Error, DBAPIError) as exc:
            with contextlib.suppress(OSError):
                dest.unlink(missing_ok=True)
            raise StoreError(f"backup of {self.location} to {dest} failed: {exc}") from exc
        result = db.quick_check_file(dest)
        if result != ["ok"]:
            raise StoreError(f"the backup {dest} fails its check: {result[0]}")
        return dest

    def __enter__(self) -> Store:
        return self


def open_store(
    url_or_path: str | Path | None = None,
    *,
    recordings_dir: Path | None = None,
    migrate: bool = True,
) -> Store:
    """Open (creating and migrating to the newest schema) the store at ``url_or_path``.

    ``None``: ``mit-trainer.sqlite3`` in the user data folder; a path: a SQLite file there;
    a ``postgresql+psycopg://`` URL: a PostgreSQL database. Recordings live in ``recordings/``
    beside a SQLite file, or in the user data folder for a server (unless ``recordings_dir``).
    Raises :class:`~mit_trainer.storage.errors.BadDatabaseUrl` or
    :class:`~mit_trainer.storage.errors.DatabaseUnreachable` with a one-line message.
    """
    target = db.resolve_target(url_or_path)
    try:
        engine = db.create_store_engine(target)
    except OSError as exc:
        raise DatabaseUnreachable(f"cannot create the database folder for {target.display()}: {exc}") from exc
    damaged: str | None = None
    try:
        revision = db.current_revision(engine)
        if target.sqlite_path is not None:
            damaged = _damage(engine, target.sqlite_path)
        if damaged is not None and revision != db.SCHEMA_HEAD:
            raise DamagedDatabase(damaged)
        if revision != db.SCHEMA_HEAD:
            _bring_to_head(engine, target, revision, migrate=migrate)
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        hint = ""
        if target.sqlite_path is not None and ("malformed" in reason or "not a database" in reason):
            hint = (
                f"; the file is damaged: copy the last backup (in "
                f"{target.sqlite_path.parent / paths.BACKUPS_DIRNAME}) over it"
            )
        raise DatabaseUnreachable(f"cannot open database {target.display()}: {reason}{hint}") from exc
    except StoreError:
        engine.dispose()
        raise
    rec = recordings_dir or paths.recordings_dir_for(target.sqlite_path)
    store = Store(engine, target, rec)
    store._damaged = damaged
    return store


def _damage(engine: Engine, path: Path) -> str | None:
    """None when ``PRAGMA quick_check`` passes; else the message, and ``engine`` made read-only."""
    with engine.connect() as conn:
        lines = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check")]
    if lines == ["ok"]:
        return None
    engine.dispose()
    event.listen(engine, "connect", _read_only)
    found = [x for line in lines for x in line.splitlines() if x.strip() and not x.startswith("***")]
    what = (found or ["quick_check failed"])[0] + (f" and {len(found) - 1} more" if len(found) > 1 else "")
    return (
        f"database {path} is damaged ({what}); it is open read-only. To recover, copy the last "
        f"backup (from 'mit-trainer db backup', in {path.parent / paths.BACKUPS_DIRNAME}) over it, or "
        f"save what is readable with: sqlite3 {path} .recover | sqlite3 recovered.sqlite3"
    )


def _read_only(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    try:
        cursor.execute("PRAGMA query_only=ON")
    finally:
        cursor.close()


def _bring_to_head(engine: Engine, target: db.Target, revision: str | None, *, migrate: bool) -> None:
    """A new or older database: migrate it (alembic is imported only here, see ``db.SCHEMA_HEAD``)."""
    from alembic.util import CommandError

    try:
        if revision is not None and revision not in db.known_revisions():
            raise StoreError(
                f"database {target.display()} has schema {revision!r}, newer than this MIT Trainer knows"
            )
        if migrate:
            db.upgrade(engine)
    except CommandError as exc:
        raise StoreError(f"cannot migrate database {target.display()}: {exc}") from exc
