"""``mit-trainer patients`` and ``sessions``: scripted patient management with one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers_storage import make_attempt

from mit_trainer.cli import main as cli_main
from mit_trainer.cli.main import main
from mit_trainer.storage import open_store


@pytest.fixture(autouse=True)
def _only_data_subcommands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load only the subcommands under test (the others import the signal-processing stack)."""
    monkeypatch.setattr(cli_main, "SUBCOMMAND_MODULES", ("patients", "sessions"))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_patients_add_list_consent_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.sqlite3")
    status, out, _ = _run(
        capsys, "patients", "add", "P01", "--research-consent", "--name", "Ann Smith", "--db", db
    )
    assert status == 0 and "added patient P01 (clinical=no, research=yes, share-audio=no)" in out
    assert _run(capsys, "patients", "add", "P02", "--clinical-consent", "--db", db)[0] == 0
    status, out, _ = _run(capsys, "patients", "list", "--db", db)
    lines = out.splitlines()
    assert lines[0].split() == [
        "code",
        "added",
        "clinical",
        "research",
        "share-audio",
        "level",
        "sessions",
        "last",
        "session",
    ]
    assert lines[1].split()[2:5] == ["no", "yes", "no"] and "Ann Smith" not in out
    assert "Ann Smith" in _run(capsys, "patients", "list", "--names", "--db", db)[1]
    status, out, _ = _run(capsys, "patients", "consent", "P01", "--share-audio-consent", "--db", db)
    assert out.strip() == "P01: clinical=no, research=yes, share-audio=yes"
    status, _, err = _run(capsys, "patients", "delete", "P01", "--db", db)
    assert status == 1 and err == (
        "mit-trainer: error: this permanently deletes patient P01 (0 sessions and their recordings); "
        "add --yes to confirm\n"
    )
    status, out, _ = _run(capsys, "patients", "delete", "P01", "--yes", "--db", db)
    assert status == 0 and out.startswith("deleted patient P01: 0 sessions") and "scrubbed: yes" in out
    assert [p.code for p in open_store(db).list_patients()] == ["P02"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("patients", "add", "P02"), "a patient with code 'P02' already exists"),
        (("patients", "add", "Ann Smith"), "patient code 'Ann Smith' must be 1-32 letters or digits"),
        (("patients", "delete", "NOPE", "--yes"), "unknown patient 'NOPE'"),
        (("sessions", "list", "--patient", "NOPE"), "unknown patient 'NOPE'"),
    ],
)
def test_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    db = str(tmp_path / "c.sqlite3")
    open_store(db).add_patient("P02")
    status, out, err = _run(capsys, *argv, "--db", db)
    assert status == 1 and out == ""
    assert err.startswith(f"mit-trainer: error: {message}") and err.count("\n") == 1


def test_bad_url_and_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "patients", "list", "--db", "mysql://x/y")
    assert status == 1 and err.startswith("mit-trainer: error: unsupported database 'mysql'")
    status, _, err = _run(capsys, "sessions", "list", "--db", "postgresql://u@127.0.0.1:1/x")
    assert status == 1 and err.startswith("mit-trainer: error: cannot open database") and err.count("\n") == 1


def test_default_db_is_the_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIT_TRAINER_HOME", str(tmp_path / "home"))
    assert _run(capsys, "patients", "add", "P09")[0] == 0
    assert (tmp_path / "home" / "mit-trainer.sqlite3").exists()
    assert "P09" in _run(capsys, "patients", "list")[1]


def test_sessions_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.sqlite3")
    store = open_store(db)
    p = store.add_patient("P01")
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    s = store.start_session(
        p.id, protocol_id="HE1989", protocol_version="1.0", level=2, started_at=t0, fatigue_before=2
    )
    store.record_attempt(s.id, make_attempt(0, points=2, level=2, started_at=t0))
    store.record_attempt(s.id, make_attempt(1, points=1, level=2, started_at=t0))
    store.end_session(
        s.id, fatigue_after=5, points_possible=10, ended_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    )
    store.start_session(
        p.id,
        protocol_id="HE1989",
        protocol_version="1.0",
        level=2,
        started_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    status, out, _ = _run(capsys, "sessions", "list", "--patient", "P01", "--db", db)
    rows = [line.split() for line in out.splitlines()]
    assert status == 0 and rows[0][:2] == ["patient", "#"] and len(rows) == 3
    assert rows[1][4:] == ["30", "min", "2", "HE1989", "1.0", "2", "3/10", "2->5", "none"]
    assert rows[2][4:] == ["open", "2", "HE1989", "1.0", "0", "0/?", "-->-", "none"]
    store.close()
