"""Container checks libsndfile does not make: a WAV's bit depth and data length, an Ogg stream's end.

libsndfile reads a WAV whose data chunk is shorter than its header says, a WAV declaring 7 bits per sample
(as 8-bit unsigned noise), and an Ogg file cut after a page boundary (as zero or fewer frames) without an
error. :func:`container_problem` looks at the bytes first and names such problems in a few words; it reads
at most the chunk headers of a WAV and the last 64 KiB of an Ogg file.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

#: Sample widths a WAV ``fmt`` chunk may declare.
WAV_BITS = (8, 16, 24, 32, 64)
_WAVE_PCM, _WAVE_FLOAT, _WAVE_EXTENSIBLE = 1, 3, 0xFFFE
_MAX_CHUNKS = 4096
_OGG_TAIL = 65536 + 282


def container_problem(fh: BinaryIO, size: int) -> tuple[str, str] | None:
    """(``"truncated"`` or ``"corrupt"``, what is wrong) for a WAV or Ogg file with a bad container; None when
    the container looks complete or the format is another one."""
    fh.seek(0)
    head = fh.read(12)
    if len(head) == 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _wav_problem(fh, size)
    if head[:4] == b"OggS":
        return _ogg_problem(fh, size)
    return None


def _wav_problem(fh: BinaryIO, size: int) -> tuple[str, str] | None:
    pos = 12
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > size:
            return None
        fh.seek(pos)
        chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
        if chunk_id == b"fmt ":
            if pos + 8 + chunk_size > size:
                return None  # a header cut inside the fmt chunk: libsndfile refuses it as unreadable
            problem = _fmt_problem(fh.read(min(chunk_size, 40)))
            if problem:
                return "corrupt", problem
        elif chunk_id == b"data":
            available = size - (pos + 8)
            if chunk_size != 0xFFFFFFFF and chunk_size > available:
                return "truncated", f"header declares {chunk_size} data bytes, file holds {available}"
            return None
        pos += 8 + chunk_size + (chunk_size & 1)
    return "corrupt", f"more than {_MAX_CHUNKS} chunks before the data"


def _fmt_problem(fmt: bytes) -> str | None:
    if len(fmt) < 16:
        return f"fmt chunk of {len(fmt)} bytes (at least 16 expected)"
    tag, channels, _rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag not in (_WAVE_PCM, _WAVE_FLOAT, _WAVE_EXTENSIBLE):
        return None  # compressed WAV codecs (ADPCM, GSM, ...) have their own widths; libsndfile checks them
    if bits not in WAV_BITS:
        return f"{bits} bits per sample (expected one of {', '.join(map(str, WAV_BITS))})"
    if channels == 0 or block_align != channels * bits // 8:
        return f"block size {block_align} does not fit {channels} channel(s) of {bits} bits"
    return None


def _ogg_problem(fh: BinaryIO, size: int) -> tuple[str, str] | None:
    start = max(0, size - _OGG_TAIL)
    fh.seek(start)
    tail = fh.read(size - start)
    at = tail.rfind(b"OggS")
    if at < 0:
        return "corrupt", "no Ogg page in the last 64 KiB"
    page = tail[at:]
    if len(page) < 27 or len(page) < 27 + page[26]:
        return "truncated", "the last Ogg page is cut short"
    n_segments = page[26]
    body = sum(page[27 : 27 + n_segments])
    if len(page) < 27 + n_segments + body:
        return "truncated", "the last Ogg page is cut short"
    if not page[5] & 0x04:
        return "truncated", "the Ogg stream has no end-of-stream page"
    return None
