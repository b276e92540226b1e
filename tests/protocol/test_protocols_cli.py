"""``mit-trainer protocols list|validate|show``: output, exit status and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mit_trainer.cli import main as cli_main
from mit_trainer.cli.main import main
from mit_trainer.core.protocol_files import load_protocol


@pytest.fixture(autouse=True)
def _only_protocols_subcommand(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real entry point, without importing every other subcommand (and their signal libraries)."""
    assert "protocols" in cli_main.SUBCOMMAND_MODULES
    monkeypatch.setattr(cli_main, "SUBCOMMAND_MODULES", ("protocols",))


def test_list_shows_every_shipped_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocols", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["ID", "VER", "LEVELS"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert set(rows) == {"HE1989", "NS2009", "melody-only", "rhythm-only"}
    assert rows["HE1989"][1:4] == ["1", "3", "4/5/8"]
    assert main(["protocols", "list", "--json"]) == 0
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {o["id"]: o["max_points"] for o in objs}["HE1989"] == {"1": 4, "2": 5, "3": 8}


def test_show_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocols", "show", "he1989"]) == 0
    out = capsys.readouterr().out
    assert "Level 2 Intermediate (4-6 syllables), max 5 points" in out
    assert "Delayed repetition" in out and "backup to unison-fade" in out and "delay 6 s" in out
    assert main(["protocols", "show", "NS2009", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == "NS2009" and data["format"] == "mit-protocol/1"
    assert [s["taps"] for s in data["levels"][0]["steps"]] == ["hand-over-hand"] * 6


def test_show_unknown_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocols", "show", "NOPE"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mit-trainer: error: unknown protocol 'NOPE'")


def test_validate_good_and_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = load_protocol("HE1989").path
    assert good is not None
    assert main(["protocols", "validate", str(good)]) == 0
    assert "OK (HE1989 version 1, 3 levels)" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("cue: hum", "cue: whistle"), encoding="utf-8")
    assert main(["protocols", "validate", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    line = good.read_text(encoding="utf-8").splitlines().index("        cue: hum") + 1
    assert f"{bad}:{line}: error: levels[0].steps[0].cue: 'whistle' is not one of" in captured.out
    assert "1 of 2 file(s) have problems" in captured.err


def test_help_exits_cleanly() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["protocols", "validate", "--help"])
    assert exc.value.code == 0
