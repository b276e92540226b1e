"""Nothing read from the database is trusted: paths stay inside their root, bad rows are reported.

The tampering is what anyone who can write the shared database file can do (issue 14): recording
paths and a recordings key pointing out of the recordings folder, a patient code that is a path, a
date that is not a date, garbage analysis JSON, a dropped table, random bytes in the file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers_storage import make_attempt
from sqlalchemy import create_engine, text

from mit_trainer.app.export import export_dataset
from mit_trainer.cli.main import main
from mit_trainer.storage import Consents, Store, UnsafePath, open_store


def _clinic(tmp_path: Path) -> tuple[Path, list[int]]:
    """Two patients with research and audio consent, one session each with two recorded attempts."""
    db = tmp_path / "clinic" / "db.sqlite3"
    ids = []
    with open_store(db) as store:
        for code in ("P01", "P02"):
            p = store.add_patient(code, Consents(clinical=True, research=True, share_audio=True))
            s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1", level=1)
            for i in range(2):
                wav = store.patient_recordings_dir(p.id) / f"s{s.id}-{i}.wav"
                sf.write(wav, 0.1 * np.sin(np.arange(8000) / 7.0), 16000)
                ids.append(store.record_attempt(s.id, make_attempt(i, audio_path=str(wav))).id)
            store.end_session(s.id, points_possible=2)
    return db, ids


def _sql(db: Path, *statements: str) -> None:
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def _victims(tmp_path: Path) -> tuple[Path, Path]:
    victim_file = tmp_path / "victim-file.txt"
    victim_file.write_text("keep me")
    victim_dir = tmp_path / "victim-dir"
    victim_dir.mkdir()
    (victim_dir / "thesis.docx").write_text("keep me too")
    return victim_file, victim_dir


def test_contained_refuses_every_way_out(tmp_path: Path) -> None:
    from mit_trainer.storage.base import contained

    root = tmp_path / "rec"
    (root / "k").mkdir(parents=True)
    (root / "k" / "a.wav").write_bytes(b"x")
    os.symlink(tmp_path, root / "k" / "out")
    assert contained(root, "k/a.wav", what="recording") == root / "k" / "a.wav"
    for bad in ("../x", "k/../../x", "/etc/passwd", "C:\\x", "\\\\server\\share", "", "k/out/victim", "a\0b"):
        with pytest.raises(UnsafePath):
            contained(root, bad, what="recording")
    with pytest.raises(UnsafePath):
        contained(root, 17, what="recording")


def test_delete_follows_no_path_out_of_the_recordings_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, ids = _clinic(tmp_path)
    victim_file, victim_dir = _victims(tmp_path)
    rel_file = os.path.relpath(victim_file, db.parent / "recordings")
    rel_dir = os.path.relpath(victim_dir, db.parent / "recordings")
    _sql(
        db,
        "DROP TRIGGER trg_attempts_append_only",
        f"UPDATE attempts SET audio_path = '{rel_file}' WHERE id = {ids[0]}",
        f"UPDATE attempts SET audio_path = '{victim_file}' WHERE id = {ids[1]}",
        f"UPDATE patients SET recordings_key = '{rel_dir}' WHERE code = 'P01'",
    )
    assert rel_file.startswith("..")
    status = main(["patients", "delete", "P01", "--yes", "--db", str(db)])
    out, err = capsys.readouterr()
    assert status == 1 and err == ""  # done, with warnings
    assert victim_file.read_text() == "keep me" and (victim_dir / "thesis.docx").exists()
    assert f"attempts row {ids[0]}: recording path '{rel_file}' leaves" in out
    assert f"attempts row {ids[1]}: recording path '{victim_file}' is absolute" in out
    assert f"recordings key '{rel_dir}' is not a plain folder name" in out
    with open_store(db) as store:
        assert [p.code for p in store.list_patients()] == ["P02"]  # the rows are gone all the same


def test_delete_does_not_follow_a_symlinked_patient_folder(tmp_path: Path) -> None:
    db, _ids = _clinic(tmp_path)
    _victim_file, victim_dir = _victims(tmp_path)
    with open_store(db) as store:
        p = store.get_patient_by_code("P01")
        folder = store.recordings_dir / p.recordings_key
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
        os.symlink(victim_dir, folder)
        report = store.delete_patient(p.id)
    assert (victim_dir / "thesis.docx").exists()
    assert any("leads outside" in w or "symbolic link" in w for w in report.warnings), report.warnings


def test_export_writes_nothing_outside_out_and_copies_nothing_from_outside(tmp_path: Path) -> None:
    db, ids = _clinic(tmp_path)
    victim_file, _victim_dir = _victims(tmp_path)
    _sql(
        db,
        "DROP TRIGGER trg_attempts_append_only",
        f"UPDATE attempts SET audio_path = '{victim_file}' WHERE id = {ids[2]}",
        f"UPDATE attempts SET audio_path = '../../victim-file.txt' WHERE id = {ids[3]}",
        "UPDATE patients SET code = '../../../../../ESCAPED' WHERE code = 'P01'",
    )
    with open_store(db) as store:
        before = set(tmp_path.rglob("*"))  # the database's -wal and -shm files included
        for deidentify in (True, False):
            out = tmp_path / "exports" / f"out-{deidentify}"
            report = export_dataset(store, out, with_audio=True, deidentify=deidentify)
            made = set(tmp_path.rglob("*")) - before
            assert all(out in p.parents or p == out or p == out.parent for p in made), sorted(made)
            before |= made
            assert not any(b"keep me" in p.read_bytes() for p in out.rglob("*") if p.is_file())
            labels = [w.split(":")[0] for w in report.warnings]
            assert len(report.warnings) == 2 and all("not exported" in w for w in report.warnings), labels
            if deidentify:  # a research id labels the tampered patient: nothing path-like reaches a name
                assert len(report.participants) == 2
            else:
                assert report.excluded == (
                    ("../../../../../ESCAPED", "participant label '../../../../../ESCAPED' is not letters "
                     "and digits; not exported"),
                )  # fmt: skip
    assert not list(tmp_path.parent.rglob("ESCAPED*"))


def test_unreadable_rows_are_reported_with_table_and_id_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, ids = _clinic(tmp_path)
    _sql(
        db,
        "DROP TRIGGER trg_attempts_append_only",
        "UPDATE sessions SET started_at = 'not a date' WHERE id = 1",
        f"UPDATE attempts SET analysis_json = '{{garbage' WHERE id = {ids[3]}",
    )
    assert main(["sessions", "list", "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert "P02" in out and "P01" not in out  # the unreadable session is left out ...
    assert err.splitlines() == [  # ... and said once, with its table and id
        "mit-trainer: warning: sessions row 1: Invalid isoformat string: 'not a date'; skipped"
    ]
    assert main(["patients", "list", "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert "P01" in out and "P02" in out
    status = main(["export", "--db", str(db), "--out", str(tmp_path / "x"), "--format", "tsv"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert f"attempts row {ids[3]}: " in err and "skipped" in err and "Traceback" not in err
    with open_store(db) as store:
        session = store.list_sessions(store.get_patient_by_code("P02").id)[0]
        assert [a.id for a in store.attempts_for_session(session.id)] == [ids[2]]
        assert store.take_problems() == [f"attempts row {ids[3]}: " + store_json_error(store, ids[3])]


def store_json_error(store: Store, attempt_id: int) -> str:
    import json

    with store.engine.connect() as conn:
        raw = conn.execute(text(f"SELECT analysis_json FROM attempts WHERE id = {attempt_id}")).scalar_one()
    try:
        json.loads(raw)
    except ValueError as exc:
        return f"{exc}; skipped"
    raise AssertionError("the JSON was readable")


@pytest.mark.parametrize(
    ("argv", "table"),
    [
        (["patients", "list"], "patient_settings"),
        (["sessions", "list"], "sessions"),
        (["export", "--out", "{tmp}/out"], "attempts"),
        (["patients", "add", "P09"], "patient_settings"),
    ],
    ids=["patients-list", "sessions-list", "export", "patients-add"],
)
def test_a_dropped_table_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], table: str
) -> None:
    db, _ids = _clinic(tmp_path)
    _sql(db, f"DROP TABLE {table}")
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    status = main([*args, "--db", str(db)])
    err = capsys.readouterr().err
    assert status == 1 and len(err.splitlines()) == 1, err
    assert f"no such table: {table}" in err


@pytest.mark.parametrize("argv", [["patients", "list"], ["sessions", "list"], ["demo", "--sessions", "1"]])
def test_random_bytes_in_the_file_give_one_line_and_no_traceback(tmp_path: Path, argv: list[str]) -> None:
    db, _ids = _clinic(tmp_path)
    raw = bytearray(db.read_bytes())
    rng = np.random.default_rng(5)
    raw[100 : len(raw)] = rng.integers(0, 256, len(raw) - 100, dtype=np.uint8).tobytes()
    db.write_bytes(bytes(raw))
    for side in ("-wal", "-shm"):
        Path(str(db) + side).unlink(missing_ok=True)
    run = subprocess.run(
        [sys.executable, "-m", "mit_trainer", *argv, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert run.stderr.startswith("mit-trainer: error: ")


def test_a_patient_whose_row_cannot_be_read_can_still_be_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ids = _clinic(tmp_path)
    _sql(db, "UPDATE patients SET created_at = 'x' WHERE code = 'P01'")
    assert main(["patients", "delete", "P01", "--db", str(db)]) == 1
    assert "(? sessions" in capsys.readouterr().err
    assert main(["patients", "delete", "P01", "--yes", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("deleted patient P01: 1 sessions, 2 attempts, 2 recording files")
    with open_store(db) as store:
        assert [p.code for p in store.list_patients()] == ["P02"] and store.take_problems() == []


def test_an_unreadable_single_record_names_its_table_and_id(tmp_path: Path) -> None:
    """Issue 14: a read of one record (not a list) whose stored value cannot be read says which row."""
    from mit_trainer.storage.errors import UnreadableValue

    db, _ids = _clinic(tmp_path)
    _sql(db, "UPDATE patients SET created_at = 'not a date' WHERE code = 'P01'")
    with open_store(db) as store:
        pid = store.patient_id_for_code("P01")
        with pytest.raises(UnreadableValue, match=rf"^patients row {pid}: a stored value cannot be read"):
            store.get_patient(pid)
        with pytest.raises(UnreadableValue, match=rf"^patients row {pid}: "):
            store.get_patient_by_code("P01")
        assert store.get_patient_by_code("P02").code == "P02"  # the others still read
