"""Frozen value types the store accepts and returns (never ORM objects).

Units are in field names. Times are timezone-aware UTC ``datetime`` values; times inside a
recording (``onset_s``, ``t_s``) are seconds on the recording clock, 0 = first sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

#: Verdicts of the automatic score and outcomes of a therapist's score (DESIGN.md §3).
OUTCOMES = ("pass", "fail", "no_response")
#: Cue modes a protocol step may use (issue 5).
CUES = ("hum", "intone", "unison", "unison-fade", "sprechgesang", "spoken", "none")
#: Advancement decision of a session: the software proposes, the therapist decides.
ADVANCEMENT_DECISIONS = ("none", "proposed", "accepted", "declined", "flagged")
#: Standardised assessments the store accepts (PROTOCOL.md §6).
ASSESSMENT_TESTS = ("WAB", "BDAE", "AAT", "CAL", "ANELT", "CIU")
#: Sides the patient may tap with.
TAP_SIDES = ("left", "right")


@dataclass(frozen=True)
class Therapist:
    id: int
    display_name: str
    pin_hash: str | None
    created_at: datetime


@dataclass(frozen=True)
class Consents:
    """Separate consent flags (PROTOCOL.md §7)."""

    clinical: bool = True
    research: bool = False
    share_audio: bool = False


@dataclass(frozen=True)
class Patient:
    id: int
    code: str
    created_at: datetime
    consents: Consents
    recordings_key: str  # opaque folder name under the recordings folder


@dataclass(frozen=True)
class PatientIdentity:
    """Identifying details, kept in a separate table and never exported by default."""

    full_name: str | None = None
    date_of_birth: date | None = None
    notes: str | None = None


@dataclass(frozen=True)
class PatientSettings:
    low_note_hz: float | None = None  # None until calibrated
    interval_semitones: float = 3.0
    tempo_bpm: float = 60.0
    tap_side: str = "left"
    font_scale: float = 1.0
    protocol_id: str = "HE1989"
    phrase_set: str | None = None
    level: int = 1
    updated_at: datetime | None = None
    model_voice: str | None = None  # the patient's model voice ("female", ...); None: the workstation's


@dataclass(frozen=True)
class SessionRecord:
    id: int
    patient_id: int
    number: int  # 1, 2, ... per patient, in order of start
    therapist_id: int | None
    protocol_id: str
    protocol_version: str
    phrase_set_name: str | None
    phrase_set_sha256: str | None
    level: int
    started_at: datetime
    ended_at: datetime | None
    fatigue_before: int | None
    fatigue_after: int | None
    notes: str | None
    points_earned: int | None  # as stored at end_session
    points_possible: int | None
    advancement_decision: str

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class Syllable:
    """One target syllable of an attempt; ``onset_s`` is None when it was not produced."""

    index: int
    text: str
    target: str  # "H" / "L"
    onset_s: float | None = None
    offset_s: float | None = None
    f0_hz: float | None = None  # median f0 over the syllable
    produced: str | None = None  # "H" / "L" / None
    error_cents: float | None = None

    @property
    def duration_s(self) -> float | None:
        if self.onset_s is None or self.offset_s is None:
            return None
        return self.offset_s - self.onset_s


@dataclass(frozen=True)
class Tap:
    t_s: float  # on the recording clock
    syllable_index: int | None = None  # nearest syllable
    asynchrony_ms: float | None = None  # tap minus syllable onset


@dataclass(frozen=True)
class AutoScores:
    contour: float | None = None
    rhythm: float | None = None
    completeness: float | None = None
    voicing: float | None = None
    overall: float | None = None


@dataclass(frozen=True, kw_only=True)
class AttemptInput:
    """Everything recorded about one try of one step; written once, never updated.

    ``fade_start_s``/``fade_end_s`` are seconds from the start of the model where the model's
    level starts to fall and reaches silence. ``audio_path`` may be absolute (inside the store's
    recordings folder) or relative to it; the store computes ``audio_sha256`` when missing.
    """

    item_index: int
    phrase_id: str
    level: int
    step_id: str
    step_index: int
    try_number: int = 1
    trained: bool = True
    backup: bool = False
    cue: str = "none"
    fade_start_s: float | None = None
    fade_end_s: float | None = None
    tempo_bpm: float | None = None
    interval_semitones: float | None = None
    low_note_hz: float | None = None
    delay_s: float | None = None
    analysis_mode: str | None = None
    started_at: datetime | None = None  # default: now
    audio_path: str | None = None
    audio_sha256: str | None = None
    duration_s: float | None = None
    response_latency_s: float | None = None
    analysis: Mapping[str, Any] | None = None
    analysis_version: str | None = None
    tracker: str | None = None
    scores: AutoScores = field(default_factory=AutoScores)
    auto_verdict: str | None = None
    points_awarded: int | None = None  # automatic points (None for unscored steps)
    interrupted: bool = False
    syllables: Sequence[Syllable] = ()
    taps: Sequence[Tap] = ()


@dataclass(frozen=True)
class TherapistScore:
    id: int
    attempt_id: int
    therapist_id: int | None
    outcome: str
    points: int | None
    reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class Attempt:
    """A stored attempt with its syllables, taps and therapist scores (oldest first)."""

    id: int
    session_id: int
    item_index: int
    phrase_id: str
    trained: bool
    level: int
    step_id: str
    step_index: int
    try_number: int
    backup: bool
    cue: str
    fade_start_s: float | None
    fade_end_s: float | None
    tempo_bpm: float | None
    interval_semitones: float | None
    low_note_hz: float | None
    delay_s: float | None
    analysis_mode: str | None
    started_at: datetime
    audio_path: str | None
    audio_sha256: str | None
    duration_s: float | None
    response_latency_s: float | None
    analysis: dict[str, Any] | None
    analysis_version: str | None
    tracker: str | None
    scores: AutoScores
    auto_verdict: str | None
    points_awarded: int | None
    interrupted: bool
    syllables: tuple[Syllable, ...] = ()
    taps: tuple[Tap, ...] = ()
    therapist_scores: tuple[TherapistScore, ...] = ()

    @property
    def latest_therapist_score(self) -> TherapistScore | None:
        return self.therapist_scores[-1] if self.therapist_scores else None

    @property
    def final_outcome(self) -> str | None:
        """The therapist's latest outcome when there is one, else the automatic verdict."""
        ts = self.latest_therapist_score
        return ts.outcome if ts is not None else self.auto_verdict

    @property
    def final_points(self) -> int | None:
        """The therapist's latest points when scored by them, else the automatic points."""
        ts = self.latest_therapist_score
        return ts.points if ts is not None else self.points_awarded


@dataclass(frozen=True)
class Assessment:
    id: int
    patient_id: int
    test: str
    subtest: str | None
    score: float | None
    time_point: str
    assessed_at: datetime
    blinded: bool
    assessor_id: int | None
    notes: str | None


@dataclass(frozen=True)
class Event:
    id: int
    session_id: int | None
    patient_id: int | None
    created_at: datetime
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class StepSummary:
    step_id: str
    n_attempts: int
    points: int


@dataclass(frozen=True)
class SessionSummary:
    session: SessionRecord
    n_attempts: int
    n_items: int
    points_earned: int  # sum of final points (therapist score when present)
    points_possible: int | None
    n_overrides: int
    steps: tuple[StepSummary, ...]

    @property
    def score_fraction(self) -> float | None:
        if not self.points_possible:
            return None
        return self.points_earned / self.points_possible


@dataclass(frozen=True)
class HistoryEntry:
    """One scored attempt, as the item-selection rules need it."""

    phrase_id: str
    started_at: datetime
    outcome: str | None
    points: int | None
    level: int
    step_id: str
    trained: bool
    session_id: int


#: What a PIN was entered for (the ``access_log.action`` column).
ACCESS_ACTIONS = ("unlock", "approve", "setup", "refused")


@dataclass(frozen=True)
class AccessAttempt:
    """One row of the access audit: who was chosen, when, what for, whether the PIN was right."""

    id: int
    therapist_id: int | None
    action: str
    success: bool
    created_at: datetime
