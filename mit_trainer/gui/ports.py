"""What the GUI needs from the layers below, as typing Protocols (the GUI owns no protocol logic).

``SessionPort`` is satisfied by :class:`mit_trainer.app.session.TrainingSession`; ``AudioPort`` and
``RecordingPort`` by the audio layer's engine and attempt recording (real or fake device). Keeping the
GUI's expectations in one place makes the seams explicit and lets the widgets be tested on their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np


class RecordingPort(Protocol):
    """One running attempt: the model plays while the microphone records to disk."""

    def position_s(self) -> float: ...  # seconds since the model started, on the audio clock

    def read_new(self) -> np.ndarray: ...  # mono float32 audio captured since the last call

    def stop(self) -> Any: ...  # -> RecordingResult


class AudioPort(Protocol):
    def start_attempt(
        self, stimulus_samples: np.ndarray, stimulus_rate_hz: int, record_path: Path
    ) -> RecordingPort: ...

    def prepare_model(self, samples: np.ndarray, rate_hz: int) -> tuple[np.ndarray, int]: ...  # any thread

    def mark_tap(self) -> float | None: ...

    def input_level(self) -> float: ...


class SessionPort(Protocol):
    def view(self) -> Any: ...  # -> SessionView

    def render_model(self) -> Any: ...  # -> Stimulus

    def submit_recording(self, result: Any) -> Any: ...  # -> AttemptOutcome

    def score(self, outcome: str, *, source: str, reason: str | None = None) -> Any: ...

    def continue_(self) -> Any: ...

    def skip(self) -> Any: ...

    def repeat(self) -> Any: ...

    def end_item(self) -> Any: ...

    def take_break(self, fatigue: int) -> Any: ...

    def end(self, fatigue_after: int, notes: str) -> Any: ...  # -> SessionSummary
