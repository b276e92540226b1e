"""Generated bad audio files: WAV headers with impossible fields, files cut anywhere, lying FLAC lengths,
cut Ogg streams and random bytes. Each is refused in one line (AudioInputError) in bounded time; a randomly
patched header that still loads must give a clip within every limit."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile
from audio_cases import SR, tone
from fuzz_tally import FUZZ, Tally
from hypothesis import given, settings
from hypothesis import strategies as st

from mit_trainer.analysis.audio_input import (
    FILE_RATE_RANGE_HZ,
    MAX_CHANNELS,
    MAX_DURATION_S,
    MIN_DURATION_S,
    AudioClip,
    AudioInputError,
    load_audio,
)

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')


def _encode(fmt: str, subtype: str, seconds: float = 0.3) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"a.{fmt.lower()}"
        soundfile.write(path, tone(seconds), SR, format=fmt, subtype=subtype)
        return path.read_bytes()


WAV = _encode("WAV", "PCM_16")
FLAC = _encode("FLAC", "PCM_16")
OGG = _encode("OGG", "VORBIS", 1.0)
#: (offset, struct format) of the patched WAV header fields.
WAV_FIELDS = {"channels": (22, "<H"), "rate": (24, "<I"), "block_align": (32, "<H"), "bits": (34, "<H"),
              "data_size": (40, "<I")}  # fmt: skip


def _patch(raw: bytes, at: int, fmt: str, value: int) -> bytes:
    out = bytearray(raw)
    out[at : at + struct.calcsize(fmt)] = struct.pack(fmt, value)
    return bytes(out)


def _load(tally: Tally, data: bytes, suffix: str) -> AudioClip | str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)

        def case() -> AudioClip | str:
            try:
                return load_audio(path)
            except AudioInputError as exc:
                return str(exc)

        result = tally.run("audio file", case)
    if isinstance(result, str):
        assert "\n" not in result and str(path) in result, result
    return result


def _within_limits(clip: AudioClip) -> None:
    assert FILE_RATE_RANGE_HZ[0] <= clip.sample_rate_hz <= FILE_RATE_RANGE_HZ[1]
    assert 1 <= clip.channels_in_file <= MAX_CHANNELS
    assert MIN_DURATION_S <= clip.duration_s <= MAX_DURATION_S
    assert np.isfinite(clip.samples).all() and float(np.max(np.abs(clip.samples))) <= 1.0


BAD_WAV_FIELD = st.one_of(
    st.tuples(st.just("bits"), st.integers(0, 65535).filter(lambda b: b not in (8, 16, 24, 32, 64))),
    st.tuples(st.just("block_align"), st.integers(0, 65535).filter(lambda b: b != 2)),
    st.tuples(st.just("channels"), st.integers(2, 65535)),  # block_align 2 fits one 16-bit channel only
    st.tuples(st.just("channels"), st.just(0)),
    st.tuples(st.just("rate"), st.integers(0, FILE_RATE_RANGE_HZ[0] - 1)),
    st.tuples(st.just("rate"), st.integers(FILE_RATE_RANGE_HZ[1] + 1, 2**32 - 1)),
    st.tuples(st.just("data_size"), st.integers(len(WAV) - 43, 2**32 - 2)),
)


@settings(FUZZ, max_examples=350)
@given(field=BAD_WAV_FIELD)
def test_impossible_wav_header_fields_are_refused(tally: Tally, field: tuple[str, int]) -> None:
    at, fmt = WAV_FIELDS[field[0]]
    result = _load(tally, _patch(WAV, at, fmt, field[1]), ".wav")
    if not isinstance(result, str):
        tally.garbage_accepted("audio file", field)
    tally.refused_ok("audio file")


@settings(FUZZ, max_examples=200)
@given(
    kind=st.sampled_from(["wav", "flac", "ogg"]),
    keep=st.floats(0.0, 0.98),
)
def test_files_cut_anywhere_are_refused(tally: Tally, kind: str, keep: float) -> None:
    raw = {"wav": WAV, "flac": FLAC, "ogg": OGG}[kind]
    result = _load(tally, raw[: int(len(raw) * keep)], f".{kind}")
    if not isinstance(result, str):
        tally.garbage_accepted("audio file", (kind, keep))
    tally.refused_ok("audio file")


@settings(FUZZ, max_examples=120)
@given(frames=st.one_of(st.integers(int(0.31 * SR), int(MAX_DURATION_S * SR)), st.integers(2**31, 2**36 - 1)))
def test_flac_headers_claiming_more_frames_than_they_hold_are_refused(tally: Tally, frames: int) -> None:
    raw = bytearray(FLAC)
    packed = int.from_bytes(raw[18:26], "big")
    raw[18:26] = ((packed & ~((1 << 36) - 1)) | frames).to_bytes(8, "big")
    result = _load(tally, bytes(raw), ".flac")
    if not isinstance(result, str):
        tally.garbage_accepted("audio file", frames)
    tally.refused_ok("audio file")


@settings(FUZZ, max_examples=150)
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.binary(min_size=8, max_size=200).map(lambda b: b"RIFF" + b[:4] + b"WAVE" + b[4:]),
        st.binary(min_size=8, max_size=200).map(lambda b: b"fLaC" + b),
        st.binary(min_size=8, max_size=200).map(lambda b: b"OggS" + b),
        st.binary(min_size=8, max_size=200).map(lambda b: b"ID3" + b),
    ),
    suffix=st.sampled_from([".wav", ".flac", ".ogg", ".mp3", ".raw", ""]),
)
def test_random_bytes_are_refused(tally: Tally, data: bytes, suffix: str) -> None:
    result = _load(tally, data, suffix)
    if not isinstance(result, str):
        _within_limits(result)
        tally.garbage_accepted("audio file", data[:40])
    tally.refused_ok("audio file")


@settings(FUZZ, max_examples=150)
@given(at=st.integers(0, 43), value=st.integers(0, 255), base=st.sampled_from(["wav", "flac"]))
def test_randomly_patched_headers_load_within_limits_or_are_refused(
    tally: Tally, at: int, value: int, base: str
) -> None:
    raw = bytearray(WAV if base == "wav" else FLAC)
    raw[at] = value
    result = _load(tally, bytes(raw), f".{base}")
    if isinstance(result, str):
        tally.refused_ok("audio file")
    else:
        _within_limits(result)
        tally.accepted_ok("audio file")
