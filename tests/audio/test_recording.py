"""Recording files survive a crash: header kept valid while writing, and repaired from the file length."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mit_trainer.audio.recording import (
    RecordingWriter,
    marker_path,
    repair_incomplete_recordings,
    repair_recording,
)
from mit_trainer.audio.ringbuffer import SampleRing

SR = 16000


def _break_header(path: Path, extra_bytes: bytes = b"") -> None:
    """Make the file look like a WAV whose writer was killed: zero sizes, data appended after."""
    raw = bytearray(path.read_bytes())
    data_at = raw.index(b"data") + 8
    raw[4:8] = struct.pack("<I", 0)
    raw[data_at - 4 : data_at] = struct.pack("<I", 0)
    path.write_bytes(bytes(raw) + extra_bytes)


def test_repair_restores_all_whole_frames(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    x = (0.1 * np.sin(np.arange(SR) / 5)).astype(np.float32)
    sf.write(path, x, SR, subtype="PCM_24")
    _break_header(path, extra_bytes=b"\x01\x02\x03\x04")  # one whole 24-bit frame + one stray byte
    marker_path(path).write_text("x")
    assert repair_incomplete_recordings(tmp_path) == [path]
    y, rate = sf.read(path, dtype="float32")
    assert rate == SR and y.size == SR + 1
    np.testing.assert_allclose(y[:SR], x, atol=1e-6)
    assert not marker_path(path).exists()
    assert repair_recording(path) == pytest.approx((SR + 1) / SR)  # idempotent


def test_repair_skips_files_that_are_not_wav(tmp_path: Path) -> None:
    bad = tmp_path / "b.wav"
    bad.write_bytes(b"not a wav at all")
    marker_path(bad).write_text("x")
    assert repair_incomplete_recordings(tmp_path) == []
    assert marker_path(bad).exists()  # left for a person to look at
    orphan = marker_path(tmp_path / "gone.wav")
    orphan.write_text("x")
    repair_incomplete_recordings(tmp_path)
    assert not orphan.exists()


def test_writer_keeps_header_valid_while_recording(tmp_path: Path) -> None:
    ring = SampleRing(SR * 4)
    path = tmp_path / "live.wav"
    writer = RecordingWriter(
        ring,
        path=path,
        start_index=0,
        sample_rate_hz=SR,
        subtype="PCM_16",
        flush_interval_s=0.05,
        poll_s=0.01,
    )
    x = (0.25 * np.sin(np.arange(SR) / 7)).astype(np.float32)
    ring.write(x)
    deadline = time.monotonic() + 5
    while writer.frames_written < SR and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.15)  # one more flush interval: header patched and fsynced
    assert marker_path(path).exists()
    info = sf.info(path)  # opened while the writer still holds it, without any repair
    assert info.frames == SR
    summary = writer.finish(SR)
    assert summary.frames_written == SR and summary.samples_lost == 0 and summary.error is None
    assert summary.levels.peak_dbfs == pytest.approx(20 * np.log10(0.25), abs=0.01)
    assert not marker_path(path).exists()
    y, _ = sf.read(path, dtype="float32")
    np.testing.assert_allclose(y, x, atol=1 / 32768)


def test_writer_fills_lost_samples_with_silence(tmp_path: Path) -> None:
    ring = SampleRing(1000)
    path = tmp_path / "lost.wav"
    writer = RecordingWriter(
        ring, path=path, start_index=0, sample_rate_hz=SR, subtype="FLOAT", flush_interval_s=10, poll_s=10
    )
    ring.write(np.ones(2500, np.float32) * 0.5)  # the writer sleeps: 1500 samples are overwritten
    summary = writer.finish(2500)
    assert summary.samples_lost == 1500
    y, _ = sf.read(path, dtype="float32")
    assert y.size == 2500 and not y[:1500].any() and np.all(y[1500:] == 0.5)
