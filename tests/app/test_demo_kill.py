"""SIGKILL in the middle of a session: at most the attempt in progress is lost; the database opens cleanly,
and the next start closes the session as interrupted and lists the recording that has no row, once."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mit_trainer.storage import open_store

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')


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


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mit_trainer", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_after_kills_the_next_start_marks_the_session_interrupted_and_keeps_the_recording(tmp_path: Path):
    """Three kills at different moments (just after a commit, and 0.3 s and 1.1 s later: during the
    analysis of the next attempt or its database write); after each, the next command recovers."""
    db = tmp_path / "db.sqlite3"
    for round_, delay_s in enumerate((0.0, 0.3, 1.1)):
        proc = subprocess.Popen(
            [sys.executable, "-m", "mit_trainer", "demo", "--db", str(db), "--sessions", "2", "--items", "4"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            start = _count_attempts(db)
            deadline = time.monotonic() + 240
            while _count_attempts(db) < start + 2:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "demo ended"
                assert time.monotonic() < deadline, "the demo wrote no attempts in time"
                time.sleep(0.05)
            time.sleep(delay_s)
            committed = _count_attempts(db)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        first = _cli(db, "sessions", "list")
        assert first.returncode == 0, first.stderr
        lines = first.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("mit-trainer: recovered after a crash: 1 session(s)")
        assert "interrupted" in first.stdout
        again = _cli(db, "sessions", "list")  # said once
        assert again.returncode == 0 and again.stderr == ""
        with open_store(db) as store:
            sessions = store.list_sessions()
            assert all(s.ended_at is not None for s in sessions)
            assert len(store.interrupted_session_ids()) == round_ + 1
            attempts = [a for s in sessions for a in store.attempts_for_session(s.id)]
            assert len(attempts) >= committed  # no committed attempt lost
            rows = {a.audio_path for a in attempts}
            orphans = store.list_orphan_recordings()
            wavs = {
                p.relative_to(store.recordings_dir).as_posix() for p in store.recordings_dir.rglob("*.wav")
            }
            assert wavs == rows | {o.audio_path for o in orphans}  # every recording is reachable
            assert len(orphans) <= round_ + 1  # at most the attempt in progress, per kill
            for o in orphans:
                path = store.recordings_dir / o.audio_path
                assert hashlib.sha256(path.read_bytes()).hexdigest() == o.sha256
                assert o.audio_path in again.stdout or str(path) in again.stdout
