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

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from mit_trainer.storage import engine as db
from mit_trainer.storage import paths
from mit_trainer.storage.deletion import DeletionMixin
from mit_trainer.storage.errors import DatabaseUnreachable, StoreError
from mit_trainer.storage.store_access import AccessMixin
from mit_trainer.storage.store_attempts import AttemptsMixin
from mit_trainer.storage.store_people import PeopleMixin
from mit_trainer.storage.store_sessions import SessionsMixin


class Store(PeopleMixin, SessionsMixin, AttemptsMixin, DeletionMixin, AccessMixin):
    """Repository over the session database; build it with :func:`open_store`."""

    def schema_revision(self) -> str | None:
        return db.current_revision(self._engine)

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
    try:
        revision = db.current_revision(engine)
        if revision != db.SCHEMA_HEAD:
            _bring_to_head(engine, target, revision, migrate=migrate)
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise DatabaseUnreachable(f"cannot open database {target.display()}: {reason}") from exc
    except StoreError:
        engine.dispose()
        raise
    rec = recordings_dir or paths.recordings_dir_for(target.sqlite_path)
    return Store(engine, target, rec)


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
