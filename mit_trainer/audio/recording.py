"""Recording to disk as audio arrives, and repair of recordings cut off by a crash.

A :class:`RecordingWriter` thread drains the capture ring into a WAV file (soundfile). Every
``flush_interval_s`` it flushes, rewrites the RIFF and ``data`` sizes in the header to match what is on
disk, and fsyncs, so a SIGKILL or power cut leaves a WAV that opens and loses at most that interval.
While a file is being written a marker ``<name>.wav.incomplete`` sits beside it; the marker is removed
when the file is finalised. :func:`repair_incomplete_recordings` (called by the trainer at start-up) fixes
the header of every file whose marker survived, from the file's real length.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from mit_trainer.audio.levels import LevelAccumulator, LevelStats
from mit_trainer.audio.ringbuffer import SampleRing

INCOMPLETE_SUFFIX = ".incomplete"


def marker_path(path: Path) -> Path:
    return path.with_name(path.name + INCOMPLETE_SUFFIX)


def _find_chunks(head: bytes) -> dict[bytes, tuple[int, int]]:
    """Chunk id -> (offset of chunk data, declared size) for a RIFF/WAVE header."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    chunks: dict[bytes, tuple[int, int]] = {}
    pos = 12
    while pos + 8 <= len(head):
        cid = head[pos : pos + 4]
        size = struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        chunks[cid] = (pos + 8, size)
        if cid == b"data":
            break
        pos += 8 + size + (size & 1)
    return chunks


def _wav_layout(fd: int) -> tuple[int, int]:
    """(offset of the audio data, bytes per frame) of an open WAV file."""
    head = os.pread(fd, 65536, 0)
    chunks = _find_chunks(head)
    if b"data" not in chunks or b"fmt " not in chunks:
        raise ValueError("WAV header has no fmt or data chunk")
    fmt_off, _ = chunks[b"fmt "]
    _tag, _channels, _rate, _bps, block_align = struct.unpack("<HHIIH", head[fmt_off : fmt_off + 14])
    return chunks[b"data"][0], max(1, block_align)


def _patch_sizes(fd: int, data_offset: int, data_bytes: int) -> None:
    os.pwrite(fd, struct.pack("<I", data_bytes), data_offset - 4)
    os.pwrite(fd, struct.pack("<I", data_offset + data_bytes - 8), 4)


def repair_recording(path: Path) -> float:
    """Make the WAV header of ``path`` match the audio on disk; returns the readable duration in seconds.

    Trailing bytes that do not form a whole frame are cut off. Removes the ``.incomplete`` marker.
    """
    path = Path(path)
    fd = os.open(path, os.O_RDWR)
    try:
        data_offset, frame_bytes = _wav_layout(fd)
        size = os.fstat(fd).st_size
        data_bytes = max(0, size - data_offset)
        data_bytes -= data_bytes % frame_bytes
        os.ftruncate(fd, data_offset + data_bytes)
        _patch_sizes(fd, data_offset, data_bytes)
        os.fsync(fd)
    finally:
        os.close(fd)
    marker_path(path).unlink(missing_ok=True)
    info = sf.info(str(path))
    return float(info.frames) / float(info.samplerate)


def repair_incomplete_recordings(folder: Path) -> list[Path]:
    """Repair every recording under ``folder`` that still has an ``.incomplete`` marker; returns them."""
    repaired = []
    for marker in sorted(Path(folder).rglob("*" + INCOMPLETE_SUFFIX)):
        wav = marker.with_name(marker.name[: -len(INCOMPLETE_SUFFIX)])
        if not wav.exists():
            marker.unlink(missing_ok=True)
            continue
        try:
            repair_recording(wav)
        except (ValueError, OSError, RuntimeError):
            continue  # not a WAV we wrote; leave the marker so a person can look
        repaired.append(wav)
    return repaired


@dataclass(frozen=True)
class WriterSummary:
    frames_written: int
    samples_lost: int
    levels: LevelStats
    error: str | None


class RecordingWriter:
    """Thread that copies ring samples ``[start_index, stop_index)`` into ``path`` as they arrive.

    ``stop_index`` is unknown while recording; :meth:`finish` sets it and waits for the file to be
    finalised. ``on_first_audio`` (optional) is called once, from the writer thread, after the first
    samples reach the disk.
    """

    def __init__(
        self,
        ring: SampleRing,
        *,
        path: Path,
        start_index: int,
        sample_rate_hz: int,
        subtype: str,
        flush_interval_s: float,
        poll_s: float = 0.05,
        on_first_audio: Callable[[], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self._ring = ring
        self.start_index = start_index
        self._cursor = start_index
        self._stop_index: int | None = None
        self._rate = sample_rate_hz
        self._flush_interval_s = flush_interval_s
        self._poll_s = poll_s
        self._on_first_audio = on_first_audio
        self._wake = threading.Event()
        self._levels = LevelAccumulator()
        self._frames = 0
        self._lost = 0
        self._error: str | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        marker_path(self.path).write_text("recording in progress\n", encoding="utf-8")
        self._file = sf.SoundFile(
            str(self.path), mode="w", samplerate=sample_rate_hz, channels=1, format="WAV", subtype=subtype
        )
        self._file.flush()
        self._fd = os.open(self.path, os.O_RDWR)
        self._data_offset, _ = _wav_layout(self._fd)
        self._frame_bytes = {"PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}.get(subtype, 0)
        self._thread = threading.Thread(target=self._run, name=f"recorder:{self.path.name}", daemon=True)
        self._thread.start()

    @property
    def frames_written(self) -> int:
        return self._frames

    def _drain(self, limit: int) -> None:
        samples, lost = self._ring.read(self._cursor, limit)
        if lost:
            self._lost += lost
            self._file.write(np.zeros(lost, dtype=np.float32))  # keep the time axis intact
            self._frames += lost
        if samples.size:
            self._file.write(samples)
            self._levels.update(samples)
            self._frames += samples.size
        self._cursor += lost + samples.size

    def _sync(self) -> None:
        self._file.flush()
        if self._frame_bytes:
            _patch_sizes(self._fd, self._data_offset, self._frames * self._frame_bytes)
        os.fsync(self._fd)

    def _run(self) -> None:
        import time

        last_flush = time.monotonic()
        announced = False
        try:
            while True:
                stop = self._stop_index
                self._drain(self._ring.written if stop is None else stop)
                now = time.monotonic()
                if now - last_flush >= self._flush_interval_s or stop is not None:
                    self._sync()
                    last_flush = now
                    if not announced and self._frames > 0 and self._on_first_audio is not None:
                        announced = True
                        self._on_first_audio()
                if stop is not None and self._cursor >= min(stop, self._ring.written):
                    break
                self._wake.wait(self._poll_s)
        except Exception as exc:  # disk full, folder removed: keep what is on disk, report it
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            try:
                self._file.close()
                os.fsync(self._fd)
            except Exception as exc:
                self._error = self._error or f"{type(exc).__name__}: {exc}"
            os.close(self._fd)
            if self._error is None:
                marker_path(self.path).unlink(missing_ok=True)

    def finish(self, stop_index: int, *, timeout_s: float = 10.0) -> WriterSummary:
        """Write everything up to ``stop_index`` (or what the ring still has), close the file, summarise."""
        self._stop_index = max(stop_index, self._cursor)
        self._wake.set()
        self._thread.join(timeout_s)
        return WriterSummary(
            frames_written=self._frames,
            samples_lost=self._lost,
            levels=self._levels.stats(),
            error=self._error,
        )
