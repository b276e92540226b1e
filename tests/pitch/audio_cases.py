"""Hostile and damaged audio files of issue 14, written from a clean tone by patching their headers (shared by
the audio-limit tests and the fuzz suite)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import soundfile

SR = 16000


def tone(seconds: float = 1.0, sr: int = SR, f: float = 220.0, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * np.pi * f * np.arange(int(seconds * sr)) / sr)


def flac_claiming(path: Path, total_frames: int) -> Path:
    """A real 1 s FLAC whose STREAMINFO claims ``total_frames`` frames (36-bit field)."""
    soundfile.write(path, tone(), SR, format="FLAC")
    raw = bytearray(path.read_bytes())
    assert raw[:4] == b"fLaC" and raw[4] & 0x7F == 0  # STREAMINFO is the first metadata block
    packed = int.from_bytes(raw[18:26], "big")
    packed = (packed & ~((1 << 36) - 1)) | (total_frames & ((1 << 36) - 1))
    raw[18:26] = packed.to_bytes(8, "big")
    path.write_bytes(bytes(raw))
    return path


def wav_with_fmt(path: Path, **fields: int) -> Path:
    """A 1 s 16-bit WAV with fields of its fmt chunk replaced (channels, rate, byte_rate, block_align, bits)
    or its data chunk size (data_size)."""
    soundfile.write(path, tone(), SR, subtype="PCM_16", format="WAV")
    raw = bytearray(path.read_bytes())
    assert raw[12:16] == b"fmt " and raw[36:40] == b"data"
    offsets = {"channels": (22, "<H"), "rate": (24, "<I"), "byte_rate": (28, "<I"), "block_align": (32, "<H"),
               "bits": (34, "<H"), "data_size": (40, "<I")}  # fmt: skip
    for name, value in fields.items():
        at, fmt = offsets[name]
        raw[at : at + struct.calcsize(fmt)] = struct.pack(fmt, value)
    path.write_bytes(bytes(raw))
    return path


def cut(path: Path, keep: float) -> Path:
    """Keep the first ``keep`` fraction of the file's bytes."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path
