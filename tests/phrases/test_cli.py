"""``mit-trainer phrases validate|list`` through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from mit_trainer.cli.main import main

SIX_MISTAKES = """\
format: mit-phrases/1
name: Six mistakes
language: en
phrases:
  - id: thank-you
    text: Thank you
    level: 4
  - id: Good_Morning
    text: Good morning
    level: 1
  - id: thank-you
    text: Thanks
    level: 1
  - id: water
    text: Water please
    level: 1
    syllables: [wa, ter, please]
    pattern: [H, L]
  - id: help
    text: Help me
    level: 1
    pattern: [H, X]
  - id: bye
    text: Bye bye
    level: 1
    colour: blue
"""


def test_six_mistakes_six_messages_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "six.yaml"
    f.write_text(SIX_MISTAKES)
    assert main(["phrases", "validate", str(f)]) == 1
    lines = capsys.readouterr().out.splitlines()
    issues, summary = [x for x in lines[:-1] if ": error: " in x], lines[-1]
    assert len(issues) == 6, lines
    # the fields of a phrase whose id is wrong are still checked (issue 16)
    assert f"{f}:13: warning: phrases[2].syllables: 1 syllables is outside level 1's range of 2-3" in lines
    expected = [
        (7, "thank-you.level"),
        (8, "phrases[1].id"),
        (11, "thank-you.id"),
        (18, "water.pattern"),
        (22, "help.pattern"),
        (26, "bye.colour"),
    ]
    for line, (n, fld) in zip(issues, expected, strict=True):
        assert line.startswith(f"{f}:{n}: error: {fld}: "), line
    assert "6 error(s), 1 warning(s)" in summary


def test_shipped_folder_validates_clean(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    assert main(["phrases", "validate", str(root / "phrases")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["4 file(s), 128 valid phrase(s): 0 error(s), 0 warning(s) - OK"]


def test_warnings_only_exit_0_unless_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "w.yaml"
    f.write_text(
        "format: mit-phrases/1\nname: W\nlanguage: en\nphrases:\n"
        "  - id: a\n    text: Thank you\n    level: 3\n"
    )
    assert main(["phrases", "validate", str(f)]) == 0
    out = capsys.readouterr().out
    assert f"{f}:7: warning: a.syllables: 2 syllables is outside level 3's range of 6-9" in out
    assert main(["phrases", "validate", "--strict", str(f)]) == 1


def test_missing_path_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["phrases", "validate", str(tmp_path / "nope.yaml")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{tmp_path / 'nope.yaml'}: error: no such file"
    assert main(["phrases", "list", str(tmp_path / "nope.yaml")]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        f"mit-trainer: error: {tmp_path / 'nope.yaml'}: no such file or folder"
    ]


def test_unreadable_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert main(["phrases", "validate", str(f)]) == 1
    assert f"{f}:1: error: not UTF-8 text" in capsys.readouterr().out
    assert main(["phrases", "list", str(f)]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    assert main(["phrases", "list", str(root / "phrases" / "level1.yaml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "LVL", "SYLLABLES", "PATTERN", "BEATS", "TRAINED", "CATEGORY", "PROBE"]
    row = next(line for line in lines if line.startswith("thank-you "))
    assert row.split()[:7] == ["thank-you", "1", "THANK-you", "HL", "1", "2", "yes"]
    assert len(lines) == 36
    col = lines[0].index("PATTERN")
    assert all(line[col - 2 : col] == "  " for line in lines)  # aligned columns
    assert all(len(line) < 140 for line in lines)  # probes truncated


def test_list_folder_with_filters(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    assert main(["phrases", "list", str(root / "phrases"), "--level", "2", "--untrained"]) == 0
    out = capsys.readouterr().out
    assert "== Untrained probes" in out and "i-want-a-snack" in out and "call-my-daughter" not in out
    assert "== Level" not in out  # sets with nothing to show are left out


def test_help_exits_0() -> None:
    for argv in (["phrases", "--help"], ["phrases", "validate", "--help"], ["phrases", "list", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0


def test_derive_prints_yaml_and_rejects_unknown_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["phrases", "derive", "I want water", "Thank you"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "- text: I want water",
        "  syllables: [I, want, wa, ter]",
        "  pattern: [L, H, H, L]",
        "- text: Thank you",
        "  syllables: [thank, you]",
        "  pattern: [H, L]",
    ]
    assert main(["phrases", "derive", "Hello Zorblax"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'Zorblax'" in err[0]
