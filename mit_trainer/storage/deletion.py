"""Deleting a patient on request: rows, recordings, and any readable trace in the database files.

Rows go in one ``DELETE`` (foreign keys cascade to identity, settings, sessions, attempts,
syllables, taps, therapist scores, assessments and events). Then the recording files and the
patient's recordings folder are removed. On SQLite, ``secure_delete`` has already zeroed the freed
content; the WAL is checkpointed and truncated, the file is rebuilt with ``VACUUM`` (temporary
data kept in memory) and the WAL truncated again, so neither the database file nor ``-wal``/``-shm``
hold the patient's strings. On PostgreSQL the affected tables are rewritten with ``VACUUM FULL``;
the server's own write-ahead log segments keep old data until the server recycles them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.exc import DBAPIError

from mit_trainer.storage.base import StoreBase
from mit_trainer.storage.errors import UnknownPatient, UnsafePath
from mit_trainer.storage.models import AttemptRow, PatientRow, SessionRow

_PATIENT_TABLES = (
    "patients",
    "patient_identity",
    "patient_settings",
    "sessions",
    "attempts",
    "syllables",
    "taps",
    "therapist_scores",
    "assessments",
    "events",
    "research_ids",
)


@dataclass(frozen=True)
class DeletionReport:
    code: str
    sessions_deleted: int
    attempts_deleted: int
    files_removed: int
    scrubbed: bool  # True when the database files were compacted with nothing left behind
    warnings: tuple[str, ...] = ()


class DeletionMixin(StoreBase):
    def delete_patient(self, patient_id: int) -> DeletionReport:
        """Remove a patient's rows and recordings and scrub the database files (see module doc)."""
        warnings: list[str] = []
        with self._tx() as orm:
            # Only the two columns needed: a patient whose other values cannot be read can still be deleted.
            found = orm.execute(
                select(PatientRow.code, PatientRow.recordings_key).where(PatientRow.id == patient_id)
            ).one_or_none()
            if found is None:
                raise UnknownPatient(f"no patient with id {patient_id}")
            code, key = found
            session_ids = list(orm.scalars(select(SessionRow.id).where(SessionRow.patient_id == patient_id)))
            audio = list(
                orm.execute(
                    select(AttemptRow.id, AttemptRow.audio_path)
                    .join(SessionRow, SessionRow.id == AttemptRow.session_id)
                    .where(SessionRow.patient_id == patient_id, AttemptRow.audio_path.is_not(None))
                )
            )
            n_attempts = len(
                list(orm.scalars(select(AttemptRow.id).where(AttemptRow.session_id.in_(session_ids))))
            )
            orm.execute(delete(PatientRow).where(PatientRow.id == patient_id))
        for session_id in session_ids:  # a session of theirs this store runs: its lock file goes too
            self._release_session(session_id)
        files_removed = 0
        for attempt_id, rel in audio:
            if rel is None:
                continue
            try:  # a path from the database is checked before anything is deleted
                file = self.resolve_audio(rel)
            except UnsafePath as exc:
                warnings.append(f"attempts row {attempt_id}: {exc}; nothing removed there")
                continue
            if file.is_symlink() or (file.exists() and not file.is_file()):
                warnings.append(f"attempts row {attempt_id}: {file} is not a plain file; not removed")
                continue
            try:
                file.unlink()
                files_removed += 1
            except FileNotFoundError:
                pass
            except OSError as exc:
                warnings.append(f"could not remove {file}: {exc}")
        files_removed += self._remove_patient_folder(key, warnings)
        try:
            scrubbed = self._scrub(warnings)
        except DBAPIError as exc:
            scrubbed = False
            warnings.append(f"rows and files deleted, but compacting the database failed: {exc.orig}; retry")
        return DeletionReport(
            code=code,
            sessions_deleted=len(session_ids),
            attempts_deleted=n_attempts,
            files_removed=files_removed,
            scrubbed=scrubbed,
            warnings=tuple(warnings),
        )

    def _remove_patient_folder(self, key: str, warnings: list[str]) -> int:
        """Remove the patient's recordings folder (checked to be a real folder inside the recordings
        folder); symbolic links inside it are removed, never followed. Returns the files removed."""
        try:
            folder = self.patient_folder(key)
        except UnsafePath as exc:
            warnings.append(f"patients: {exc}; that folder was not removed")
            return 0
        if folder.is_symlink():
            warnings.append(f"recordings folder {folder} is a symbolic link; not followed, not removed")
            return 0
        if not folder.is_dir():
            return 0
        removed = sum(1 for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        shutil.rmtree(folder, ignore_errors=True)
        if folder.exists():
            warnings.append(f"could not remove folder {folder}")
        return removed

    def _scrub(self, warnings: list[str]) -> bool:
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if not self.is_sqlite:
                for table in _PATIENT_TABLES:
                    conn.exec_driver_sql(f"VACUUM FULL {table}")
                return True
            ok = True
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
            conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
            conn.exec_driver_sql("VACUUM")
            busy2 = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
            conn.exec_driver_sql("PRAGMA temp_store=DEFAULT")
            if busy or busy2:
                ok = False
                warnings.append("another connection kept the write-ahead log busy; close it and delete again")
            return ok

    def check_integrity(self) -> list[str]:
        """SQLite ``PRAGMA integrity_check`` lines (``["ok"]`` when sound); PostgreSQL: ``["ok"]``
        when the server answers."""
        try:
            with self._engine.connect() as conn:
                if self.is_sqlite:
                    return [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                conn.execute(text("SELECT 1"))
                return ["ok"]
        except DBAPIError as exc:
            text_ = str(exc.orig if exc.orig is not None else exc).strip()
            lines = [f"integrity_check failed: {text_.splitlines()[0] if text_ else type(exc).__name__}"]
        try:  # the quick form reads page structure only, and often still answers
            with self._engine.connect() as conn:
                quick = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check")]
        except DBAPIError:
            return lines
        return lines + [x for q in quick for x in q.splitlines() if x.strip() and x.strip() != "ok"]
