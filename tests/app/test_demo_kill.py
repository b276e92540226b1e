"""SIGKILL in the middle of a session: at most the attempt in progress is lost; the database opens cleanly."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from mit_trainer.storage import open_store


def _count_attempts(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0)
        try:
            return int(con.execute("SELECT count(*) FROM attempts").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_sigkill_mid_session_loses_at_most_the_attempt_in_progress(tmp_path: Path):
    db = tmp_path / "db.sqlite3"
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mit_trainer", "demo", "--db", str(db), "--sessions", "3", "--items", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while _count_attempts(db) < 4:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "demo ended early"
            assert time.monotonic() < deadline, "the demo wrote no attempts in time"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()

    with open_store(db) as store:  # opens, recovers the WAL and checks the schema revision
        sessions = store.list_sessions()
        assert sessions and sessions[-1].ended_at is None  # the session was cut off mid-way
        attempts = [a for s in sessions for a in store.attempts_for_session(s.id)]
        assert len(attempts) >= 4
        for a in attempts:  # every stored attempt has its recording, intact
            path = store.recordings_dir / a.audio_path
            assert hashlib.sha256(path.read_bytes()).hexdigest() == a.audio_sha256
        wavs = list(store.recordings_dir.rglob("*.wav"))
        assert len(wavs) - len(attempts) <= 1  # at most the attempt in progress has no row
    # and the trainer carries on with the same database
    done = subprocess.run(
        [sys.executable, "-m", "mit_trainer", "demo", "--db", str(db), "--sessions", "1", "--items", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
