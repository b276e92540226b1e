"""Voices the trainer did not make, for the word check's tests and benchmark.

espeak-ng speech (Debian CLI), Festival speech (``text2wave``) and Festival singing (``text2wave
-mode singing``, diphone voices kal and ked). The truth is what the generator was asked to say.
Festival sings one octave below the written note and its singing mode divides BPM by 50 (BPM=50 is
one second per beat, DESIGN.md §4); each syllable is sung as its own token so that beats are kept.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import soundfile as sf

ESPEAK_VOICES = ("en-us", "en-us+f3", "en+m3", "en-us+f4")
FESTIVAL_VOICES = ("kal", "ked")
_NOTES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def have_festival() -> bool:
    return shutil.which("text2wave") is not None


def _read(data: bytes) -> tuple[np.ndarray, int]:
    x, sr = sf.read(io.BytesIO(data), dtype="float64")
    if x.ndim == 2:
        x = x.mean(axis=1)
    return x, int(sr)


def espeak(text: str, *, voice: str = "en-us", wpm: int = 140) -> tuple[np.ndarray, int]:
    """espeak-ng speaking ``text``: (samples, sample rate)."""
    out = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", text],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    return _read(out)


def festival_speak(text: str, *, voice: str = "kal") -> tuple[np.ndarray, int]:
    """Festival's diphone voice ``kal`` or ``ked`` speaking ``text``."""
    with tempfile.TemporaryDirectory() as tmp:
        src, wav = Path(tmp) / "in.txt", Path(tmp) / "out.wav"
        src.write_text(text + "\n", encoding="utf-8")
        subprocess.run(
            ["text2wave", "-eval", f"(voice_{voice}_diphone)", str(src), "-o", str(wav)],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        return _read(wav.read_bytes())


def note_name(midi: int) -> str:
    return f"{_NOTES[midi % 12]}{midi // 12 - 1}"


def festival_sing(
    syllables: Sequence[str],
    pattern: Sequence[str],
    beats: Sequence[float] | None = None,
    *,
    voice: str = "kal",
    low_midi: int = 60,
    interval_st: int = 3,
    seconds_per_beat: float = 0.8,
) -> tuple[np.ndarray, int]:
    """Festival singing one syllable per note: H on ``low_midi + interval_st``, L on ``low_midi``
    (written notes; Festival sounds them an octave lower)."""
    beats = list(beats) if beats is not None else [1.0] * len(syllables)
    bpm = 50.0 / seconds_per_beat
    body = "".join(
        f'<PITCH NOTE="{note_name(low_midi + (interval_st if p == "H" else 0))}">'
        f'<DURATION BEATS="{b:g}">{escape(s)}</DURATION></PITCH>\n'
        for s, p, b in zip(syllables, pattern, beats, strict=True)
    )
    xml = (
        '<?xml version="1.0"?>\n<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" '
        f'"Singing.v0_1.dtd" []>\n<SINGING BPM="{bpm:g}">\n{body}</SINGING>\n'
    )
    with tempfile.TemporaryDirectory() as tmp:
        src, wav = Path(tmp) / "song.xml", Path(tmp) / "out.wav"
        src.write_text(xml, encoding="utf-8")
        subprocess.run(
            ["text2wave", "-mode", "singing", "-eval", f"(voice_{voice}_diphone)", str(src), "-o", str(wav)],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        return _read(wav.read_bytes())


def quiet(seconds: float, *, sample_rate_hz: int = 16000, level: float = 1e-3, seed: int = 0) -> np.ndarray:
    """Room-noise-like silence: white noise at ``level`` RMS."""
    return np.random.default_rng(seed).normal(0.0, level, round(seconds * sample_rate_hz))


def with_noise(x: np.ndarray, *, snr_db: float, seed: int = 0) -> np.ndarray:
    """``x`` plus white noise at ``snr_db`` below its RMS."""
    rms = float(np.sqrt(np.mean(x**2))) or 1e-6
    return x + np.random.default_rng(seed).normal(0.0, rms * 10 ** (-snr_db / 20), x.size)
