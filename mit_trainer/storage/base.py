"""The part of :class:`~mit_trainer.storage.store.Store` every other part uses: the engine,
the recordings folder, transactions, and turning database errors into store errors."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any, TypeVar

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, StatementError
from sqlalchemy.orm import Session as OrmSession

from mit_trainer.storage import liveness
from mit_trainer.storage.engine import Target
from mit_trainer.storage.errors import (
    DamagedDatabase,
    DatabaseUnreachable,
    InvalidValue,
    UnknownPatient,
    UnknownRecord,
    UnreadableValue,
    UnsafePath,
)
from mit_trainer.storage.models import AttemptRow, PatientRow, SessionRow, TherapistScoreRow

T = TypeVar("T")
R = TypeVar("R")
M = TypeVar("M")
#: A folder name made by the store (a patient's recordings key): letters, digits, '-' and '_'.
FOLDER_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def contained(root: Path, relative: object, *, what: str) -> Path:
    """``root / relative`` when it stays inside ``root``; else :class:`UnsafePath`.

    ``relative`` comes from the database, so nothing about it is trusted: it must be a non-empty
    relative path (POSIX or Windows form) without ``..``, and the path with every symbolic link
    resolved must still lie inside the resolved ``root``."""
    if not isinstance(relative, str) or not relative.strip() or "\0" in relative:
        raise UnsafePath(f"{what} {relative!r} is not a usable path")
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or windows.root:
        raise UnsafePath(f"{what} {relative!r} is absolute; it must lie inside {root}")
    if ".." in posix.parts or ".." in windows.parts:
        raise UnsafePath(f"{what} {relative!r} leaves {root}")
    candidate = root / relative
    try:
        resolved, base = candidate.resolve(), root.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise UnsafePath(f"{what} {relative!r} cannot be resolved: {exc}") from exc
    if resolved != base and base not in resolved.parents:
        raise UnsafePath(f"{what} {relative!r} leads outside {root} (to {resolved})")
    return candidate


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
        self._problems: dict[str, None] = {}
        self._damaged: str | None = None
        self._session_locks: dict[int, tuple[IO[bytes], Path]] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Release every database connection (the store cannot be used afterwards)."""
        for session_id in list(self._session_locks):
            self._release_session(session_id, remove=False)  # still open: the next start recovers it
        self._engine.dispose()

    # -- sessions in progress (see storage.liveness and storage.recovery) ------------------------
    def _claim_session(self, session_id: int, recordings_key: str) -> None:
        """Hold the session's lock file (best effort: a folder that cannot be written is no reason to
        refuse a session; recovery then falls back on the session's age)."""
        try:
            path = self.patient_folder(recordings_key) / liveness.lock_name(session_id)
            fh = liveness.hold(path)
        except (OSError, UnsafePath):
            return
        if fh is None:
            return
        fh.write(json.dumps(liveness.process_tag() | {"session": session_id}).encode())
        fh.flush()
        self._session_locks[session_id] = (fh, path)

    def _release_session(self, session_id: int, *, remove: bool = True) -> None:
        held = self._session_locks.pop(session_id, None)
        if held is not None:
            liveness.release(held[0], held[1] if remove else None)

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
                if self._damaged is not None and "readonly" in _first_line(exc).replace("-", ""):
                    raise DamagedDatabase(self._damaged) from exc
                raise DatabaseUnreachable(f"database {self.location} failed: {_first_line(exc)}") from exc
            except StatementError as exc:  # a value the column types refuse (e.g. a naive datetime)
                if isinstance(exc.orig, ValueError | TypeError):
                    raise InvalidValue(str(exc.orig)) from exc
                raise
            except ValueError as exc:  # a stored value the column types cannot read (see _tolerant)
                raise UnreadableValue(
                    f"database {self.location}: a stored value cannot be read: {exc}"
                ) from exc

    # -- values from the database are not trusted ----------------------------------------------
    def _report(self, table: str, row_id: object, exc: BaseException) -> None:
        self._problems[f"{table} row {row_id}: {exc}; skipped"] = None

    def take_problems(self) -> list[str]:
        """Rows skipped since the last call, one line each (table, id, why); said once."""
        out = list(self._problems)
        self._problems.clear()
        return out

    def _tolerant(self, orm: OrmSession, stmt: Select[R], model: Any, table: str) -> list[R]:
        """The rows of ``stmt`` (``select(model)...``); a row whose values cannot be read (a date that is
        not a date) is reported with its table and id and left out instead of failing the whole list."""
        try:
            return list(orm.scalars(stmt))
        except ValueError:
            pass
        rows: list[R] = []
        for row_id in list(orm.scalars(stmt.with_only_columns(model.id))):
            try:
                rows.append(orm.scalars(stmt.where(model.id == row_id)).one())
            except ValueError as exc:
                self._report(table, row_id, exc)
        return rows

    def _converted(self, rows: list[R], fn: Callable[[R], T], table: str) -> list[T]:
        """``fn`` of each row; a row ``fn`` cannot read (garbage JSON) is reported and left out."""
        out: list[T] = []
        for row in rows:
            try:
                out.append(fn(row))
            except ValueError as exc:
                self._report(table, getattr(row, "id", "?"), exc)
        return out

    def _get(self, orm: OrmSession, model: type[M], key: object) -> M | None:
        """``orm.get`` that names the table and id of a row whose stored values cannot be read."""
        try:
            return orm.get(model, key)
        except ValueError as exc:
            table = getattr(model, "__tablename__", model.__name__)
            raise UnreadableValue(f"{table} row {key}: a stored value cannot be read: {exc}") from exc

    def _patient_row(self, orm: OrmSession, patient_id: int) -> PatientRow:
        row = self._get(orm, PatientRow, patient_id)
        if row is None:
            raise UnknownPatient(f"no patient with id {patient_id}")
        return row

    def _session_row(self, orm: OrmSession, session_id: int) -> SessionRow:
        row = self._get(orm, SessionRow, session_id)
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
        """Path of a stored (relative) ``audio_path``, checked to stay inside the recordings folder
        (raises :class:`UnsafePath` for ``..``, an absolute path or a symbolic link out)."""
        return contained(self._recordings_dir, audio_path, what="recording path")

    def patient_folder(self, recordings_key: str) -> Path:
        """A patient's recordings folder from its stored key, checked like :meth:`resolve_audio`."""
        if not isinstance(recordings_key, str) or not FOLDER_NAME_RE.fullmatch(recordings_key):
            raise UnsafePath(f"recordings key {recordings_key!r} is not a plain folder name")
        return contained(self._recordings_dir, recordings_key, what="recordings folder")

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
