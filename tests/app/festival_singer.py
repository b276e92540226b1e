"""A "therapist" who sings a phrase with Festival's singing mode: a voice the trainer did not make.

Truth comes from the score Festival is given: each syllable is its own token on its own note, one beat
lasting ``60 / tempo_bpm`` s (Festival divides its BPM by 50, so it is given ``tempo_bpm * 50 / 60``), and
Festival sings one octave below the written note, so a written note ``n`` sounds at ``midi(n) - 12``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from mit_trainer.core.records import Phrase

#: Length of Festival's phrase-final fall, cut from the end of every phrase.
FINAL_FALL_S = 0.25
_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(midi: int) -> str:
    return f"{_NAMES[midi % 12]}{midi // 12 - 1}"


def midi_hz(midi: float) -> float:
    return float(440.0 * 2 ** ((midi - 69) / 12))


@dataclass(frozen=True)
class Sung:
    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    sounding_hz: tuple[float, ...]  # the note each syllable sounds at (truth)


def need_festival() -> None:
    if shutil.which("text2wave") is None:
        pytest.skip("Festival (text2wave) is not installed")


def sing(
    phrase: Phrase, *, low_midi: int = 47, interval: int = 3, tempo_bpm: float = 60.0, invert: bool = False
) -> Sung:
    """Festival sings ``phrase`` with H on ``low_midi + interval`` and L on ``low_midi`` (sounding notes);
    ``invert`` swaps them (a therapist who sings the pattern the wrong way round)."""
    need_festival()
    tokens, hz = [], []
    for syl, tone, beats in zip(phrase.syllables, phrase.pattern, phrase.beats, strict=True):
        high = (tone.upper() == "H") != invert
        sounding = low_midi + (interval if high else 0)
        word = "".join(c for c in syl.lower() if c.isalpha()) or "la"
        tokens.append(
            f'<PITCH NOTE="{note_name(sounding + 12)}"><DURATION BEATS="{beats:g}">{word}</DURATION></PITCH>'
        )
        hz.append(midi_hz(sounding))
    xml = (
        '<?xml version="1.0"?>\n<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" '
        f'"Singing.v0_1.dtd" []>\n<SINGING BPM="{tempo_bpm * 50.0 / 60.0:g}">\n'
        + "\n".join(tokens)
        + "\n</SINGING>\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "s.xml", Path(tmp) / "s.wav"
        src.write_text(xml)
        subprocess.run(
            ["text2wave", "-mode", "singing", str(src), "-o", str(out)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        x, sr = sf.read(str(out), dtype="float32")
    x = np.asarray(x, dtype=np.float32)
    # Festival ends every phrase with a stock ~0.2 s fall (DESIGN.md §4) that no singing therapist makes:
    # cut it, with a 20 ms fade, so the last note ends on its note.
    keep = max(0, x.size - round(FINAL_FALL_S * sr))
    fade = min(keep, round(0.02 * sr))
    x = x[:keep].copy()
    x[keep - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return Sung(x, int(sr), tuple(hz))
