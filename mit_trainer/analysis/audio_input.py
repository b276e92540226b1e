"""Audio input for analysis: load a recording from disk and condition raw sample arrays.

Responsible for turning whatever the user hands us (a WAV/FLAC/OGG file or an array from a capture device,
at any sample rate, mono or stereo, integer or float) into a finite float32 mono signal in [-1, 1] at the
rate an analysis needs, and for refusing unusable input with one clear line (:class:`AudioInputError`)
instead of a crash. Warnings that do not stop analysis (clipping, float data beyond full scale) are kept as
fields of :class:`AudioClip`.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import soundfile
import soxr

from mit_trainer.analysis.audio_headers import container_problem as _container_problem

#: Recordings shorter than this cannot hold one syllable and are refused.
MIN_DURATION_S = 0.05
#: A sample at or above this magnitude counts as clipped.
CLIP_LEVEL = 0.999
#: Clipped-sample fraction above which :attr:`AudioClip.warnings` reports clipping.
CLIP_WARN_FRACTION = 0.001
#: Longest recording analysed, seconds: an attempt is one phrase (Level III at 20 BPM is under a minute), and
#: the analysis needs a few megabytes per second of audio, so this keeps any single input well under 1 GiB.
MAX_DURATION_S = 120.0
#: Most channels accepted in a file (the signal is mixed to mono).
MAX_CHANNELS = 32
#: Sample rates accepted in a file, Hz.
FILE_RATE_RANGE_HZ = (4000, 384_000)
#: A DC offset larger than this (full scale) is reported in :attr:`AudioClip.warnings` (it is always removed).
DC_WARN_LEVEL = 0.01
_BLOCK_FRAMES = 1 << 16
#: Container formats whose samples are stored uncompressed (FLAC, Ogg and MP3 name a depth but compress).
_UNCOMPRESSED = frozenset({"WAV", "WAVEX", "W64", "RF64", "AIFF", "AU", "NIST", "IRCAM"})
#: Bytes per sample of uncompressed subtypes (for checking a header's length against the file size).
_PCM_BYTES = {"PCM_S8": 1, "PCM_U8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8,
              "ULAW": 1, "ALAW": 1}  # fmt: skip

Float32Array = npt.NDArray[np.float32]


class AudioInputError(ValueError):
    """Unusable audio input; ``str(error)`` is one line a user can act on."""


@dataclass(frozen=True)
class AudioClip:
    """A loaded recording, mixed to mono.

    ``samples`` is float32 in [-1, 1] with its mean (``dc_offset``) removed; ``clipped_fraction`` is the
    fraction of samples (any channel) at full scale; ``peak_rescaled`` is True when float data beyond full
    scale was scaled down to fit.
    """

    samples: Float32Array
    sample_rate_hz: int
    channels_in_file: int
    subtype: str
    duration_s: float
    clipped_fraction: float
    peak_rescaled: bool = False
    dc_offset: float = 0.0

    @property
    def warnings(self) -> tuple[str, ...]:
        """Problems that do not prevent analysis but that a user should know about."""
        out: list[str] = []
        if self.clipped_fraction > CLIP_WARN_FRACTION:
            out.append(f"clipped: {100 * self.clipped_fraction:.2f}% of samples at full scale")
        if self.peak_rescaled:
            out.append("float samples exceeded full scale and were scaled down")
        if abs(self.dc_offset) > DC_WARN_LEVEL:
            out.append(f"a DC offset of {self.dc_offset:+.3f} full scale was removed")
        return tuple(out)


def load_audio(path: str | os.PathLike[str], *, max_duration_s: float = MAX_DURATION_S) -> AudioClip:
    """Read an audio file (any rate, channels and sample format libsndfile supports) as mono float32.

    Only regular files are opened (never a FIFO or device). The header is checked before any sample is
    read: rate, channels, declared length (at most ``max_duration_s``) and, for uncompressed data, the
    declared size against the file's; WAV headers must name a real bit depth and Ogg streams must end with
    their end-of-stream page. Samples are read in blocks and mixed down as they arrive, so memory stays
    within about 4 bytes per frame of the allowed duration whatever the header claims. A constant (DC)
    offset is removed (:attr:`AudioClip.dc_offset` keeps its size).

    Raises :class:`AudioInputError` (one line) for a missing, unreadable, non-regular, truncated, corrupt or
    too long file, no samples, less than 50 ms, or NaN/infinite samples.
    """
    p = Path(path)
    fh = _open_regular(p)
    with fh:
        size = os.fstat(fh.fileno()).st_size
        problem = _container_problem(fh, size)
        if problem:
            raise AudioInputError(f"{problem[0]} audio file: {p} ({problem[1]})")
        fh.seek(0)
        with _quiet_stderr(_looks_like_mp3(fh)):
            mono, frames_read, channels, rate, subtype, clipped = _read_mono(fh, p, size, max_duration_s)
    if frames_read == 0:
        raise AudioInputError(f"audio file contains no samples: {p}")
    duration_s = frames_read / float(rate)
    if duration_s < MIN_DURATION_S:
        raise AudioInputError(
            f"audio too short: {1000 * duration_s:.0f} ms (minimum {1000 * MIN_DURATION_S:.0f} ms): {p}"
        )
    dc = float(np.mean(mono, dtype=np.float64))
    mono -= np.float32(dc)
    peak = float(np.max(np.abs(mono)))
    rescaled = peak > 1.0
    if rescaled:
        mono /= np.float32(peak)
    return AudioClip(
        samples=np.ascontiguousarray(mono, dtype=np.float32),
        sample_rate_hz=int(rate),
        channels_in_file=int(channels),
        subtype=subtype,
        duration_s=duration_s,
        clipped_fraction=clipped,
        peak_rescaled=rescaled,
        dc_offset=dc,
    )


def _open_regular(p: Path) -> BinaryIO:
    """The file opened for reading, after checking (on the open descriptor too) that it is a regular file;
    opened non-blocking so that a FIFO can never hang the open."""
    try:
        st = os.stat(p)
        if stat.S_ISDIR(st.st_mode):
            raise AudioInputError(f"expected an audio file, got a folder: {p}")
        if not stat.S_ISREG(st.st_mode):
            raise AudioInputError(f"not a regular file (a pipe, device or socket): {p}")
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise AudioInputError(f"audio file not found: {p}") from None
    except PermissionError:
        raise AudioInputError(f"permission denied: cannot read {p}") from None
    except OSError as exc:
        raise AudioInputError(f"cannot read audio file: {p} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise AudioInputError(f"not a regular file (a pipe, device or socket): {p}")
    return os.fdopen(fd, "rb")


def _read_mono(
    fh: BinaryIO, p: Path, size: int, max_duration_s: float
) -> tuple[Float32Array, int, int, int, str, float]:
    """(mono samples, frames read, channels, rate, subtype, clipped fraction), read block by block."""
    try:
        sf = soundfile.SoundFile(fh)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioInputError(f"not a readable audio file: {p} ({_short(exc)})") from None
    with sf:
        rate, channels, declared = int(sf.samplerate), int(sf.channels), int(sf.frames)
        subtype = str(sf.subtype)
        lo, hi = FILE_RATE_RANGE_HZ
        if not lo <= rate <= hi:
            raise AudioInputError(f"unusable sample rate {rate} Hz (expected {lo}-{hi} Hz): {p}")
        if not 1 <= channels <= MAX_CHANNELS:
            raise AudioInputError(f"unusable channel count {channels} (expected 1-{MAX_CHANNELS}): {p}")
        max_frames = int(max_duration_s * rate)
        if declared > max_frames:
            raise AudioInputError(
                f"audio too long: the header declares {declared / rate:.0f} s; the limit is "
                f"{max_duration_s:.0f} s (cut the recording into attempts): {p}"
            )
        width = _PCM_BYTES.get(subtype) if str(sf.format) in _UNCOMPRESSED else None
        if width is not None and declared * channels * width > size:
            raise AudioInputError(
                f"truncated audio file: {p} (header declares {declared * channels * width} bytes of "
                f"samples, the file holds {size})"
            )
        blocks: list[Float32Array] = []
        frames = clipped = 0
        try:
            while True:
                block = sf.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    break
                frames += block.shape[0]
                if frames > max_frames:
                    raise AudioInputError(
                        f"audio too long: more than {max_duration_s:.0f} s (the limit; cut the recording "
                        f"into attempts): {p}"
                    )
                if not np.isfinite(block).all():
                    raise AudioInputError(f"audio file contains NaN or infinite samples: {p}")
                clipped += int(np.count_nonzero(np.abs(block) >= CLIP_LEVEL))
                blocks.append(block.mean(axis=1, dtype=np.float32) if channels > 1 else block[:, 0].copy())
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            raise AudioInputError(f"corrupt audio file: {p} ({_short(exc)})") from None
    if declared > 0 and frames < declared:
        raise AudioInputError(f"truncated audio file: {p} (read {frames} of {declared} frames)")
    mono = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
    return mono, frames, channels, rate, subtype, clipped / max(1, frames * channels)


@contextlib.contextmanager
def _quiet_stderr(active: bool) -> Iterator[None]:
    """Silence file descriptor 2 while ``active`` (libmpg123 prints warnings there, not to Python)."""
    if not active:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _looks_like_mp3(fh: BinaryIO) -> bool:
    head = fh.read(3)
    fh.seek(0)
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = re.sub(r"^Error opening .*?: ", "", text)
    return text[:160]


def to_mono_float(samples: npt.ArrayLike) -> Float32Array:
    """Convert integer or float samples, 1-D or 2-D, to a float32 mono array (no resampling).

    2-D input is (frames, channels) as soundfile returns it; a (channels, frames) array (at most 8 rows,
    more than 16 columns) is also accepted. Integer data is scaled by full scale
    (``2**(bits-1)``; unsigned types are centred first). Raises :class:`AudioInputError` for NaN/inf.
    """
    x = np.asarray(samples)
    if x.dtype.kind not in "iuf":
        raise AudioInputError(f"audio samples must be integer or float numbers, got dtype {x.dtype}")
    if x.ndim == 2:
        if x.shape[0] <= 8 and x.shape[1] > 16:
            x = x.T
        if x.shape[1] == 0:
            raise AudioInputError("audio array has no channels")
    elif x.ndim != 1:
        raise AudioInputError(f"audio array must be 1-D or 2-D (frames, channels), got shape {x.shape}")
    if x.dtype.kind in "iu":
        bits = np.iinfo(x.dtype).bits
        offset = 2.0 ** (bits - 1) if x.dtype.kind == "u" else 0.0
        y = (x.astype(np.float64) - offset) / 2.0 ** (bits - 1)
    else:
        y = x.astype(np.float64, copy=False)
        if not np.isfinite(y).all():
            raise AudioInputError("audio contains NaN or infinite samples")
    if y.ndim == 2:
        y = y.mean(axis=1)
    return np.ascontiguousarray(y, dtype=np.float32)


def prepare_signal(samples: npt.ArrayLike, *, sample_rate_hz: int, target_rate_hz: int) -> Float32Array:
    """Condition samples for analysis: int -> float, stereo -> mono, check finite, resample with soxr.

    Returns a float32 mono array at ``target_rate_hz`` (possibly empty when the input is empty).
    """
    rate_in = _check_rate(sample_rate_hz, "sample_rate_hz")
    rate_out = _check_rate(target_rate_hz, "target_rate_hz")
    y = to_mono_float(samples)
    if rate_in == rate_out or y.size == 0:
        return y
    out = soxr.resample(y, rate_in, rate_out, quality="HQ")
    return np.ascontiguousarray(out, dtype=np.float32)


def _check_rate(rate: object, name: str) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int | np.integer | float):
        raise AudioInputError(f"{name} must be a positive integer number of Hz, got {rate!r}")
    if not float(rate).is_integer() or not 1000 <= float(rate) <= 768_000:
        raise AudioInputError(f"{name} must be a whole number of Hz between 1000 and 768000, got {rate!r}")
    return int(rate)
