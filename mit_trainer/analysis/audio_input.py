"""Audio input for analysis: load a recording from disk and condition raw sample arrays.

Responsible for turning whatever the user hands us (a WAV/FLAC/OGG file or an array from a capture device,
at any sample rate, mono or stereo, integer or float) into a finite float32 mono signal in [-1, 1] at the
rate an analysis needs, and for refusing unusable input with one clear line (:class:`AudioInputError`)
instead of a crash. Warnings that do not stop analysis (clipping, float data beyond full scale) are kept as
fields of :class:`AudioClip`.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile
import soxr

#: Recordings shorter than this cannot hold one syllable and are refused.
MIN_DURATION_S = 0.05
#: A sample at or above this magnitude counts as clipped.
CLIP_LEVEL = 0.999
#: Clipped-sample fraction above which :attr:`AudioClip.warnings` reports clipping.
CLIP_WARN_FRACTION = 0.001

Float32Array = npt.NDArray[np.float32]


class AudioInputError(ValueError):
    """Unusable audio input; ``str(error)`` is one line a user can act on."""


@dataclass(frozen=True)
class AudioClip:
    """A loaded recording, mixed to mono.

    ``samples`` is float32 in [-1, 1]; ``clipped_fraction`` is the fraction of samples (any channel) at full
    scale; ``peak_rescaled`` is True when float data beyond full scale was scaled down to fit.
    """

    samples: Float32Array
    sample_rate_hz: int
    channels_in_file: int
    subtype: str
    duration_s: float
    clipped_fraction: float
    peak_rescaled: bool = False

    @property
    def warnings(self) -> tuple[str, ...]:
        """Problems that do not prevent analysis but that a user should know about."""
        out: list[str] = []
        if self.clipped_fraction > CLIP_WARN_FRACTION:
            out.append(f"clipped: {100 * self.clipped_fraction:.2f}% of samples at full scale")
        if self.peak_rescaled:
            out.append("float samples exceeded full scale and were scaled down")
        return tuple(out)


def _riff_truncation(path: Path) -> str | None:
    """For RIFF/WAVE files, describe a data chunk shorter than its header declares (libsndfile reads
    such files silently); None when the file is complete or not a WAV file."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
            if chunk_id == b"data":
                available = size - (pos + 8)
                if chunk_size != 0xFFFFFFFF and chunk_size > available:
                    return f"header declares {chunk_size} data bytes, file holds {available}"
                return None
            pos += 8 + chunk_size + (chunk_size & 1)
    return None


def load_audio(path: str | os.PathLike[str]) -> AudioClip:
    """Read an audio file (any rate, channels and sample format libsndfile supports) as mono float32.

    Raises :class:`AudioInputError` for a missing file, a file that is not audio, a truncated or corrupt
    file, no samples, less than 50 ms, or NaN/infinite samples.
    """
    p = Path(path)
    if not p.exists():
        raise AudioInputError(f"audio file not found: {p}")
    if p.is_dir():
        raise AudioInputError(f"expected an audio file, got a folder: {p}")
    try:
        info = soundfile.info(str(p))
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise AudioInputError(f"not a readable audio file: {p} ({_short(exc)})") from None
    truncated = _riff_truncation(p)
    if truncated:
        raise AudioInputError(f"truncated audio file: {p} ({truncated})")
    try:
        data, rate = soundfile.read(str(p), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise AudioInputError(f"corrupt audio file: {p} ({_short(exc)})") from None
    if info.frames > 0 and data.shape[0] < info.frames:
        raise AudioInputError(f"truncated audio file: {p} (read {data.shape[0]} of {info.frames} frames)")
    if data.shape[0] == 0:
        raise AudioInputError(f"audio file contains no samples: {p}")
    duration_s = data.shape[0] / float(rate)
    if duration_s < MIN_DURATION_S:
        raise AudioInputError(
            f"audio too short: {1000 * duration_s:.0f} ms (minimum {1000 * MIN_DURATION_S:.0f} ms): {p}"
        )
    if not np.isfinite(data).all():
        raise AudioInputError(f"audio file contains NaN or infinite samples: {p}")
    clipped = float(np.mean(np.abs(data) >= CLIP_LEVEL))
    mono = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    peak = float(np.max(np.abs(mono)))
    rescaled = peak > 1.0
    if rescaled:
        mono = mono / np.float32(peak)
    return AudioClip(
        samples=np.ascontiguousarray(mono, dtype=np.float32),
        sample_rate_hz=int(rate),
        channels_in_file=int(data.shape[1]),
        subtype=str(info.subtype),
        duration_s=duration_s,
        clipped_fraction=clipped,
        peak_rescaled=rescaled,
    )


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]


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
