"""Shared value types: phrases, pitch tracks and attempt analyses.

These frozen dataclasses are the contract between layers. Units are in field
names (``onset_s``, ``f0_hz``, ``error_cents``); ``None`` or NaN means "no value".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class Level(IntEnum):
    """MIT level: I Elementary, II Intermediate, III Advanced."""

    ELEMENTARY = 1
    INTERMEDIATE = 2
    ADVANCED = 3


#: Syllable-count range of each level (inclusive), PROTOCOL.md §2.
LEVEL_SYLLABLE_RANGE: dict[int, tuple[int, int]] = {1: (2, 3), 2: (4, 6), 3: (6, 9)}


class Tone(StrEnum):
    """Target or produced pitch of a syllable: H high (stressed) or L low."""

    H = "H"
    L = "L"


@dataclass(frozen=True)
class Phrase:
    """One phrase of a phrase set (DESIGN.md §3, format ``mit-phrases/1``)."""

    id: str
    text: str
    level: int
    syllables: tuple[str, ...]
    pattern: tuple[str, ...]  # "H" / "L", one per syllable
    beats: tuple[float, ...]  # relative duration per syllable (1 = one beat)
    probe: str | None = None
    category: str | None = None
    trained: bool = True
    extras: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    line: int | None = field(default=None, compare=False)  # source line, when loaded from a file

    @property
    def n_syllables(self) -> int:
        return len(self.syllables)

    @property
    def total_beats(self) -> float:
        return float(sum(self.beats))

    def duration_s(self, tempo_bpm: float) -> float:
        """Nominal duration of the intoned phrase at ``tempo_bpm`` (one beat = 60/tempo s)."""
        return self.total_beats * 60.0 / tempo_bpm


@dataclass(frozen=True)
class PhraseSet:
    """A named, ordered collection of phrases loaded from (or saved to) one YAML file."""

    name: str
    language: str
    phrases: tuple[Phrase, ...]
    defaults: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    path: Path | None = field(default=None, compare=False)
    sha256: str | None = field(default=None, compare=False)  # hash of the canonical text
    extras: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)  # top-level x- keys

    def get(self, phrase_id: str) -> Phrase:
        for p in self.phrases:
            if p.id == phrase_id:
                return p
        raise KeyError(phrase_id)

    def ids(self) -> list[str]:
        return [p.id for p in self.phrases]


@dataclass(frozen=True)
class PitchTrack:
    """Output of a pitch tracker: one frame every ``hop_s`` seconds.

    ``f0_hz`` is NaN where the frame is unvoiced; ``confidence`` is in [0, 1].
    """

    times_s: FloatArray
    f0_hz: FloatArray
    confidence: FloatArray
    hop_s: float
    tracker: str
    version: str

    @property
    def voiced(self) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.f0_hz)

    def __len__(self) -> int:
        return int(self.times_s.shape[0])

    def to_json(self) -> dict[str, Any]:
        return {
            "hop_s": self.hop_s,
            "tracker": self.tracker,
            "version": self.version,
            "times_s": [round(float(t), 4) for t in self.times_s],
            "f0_hz": [None if math.isnan(f) else round(float(f), 2) for f in self.f0_hz],
            "confidence": [round(float(c), 3) for c in self.confidence],
        }
