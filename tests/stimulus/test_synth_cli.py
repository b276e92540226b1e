"""``mit-trainer synth`` and the stimulus file helpers: readable WAVs, JSON timings, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from stimulus_helpers import PHRASE

from mit_trainer.analysis.stimulus import render_stimulus, stimulus_to_json, write_wav
from mit_trainer.cli.main import main

PHRASE_SET = """\
format: mit-phrases/1
name: Test set
language: en
defaults: {tempo_bpm: 80, interval_semitones: 4}
phrases:
  - id: thank-you
    text: Thank you
    level: 1
    syllables: [thank, you]
    pattern: [H, L]
    beats: [2, 1]
  - id: good-morning
    text: Good morning
    level: 1
    syllables: [good, mor, ning]
    pattern: [L, H, L]
"""


@pytest.fixture
def phrase_file(tmp_path: Path) -> Path:
    path = tmp_path / "set.yaml"
    path.write_text(PHRASE_SET, encoding="utf-8")
    return path


def test_synth_writes_a_readable_wav_with_set_defaults(
    phrase_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, taps, js = tmp_path / "model.wav", tmp_path / "taps.wav", tmp_path / "model.json"
    argv = ["synth", "--phrases", str(phrase_file), "--phrase", "thank-you", "-o", str(out)]
    status = main([*argv, "--taps-separate", str(taps), "--json", str(js), "--sample-rate", "16000"])
    assert status == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "thank-you" in lines[0] and "80 BPM" in lines[0]
    data, sr = sf.read(out)
    assert sr == 16000 and sf.info(out).subtype == "PCM_16"
    beat_s = 60 / 80
    assert data.shape[0] / sr == pytest.approx(0.3 + 3 * beat_s + 0.3, abs=1e-3)
    click, _ = sf.read(taps)
    assert np.flatnonzero(click)[0] == round(0.3 * sr)
    meta = json.loads(js.read_text())
    assert meta["interval_semitones"] == 4 and meta["tempo_bpm"] == 80
    assert [s["vowel_onset_s"] for s in meta["syllables"]] == pytest.approx([0.3, 0.3 + 2 * beat_s])
    assert meta["tap_times_s"] == pytest.approx([0.3, 0.3 + 2 * beat_s])
    assert meta["syllables"][0]["f0_hz"] == pytest.approx(130.8 * 2 ** (4 / 12), abs=1e-3)


def test_synth_options_override_defaults(
    phrase_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.wav"
    argv = ["synth", "--phrases", str(phrase_file), "--phrase", "good-morning", "-o", str(out)]
    assert main([*argv, "--low-hz", "200", "--interval", "5", "--tempo", "50", "--mode", "hum", "--taps",
                 "--fade", "0.3", "0.8", "--float", "--voice", "female"]) == 0  # fmt: skip
    line = capsys.readouterr().out
    assert "hum" in line and "L 200.0 Hz" in line and "taps mixed" in line and "fade 0.3-0.8" in line
    assert sf.info(out).subtype == "FLOAT" and sf.info(out).samplerate == 44100


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--phrases", "MISSING.yaml", "--phrase", "thank-you"], "phrase file not found"),
        (["--phrase", "thank-yuo"], "did you mean thank-you"),
        (["--phrase", "zzz"], "valid ids include thank-you, good-morning"),
        (["--phrase", "thank-you", "--fade", "0.9", "0.1"], "fade start must not be after fade end"),
    ],
)
def test_synth_errors_are_one_line(
    phrase_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    base = ["synth", "-o", str(tmp_path / "x.wav")]
    if "--phrases" not in extra:
        base += ["--phrases", str(phrase_file)]
    assert main(base + extra) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mit-trainer: error:") and message in err[0], err
    assert not (tmp_path / "x.wav").exists()


def test_synth_reports_a_broken_phrase_file_and_missing_output_folder(
    tmp_path: Path, phrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: mit-phrases/1\nname: x\nphrases:\n  - id: Bad Id\n", encoding="utf-8")
    assert main(["synth", "--phrases", str(bad), "--phrase", "x", "-o", str(tmp_path / "x.wav")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot load" in err[0]
    out = tmp_path / "nowhere" / "x.wav"
    assert main(["synth", "--phrases", str(phrase_file), "--phrase", "thank-you", "-o", str(out)]) == 1
    assert "output folder does not exist" in capsys.readouterr().err


def test_write_wav_and_json_round_trip(tmp_path: Path) -> None:
    stim = render_stimulus(PHRASE, sample_rate_hz=16000, low_hz=140, taps="separate", fade=(0.5, 1.0))
    pcm = write_wav(stim, tmp_path / "a.wav")
    flt = write_wav(stim, tmp_path / "b.wav", subtype="FLOAT")
    taps = write_wav(stim, tmp_path / "t.wav", track="taps")
    a, _ = sf.read(pcm, dtype="float32")
    b, _ = sf.read(flt, dtype="float32")
    np.testing.assert_array_equal(b, stim.samples)
    assert np.max(np.abs(a - stim.samples)) < 1e-4
    assert sf.read(taps)[0].shape == stim.samples.shape
    meta = stimulus_to_json(stim)
    json.dumps(meta)  # serialisable
    assert meta["tap_times_s"] == [s["onset_s"] for s in meta["syllables"]]
    assert meta["voiced_span_s"] == [stim.syllables[0].onset_s, stim.syllables[-1].offset_s]
    assert meta["fade"] == [0.5, 1.0] and meta["taps"] == "separate"
    no_taps = render_stimulus(PHRASE, sample_rate_hz=16000, low_hz=140)
    with pytest.raises(ValueError, match="tap track"):
        write_wav(no_taps, tmp_path / "c.wav", track="taps")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--tempo", "500"], "argument --tempo: must be from 40 to 90 BPM, not 500"),
        (["--interval", "0"], "argument --interval: must be from 2 to 7 semitones, not 0"),
        (["--low-hz", "20"], "argument --low-hz: must be from 50 to 1000 Hz, not 20"),
        (["--sample-rate", "1000"], "argument --sample-rate: must be from 8000 to 192000 Hz, not 1000"),
        (["--fade", "0.1", "nan"], "argument --fade: must be a number from 0 to 1, not 'nan'"),
    ],
)
def test_synth_option_ranges_are_checked_when_parsing(
    phrase_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "synth",
                "-o",
                str(tmp_path / "x.wav"),
                "--phrases",
                str(phrase_file),
                "--phrase",
                "thank-you",
                *extra,
            ]
        )
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "x.wav").exists()
