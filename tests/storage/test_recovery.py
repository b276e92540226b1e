"""Recovery after a crash: open sessions whose process is gone, and recordings with no attempt row."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import soundfile as sf
from helpers_storage import make_attempt

from mit_trainer.app.startup import open_trainer_store
from mit_trainer.storage import Consents, open_store
from mit_trainer.storage.liveness import lock_name


def _session_with_an_attempt_in_progress(db: Path) -> tuple[int, Path, Path]:
    """A store that started a session, recorded one attempt and left a second WAV with no row; the store
    is returned open (its process 'runs' the session)."""
    store = open_store(db)
    p = store.add_patient("P01", Consents(clinical=True))
    s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1", level=1)
    folder = store.patient_recordings_dir(p.id)
    done = folder / f"s{s.id}-0001.wav"
    sf.write(done, np.zeros(16000), 16000)
    store.record_attempt(s.id, make_attempt(0, audio_path=str(done)))
    orphan = folder / f"s{s.id}-0002.wav"
    sf.write(orphan, np.zeros(24000), 16000)  # 1.5 s, its row never written
    return s.id, orphan, store  # type: ignore[return-value]


def test_a_live_session_is_left_alone_and_a_dead_one_is_recovered_once(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    session_id, orphan, runner = _session_with_an_attempt_in_progress(db)
    lock = orphan.parent / lock_name(session_id)
    assert json.loads(lock.read_text())["session"] == session_id
    with open_store(db) as other:  # a second program while the session runs: nothing to recover
        assert not other.recover_after_crash()
    runner.close()  # the process is gone without ending the session (its lock is released)
    started = open_trainer_store(db)
    with started.store as store:
        report = started.recovery
        assert report.sessions == (("P01", 1),)
        assert [(o.audio_path, o.duration_s, o.size_bytes) for o in report.orphans] == [
            (orphan.relative_to(store.recordings_dir).as_posix(), 1.5, orphan.stat().st_size)
        ]
        assert started.message == (
            "recovered after a crash: 1 session(s) a crash left open marked interrupted (P01 #1); "
            "1 recording(s) of an attempt in progress (1.5 s) kept and listed in 'mit-trainer sessions list'"
        )
        session = store.get_session(session_id)
        assert session.ended_at is not None and session.points_earned == 1
        assert store.interrupted_session_ids() == {session_id}
        assert store.list_orphan_recordings() == list(report.orphans)
        assert orphan.exists() and not lock.exists()
        assert not store.recover_after_crash()  # said once
    assert not open_trainer_store(db).recovery


def test_a_killed_process_releases_its_session(tmp_path: Path) -> None:
    """A real kill: the child starts a session and is SIGKILLed; the lock dies with it."""
    db = tmp_path / "db.sqlite3"
    with open_store(db) as store:
        store.add_patient("P01")
    code = (
        "import os, signal, sys; from mit_trainer.storage import open_store; "
        "s = open_store(sys.argv[1]); p = s.get_patient_by_code('P01'); "
        "x = s.start_session(p.id, protocol_id='HE1989', protocol_version='1', level=1); "
        "print(x.id, flush=True); os.kill(os.getpid(), signal.SIGKILL)"
    )
    run = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=120)
    assert run.returncode == -9 and run.stdout.strip() == "1"
    with open_store(db) as store:
        assert store.recover_after_crash().sessions == (("P01", 1),)


def test_sessions_without_a_lock_of_this_computer_wait_until_stale(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    now = datetime.now(UTC)
    with open_store(db) as store:
        p = store.add_patient("P01")
        s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1", level=1, started_at=now)
        lock = store.patient_recordings_dir(p.id) / lock_name(s.id)
    lock.write_text(json.dumps({"host": "another-computer", "pid": 1, "session": s.id}))
    with open_store(db) as store:
        assert not store.recover_after_crash(now=now + timedelta(hours=1))  # maybe running elsewhere
        assert store.recover_after_crash(now=now + timedelta(hours=13)).sessions == (("P01", 1),)
