"""After a crash: open sessions nobody runs any more, and recordings that never got their row.

A kill during an attempt leaves that attempt's WAV (written as it arrives) with no attempt row, and
the session open forever. :meth:`RecoveryMixin.recover_after_crash` runs when the trainer or a
command that opens the store starts: a session still open whose lock (see
:mod:`mit_trainer.storage.liveness`) nobody holds is closed and marked interrupted (an event
``session_interrupted``), and each ``s<session>-*.wav`` of it without an attempt row is kept where it
is and listed (an event ``orphan_recording`` with its path, size, checksum and duration), so the
therapist can still reach it. Both are written once, so the next start says nothing.

A lock file written on another computer (a shared PostgreSQL database) cannot be tested from here:
such a session, and one with no lock file (made before this version), is taken as abandoned only
when it started more than :data:`STALE_AFTER` ago.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mit_trainer.storage import convert, liveness
from mit_trainer.storage.base import StoreBase, sha256_file, utc_now
from mit_trainer.storage.errors import StoreError, UnsafePath
from mit_trainer.storage.models import AttemptRow, EventRow, PatientRow, SessionRow

STALE_AFTER = timedelta(hours=12)
_WAV_RE = re.compile(r"^s(\d+)-.*\.wav$", re.IGNORECASE)


@dataclass(frozen=True)
class OrphanRecording:
    session_id: int
    patient_code: str
    audio_path: str  # relative to the recordings folder
    size_bytes: int
    duration_s: float | None
    sha256: str


@dataclass(frozen=True)
class RecoveryReport:
    sessions: tuple[tuple[str, int], ...] = ()  # (patient code, session number) marked interrupted
    orphans: tuple[OrphanRecording, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.sessions or self.orphans)

    def message(self) -> str:
        """One line for the therapist (empty when nothing was recovered)."""
        if not self:
            return ""
        parts = []
        if self.sessions:
            named = ", ".join(f"{code} #{n}" for code, n in self.sessions)
            parts.append(f"{len(self.sessions)} session(s) a crash left open marked interrupted ({named})")
        if self.orphans:
            seconds = sum(o.duration_s or 0.0 for o in self.orphans)
            parts.append(
                f"{len(self.orphans)} recording(s) of an attempt in progress ({seconds:.1f} s) kept "
                "and listed in 'mit-trainer sessions list'"
            )
        return "recovered after a crash: " + "; ".join(parts)


class RecoveryMixin(StoreBase):
    def recover_after_crash(self, *, now: datetime | None = None) -> RecoveryReport:
        """Close and mark the sessions a crash left open, and list their recordings without a row."""
        if self._damaged is not None:
            return RecoveryReport()  # nothing is written into a damaged file
        now = now or utc_now()
        with self._tx() as orm:
            stmt = (
                select(
                    SessionRow.id,
                    SessionRow.number,
                    SessionRow.started_at,
                    PatientRow.code,
                    PatientRow.recordings_key,
                )
                .join(PatientRow, PatientRow.id == SessionRow.patient_id)
                .where(SessionRow.ended_at.is_(None))
                .order_by(SessionRow.id)
            )
            try:
                open_sessions = list(orm.execute(stmt))
            except ValueError:  # an unreadable date: those sessions are reported by the lists
                return RecoveryReport()
        sessions: list[tuple[str, int]] = []
        orphans: list[OrphanRecording] = []
        for session_id, number, started_at, code, key in open_sessions:
            if session_id in self._session_locks:
                continue  # this store runs it
            try:
                folder = self.patient_folder(key)
            except UnsafePath as exc:
                self._report("patients", code, exc)
                continue
            if not _abandoned(folder / liveness.lock_name(session_id), started_at, now):
                continue
            found = self._orphans(session_id, code, folder)
            try:
                self._close_interrupted(session_id, found, started_at, now)
            except StoreError as exc:
                self._report("sessions", session_id, exc)
                continue
            (folder / liveness.lock_name(session_id)).unlink(missing_ok=True)
            sessions.append((code, number))
            orphans.extend(found)
        return RecoveryReport(tuple(sessions), tuple(orphans))

    def list_orphan_recordings(self) -> list[OrphanRecording]:
        """Recordings kept after a crash without an attempt row (``orphan_recording`` events)."""
        out = []
        for ev in self._events_of("orphan_recording"):
            if ev.session_id is None:
                continue
            p = ev.payload
            out.append(
                OrphanRecording(
                    session_id=ev.session_id,
                    patient_code=str(p.get("patient_code", "")),
                    audio_path=str(p.get("audio_path", "")),
                    size_bytes=int(p.get("size_bytes", 0)),
                    duration_s=p.get("duration_s"),
                    sha256=str(p.get("sha256", "")),
                )
            )
        return out

    def interrupted_session_ids(self) -> set[int]:
        return {e.session_id for e in self._events_of("session_interrupted") if e.session_id is not None}

    def _events_of(self, kind: str) -> list[Any]:
        with self._tx() as orm:
            stmt = select(EventRow).where(EventRow.kind == kind).order_by(EventRow.id)
            return self._converted(self._tolerant(orm, stmt, EventRow, "events"), convert.event, "events")

    def _orphans(self, session_id: int, code: str, folder: Path) -> list[OrphanRecording]:
        if not folder.is_dir():
            return []
        with self._tx() as orm:
            known = set(orm.scalars(select(AttemptRow.audio_path).where(AttemptRow.session_id == session_id)))
        out = []
        for wav in sorted(folder.iterdir()):
            match = _WAV_RE.match(wav.name)
            if match is None or int(match.group(1)) != session_id or wav.is_symlink() or not wav.is_file():
                continue
            rel = wav.relative_to(self._recordings_dir).as_posix()
            if rel in known:
                continue
            out.append(
                OrphanRecording(
                    session_id=session_id,
                    patient_code=code,
                    audio_path=rel,
                    size_bytes=wav.stat().st_size,
                    duration_s=_wav_duration_s(wav),
                    sha256=sha256_file(wav),
                )
            )
        return out

    def _close_interrupted(
        self, session_id: int, orphans: list[OrphanRecording], started_at: datetime, now: datetime
    ) -> None:
        points = self._final_points_sum(session_id)
        with self._tx() as orm:
            row = self._session_row(orm, session_id)
            last = orm.scalar(
                select(AttemptRow.started_at)
                .where(AttemptRow.session_id == session_id)
                .order_by(AttemptRow.started_at.desc())
                .limit(1)
            )
            ended = max(started_at, last or started_at)
            row.ended_at = min(max(ended, started_at), max(now, started_at))
            row.points_earned = points
            for o in orphans:
                orm.add(_event(session_id, row.patient_id, now, "orphan_recording", o.__dict__))
            orm.add(
                _event(
                    session_id,
                    row.patient_id,
                    now,
                    "session_interrupted",
                    {"reason": "left open by a crash", "orphan_recordings": len(orphans)},
                )
            )


def _abandoned(lock: Path, started_at: datetime, now: datetime) -> bool:
    """The session's process is gone: its lock file (from this computer) is held by nobody."""
    if liveness.is_held(lock):
        return False
    tag = _lock_tag(lock)
    if tag is not None and tag.get("host") == liveness.process_tag()["host"]:
        return True
    return now - started_at > STALE_AFTER  # no lock file, or one from another computer


def _lock_tag(lock: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(lock.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _wav_duration_s(path: Path) -> float | None:
    """Duration of a WAV, also one cut off by a kill (header sizes not yet written): from the data
    actually on disk; None when it is not a readable WAV."""
    try:
        import soundfile as sf

        info = sf.info(str(path))
        if info.frames > 0 and info.samplerate > 0:
            return round(info.frames / info.samplerate, 3)
    except Exception:  # any unreadable file is simply listed without a duration
        return None
    return None


def _event(session_id: int, patient_id: int, now: datetime, kind: str, payload: dict[str, Any]) -> EventRow:
    return EventRow(
        session_id=session_id,
        patient_id=patient_id,
        created_at=now,
        kind=kind,
        payload_json=convert.dump_json(payload) or "{}",
    )
