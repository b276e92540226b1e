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


#: Runs ``python -m mit_trainer ARGS`` and, at exit, writes the process's peak resident memory (VmHWM, kB)
#: to the file named by MIT_HWM_FILE. VmHWM belongs to the new process image; ``ru_maxrss`` would not do here,
#: as Linux carries the parent's peak over into a child at exec.
PEAK_MEMORY_WRAPPER = """\
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as f:
        kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["MIT_HWM_FILE"], "w") as out:
        out.write(kb)
atexit.register(_peak)
sys.argv = ["mit_trainer", *sys.argv[1:]]
runpy.run_module("mit_trainer", run_name="__main__", alter_sys=True)
"""


def run_with_peak_memory(args: list[str], scratch: Path) -> tuple[int, str, int]:
    """(exit status, stderr, peak resident bytes) of ``python -m mit_trainer args`` in a fresh process."""
    import os
    import subprocess
    import sys

    hwm = scratch / "hwm.txt"
    done = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_WRAPPER, *args],
        capture_output=True, text=True, timeout=600, env={**os.environ, "MIT_HWM_FILE": str(hwm)},
    )  # fmt: skip
    return done.returncode, done.stderr, int(hwm.read_text()) * 1024
