"""What the patient's screen shows, as a plain Python model (napari-style: no Qt here).

The therapist side (the session controller) changes this model; :class:`PatientWindow` subscribes to
it and redraws. Tests change the model and assert on the widgets. There is one task at a time:
``phase`` says which (listen, your turn, together, feedback, paused, rest, idle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from mit_trainer.core import defaults


class Phase(StrEnum):
    IDLE = "idle"  # nothing asked of the patient yet
    LISTEN = "listen"  # the model plays; the patient listens (and taps)
    TOGETHER = "together"  # unison: sing along with the model
    YOUR_TURN = "your_turn"  # the patient's response
    FEEDBACK = "feedback"  # neutral, encouraging word after an attempt
    PAUSED = "paused"
    REST = "rest"  # a break


class Feedback(StrEnum):
    WELL_DONE = "well_done"
    TRY_TOGETHER = "together"  # "Let's try again together"
    THANK_YOU = "thank_you"  # end of the session


FEEDBACK_TEXT = {
    Feedback.WELL_DONE: "Well done",
    Feedback.TRY_TOGETHER: "Let's try again together",
    Feedback.THANK_YOU: "Thank you. We are done for today.",
}


@dataclass(frozen=True)
class TargetNote:
    """One syllable of the model as it is laid out in time (seconds from the start of the attempt)."""

    text: str
    target: str  # "H" or "L"
    onset_s: float
    offset_s: float


@dataclass(frozen=True)
class PatientScreen:
    phase: Phase = Phase.IDLE
    syllables: tuple[str, ...] = ()
    text: str = ""  # the phrase as written: the lanes keep its words whole
    pattern: tuple[str, ...] = ()
    beats: tuple[float, ...] = ()
    lit_index: int | None = None
    feedback: Feedback | None = None
    notes: tuple[TargetNote, ...] = ()
    interval_semitones: float = defaults.INTERVAL_SEMITONES
    low_note_hz: float = defaults.LOW_NOTE_HZ
    prompt: str | None = None  # e.g. the probe question, shown above the phrase
    language: str = "en"  # the patient's language: the cues, praise and chart words are in it
    words_hidden: bool = False  # a probe: the words are the answer, so only the melody's shape is shown
    extra: dict[str, str] = field(default_factory=dict)


class PatientScreenModel:
    """Holds the current :class:`PatientScreen` and tells subscribers when it changes."""

    def __init__(self) -> None:
        self._state = PatientScreen()
        self._listeners: list[Callable[[PatientScreen, PatientScreen], None]] = []
        self._pause_requests: list[Callable[[], None]] = []

    @property
    def state(self) -> PatientScreen:
        return self._state

    def subscribe(self, fn: Callable[[PatientScreen, PatientScreen], None]) -> None:
        """``fn(old, new)`` is called after every change."""
        self._listeners.append(fn)

    def update(self, **changes: object) -> None:
        old = self._state
        new = replace(old, **changes)  # type: ignore[arg-type]
        if new == old:
            return
        self._state = new
        for fn in list(self._listeners):
            fn(old, new)

    # The patient's own Pause button asks the therapist side to pause; the controller decides.
    def on_pause_requested(self, fn: Callable[[], None]) -> None:
        self._pause_requests.append(fn)

    def request_pause(self) -> None:
        for fn in list(self._pause_requests):
            fn()
