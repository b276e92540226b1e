"""SIGKILL in the middle of a session loses at most the attempt in progress; deleting a patient
leaves none of their rows, files or strings in the database file, its WAL or its shared memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers_storage import make_attempt
from sqlalchemy import text

from mit_trainer.storage import Consents, PatientIdentity, open_store

WRITER = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from helpers_storage import make_attempt
from mit_trainer.storage import Consents, open_store
store = open_store(sys.argv[1], recordings_dir=Path(sys.argv[2]))
p = store.add_patient("CRASH", Consents(research=True))
s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1", level=1)
print("session", s.id, flush=True)
i = 0
while True:
    print("begin", i, flush=True)
    store.record_attempt(s.id, make_attempt(i, points=i % 2))
    print("done", i, flush=True)
    i += 1
"""


def test_sigkill_mid_session_loses_at_most_the_attempt_in_progress(db_url: str, tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, db_url, str(rec), str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.split())
        if lines[-1] == ["done", "10"]:
            break
    os.kill(proc.pid, signal.SIGKILL)
    lines += [ln.split() for ln in proc.stdout.read().splitlines()]
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    done = max(int(n) for kind, n in lines if kind == "done")
    session_id = int(lines[0][1])

    store = open_store(db_url, recordings_dir=rec)
    assert store.check_integrity() == ["ok"]
    attempts = store.attempts_for_session(session_id)
    assert done + 1 <= len(attempts) <= done + 2  # attempts 0..done committed; maybe one more
    assert [a.item_index for a in attempts] == list(range(len(attempts)))
    assert all(len(a.syllables) == 2 and len(a.taps) == 2 for a in attempts)  # each written whole
    assert store.get_session(session_id).ended_at is None
    store.add_patient("AFTER")  # and it is writable
    store.close()


VICTIM = {
    "code": "ZQXVICTIM1",
    "name": "Wilhelmina Quarterfield",
    "notes": "allergic to xylophones",
    "reason": "reason-unique-8842-override",
}


def _files_text(db: Path) -> bytes:
    out = b""
    for suffix in ("", "-wal", "-shm"):
        f = Path(str(db) + suffix)
        if f.exists():
            out += f.read_bytes()
    return out


def test_delete_patient_leaves_no_trace(tmp_path: Path) -> None:
    db = tmp_path / "clinic" / "mit-trainer.sqlite3"
    store = open_store(db)
    keeper = store.add_patient("KEEPER", Consents(research=True), PatientIdentity(full_name="Kept Person"))
    victim = store.add_patient(
        VICTIM["code"],
        Consents(research=True, share_audio=True),
        PatientIdentity(full_name=VICTIM["name"], notes=VICTIM["notes"]),
    )
    folder = store.patient_recordings_dir(victim.id)
    assert VICTIM["code"] not in str(folder)  # the folder is named by an opaque key
    wavs = []
    for pid in (keeper.id, victim.id):
        s = store.start_session(pid, protocol_id="HE1989", protocol_version="1", level=1)
        for i in range(12):
            wav = store.patient_recordings_dir(pid) / f"s{s.id}-a{i}.wav"
            sf.write(wav, np.zeros(1600), 16000)
            a = store.record_attempt(s.id, make_attempt(i, audio_path=str(wav)))
            assert a.audio_sha256 is not None and not Path(a.audio_path or "").is_absolute()
            if pid == victim.id:
                wavs.append(wav)
                store.add_therapist_score(a.id, outcome="fail", points=0, reason=f"{VICTIM['reason']} {i}")
        store.end_session(s.id, notes=f"session notes {VICTIM['notes']}" if pid == victim.id else "fine")
    before = _files_text(db)
    for value in VICTIM.values():
        assert value.encode() in before, value  # the check below can fail

    report = store.delete_patient(victim.id)
    assert report.scrubbed and report.warnings == () and report.files_removed == 12
    after = _files_text(db)
    for value in VICTIM.values():
        assert value.encode() not in after, value
    assert b"KEEPER" in after and b"Kept Person" in after
    assert not any(w.exists() for w in wavs) and not folder.exists()
    assert len(list(store.recordings_dir.rglob("*.wav"))) == 12
    assert store.check_integrity() == ["ok"]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM attempts")).scalar_one() == 12
    store.close()
    assert VICTIM["code"].encode() not in _files_text(db)


@pytest.mark.postgres
def test_delete_patient_on_postgresql_removes_rows_and_files(pg_url: str, tmp_path: Path) -> None:
    store = open_store(pg_url, recordings_dir=tmp_path / "rec")
    victim = store.add_patient(VICTIM["code"], identity=PatientIdentity(full_name=VICTIM["name"]))
    s = store.start_session(victim.id, protocol_id="HE1989", protocol_version="1", level=1)
    wav = store.patient_recordings_dir(victim.id) / "a.wav"
    sf.write(wav, np.zeros(160), 16000)
    store.record_attempt(s.id, make_attempt(audio_path=str(wav)))
    report = store.delete_patient(victim.id)
    assert report.scrubbed and report.files_removed == 1 and not wav.exists()
    with store.engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM patient_identity WHERE full_name = :n"), {"n": VICTIM["name"]}
        ).scalar_one()
    assert found == 0 and store.list_patients() == []
    store.close()
