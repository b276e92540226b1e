"""Loading and conditioning audio for analysis: formats, rates, channels, and every kind of unusable input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from mit_trainer.analysis.audio_input import AudioInputError, load_audio, prepare_signal, to_mono_float

SR = 16000


def _tone(n: int, sr: int = SR, f: float = 220.0, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * np.pi * f * np.arange(n) / sr)


@pytest.mark.parametrize(
    ("subtype", "tolerance"), [("PCM_16", 1e-4), ("PCM_24", 1e-6), ("PCM_32", 1e-7), ("FLOAT", 1e-7)]
)
def test_load_wav_any_sample_format(tmp_path: Path, subtype: str, tolerance: float) -> None:
    x = _tone(8000)
    path = tmp_path / "a.wav"
    soundfile.write(path, x, SR, subtype=subtype)
    clip = load_audio(path)
    assert clip.sample_rate_hz == SR and clip.channels_in_file == 1 and clip.subtype == subtype
    assert clip.samples.dtype == np.float32 and clip.samples.shape == (8000,)
    assert clip.duration_s == pytest.approx(0.5)
    assert np.max(np.abs(clip.samples - x)) < tolerance
    assert clip.clipped_fraction == 0.0 and clip.warnings == ()


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000, 96000])
def test_load_any_rate_stereo_mixdown(tmp_path: Path, rate: int) -> None:
    left = _tone(rate // 2, rate, amp=0.4)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    path = tmp_path / "s.flac"
    soundfile.write(path, stereo, rate, subtype="PCM_24")
    clip = load_audio(path)
    assert clip.channels_in_file == 2 and clip.sample_rate_hz == rate
    np.testing.assert_allclose(clip.samples, left / 2, atol=1e-5)


def test_clipping_is_a_warning_not_an_error(tmp_path: Path) -> None:
    x = np.clip(_tone(8000, amp=2.0), -1.0, 1.0)
    path = tmp_path / "clip.wav"
    soundfile.write(path, x, SR, subtype="PCM_16")
    clip = load_audio(path)
    assert clip.clipped_fraction > 0.3
    assert clip.warnings and clip.warnings[0].startswith("clipped:")


def test_float_beyond_full_scale_is_rescaled(tmp_path: Path) -> None:
    path = tmp_path / "hot.wav"
    soundfile.write(path, _tone(8000, amp=3.0), SR, subtype="FLOAT")
    clip = load_audio(path)
    assert clip.peak_rescaled and np.max(np.abs(clip.samples)) == pytest.approx(1.0)


def _write_bad(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.wav"
    if kind == "text":
        path.write_text("this is not audio\n" * 20)
    elif kind == "empty_file":
        path.write_bytes(b"")
    elif kind == "no_samples":
        soundfile.write(path, np.zeros(0), SR, subtype="PCM_16")
    elif kind == "ten_ms":
        soundfile.write(path, _tone(160), SR, subtype="PCM_16")
    elif kind in ("nan", "inf"):
        x = _tone(8000)
        x[100] = np.nan if kind == "nan" else np.inf
        soundfile.write(path, x, SR, subtype="FLOAT")
    elif kind == "truncated":
        soundfile.write(path, _tone(SR), SR, subtype="PCM_16")
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "header_only":
        soundfile.write(path, _tone(SR), SR, subtype="PCM_16")
        path.write_bytes(path.read_bytes()[:30])
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("text", "not a readable audio file"),
        ("empty_file", "not a readable audio file"),
        ("no_samples", "no samples"),
        ("ten_ms", "too short: 10 ms"),
        ("nan", "NaN or infinite"),
        ("inf", "NaN or infinite"),
        ("truncated", "truncated audio file"),
        ("header_only", "not a readable audio file"),
    ],
)
def test_unusable_files_give_one_line_errors(tmp_path: Path, kind: str, message: str) -> None:
    path = _write_bad(tmp_path, kind)
    with pytest.raises(AudioInputError) as info:
        load_audio(path)
    text = str(info.value)
    assert message in text and "\n" not in text and str(path) in text


def test_truncated_flac_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.flac"
    soundfile.write(path, np.random.default_rng(0).standard_normal(SR) * 0.1, SR)
    path.write_bytes(path.read_bytes()[:-3000])
    with pytest.raises(AudioInputError, match=r"(truncated|corrupt) audio file"):
        load_audio(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match="not found"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioInputError, match="folder"):
        load_audio(tmp_path)


def test_to_mono_float_scales_integers_and_orients_channels() -> None:
    assert to_mono_float(np.array([16384, -32768], dtype=np.int16)).tolist() == [0.5, -1.0]
    assert to_mono_float(np.array([2**30], dtype=np.int32))[0] == pytest.approx(0.5)
    assert to_mono_float(np.array([192, 128], dtype=np.uint8)).tolist() == [0.5, 0.0]
    frames_channels = np.stack([np.ones(100), np.zeros(100)], axis=1)
    np.testing.assert_allclose(to_mono_float(frames_channels), 0.5)
    np.testing.assert_allclose(to_mono_float(frames_channels.T), 0.5)  # (channels, frames) too
    np.testing.assert_allclose(to_mono_float(np.array([[1.0, 0.0]])), [0.5])  # one stereo frame


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_prepare_signal_refuses_non_finite(bad: float) -> None:
    x = _tone(1000)
    x[5] = bad
    with pytest.raises(AudioInputError, match="NaN or infinite"):
        prepare_signal(x, sample_rate_hz=SR, target_rate_hz=SR)


def test_prepare_signal_resamples_and_refuses_bad_rates() -> None:
    x = _tone(44100, 44100, f=440.0)
    y = prepare_signal(x, sample_rate_hz=44100, target_rate_hz=16000)
    assert y.dtype == np.float32 and abs(y.size - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(y[:16000]))
    assert np.argmax(spectrum) == 440  # 1 Hz bins
    for rate in (0, -8000, 44100.5, "44100"):
        with pytest.raises(AudioInputError, match="sample_rate_hz"):
            prepare_signal(x, sample_rate_hz=rate, target_rate_hz=16000)  # type: ignore[arg-type]
    with pytest.raises(AudioInputError, match="dtype"):
        prepare_signal(np.array(["a"]), sample_rate_hz=SR, target_rate_hz=SR)
