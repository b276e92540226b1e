"""MIT protocol definitions: the data model, loading from YAML and the shipped protocols.

A protocol (format ``mit-protocol/1``) is a versioned data file naming its levels, the steps of each level
(cue, taps, scoring, backup, delay, tries, fade, analysis mode), the session rules, the advancement rule and
the stimulus defaults (PROTOCOL.md §2, §5). Validation lives in :mod:`mit_trainer.core.protocol_validate`;
this module holds the frozen dataclasses, ``load_protocol``, ``shipped_protocols`` and
``validate_protocol_file``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from mit_trainer.core.display import printable

FORMAT = "mit-protocol/1"


class Cue(StrEnum):
    """How the model (therapist or synthesised voice) presents the target in a step."""

    HUM = "hum"
    INTONE = "intone"
    UNISON = "unison"
    UNISON_FADE = "unison-fade"
    SPRECHGESANG = "sprechgesang"
    SPOKEN = "spoken"
    NONE = "none"


class Taps(StrEnum):
    """Tapping during a step: patient taps, no taps, or the therapist guides the patient's hand."""

    ON = "on"
    OFF = "off"
    HAND_OVER_HAND = "hand-over-hand"


class AnalysisMode(StrEnum):
    """How a scored response is analysed (matches ``mit-trainer analyze --mode``)."""

    SUNG = "sung"
    SPRECHGESANG = "sprechgesang"
    SPOKEN = "spoken"


@dataclass(frozen=True)
class ProtocolIssue:
    """One problem found in a protocol file; ``line`` is 1-based (same shape as the phrase-set issues)."""

    file: str
    line: int | None
    field: str | None
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = self.message if not self.field else f"{self.field}: {self.message}"
        return printable(f"{where}: {self.severity}: {what}")


class ProtocolError(ValueError):
    """A protocol could not be loaded; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ProtocolIssue] | str) -> None:
        if isinstance(issues, str):
            self.issues: list[ProtocolIssue] = []
            super().__init__(issues)
            return
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


@dataclass(frozen=True)
class StepPoints:
    """Points for a scored step: on success without backup, and on success after a backup."""

    first: int
    after_backup: int | None = None


@dataclass(frozen=True)
class Fade:
    """The model's fade-out, in fractions of the phrase duration: full until ``start``, silent at ``end``."""

    start: float
    end: float


@dataclass(frozen=True)
class StepDef:
    """One step of a level."""

    id: str
    name: str
    cue: Cue
    taps: Taps
    scored: bool
    points: StepPoints | None
    backup_to: str | None
    delay_s: float
    tries: int
    fade: Fade | None
    analysis_mode: AnalysisMode | None
    probe: bool
    prompt: str
    backup_only: bool = False
    line: int | None = field(default=None, compare=False)

    @property
    def max_points(self) -> int:
        return self.points.first if (self.scored and self.points is not None) else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "cue": self.cue.value,
            "taps": self.taps.value,
            "scored": self.scored,
            "points": None
            if self.points is None
            else {"first": self.points.first, "after_backup": self.points.after_backup},
            "backup_to": self.backup_to,
            "delay_s": self.delay_s,
            "tries": self.tries,
            "fade": None if self.fade is None else {"start": self.fade.start, "end": self.fade.end},
            "analysis_mode": None if self.analysis_mode is None else self.analysis_mode.value,
            "probe": self.probe,
            "prompt": self.prompt,
            "backup_only": self.backup_only,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepDef:
        pts = d.get("points")
        fade = d.get("fade")
        mode = d.get("analysis_mode")
        return cls(
            id=d["id"],
            name=d["name"],
            cue=Cue(d["cue"]),
            taps=Taps(d["taps"]),
            scored=bool(d["scored"]),
            points=None if pts is None else StepPoints(int(pts["first"]), pts.get("after_backup")),
            backup_to=d.get("backup_to"),
            delay_s=float(d.get("delay_s", 0.0)),
            tries=int(d.get("tries", 1)),
            fade=None if fade is None else Fade(float(fade["start"]), float(fade["end"])),
            analysis_mode=None if mode is None else AnalysisMode(mode),
            probe=bool(d.get("probe", False)),
            prompt=d.get("prompt", ""),
            backup_only=bool(d.get("backup_only", False)),
        )


@dataclass(frozen=True)
class LevelDef:
    """One level: its syllable range, its steps in order, and the steps used for untrained probe items."""

    level: int
    name: str
    syllables_min: int
    syllables_max: int
    steps: tuple[StepDef, ...]
    probe_steps: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)

    @property
    def sequence(self) -> tuple[StepDef, ...]:
        """The steps a trained item goes through, in order (backup-only steps excluded)."""
        return tuple(s for s in self.steps if not s.backup_only)

    @property
    def probe_sequence(self) -> tuple[StepDef, ...]:
        """The steps an untrained (generalisation probe) item goes through."""
        return tuple(self.step(i) for i in self.probe_steps)

    def step(self, step_id: str) -> StepDef:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(f"level {self.level} has no step {step_id!r}")

    def step_number(self, step_id: str) -> int | None:
        """1-based position of a step in the trained sequence; None for a backup-only step."""
        for n, s in enumerate(self.sequence, start=1):
            if s.id == step_id:
                return n
        return None

    @property
    def max_points(self) -> int:
        """Maximum points of a trained item at this level."""
        return sum(s.max_points for s in self.sequence)

    @property
    def probe_max_points(self) -> int:
        """Maximum points of an untrained probe item at this level."""
        return sum(s.max_points for s in self.probe_sequence)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "name": self.name,
            "syllables": [self.syllables_min, self.syllables_max],
            "probe_steps": list(self.probe_steps),
            "steps": [s.to_dict() for s in self.steps],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LevelDef:
        lo, hi = d["syllables"]
        return cls(
            level=int(d["level"]),
            name=d["name"],
            syllables_min=int(lo),
            syllables_max=int(hi),
            steps=tuple(StepDef.from_dict(s) for s in d["steps"]),
            probe_steps=tuple(d.get("probe_steps", ())),
        )


@dataclass(frozen=True)
class SessionRules:
    """Item selection and session settings (PROTOCOL.md §2, "Item selection")."""

    items_per_session: int = 12
    repeat_block_hours: float = 24.0
    drop_after_failures: int = 4
    probe_items: int = 0
    probe_block: str = "start"  # "start" or "end": where untrained probe items go in the session
    confirm_auto_scores: bool = True  # automatic scores wait for the therapist's confirmation

    def to_dict(self) -> dict[str, Any]:
        return {
            "items_per_session": self.items_per_session,
            "repeat_block_hours": self.repeat_block_hours,
            "drop_after_failures": self.drop_after_failures,
            "probe_items": self.probe_items,
            "probe_block": self.probe_block,
            "confirm_auto_scores": self.confirm_auto_scores,
        }


@dataclass(frozen=True)
class AdvancementRule:
    """When to propose the next level, when to stay, when to ask the therapist to review."""

    criterion_percent: float = 90.0
    consecutive_sessions: int = 5
    stay_window: int = 3

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion_percent": self.criterion_percent,
            "consecutive_sessions": self.consecutive_sessions,
            "stay_window": self.stay_window,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AdvancementRule:
        return cls(float(d["criterion_percent"]), int(d["consecutive_sessions"]), int(d["stay_window"]))


@dataclass(frozen=True)
class StimulusDefaults:
    """Stimulus defaults of a protocol; per-patient settings override them (PROTOCOL.md §3)."""

    interval_semitones: float = 3.0
    tempo_bpm: float = 60.0
    n_pitches: int = 2
    melody: bool = True
    lengthen_stressed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval_semitones": self.interval_semitones,
            "tempo_bpm": self.tempo_bpm,
            "n_pitches": self.n_pitches,
            "melody": self.melody,
            "lengthen_stressed": self.lengthen_stressed,
        }


@dataclass(frozen=True)
class Protocol:
    """A complete, validated protocol definition."""

    id: str
    version: str
    name: str
    source: str
    description: str
    levels: tuple[LevelDef, ...]
    session: SessionRules = SessionRules()
    advancement: AdvancementRule = AdvancementRule()
    stimulus: StimulusDefaults = StimulusDefaults()
    path: Path | None = field(default=None, compare=False)
    sha256: str | None = field(default=None, compare=False)

    def level(self, number: int) -> LevelDef:
        for lv in self.levels:
            if lv.level == number:
                return lv
        raise KeyError(f"protocol {self.id} has no level {number}")

    @property
    def max_level(self) -> int:
        return max(lv.level for lv in self.levels)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "source": self.source,
            "description": self.description,
            "stimulus": self.stimulus.to_dict(),
            "session": self.session.to_dict(),
            "advancement": self.advancement.to_dict(),
            "levels": [lv.to_dict() for lv in self.levels],
            "sha256": self.sha256,
        }
