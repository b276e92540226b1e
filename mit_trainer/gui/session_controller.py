"""Drives one training session between the therapist panel, the patient view and the app layer.

It owns no protocol or scoring logic: it asks the session (``SessionPort``, i.e. the app's
``TrainingSession``) what comes next, renders the model there, plays and records it through the audio
engine, and hands the recording back for analysis. Slow calls (rendering, analysis, database) go to
the background executors; the lit syllable follows the audio clock on a ~30 Hz timer; the live
pitch comes from :class:`LivePitch`. Results arrive as signals the panels subscribe to.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from mit_trainer.gui.live_pitch import LivePitch
from mit_trainer.gui.patient.model import Feedback, PatientScreenModel, Phase, TargetNote
from mit_trainer.gui.ports import AudioPort, RecordingPort, SessionPort
from mit_trainer.gui.tasks import TaskRunner

CLOCK_MS = 33
#: Stop automatically this long after the voice ends (when "stop on silence" is on).
SILENCE_STOP_S = 1.5
#: A response never runs longer than the model plus this (a safety net, not a patient-facing timer).
MAX_RESPONSE_S = 12.0
UNISON_CUES = ("unison", "unison-fade")
log = logging.getLogger(__name__)


def vget(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field of a view object that may be a dataclass, a mapping or missing."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


class SessionController(QObject):
    view_changed = Signal(object)  # SessionView
    attempt_started = Signal()
    model_finished = Signal()
    recording_changed = Signal(bool)
    outcome_ready = Signal(object)  # AttemptOutcome
    scored = Signal(str)  # outcome the therapist gave
    summary_ready = Signal(object)  # SessionSummary
    message = Signal(str)  # one line for the status bar

    def __init__(
        self,
        *,
        tasks: TaskRunner,
        audio: AudioPort,
        patient: PatientScreenModel,
        stream_factory: Callable[[int], Any] | None,
        record_dir: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._audio = audio
        self._patient = patient
        self._stream_factory = stream_factory  # sample_rate_hz -> PitchStream (live trace); None = no trace
        self._record_dir = record_dir
        self.session: SessionPort | None = None
        self.view: Any = None
        self.stimulus: Any = None
        self.outcome: Any = None
        self.recording: RecordingPort | None = None
        self.before_attempt: Callable[[Any, Any], None] | None = None  # demo: feed the fake microphone
        self.stop_on_silence = True
        self.low_note_hz = 150.0
        self.interval_semitones = 3.0
        self._attempt_no = 0
        self._last_voice_s: float | None = None
        self._busy = False
        self.live = LivePitch(self)
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_MS)
        self._clock.timeout.connect(self._tick)

    # --- state --------------------------------------------------------------------------------------
    def is_recording(self) -> bool:
        return self.recording is not None

    def is_busy(self) -> bool:
        return self._busy or self.recording is not None

    def set_audio(self, audio: AudioPort | None) -> None:
        self._audio = audio  # type: ignore[assignment]

    def set_record_dir(self, path: Path) -> None:
        self._record_dir = path

    def attach(self, session: SessionPort | None) -> None:
        self.session = session
        self.outcome = None
        if session is not None:
            self.refresh()

    def refresh(self) -> None:
        session = self.session
        if session is not None:
            self._run(session.view, self._show_view)

    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None], executor: str = "db") -> None:
        self._busy = True

        def ok(result: Any) -> None:
            self._busy = False
            done(result)

        def fail(exc: BaseException) -> None:
            self._busy = False
            log.error("session call failed: %r", exc)
            self.message.emit(f"{type(exc).__name__}: {exc}")

        self._tasks.run_in_background(fn, ok, fail, executor=executor)

    def _show_view(self, view: Any) -> None:
        self.view = view
        phrase = vget(view, "phrase")
        if phrase is not None:
            self._patient.update(
                syllables=tuple(phrase.syllables),
                pattern=tuple(phrase.pattern),
                beats=tuple(phrase.beats),
                prompt=vget(view, "prompt") or None,
                lit_index=None,
            )
        if vget(view, "awaiting") == "done":
            self._patient.update(phase=Phase.FEEDBACK, feedback=Feedback.THANK_YOU)
        elif self._patient.state.phase not in (Phase.FEEDBACK, Phase.REST, Phase.PAUSED):
            self._patient.update(phase=Phase.IDLE)
        self.view_changed.emit(view)

    # --- the model and the attempt ------------------------------------------------------------------
    def play_model(self) -> None:
        """Render the model (off the GUI thread), then play it and record the patient at once."""
        session = self.session
        if session is None or self.recording is not None or self._busy:
            return
        if self._audio is None:
            self.message.emit("No audio device is available: check the microphone and speaker in Settings.")
            return
        self.outcome = None
        self._run(session.render_model, self._start_attempt, executor="analysis")

    def _start_attempt(self, stimulus: Any) -> None:
        self.stimulus = stimulus
        if self.before_attempt is not None:
            self.before_attempt(self.view, stimulus)
        self._attempt_no += 1
        self._record_dir.mkdir(parents=True, exist_ok=True)
        path = self._record_dir / f"attempt-{self._attempt_no:04d}.wav"
        samples = np.asarray(stimulus.samples, dtype=np.float32)
        self.recording = self._audio.start_attempt(samples, int(stimulus.sample_rate_hz), path)
        notes = tuple(
            TargetNote(str(s.text), str(s.target), float(s.onset_s), float(s.offset_s))
            for s in stimulus.syllables
        )
        cue = str(vget(self.view, "cue", "intone"))
        self._patient.update(
            phase=Phase.TOGETHER if cue in UNISON_CUES else Phase.LISTEN,
            notes=notes,
            lit_index=None,
            feedback=None,
            low_note_hz=self.low_note_hz,
            interval_semitones=self.interval_semitones,
        )
        self._last_voice_s = None
        self.live.frames.connect(self._on_frames)
        if self._stream_factory is not None:
            rate = int(getattr(self.recording, "sample_rate_hz", stimulus.sample_rate_hz))
            self.live.start(self.recording.read_new, self._stream_factory(rate))
        self._clock.start()
        self.recording_changed.emit(True)
        self.attempt_started.emit()

    def _on_frames(self, times_s: np.ndarray, f0_hz: np.ndarray) -> None:
        voiced = ~np.isnan(np.asarray(f0_hz, dtype=float))
        if voiced.any():
            self._last_voice_s = float(np.asarray(times_s)[voiced][-1])

    def _tick(self) -> None:
        rec, stim = self.recording, self.stimulus
        if rec is None or stim is None:
            return
        pos = rec.position_s()
        lit = None
        for i, s in enumerate(stim.syllables):
            if s.onset_s <= pos < s.offset_s:
                lit = i
        state = self._patient.state
        model_end_s = float(stim.duration_s)
        ended = pos >= model_end_s
        if ended and state.phase in (Phase.LISTEN, Phase.TOGETHER):
            self.model_finished.emit()
            if not vget(self.view, "scored", True):
                self.stop_attempt()
                return
            self._patient.update(phase=Phase.YOUR_TURN, lit_index=None)
        elif not ended:
            self._patient.update(lit_index=lit)
        if ended and (pos > model_end_s + MAX_RESPONSE_S or (self.stop_on_silence and self._voice_done(pos))):
            self.stop_attempt()

    def _voice_done(self, pos_s: float) -> bool:
        """The patient answered after the model and has been silent for ``SILENCE_STOP_S``."""
        last, model_end_s = self._last_voice_s, float(self.stimulus.duration_s)
        if last is None or last < model_end_s - 0.5:
            return False
        return pos_s - max(last, model_end_s) > SILENCE_STOP_S

    def mark_tap(self) -> None:
        """A tap on the patient's pad: stamped on the audio clock by the engine."""
        if self.recording is not None:
            self._audio.mark_tap()

    def stop_attempt(self) -> None:
        rec = self.recording
        if rec is None:
            return
        self.recording = None
        self._clock.stop()
        self.live.stop()
        with contextlib.suppress(RuntimeError, TypeError):
            self.live.frames.disconnect(self._on_frames)
        self.recording_changed.emit(False)
        self._patient.update(phase=Phase.IDLE, lit_index=None)
        session = self.session
        if session is None:
            rec.stop()
            return
        if not vget(self.view, "scored", True):
            self._run(rec.stop, lambda _r: self.refresh(), executor="analysis")
            return

        def analyse() -> Any:
            return session.submit_recording(rec.stop())

        self._run(analyse, self._show_outcome, executor="analysis")

    def _show_outcome(self, outcome: Any) -> None:
        self.outcome = outcome
        self.outcome_ready.emit(outcome)
        self.refresh()

    # --- therapist decisions (each followed by a fresh view) ----------------------------------------
    def score(self, outcome: str, *, reason: str | None = None) -> None:
        session = self.session
        if session is None or self.recording is not None:
            return
        kind = "override" if reason else "therapist"

        def do() -> Any:
            session.score(outcome, source=kind, reason=reason)
            return session.view()

        def done(view: Any) -> None:
            good = outcome in ("pass", "pass_after_backup", "correct", "correct_after_backup")
            self._patient.update(
                phase=Phase.FEEDBACK, feedback=Feedback.WELL_DONE if good else Feedback.TRY_TOGETHER
            )
            self.scored.emit(outcome)
            self._show_view(view)

        self._run(do, done)

    def _decide(self, action: Callable[[], Any]) -> None:
        session = self.session
        if session is None or self.recording is not None:
            return

        def do() -> Any:
            action()
            return session.view()

        self._run(do, self._after_decision)

    def _after_decision(self, view: Any) -> None:
        self.outcome = None
        if self._patient.state.phase is Phase.FEEDBACK and vget(view, "awaiting") != "done":
            self._patient.update(phase=Phase.IDLE, feedback=None)
        self._show_view(view)

    def continue_(self) -> None:
        if self.session is not None:
            self._decide(self.session.continue_)

    def skip(self) -> None:
        if self.session is not None:
            self._decide(self.session.skip)

    def repeat(self) -> None:
        if self.session is not None:
            self._decide(self.session.repeat)

    def end_item(self) -> None:
        if self.session is not None:
            self._decide(self.session.end_item)

    def decide_advancement(self, accept: bool) -> None:
        session = self.session
        if session is not None and hasattr(session, "decide_advancement"):
            self._decide(lambda: session.decide_advancement(accept))  # type: ignore[attr-defined]

    def take_break(self, fatigue: int) -> None:
        session = self.session
        if session is None:
            return
        self.stop_attempt()
        self._patient.update(phase=Phase.REST)
        self._decide(lambda: session.take_break(fatigue))

    def resume(self) -> None:
        self._patient.update(phase=Phase.IDLE, feedback=None)

    def pause(self) -> None:
        """Pause from either screen: stop any attempt (kept and analysed) and show "Paused"."""
        self.stop_attempt()
        self._patient.update(phase=Phase.PAUSED, lit_index=None)

    def toggle_pause(self) -> None:
        if self._patient.state.phase in (Phase.PAUSED, Phase.REST):
            self.resume()
        else:
            self.pause()

    def end_session(self, fatigue_after: int, notes: str) -> None:
        session = self.session
        if session is None:
            return
        self.stop_attempt()

        def done(summary: Any) -> None:
            self._patient.update(phase=Phase.FEEDBACK, feedback=Feedback.THANK_YOU)
            self.summary_ready.emit(summary)

        self._run(lambda: session.end(fatigue_after, notes), done)

    def shutdown(self) -> None:
        self._clock.stop()
        rec, self.recording = self.recording, None
        self.live.stop()
        if rec is not None:
            rec.stop()
