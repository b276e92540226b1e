"""The part of :class:`~mit_trainer.storage.store.Store` every other part uses: the engine,
the recordings folder, transactions, and turning database errors into store errors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, StatementError
from sqlalchemy.orm import Session as OrmSession

from mit_trainer.storage.engine import Target
from mit_trainer.storage.errors import DatabaseUnreachable, InvalidValue, UnknownPatient, UnknownRecord
from mit_trainer.storage.models import AttemptRow, PatientRow, SessionRow, TherapistScoreRow


def utc_now() -> datetime:
    return datetime.now(UTC)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class StoreBase:
    """Holds the engine; subclasses add the public methods."""

    def __init__(self, engine: Engine, target: Target, recordings_dir: Path) -> None:
        self._engine = engine
        self._target = target
        self._recordings_dir = recordings_dir

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Release every database connection (the store cannot be used afterwards)."""
        self._engine.dispose()

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def location(self) -> str:
        """Printable database location, without any password."""
        return self._target.display()

    @property
    def is_sqlite(self) -> bool:
        return self._target.is_sqlite

    @property
    def db_path(self) -> Path | None:
        """The SQLite database file (None for a server database)."""
        return self._target.sqlite_path

    @property
    def recordings_dir(self) -> Path:
        """Folder holding the recordings; ``Attempt.audio_path`` is relative to it."""
        return self._recordings_dir

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- helpers ---------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[OrmSession]:
        """One transaction: committed on success, rolled back on error; CHECK failures and
        foreign-key failures become :class:`InvalidValue`."""
        with OrmSession(self._engine, expire_on_commit=False) as orm:
            try:
                with orm.begin():
                    yield orm
            except IntegrityError as exc:
                raise InvalidValue(_integrity_message(exc)) from exc
            except OperationalError as exc:
                raise DatabaseUnreachable(f"database {self.location} failed: {_first_line(exc)}") from exc
            except StatementError as exc:  # a value the column types refuse (e.g. a naive datetime)
                if isinstance(exc.orig, ValueError | TypeError):
                    raise InvalidValue(str(exc.orig)) from exc
                raise

    def _patient_row(self, orm: OrmSession, patient_id: int) -> PatientRow:
        row = orm.get(PatientRow, patient_id)
        if row is None:
            raise UnknownPatient(f"no patient with id {patient_id}")
        return row

    def _session_row(self, orm: OrmSession, session_id: int) -> SessionRow:
        row = orm.get(SessionRow, session_id)
        if row is None:
            raise UnknownRecord(f"no session with id {session_id}")
        return row

    def _final_points_sum(self, session_id: int) -> int:
        """Sum over a session's attempts of the final points (latest therapist score, else automatic)."""
        latest = (
            select(TherapistScoreRow.attempt_id, func.max(TherapistScoreRow.id).label("score_id"))
            .group_by(TherapistScoreRow.attempt_id)
            .subquery()
        )
        stmt = (
            select(AttemptRow.points_awarded, TherapistScoreRow.id, TherapistScoreRow.points)
            .outerjoin(latest, latest.c.attempt_id == AttemptRow.id)
            .outerjoin(TherapistScoreRow, TherapistScoreRow.id == latest.c.score_id)
            .where(AttemptRow.session_id == session_id)
        )
        with self._tx() as orm:
            self._session_row(orm, session_id)
            total = 0
            for auto, score_id, therapist in orm.execute(stmt):
                value = therapist if score_id is not None else auto
                total += value or 0
            return total

    def resolve_audio(self, audio_path: str) -> Path:
        """Absolute path of a stored (relative) ``audio_path``."""
        return self._recordings_dir / audio_path

    def _relative_audio(self, audio_path: str | Path) -> str:
        path = Path(audio_path)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(self._recordings_dir.resolve())
            except ValueError as exc:
                raise InvalidValue(
                    f"recording {audio_path} is outside the recordings folder {self._recordings_dir}"
                ) from exc
        if ".." in path.parts:
            raise InvalidValue(f"recording path {audio_path} leaves the recordings folder")
        return path.as_posix()


def _first_line(exc: DBAPIError) -> str:
    text = str(exc.orig if exc.orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _integrity_message(exc: IntegrityError) -> str:
    return f"rejected by the database: {_first_line(exc)}"
