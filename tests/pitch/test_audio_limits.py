"""Audio input within bounds (issue 14): only regular files; headers checked against limits and the file size
before any allocation; damaged containers refused in one line; a DC offset removed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from audio_cases import SR, cut, flac_claiming, run_with_peak_memory, tone, wav_with_fmt

from mit_trainer.analysis.audio_input import MAX_DURATION_S, AudioInputError, load_audio

PHRASES = (
    "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n  - id: a\n    text: Thank you\n    level: 1\n"
)


def _refused(path: Path, words: str) -> str:
    started = time.perf_counter()
    with pytest.raises(AudioInputError) as info:
        load_audio(path)
    assert time.perf_counter() - started < 2.0
    text = str(info.value)
    assert words in text and "\n" not in text
    return text


def test_a_fifo_and_a_device_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "attempt.wav"
    os.mkfifo(fifo)
    assert _refused(fifo, "not a regular file") == f"not a regular file (a pipe, device or socket): {fifo}"
    _refused(Path("/dev/zero"), "not a regular file")


def test_a_headerless_raw_file_is_refused(tmp_path: Path) -> None:
    raw = tmp_path / "take.raw"
    raw.write_bytes(np.zeros(16000, dtype=np.int16).tobytes())
    _refused(raw, "not a readable audio file")


def test_a_flac_claiming_billions_of_frames_is_refused_before_reading(tmp_path: Path) -> None:
    path = flac_claiming(tmp_path / "huge.flac", 2_900_000_000)
    assert soundfile.info(str(path)).frames == 2_900_000_000
    text = _refused(path, "audio too long")
    assert f"the header declares 181250 s; the limit is {MAX_DURATION_S:.0f} s" in text


def test_a_flac_claiming_a_little_more_than_it_holds_is_truncated(tmp_path: Path) -> None:
    text = _refused(flac_claiming(tmp_path / "short.flac", 3 * SR), "audio file")
    assert text.startswith(("truncated audio file", "corrupt audio file"))


def test_the_duration_limit_counts_frames_read_as_well_as_declared(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    soundfile.write(path, np.zeros(int(3.5 * SR)), SR, subtype="PCM_16")
    assert load_audio(path, max_duration_s=4.0).duration_s == 3.5
    with pytest.raises(AudioInputError) as refused:
        load_audio(path, max_duration_s=3.0)
    assert "the header declares 4 s; the limit is 3 s" in str(refused.value)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"bits": 7, "block_align": 1}, "7 bits per sample"),
        ({"bits": 12}, "12 bits per sample"),
        ({"block_align": 3}, "block size 3 does not fit 1 channel(s) of 16 bits"),
        ({"channels": 0}, "block size 2 does not fit 0 channel(s)"),
        ({"rate": 0}, "not a readable audio file"),
        ({"rate": 1}, "unusable sample rate 1 Hz"),
        ({"rate": 4_000_000_000}, "not a readable audio file"),
        ({"channels": 64, "block_align": 128}, "unusable channel count 64"),
        ({"data_size": 0xFFFFFFF0}, "header declares 4294967280 data bytes"),
    ],
)
def test_wav_headers_are_checked(tmp_path: Path, fields: dict[str, int], words: str) -> None:
    _refused(wav_with_fmt(tmp_path / "bad.wav", **fields), words)


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.7, 0.9, 0.97])
def test_truncated_ogg_is_refused(tmp_path: Path, keep: float) -> None:
    path = tmp_path / "a.ogg"
    soundfile.write(path, tone(3.0), SR, format="OGG", subtype="VORBIS")
    assert load_audio(path).duration_s == 3.0
    text = _refused(cut(path, keep), "audio file")
    assert "truncated" in text or "not a readable" in text


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_mp3_is_one_line_and_nothing_else(
    tmp_path: Path, keep: float, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.mp3"
    soundfile.write(path, tone(4.0), SR, format="MP3", subtype="MPEG_LAYER_III")
    capfd.readouterr()
    _refused(cut(path, keep), "truncated audio file")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_a_dc_offset_is_removed_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "dc.wav"
    x = tone(1.0, amp=0.5)
    soundfile.write(path, x + 0.1, SR, subtype="PCM_16")
    clip = load_audio(path)
    assert clip.dc_offset == pytest.approx(0.1, abs=1e-4)
    assert abs(float(np.mean(clip.samples))) < 1e-6
    np.testing.assert_allclose(clip.samples, x, atol=2e-4)
    assert clip.warnings == ("a DC offset of +0.100 full scale was removed",)


def test_a_correct_attempt_with_a_dc_offset_keeps_its_verdict(tmp_path: Path) -> None:
    from mit_trainer.analysis.corpus import render_attempt
    from mit_trainer.analysis.pitch import DEFAULT_TRACKER, get_tracker
    from mit_trainer.core.records import Phrase
    from mit_trainer.scoring import analyze_attempt

    phrase = Phrase(
        id="a",
        text="ma no li",
        level=1,
        syllables=("ma", "no", "li"),
        pattern=("L", "H", "L"),
        beats=(1, 1, 1),
    )
    voice = {"low_hz": 120.0, "tempo_bpm": 60.0, "interval_semitones": 3.0, "snr_db": 15.0, "female": False}
    item = render_attempt(phrase, kind="correct", rng=np.random.default_rng(3), sample_rate_hz=SR, **voice)
    tracker = get_tracker(DEFAULT_TRACKER)
    verdicts = []
    for dc in (0.0, 0.1, -0.1):
        path = tmp_path / f"dc{dc}.wav"
        soundfile.write(path, np.asarray(item.samples) * 0.8 + dc, SR, subtype="FLOAT")
        clip = load_audio(path)
        res = analyze_attempt(clip.samples, sample_rate_hz=SR, phrase=phrase, mode="sung", tracker=tracker)
        verdicts.append(res.verdict)
    assert verdicts == ["pass", "pass", "pass"]


def test_memory_stays_bounded_for_a_lying_header(tmp_path: Path) -> None:
    """The FLAC of issue 14 (2.9 billion frames declared) once allocated 10.9 GiB; single and batch analyze
    now refuse it at the interpreter's own size, measured in a fresh process."""
    path = flac_claiming(tmp_path / "huge.flac", 2_900_000_000)
    (tmp_path / "p.yaml").write_text(PHRASES, encoding="utf-8")
    (tmp_path / "m.tsv").write_text("audio\tphrase_id\nhuge.flac\ta\n", encoding="utf-8")
    phrases = ["--phrases", str(tmp_path / "p.yaml"), "--tracker", "yin"]
    for args in (
        ["analyze", str(path), "--phrase", "a", *phrases],
        ["analyze", "--batch", str(tmp_path / "m.tsv"), *phrases],
    ):
        status, err, peak = run_with_peak_memory(args, tmp_path)
        assert status == 1 and err.count("\n") == 1, err
        assert peak < 300 * 2**20, peak


@pytest.mark.slow
@pytest.mark.slow
def test_memory_of_the_largest_accepted_recording_stays_under_1_gib(tmp_path: Path) -> None:
    """MAX_DURATION_S of noise at 48 kHz, analysed end to end by the CLI in a fresh process (640 MB measured
    when written; benchmarks/RESULTS-input-limits.md)."""
    rate = 48000
    noise = 0.1 * np.random.default_rng(0).standard_normal(int(MAX_DURATION_S * rate))
    soundfile.write(tmp_path / "long.wav", noise, rate, subtype="PCM_16")
    (tmp_path / "p.yaml").write_text(PHRASES, encoding="utf-8")
    args = [
        "analyze",
        str(tmp_path / "long.wav"),
        "--phrases",
        str(tmp_path / "p.yaml"),
        "--phrase",
        "a",
        "--json",
    ]
    status, err, peak = run_with_peak_memory(args, tmp_path)
    assert status == 0, err
    assert peak < 2**30, peak
