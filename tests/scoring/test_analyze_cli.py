"""``mit-trainer analyze``: the JSON of DESIGN.md §3, batch JSON Lines, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from scoring_data import PHRASE, SR

from mit_trainer.cli.main import main
from mit_trainer.scoring import AttemptAnalysis

TOP_KEYS = {"audio", "phrase_id", "mode", "tracker", "duration_s", "pitch", "syllables", "scores", "verdict"}
PITCH_KEYS = {"hop_s", "times_s", "f0_hz", "confidence"}
SYLL_KEYS = {"index", "text", "target", "onset_s", "offset_s", "f0_hz", "produced"}
SCORE_KEYS = {"contour", "rhythm", "completeness", "voicing", "overall"}

PHRASES_YAML = f"""format: mit-phrases/1
name: Test
language: en
phrases:
  - id: {PHRASE.id}
    text: {PHRASE.text}
    level: 2
    syllables: [{", ".join(PHRASE.syllables)}]
    pattern: [{", ".join(PHRASE.pattern)}]
    beats: [{", ".join(str(int(b)) for b in PHRASE.beats)}]
"""


@pytest.fixture()
def files(tmp_path, attempt):
    (tmp_path / "p.yaml").write_text(PHRASES_YAML)
    sf.write(tmp_path / "good.wav", attempt("correct").samples, SR)
    sf.write(tmp_path / "missing.wav", attempt("missing", drop=(2,)).samples, SR)
    return tmp_path


def _check_contract(d):
    assert set(d) >= TOP_KEYS
    assert set(d["pitch"]) >= PITCH_KEYS
    assert set(d["scores"]) == SCORE_KEYS
    assert d["verdict"] in ("pass", "fail", "no_response")
    assert len(d["pitch"]["times_s"]) == len(d["pitch"]["f0_hz"]) == len(d["pitch"]["confidence"])
    assert any(v is None for v in d["pitch"]["f0_hz"])  # unvoiced frames are null, not NaN
    for s in d["syllables"]:
        assert set(s) >= SYLL_KEYS
        assert s["produced"] in ("H", "L", None)


def test_single_file_json_round_trip(files, capsys):
    rc = main(["analyze", str(files / "good.wav"), "--phrases", str(files / "p.yaml"), "--phrase", PHRASE.id,
               "--json"])  # fmt: skip
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    _check_contract(d)
    assert d["verdict"] == "pass" and d["phrase_id"] == PHRASE.id and d["mode"] == "sung"
    again = AttemptAnalysis.from_json(d).to_json()
    assert json.loads(json.dumps(again)) == d


def test_human_summary(files, capsys):
    rc = main(
        ["analyze", str(files / "missing.wav"), "--phrases", str(files / "p.yaml"), "--phrase", PHRASE.id]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "FAIL" in out and "not produced" in out


def test_batch_json_lines_with_a_bad_row(files, capsys):
    (files / "m.tsv").write_text(
        "audio\tphrase_id\tmode\n"
        f"good.wav\t{PHRASE.id}\tsung\n"
        f"missing.wav\t{PHRASE.id}\t\n"
        f"nothere.wav\t{PHRASE.id}\t\n"
        f"good.wav\t{PHRASE.id}\tspoken\n"
    )
    rc = main(["analyze", "--batch", str(files / "m.tsv"), "--phrases", str(files / "p.yaml")])
    cap = capsys.readouterr()
    lines = [json.loads(x) for x in cap.out.splitlines()]
    assert rc == 1 and len(cap.err.strip().splitlines()) == 1
    assert len(lines) == 4
    assert (
        lines[2] == {"audio": "nothere.wav", "error": lines[2]["error"]} and "not found" in lines[2]["error"]
    )
    for d in (lines[0], lines[1], lines[3]):
        _check_contract(d)
    assert [lines[0]["verdict"], lines[1]["verdict"]] == ["pass", "fail"]
    assert lines[1]["syllables"][2]["onset_s"] is None
    assert lines[3]["mode"] == "spoken" and lines[3]["scores"]["contour"] is None


def _bad_files(tmp_path, attempt):
    good = attempt("correct").samples
    out = {}
    (tmp_path / "empty.wav").write_bytes(b"")
    out["empty"] = tmp_path / "empty.wav"
    (tmp_path / "text.wav").write_text("this is not audio\n")
    out["not audio"] = tmp_path / "text.wav"
    sf.write(tmp_path / "full.wav", good, SR)
    data = (tmp_path / "full.wav").read_bytes()
    (tmp_path / "trunc.wav").write_bytes(data[: len(data) // 2])
    out["truncated"] = tmp_path / "trunc.wav"
    sf.write(tmp_path / "ten_ms.wav", good[: SR // 100], SR)
    out["10 ms"] = tmp_path / "ten_ms.wav"
    sf.write(tmp_path / "nan.wav", np.full(SR, np.nan, dtype=np.float32), SR, subtype="FLOAT")
    out["nan"] = tmp_path / "nan.wav"
    inf = good.copy()
    inf[1000] = np.inf
    sf.write(tmp_path / "inf.wav", inf, SR, subtype="FLOAT")
    out["inf"] = tmp_path / "inf.wav"
    return out


def test_unusable_files_give_one_line_errors(tmp_path, attempt, files, capsys):
    for label, path in _bad_files(tmp_path, attempt).items():
        rc = main(["analyze", str(path), "--phrases", str(files / "p.yaml"), "--phrase", PHRASE.id, "--json"])
        cap = capsys.readouterr()
        assert rc != 0, label
        assert cap.out == "" and len(cap.err.strip().splitlines()) == 1, label
        assert cap.err.startswith("mit-trainer: error:"), label


def test_odd_but_usable_formats_are_analysed(tmp_path, attempt, files, capsys):
    import soxr

    x = attempt("correct").samples
    stereo96 = np.stack([soxr.resample(x, SR, 96000)] * 2, axis=1)
    sf.write(tmp_path / "s96.wav", stereo96, 96000, subtype="PCM_24")
    sf.write(tmp_path / "r8k.wav", soxr.resample(x, SR, 8000), 8000)
    sf.write(tmp_path / "zeros.wav", np.zeros(SR * 2, dtype=np.float32), SR)
    sf.write(tmp_path / "clip.wav", np.clip(x * 60, -1, 1), SR)
    expected = {"s96.wav": "pass", "r8k.wav": "pass", "zeros.wav": "no_response", "clip.wav": None}
    for name, verdict in expected.items():
        rc = main(["analyze", str(tmp_path / name), "--phrases", str(files / "p.yaml"), "--phrase", PHRASE.id,
                   "--json"])  # fmt: skip
        d = json.loads(capsys.readouterr().out)
        assert rc == 0, name
        if verdict:
            assert d["verdict"] == verdict, name
    assert any("clip" in w for w in d["warnings"])


def test_user_errors(files, capsys):
    assert (
        main(["analyze", str(files / "good.wav"), "--phrases", str(files / "p.yaml"), "--phrase", "nope"])
        == 1
    )
    assert "not found" in capsys.readouterr().err
    assert main(["analyze", "--phrases", str(files / "p.yaml"), "--phrase", PHRASE.id]) == 1
    assert main(["analyze", "--batch", str(files / "p.yaml"), "--phrases", str(files / "p.yaml")]) == 1
    assert "columns" in capsys.readouterr().err


def test_low_hz_is_used_and_checked(files, capsys):
    base = [
        "analyze",
        str(files / "good.wav"),
        "--phrases",
        str(files / "p.yaml"),
        "--phrase",
        PHRASE.id,
        "--json",
    ]
    assert main([*base, "--low-hz", "120", "--tempo", "60"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "pass"
    for bad in ("5", "5000", "nan"):
        with pytest.raises(SystemExit) as exc:  # argparse refuses the value itself (exit 2)
            main([*base, "--low-hz", bad])
        assert exc.value.code == 2
        cap = capsys.readouterr()
        assert cap.out == "" and "--low-hz" in cap.err and len(cap.err.strip().splitlines()) == 1
