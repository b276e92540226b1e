"""Values of a training session: stimulus settings, views, outcomes and errors (no logic beyond mapping).

Split from :mod:`mit_trainer.app.session` so the GUI, the demo and the tests share one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

from mit_trainer.app.session_plan import PlanRow
from mit_trainer.core import defaults
from mit_trainer.core.advancement import Proposal
from mit_trainer.core.engine import PanelInfo, SessionTotals
from mit_trainer.core.engine_events import Outcome
from mit_trainer.core.protocol import StepDef
from mit_trainer.core.records import Phrase
from mit_trainer.scoring.attempt import AttemptAnalysis
from mit_trainer.storage import SessionSummary

#: Engine outcome -> stored verdict/outcome (DESIGN.md §3 vocabulary).
OUTCOME_TO_VERDICT = {Outcome.CORRECT: "pass", Outcome.INCORRECT: "fail", Outcome.NO_RESPONSE: "no_response"}
VERDICT_TO_OUTCOME = {v: k for k, v in OUTCOME_TO_VERDICT.items()}
#: Words the therapist's one-key scoring uses ("correct after backup" is "correct" on a retry step).
SCORE_WORDS = {
    "correct": Outcome.CORRECT,
    "correct_after_backup": Outcome.CORRECT,
    "pass": Outcome.CORRECT,
    "incorrect": Outcome.INCORRECT,
    "fail": Outcome.INCORRECT,
    "no_response": Outcome.NO_RESPONSE,
}


class SessionError(ValueError):
    """A request the session cannot carry out now (the state is unchanged); the message is for the user."""


@dataclass(frozen=True)
class VoiceSettings:
    """The patient's stimulus parameters (PROTOCOL.md §3); per patient, confirmed by the therapist."""

    low_note_hz: float = defaults.LOW_NOTE_HZ  # until calibrated
    interval_semitones: float = 3.0
    tempo_bpm: float = 60.0
    sample_rate_hz: int = defaults.MODEL_SAMPLE_RATE_HZ
    stress_lengthening: float = 1.0
    model_gain: float = 1.0  # the model's playback volume, 0..1
    model_voice: str = "auto"  # "auto" (male below 160 Hz, else female), "male" or "female"
    #: "synthesized", or "recorded": the therapist's recorded model of the phrase when one fits the cue
    #: (see :mod:`mit_trainer.app.recorded_model`), else the synthesized one.
    model_source: str = "synthesized"


@dataclass(frozen=True)
class AttemptOutcome:
    """One analysed (or therapist-scored) attempt, as stored."""

    attempt_id: int
    item_index: int
    attempt_no: int
    step_id: str
    analysis: AttemptAnalysis | None
    suggested: Outcome | None  # the automatic advice (None without a recording)
    auto_points: int | None
    awaiting_confirmation: bool


@dataclass(frozen=True)
class SessionView:
    """Everything the therapist panel and the patient view need to show about where the session is."""

    panel: PanelInfo
    phrase: Phrase | None
    step: StepDef | None
    awaiting: str  # "model", "response", "confirm" or "done"
    backup_role: str
    totals: SessionTotals
    proposal: Proposal | None
    decision_pending: bool
    last_outcome: AttemptOutcome | None
    session_id: int
    patient_code: str
    protocol_id: str
    level: int
    plan: tuple[PlanRow, ...] = ()  # today's items: done, current, upcoming


@dataclass(frozen=True)
class SessionEnd:
    """The end of a session: the store's summary, the engine's totals and the proposal."""

    summary: SessionSummary
    totals: SessionTotals
    proposal: Proposal | None
