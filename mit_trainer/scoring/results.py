"""The result of analysing one attempt and its JSON (DESIGN.md §3): per-syllable results, scores, verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mit_trainer.analysis.segmentation import DetectedSyllable
from mit_trainer.analysis.words import WordResult
from mit_trainer.core.records import PitchTrack
from mit_trainer.scoring.scores import Scores

#: Version of the analysis (segmentation + scoring rules); logged with every attempt.
#: 1.1 added the word tier (``words``: said/unclear/missing per word, or null; ``words_note``).
#: 1.2: input conditioned (DC, tap clicks, level normalised: gates relative to the recording's own level);
#: segmentation knows the expected syllable count, tolerates 300 ms glides and folds note-end falls into
#: their note; background sound below / beside the main voice is dropped; fragments weigh less in the
#: alignment; onsets after a consonant gap follow the target's spelling; ``rhythm`` is now the share of
#: onsets on their beats (measures ``rhythm_deviation_beats``, ``rhythm_off_syllables`` replace
#: ``rhythm_deviation_log2``); sung mode discounts contour without held pitch plateaus.
ANALYSIS_VERSION = "mit-analysis/1.2"

VERDICTS = ("pass", "fail", "no_response")


@dataclass(frozen=True)
class SyllableResult:
    """One target syllable and what was produced for it (None where not produced / unvoiced)."""

    index: int
    text: str
    target: str
    onset_s: float | None
    offset_s: float | None
    f0_hz: float | None
    produced: str | None
    error_cents: float | None

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None, nd: int) -> float | None:
            return None if v is None else round(float(v), nd)

        return {
            "index": self.index,
            "text": self.text,
            "target": self.target,
            "onset_s": r(self.onset_s, 3),
            "offset_s": r(self.offset_s, 3),
            "f0_hz": r(self.f0_hz, 2),
            "produced": self.produced,
            "error_cents": r(self.error_cents, 1),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SyllableResult:
        return cls(
            int(d["index"]),
            str(d["text"]),
            str(d["target"]),
            d.get("onset_s"),
            d.get("offset_s"),
            d.get("f0_hz"),
            d.get("produced"),
            d.get("error_cents"),
        )


@dataclass(frozen=True)
class AttemptAnalysis:
    """Everything measured about one attempt; the JSON of DESIGN.md §3."""

    audio: str | None
    phrase_id: str
    mode: str
    tracker: str
    duration_s: float
    pitch: PitchTrack
    syllables: tuple[SyllableResult, ...]
    scores: Scores
    measures: dict[str, Any] = field(hash=False, compare=False)
    verdict: str
    analysis_version: str = ANALYSIS_VERSION
    warnings: tuple[str, ...] = ()
    detected: tuple[DetectedSyllable, ...] = field(default=(), compare=False)
    #: With a played model: lag_ms, offset_s, reduction_db, explained_fraction, lag_strength (docs/echo.md).
    echo: dict[str, Any] | None = field(default=None, compare=False)
    #: The word check (advisory): one result per word of the phrase, or None when it was not run
    #: (no model for the phrase's language, or switched off); ``words_note`` says why in one line.
    words: tuple[WordResult, ...] | None = None
    words_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self._json() | ({} if self.echo is None else {"echo": dict(self.echo)})

    def _json(self) -> dict[str, Any]:
        return {
            "audio": self.audio,
            "phrase_id": self.phrase_id,
            "mode": self.mode,
            "tracker": self.tracker,
            "duration_s": round(self.duration_s, 3),
            "pitch": self.pitch.to_json(),
            "syllables": [s.to_json() for s in self.syllables],
            "scores": self.scores.to_json(),
            "verdict": self.verdict,
            "measures": self.measures,
            "analysis_version": self.analysis_version,
            "warnings": list(self.warnings),
            "words": None if self.words is None else [w.to_json() for w in self.words],
            "words_note": self.words_note,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AttemptAnalysis:
        p = d["pitch"]
        f0 = np.array([math.nan if v is None else float(v) for v in p["f0_hz"]], dtype=float)
        track = PitchTrack(
            times_s=np.asarray(p["times_s"], dtype=float),
            f0_hz=f0,
            confidence=np.asarray(p["confidence"], dtype=float),
            hop_s=float(p["hop_s"]),
            tracker=str(p.get("tracker", d.get("tracker", ""))),
            version=str(p.get("version", "")),
        )
        return cls(
            audio=d.get("audio"),
            phrase_id=str(d["phrase_id"]),
            mode=str(d["mode"]),
            tracker=str(d["tracker"]),
            duration_s=float(d["duration_s"]),
            pitch=track,
            syllables=tuple(SyllableResult.from_json(s) for s in d["syllables"]),
            scores=Scores.from_json(d["scores"]),
            measures=dict(d.get("measures", {})),
            verdict=str(d["verdict"]),
            analysis_version=str(d.get("analysis_version", "")),
            warnings=tuple(d.get("warnings", ())),
            echo=dict(d["echo"]) if isinstance(d.get("echo"), dict) else None,
            words=None if d.get("words") is None else tuple(WordResult.from_json(w) for w in d["words"]),
            words_note=d.get("words_note"),
        )
