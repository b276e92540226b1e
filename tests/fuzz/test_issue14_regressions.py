"""Every bad input of issue 14 that reaches a command, as a fixed case: one line on stderr, a non-zero exit,
within seconds. In-process through ``main``, with a few real subprocesses (start-up, stdin and signals as a
user sees them)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from audio_cases import SR, flac_claiming, tone, wav_with_fmt

from mit_trainer.cli.main import main

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')

PHRASES = """\
format: mit-phrases/1
name: T
language: en
phrases:
  - id: thank-you
    text: Thank you
    level: 1
"""
LAUGHS = "l0: &l0 [lol]\n" + "".join(f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]\n" for k in range(1, 12))


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "p.yaml").write_text(PHRASES, encoding="utf-8")
    return tmp_path


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], words: str, status: int = 1) -> str:
    started = time.perf_counter()
    assert main(argv) == status
    assert time.perf_counter() - started < 10.0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("mit-trainer: error: ") and words in err[0], err
    return err[0]


def _analyze(folder: Path, audio: str | Path) -> list[str]:
    return ["analyze", str(audio), "--phrases", str(folder / "p.yaml"), "--phrase", "thank-you",
            "--tracker", "yin"]  # fmt: skip


def test_analyze_refuses_a_fifo_without_hanging(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(folder / "a.wav")
    _one_line_error(capsys, _analyze(folder, folder / "a.wav"), "not a regular file")


@pytest.mark.parametrize(
    ("name", "write", "words"),
    [
        (
            "take.raw",
            lambda p: p.write_bytes(np.zeros(8000, np.int16).tobytes()),
            "not a readable audio file",
        ),
        ("huge.flac", lambda p: flac_claiming(p, 2_900_000_000), "audio too long"),
        ("seven.wav", lambda p: wav_with_fmt(p, bits=7, block_align=1), "7 bits per sample"),
        ("cut.ogg", lambda p: p.write_bytes(_ogg()[: len(_ogg()) * 3 // 4]), "truncated audio file"),
    ],
)
def test_analyze_refuses_bad_audio_in_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], name: str, write: object, words: str
) -> None:
    write(folder / name)  # type: ignore[operator]
    _one_line_error(capsys, _analyze(folder, folder / name), words)


def _ogg() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "a.ogg"
        soundfile.write(path, tone(2.0), SR, format="OGG", subtype="VORBIS")
        return path.read_bytes()


def test_batch_rows_with_bad_audio_and_oversized_fields_are_error_rows(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flac_claiming(folder / "huge.flac", 2_900_000_000)
    os.mkfifo(folder / "pipe.wav")
    (folder / "take.raw").write_bytes(b"\0" * 4000)
    huge = "x" * (csv.field_size_limit() + 10)
    rows = ["audio\tphrase_id", "huge.flac\tthank-you", "pipe.wav\tthank-you", "take.raw\tthank-you",
            f"{huge}\tthank-you", f"a.wav\t{huge}", "missing.wav\tthank-you"]  # fmt: skip
    (folder / "m.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    argv = [
        "analyze",
        "--batch",
        str(folder / "m.tsv"),
        "--phrases",
        str(folder / "p.yaml"),
        "--tracker",
        "yin",
    ]
    assert main(argv) == 1
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert [("error" in r) for r in out] == [True] * 6
    assert "audio too long" in out[0]["error"] and "not a regular file" in out[1]["error"]
    assert "not a readable audio file" in out[2]["error"]
    assert out[3]["error"].startswith("manifest line 5: field larger than field limit")
    assert out[4]["error"].startswith("manifest line 6: field larger than field limit")
    assert "not found" in out[5]["error"]
    assert captured.err.splitlines() == ["mit-trainer: error: 6 of 6 rows could not be analysed"]


def test_a_manifest_that_is_a_fifo_or_device(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(folder / "m.tsv")
    for manifest in (folder / "m.tsv", Path("/dev/zero")):
        argv = ["analyze", "--batch", str(manifest), "--phrases", str(folder / "p.yaml"), "--tracker", "yin"]
        _one_line_error(capsys, argv, "cannot read manifest")


def test_phrase_sets_given_to_commands_are_bounded(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "bomb.yaml").write_text(LAUGHS, encoding="utf-8")
    soundfile.write(folder / "a.wav", tone(1.0), SR)
    line = _one_line_error(
        capsys, ["analyze", str(folder / "a.wav"), "--phrases", str(folder / "bomb.yaml"), "--phrase", "x"],
        "YAML aliases",
    )  # fmt: skip
    assert "bomb.yaml:2" in line
    _one_line_error(
        capsys, ["synth", "--phrases", "/dev/zero", "--phrase", "x", "-o", str(folder / "o.wav")], "device"
    )


def test_export_to_an_unusable_place_is_one_line(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = folder / "t.sqlite"
    assert main(["patients", "add", "P01", "--db", str(db)]) == 0
    capsys.readouterr()
    (folder / "file").write_text("x")
    _one_line_error(capsys, ["export", "--db", str(db), "--out", str(folder / "file" / "out")], "")


def _run(*args: str, stdin: int | None = None) -> tuple[int, list[str], float]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mit_trainer", *args], capture_output=True, text=True, timeout=60, env=env,
        stdin=stdin,
    )  # fmt: skip
    return done.returncode, done.stderr.splitlines(), time.perf_counter() - started


def test_subprocess_phrases_validate_dev_zero_ends_at_once() -> None:
    status, _, took = _run("phrases", "validate", "/dev/zero")
    assert status == 1 and took < 10.0


@pytest.mark.parametrize(
    "argv",
    [
        ["record", "-o", "x.wav", "--seconds", "nan"],
        ["demo", "--seed", "-1"],
        ["analyze", "a.wav", "--phrases", "p.yaml", "--phrase", "a", "--interval", "nan", "--json"],
    ],
)
def test_subprocess_refusals_are_one_line(argv: list[str]) -> None:
    status, err, took = _run(*argv)
    assert status == 2 and len(err) == 1 and "must be" in err[0] and took < 10.0, err


def test_subprocess_analyze_of_a_fifo(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(PHRASES, encoding="utf-8")
    os.mkfifo(tmp_path / "a.wav")
    status, err, took = _run(*_analyze(tmp_path, tmp_path / "a.wav"))
    assert status == 1 and len(err) == 1 and "not a regular file" in err[0] and took < 10.0, err


@pytest.mark.parametrize(
    "argv",
    [
        ["record", "-o", "{fifo}", "--seconds", "1"],
        ["synth", "--phrases", "{phrases}", "--phrase", "thank-you", "-o", "{fifo}"],
        ["synth", "--phrases", "{phrases}", "--phrase", "thank-you", "-o", "{dir}/o.wav", "--json", "{fifo}"],
        ["synth", "--phrases", "{phrases}", "--phrase", "thank-you", "-o", "/dev/null"],
        ["bench", "--output", "{dir}"],
    ],
)
def test_outputs_that_are_not_regular_files_are_refused(
    folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    os.mkfifo(folder / "out.fifo")
    names = {"fifo": str(folder / "out.fifo"), "phrases": str(folder / "p.yaml"), "dir": str(folder)}
    with pytest.raises(SystemExit) as exc:
        main([a.format(**names) for a in argv])
    err = capsys.readouterr().err.splitlines()
    assert exc.value.code == 2 and len(err) == 1, err
    assert "is not a regular file" in err[0] or "is a folder" in err[0]


def test_an_audio_file_in_an_unreadable_folder_is_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root every folder is readable, so the refusal of the operating system is simulated for one path."""
    locked = folder / "locked" / "a.wav"
    real_stat = os.stat

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    _one_line_error(capsys, _analyze(folder, locked), f"permission denied: cannot read {locked}")


def test_a_manifest_without_rows_is_an_error(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "m.tsv").write_text("audio\tphrase_id\n\n", encoding="utf-8")
    argv = [
        "analyze",
        "--batch",
        str(folder / "m.tsv"),
        "--phrases",
        str(folder / "p.yaml"),
        "--tracker",
        "yin",
    ]
    _one_line_error(capsys, argv, "has no rows to analyse")
