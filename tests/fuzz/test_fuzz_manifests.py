"""Generated batch manifests for ``analyze --batch``: random columns, quotes, NUL bytes, fields over the csv
limit, paths to folders, FIFOs and devices. Every row that cannot be analysed is an error row of valid JSON,
the command ends with one line on stderr and exit status 1, and nothing raises."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz_tally import FUZZ, Tally
from hypothesis import given, settings
from hypothesis import strategies as st

from mit_trainer.cli.main import main

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')

PHRASES = (
    "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n  - id: a\n    text: Thank you\n    level: 1\n"
)
HUGE = "x" * (csv.field_size_limit() + 1)
AUDIO = st.sampled_from(["", "missing.wav", "pipe.wav", "/dev/zero", ".", "..", "text.wav", "a\x00b", HUGE,
                         '"quoted\tfield"', "\x1b[2J.wav", "../../etc/passwd"])  # fmt: skip
PHRASE_ID = st.sampled_from(["a", "", "missing", HUGE, "a\x00", '"a'])
MODE = st.sampled_from(["", "sung", "hummed", HUGE, "spoken"])
ROW = st.tuples(AUDIO, PHRASE_ID, MODE).map(lambda r: "\t".join(r))


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "p.yaml").write_text(PHRASES, encoding="utf-8")
        (root / "text.wav").write_text("not audio\n")
        os.mkfifo(root / "pipe.wav")
        yield root


@settings(FUZZ, max_examples=120)
@given(
    header=st.sampled_from(["audio\tphrase_id\tmode", "audio\tphrase_id", "phrase_id\taudio\tmode"]),
    rows=st.lists(st.one_of(ROW, st.text(max_size=30)), min_size=1, max_size=6),
)
def test_bad_manifest_rows_are_error_rows(
    tally: Tally, capsys: pytest.CaptureFixture[str], folder: Path, header: str, rows: list[str]
) -> None:
    manifest = folder / "m.tsv"
    manifest.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    capsys.readouterr()
    argv = ["analyze", "--batch", str(manifest), "--phrases", str(folder / "p.yaml"), "--tracker", "yin"]
    status = tally.run("manifest", lambda: main(argv))
    captured = capsys.readouterr()
    results = [json.loads(line) for line in captured.out.splitlines()]
    if status == 0 or any("error" not in r for r in results):
        tally.garbage_accepted("manifest", rows)
    err = captured.err.splitlines()
    assert status == 1 and len(err) == 1 and err[0].startswith("mit-trainer: error: "), err
    assert "\x1b" not in captured.out + captured.err
    tally.refused_ok("manifest")
