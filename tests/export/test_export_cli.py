"""``mit-trainer export``: summary output and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from export_fixtures import Clinic

from mit_trainer.cli import main as cli_main
from mit_trainer.cli.main import main


@pytest.fixture(autouse=True)
def _only_data_subcommands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load only the subcommands under test (the others import the signal-processing stack)."""
    monkeypatch.setattr(cli_main, "SUBCOMMAND_MODULES", ("export",))


def test_export_command_prints_summary(
    clinic: Clinic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    status = main(
        ["export", "--db", str(clinic.db), "--out", str(out_dir), "--with-audio", "--format", "tsv"]
    )
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"exported 2 participants to {out_dir}"
    assert (
        "attempts         6" in lines
        and "recorded_models  1" in lines
        and "excluded P03: no research consent" in lines
    )
    assert any(
        line.startswith("files: ") and "(6 recordings for 5 attempts and 1 recorded model)" in line
        for line in lines
    )
    assert len(pd.read_csv(out_dir / "attempts.tsv", sep="\t")) == 6 and not list(out_dir.glob("*.parquet"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--patients", "NOPE"], "unknown patient 'NOPE'"),
        (["--format", "xlsx"], None),
        (["--since", "yesterday"], None),
    ],
)
def test_export_errors(
    clinic: Clinic, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str | None
) -> None:
    argv = ["export", "--db", str(clinic.db), "--out", str(tmp_path / "o"), *extra]
    if message is None:  # argparse rejects the value: usage error, exit 2
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        return
    assert main(argv) == 1
    assert capsys.readouterr().err == f"mit-trainer: error: {message}\n"
