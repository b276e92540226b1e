"""``mit-trainer assessments add|list`` and the research export's assessments table (issue 16, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mit_trainer.cli import main as cli_main
from mit_trainer.cli.main import main
from mit_trainer.storage import open_store


@pytest.fixture(autouse=True)
def _only_data_subcommands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_main, "SUBCOMMAND_MODULES", ("patients", "assessments"))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_add_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "a.sqlite3")
    assert _run(capsys, "patients", "add", "P10", "--research-consent", "--db", db)[0] == 0
    status, out, _ = _run(
        capsys, "assessments", "add", "P10", "--test", "WAB", "--score", "62.5", "--date", "2026-03-01",
        "--time-point", "baseline", "--subtest", "AQ", "--blinded", "--db", db,
    )  # fmt: skip
    assert status == 0 and "added WAB baseline (2026-03-01) for P10: 62.5" in out
    _run(capsys, "assessments", "add", "P10", "--test", "ANELT", "--score", "30", "--date", "2026-05-01",
         "--time-point", "post", "--db", db)  # fmt: skip
    status, out, _ = _run(capsys, "assessments", "list", "P10", "--db", db)
    lines = out.splitlines()
    assert status == 0 and lines[0].split()[:3] == ["date", "test", "subtest"]
    assert lines[1].split() == ["2026-03-01", "WAB", "AQ", "baseline", "62.5", "yes"]
    assert lines[2].split() == ["2026-05-01", "ANELT", "post", "30", "no"]
    with open_store(db) as store:
        p = store.get_patient_by_code("P10")
        rows = store.list_assessments(p.id)
    assert [(a.test, a.score, a.blinded) for a in rows] == [("WAB", 62.5, True), ("ANELT", 30.0, False)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--test", "MMSE"], "invalid choice"),
        (["--score", "nan"], "not a plausible score"),
        (["--score", "abc"], "not a number"),
        (["--date", "01/03/2026"], "not a date"),
        (["--date", "2999-01-01"], "in the future"),
        (["--time-point", " "], "printable characters"),
    ],
)
def test_bad_values_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    db = str(tmp_path / "a.sqlite3")
    _run(capsys, "patients", "add", "P11", "--db", db)
    args = {"--test": "WAB", "--score": "50", "--date": "2026-03-01", "--time-point": "baseline"}
    args.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    with pytest.raises(SystemExit) as exc:
        main(["assessments", "add", "P11", *[x for kv in args.items() for x in kv], "--db", db])
    _out, err = capsys.readouterr()
    assert exc.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_unknown_patient_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "a.sqlite3")
    _run(capsys, "patients", "add", "P12", "--db", db)
    status, _out, err = _run(capsys, "assessments", "list", "NOPE", "--db", db)
    assert status != 0 and len(err.strip().splitlines()) == 1 and "NOPE" in err
