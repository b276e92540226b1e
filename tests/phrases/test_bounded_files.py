"""Hostile and careless phrase-set and protocol files (issue 14): each is refused in one line, in bounded
time and memory, and never spoils the check of a good file beside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mit_trainer.cli.main import main
from mit_trainer.core.bounded_input import InputRefused, read_text_file
from mit_trainer.core.limits import MAX_YAML_BYTES
from mit_trainer.core.phrases import parse_phrase_set, validate_phrase_file
from mit_trainer.core.protocol_files import shipped_protocol_paths, validate_protocol_file

HEAD = "format: mit-phrases/1\nname: T\nlanguage: en\n"
GOOD = HEAD + "phrases:\n  - id: thank-you\n    text: Thank you\n    level: 1\n"

LAUGHS = "".join(f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]\n" for k in range(1, 12))
BOMBS = {
    "top level": "l0: &l0 [lol]\n" + LAUGHS + HEAD + "phrases: []\n",
    "inside a phrase": HEAD
    + "phrases:\n  - id: a\n    text: Thank you\n    level: 1\n    x-a: &a [q, q, q, q]\n"
    + "    x-b: [*a, *a, *a, *a]\n",
    "in defaults": HEAD + "defaults: {x-a: &a [1, 1], x-b: [*a, *a]}\nphrases: []\n",
    "under an x- key": HEAD + "x-lol: &x [a, b]\nx-more: [*x, *x]\nphrases: []\n",
    "merge key": HEAD + "defaults: &d {tempo_bpm: 60}\nx-d: {<<: *d}\nphrases: []\n",
}


def _errors(text: str) -> list[str]:
    ps, issues = parse_phrase_set(text, source="t.yaml")
    assert ps is None
    return [str(i) for i in issues if i.severity == "error"]


@pytest.mark.parametrize("where", list(BOMBS))
def test_yaml_aliases_are_refused_with_their_line(where: str) -> None:
    errors = _errors(BOMBS[where])
    assert len(errors) == 1 and "YAML aliases (*" in errors[0] and "are not allowed" in errors[0]
    line = int(errors[0].split(":")[1])
    assert "*" in BOMBS[where].splitlines()[line - 1]


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_nesting_is_refused_in_phrase_and_protocol_files(opener: str, tmp_path: Path) -> None:
    closer = "]" if opener == "[" else "}"
    deep = "x-deep: " + opener * 500 + "1" + closer * 500 + "\n"
    assert _errors(HEAD + deep + "phrases: []\n") == ["t.yaml:4: error: nested more than 32 levels deep"]
    proto = tmp_path / "deep.yaml"
    proto.write_text(shipped_protocol_paths()[0].read_text(encoding="utf-8") + deep, encoding="utf-8")
    result, issues = validate_protocol_file(proto)
    assert result is None and len(issues) == 1 and "nested more than 32 levels deep" in str(issues[0])


def test_protocol_file_with_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    proto = tmp_path / "bomb.yaml"
    proto.write_text("l0: &l0 [lol]\n" + LAUGHS, encoding="utf-8")
    result, issues = validate_protocol_file(proto)
    assert result is None and [i.line for i in issues] == [2] and "aliases" in issues[0].message


def test_only_regular_files_of_bounded_size_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputRefused, match="pipe"):
        read_text_file(fifo, what="phrase-set file")
    with pytest.raises(InputRefused, match="device"):
        read_text_file("/dev/zero", what="phrase-set file")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_YAML_BYTES + 1))
    with pytest.raises(InputRefused, match=f"the limit is {MAX_YAML_BYTES}"):
        read_text_file(big, what="phrase-set file")
    assert validate_protocol_file(fifo)[1][0].message == "is a pipe (FIFO), not a regular file"


def test_phrases_validate_dev_zero_and_a_fifo_end_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert main(["phrases", "validate", "/dev/zero", str(fifo)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "/dev/zero: error: is a device, not a regular file",
        f"{fifo}: error: is a pipe (FIFO), not a regular file",
        "2 file(s), 0 valid phrase(s): 2 error(s), 0 warning(s)",
    ]


def test_koi8r_text_is_refused_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "ru.yaml"
    f.write_bytes((HEAD + "phrases:\n  - id: a\n    text: Спасибо\n").encode("koi8-r"))
    ps, issues = validate_phrase_file(f)
    assert ps is None and [str(i) for i in issues] == [
        f"{f}:6: error: not UTF-8 text (byte 72); save the file as UTF-8"
    ]


def test_control_characters_never_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "esc.yaml"
    f.write_text(
        HEAD + 'phrases:\n  - id: a\n    text: "\\e[2JThank you"\n    level: 1\n'
        '  - id: "b\\e[31m"\n    text: Good morning\n    level: 1\n'
        '  - id: c\n    text: Hello\n    level: 1\n    probe: "What?\\u202e"\n',
        encoding="utf-8",
    )
    assert main(["phrases", "validate", str(f)]) == 1
    assert main(["phrases", "list", str(f)]) == 1
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "\x1b" not in text and "\u202e" not in text
    assert "text: contains control characters (U+001B); remove them" in text
    assert "phrases[1].id: contains control characters (U+001B)" in text
    assert "probe: contains control characters (U+202E)" in text


@pytest.mark.parametrize(
    ("value", "fld"),
    [
        (".inf", "beats"),
        ("1e6", "beats"),
        (".nan", "beats"),
        ("0", "beats"),
    ],
)
def test_beats_must_be_finite_and_within_range(value: str, fld: str) -> None:
    errors = _errors(GOOD + f"    beats: [1, {value}]\n    syllables: [thank, you]\n    pattern: [H, L]\n")
    assert errors == [
        f"t.yaml:8: error: thank-you.beats: value 2 is '{value}'; beats must be positive numbers from 0.125-8"
    ]


@pytest.mark.parametrize(
    ("key", "value", "bounds"),
    [
        ("tempo_bpm", ".inf", "40 to 90"),
        ("tempo_bpm", "1e6", "40 to 90"),
        ("tempo_bpm", "10", "40 to 90"),
        ("interval_semitones", ".inf", "2 to 7"),
        ("interval_semitones", "13", "2 to 7"),
        ("interval_semitones", ".nan", "2 to 7"),
        ("low_hz", "1e300", "50 to 1000"),
        ("low_hz", "-.inf", "50 to 1000"),
    ],
)
def test_defaults_are_finite_and_within_the_protocol_ranges(key: str, value: str, bounds: str) -> None:
    text = HEAD + f"defaults: {{{key}: {value}}}\nphrases:\n  - id: a\n    text: Thank you\n    level: 1\n"
    assert _errors(text) == [
        f"t.yaml:4: error: defaults.{key}: must be a number from {bounds}, not '{value}'"
    ]


def test_defaults_at_the_range_ends_are_accepted() -> None:
    text = HEAD + "defaults: {tempo_bpm: 40, interval_semitones: 7, low_hz: 50.0}\nphrases: []\n"
    ps, _ = parse_phrase_set(text)
    assert ps is not None and ps.defaults == {"tempo_bpm": 40, "interval_semitones": 7, "low_hz": 50.0}


def test_long_ids_texts_and_syllable_lists_are_refused() -> None:
    megabyte_id = HEAD + f"phrases:\n  - id: {'a' * 1_000_000}\n    text: Thank you\n    level: 1\n"
    assert _errors(megabyte_id) == [
        f"t.yaml: error: too large: {len(megabyte_id)} characters (the limit is {MAX_YAML_BYTES})"
    ]
    long_id = "a" * 100_000
    errors = _errors(HEAD + f"phrases:\n  - id: {long_id}\n    text: Thank you\n    level: 1\n")
    assert errors == ["t.yaml:5: error: phrases[0].id: too long: 100000 characters (at most 64)"]
    errors = _errors(HEAD + f"phrases:\n  - id: a\n    text: {'word ' * 200}\n    level: 3\n")
    assert errors == ["t.yaml:6: error: a.text: too long: 999 characters (at most 500)"]
    syl = ", ".join(["la"] * 41)
    errors = _errors(HEAD + f"phrases:\n  - id: a\n    text: la\n    level: 3\n    syllables: [{syl}]\n")
    assert errors == ["t.yaml:8: error: a.syllables: 41 syllables; at most 40"]


def test_a_broken_neighbour_does_not_spoil_a_good_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    (tmp_path / "deep.yaml").write_text("x: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    (tmp_path / "bomb.yaml").write_text("l0: &l0 [lol]\n" + LAUGHS, encoding="utf-8")
    (tmp_path / "ru.yaml").write_bytes("текст: да\n".encode("koi8-r"))
    os.mkfifo(tmp_path / "pipe.yaml")
    assert main(["phrases", "validate", str(good)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "1 file(s), 1 valid phrase(s): 0 error(s), 3 warning(s) - OK"
    assert sorted(line.split(":")[0] for line in out[:-1]) == sorted(
        str(tmp_path / n) for n in ("bomb.yaml", "deep.yaml", "ru.yaml")
    )
    assert all("neighbouring set not searched for x-matches twins" in line for line in out[:-1])


def test_an_unreadable_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert main(["phrases", "validate", str(locked)]) == 1
        assert main(["phrases", "list", str(locked)]) == 1
    finally:
        locked.chmod(0o700)
    captured = capsys.readouterr()
    assert "cannot list this folder: Permission denied" in captured.out
    assert captured.err.strip().splitlines() == [
        f"mit-trainer: error: {locked}: error: cannot list this folder: Permission denied"
    ]
