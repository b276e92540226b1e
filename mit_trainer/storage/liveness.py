"""Is the process that runs a session still alive? An exclusive lock on a small file says so.

The store that starts a session holds ``.session-<id>.lock`` in the patient's recordings folder
locked (``flock`` on POSIX, ``msvcrt.locking`` on Windows) until the session ends or the process
dies: the operating system releases the lock of a killed process. On the next start, a session that
is still open but whose lock nobody holds was left by a crash (:mod:`mit_trainer.storage.recovery`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO


def lock_name(session_id: int) -> str:
    return f".session-{session_id}.lock"


def hold(path: Path) -> IO[bytes] | None:
    """Open and lock ``path`` (created if missing); the open file keeps the lock. None if held elsewhere."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+b")
    if _try_lock(fh):
        return fh
    fh.close()
    return None


def release(fh: IO[bytes], path: Path | None = None) -> None:
    """Drop the lock (closing the file does) and remove the lock file."""
    try:
        fh.close()
    finally:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()


def is_held(path: Path) -> bool:
    """True while another open file (this process or another) holds ``path`` locked."""
    if not path.exists():
        return False
    try:
        fh = path.open("a+b")
    except OSError:
        return True  # cannot tell: treat as alive, never recover a live session
    try:
        return not _try_lock(fh)
    finally:
        fh.close()


def _try_lock(fh: IO[bytes]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def process_tag() -> dict[str, object]:
    """Who runs a session: host name and process id (written beside the lock, for the therapist)."""
    import socket

    return {"host": socket.gethostname(), "pid": os.getpid()}
