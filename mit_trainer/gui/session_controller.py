"""Drives one training session between the therapist panel, the patient view and the app layer.

It owns no protocol or scoring logic: it asks the session (``SessionPort``, i.e. the app's
``TrainingSession``) what comes next, renders the model there, plays and records it through the audio
engine, tells the session when the model has been played, and hands the recording back for analysis.
Slow calls (rendering, analysis, database) go to the background executors; the lit syllable follows
the audio clock on a ~30 Hz timer; the live pitch comes from :class:`LivePitch`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from mit_trainer.app.response_window import ResponseWindow
from mit_trainer.core import defaults
from mit_trainer.gui.live_pitch import LivePitch
from mit_trainer.gui.patient.model import Feedback, PatientScreenModel, Phase, TargetNote
from mit_trainer.gui.ports import AudioPort, RecordingPort, SessionPort
from mit_trainer.gui.session_decisions import DecisionsMixin
from mit_trainer.gui.tasks import TaskRunner

CLOCK_MS = 33
log = logging.getLogger(__name__)


def vget(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a view object (dataclass or mapping), or ``default``."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


class Rendered(NamedTuple):
    """What the worker prepared for an attempt: the model, the samples to play (at the stream's rate,
    cue tone included) with their rate, where to record, and the live tracker's stream."""

    stimulus: Any
    played: tuple[np.ndarray, int] | None
    path: Path
    stream: Any


def with_cue_tone(samples: np.ndarray, rate_hz: int, *, delay_s: float) -> np.ndarray:
    """The model followed, after ``delay_s`` of silence, by a soft 150 ms tone (660 Hz, -26 dBFS, faded)."""
    n = int(0.15 * rate_hz)
    t = np.arange(n) / rate_hz
    tone = 0.05 * np.sin(2 * np.pi * 660.0 * t) * np.hanning(n)
    gap = np.zeros(int(delay_s * rate_hz), dtype=np.float32)
    return np.concatenate([samples, gap, tone.astype(np.float32)])


class SessionController(DecisionsMixin, QObject):
    view_changed = Signal(object)  # SessionView
    attempt_started = Signal()
    recording_changed = Signal(bool)
    outcome_ready = Signal(object)  # AttemptOutcome
    scored = Signal(str)
    summary_ready = Signal(object)  # SessionEnd
    message = Signal(str)

    def __init__(
        self,
        *,
        tasks: TaskRunner,
        audio: AudioPort | None,
        patient: PatientScreenModel,
        stream_factory: Callable[[int], Any] | None,
        record_dir: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks, self._audio, self._patient = tasks, audio, patient
        self._stream_factory = stream_factory  # sample_rate_hz -> PitchStream; None = no live trace
        self._record_dir = record_dir
        self.session: SessionPort | None = None
        self.view: Any = None
        self.stimulus: Any = None
        self.outcome: Any = None
        self.recording: RecordingPort | None = None
        # demo and tests: the simulated patient prepares an answer (on the worker, just before the attempt)
        self.before_attempt: Callable[[Any, Any], None] | None = None
        self.stop_on_silence = True  # end the recording once the patient has answered and is silent
        self.start_on_voice = False  # the response's time limit counts from the patient's first voice
        self.cue_tone = False  # a soft tone mixed into the model's output where the patient's turn begins
        self.low_note_hz, self.interval_semitones = defaults.LOW_NOTE_HZ, defaults.INTERVAL_SEMITONES
        self._model_end_s = 0.0
        self._response_from_s = 0.0
        self._model_reported = False
        self._answer_from_s = 0.0  # voice from here on is the answer (0 when singing with the model)
        self._first_voice_s: float | None = None
        self._last_voice_s: float | None = None
        self._busy = False
        self.live = LivePitch(self)
        self.live.frames.connect(self._on_frames)
        self._clock = QTimer(self)
        self._clock.setObjectName("mit-audio-clock")
        self._clock.setInterval(CLOCK_MS)
        self._clock.timeout.connect(self._tick)

    # --- state --------------------------------------------------------------------------------------
    def is_recording(self) -> bool:
        return self.recording is not None

    def is_busy(self) -> bool:
        return self._busy or self.recording is not None

    def awaiting(self) -> str:
        return str(vget(self.view, "awaiting", "none"))

    def set_audio(self, audio: AudioPort | None) -> None:
        self._audio = audio

    def set_record_dir(self, path: Path) -> None:
        self._record_dir = path

    def attach(self, session: SessionPort | None) -> None:
        self.session, self.outcome, self.view = session, None, None
        if session is not None:
            self._run(session.view, self._show_view)

    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None], executor: str = "db") -> None:
        self._busy = True

        def ok(result: Any) -> None:
            self._busy = False
            done(result)

        def fail(exc: BaseException) -> None:
            self._busy = False
            self.message.emit(str(exc))

        self._tasks.run_in_background(fn, ok, fail, executor=executor)

    def _show_view(self, view: Any) -> None:
        self.view = view
        phrase = vget(view, "phrase")
        step = vget(view, "step")
        if phrase is not None:
            probe = step is not None and str(vget(step, "cue", "")) == "none"
            self._patient.update(
                syllables=tuple(phrase.syllables),
                text=str(phrase.text),
                pattern=tuple(phrase.pattern),
                beats=tuple(phrase.beats),
                prompt=(phrase.probe or vget(step, "prompt")) if probe else None,
                words_hidden=probe,  # the question, never its answer
                language=str(getattr(getattr(self.session, "phrase_set", None), "language", "en") or "en"),
            )
        if self.awaiting() == "done":
            self._patient.update(phase=Phase.FEEDBACK, feedback=Feedback.THANK_YOU)
        self.view_changed.emit(view)

    # --- the model and the attempt ------------------------------------------------------------------
    def play_model(self) -> None:
        """Render the model (worker), then play it and record the patient at the same time."""
        session = self.session
        if session is None or self.recording is not None or self._busy:
            return
        if self._audio is None:
            self.message.emit("No audio device is available: check the microphone and speaker in Settings.")
            return
        if self.awaiting() not in ("model", "response"):
            return

        audio = self._audio
        rate = int(getattr(audio, "sample_rate_hz", 16_000))
        factory = self._stream_factory
        hook, view = self.before_attempt, self.view
        cue_tone = self.cue_tone and not getattr(session, "is_unison", lambda: True)()
        delay_s = float(vget(vget(view, "step"), "delay_s", 0.0) or 0.0)

        def render() -> Rendered:
            """Off the GUI thread: the model (with its cue tone, at the stream's rate: resampling takes
            milliseconds), where to record, the live tracker (which may load a model)."""
            stim = session.render_model() if self.awaiting() == "model" else None
            played: tuple[np.ndarray, int] | None = None
            if stim is not None:
                samples, stim_rate = np.asarray(stim.samples, dtype=np.float32), int(stim.sample_rate_hz)
                if cue_tone:
                    samples = with_cue_tone(samples, stim_rate, delay_s=delay_s)
                played = audio.prepare_model(samples, stim_rate)
            stream = factory(rate) if factory is not None else None
            if hook is not None:
                hook(view, stim)
            return Rendered(stim, played, session.next_recording_path(), stream)  # type: ignore[attr-defined]

        self.outcome = None
        self._run(render, self._start_attempt, executor="analysis")

    def _start_attempt(self, rendered: Rendered) -> None:
        stimulus, path, stream = rendered.stimulus, rendered.path, rendered.stream
        self.stimulus = stimulus
        path.parent.mkdir(parents=True, exist_ok=True)
        assert self._audio is not None
        if rendered.played is None:  # no model (a probe question): record only
            self.recording = self._audio.start_attempt(None, None, path)  # type: ignore[arg-type]
            notes: tuple[TargetNote, ...] = ()
            self._model_end_s = 0.0
        else:
            self.recording = self._audio.start_attempt(*rendered.played, path)
            notes = tuple(TargetNote(s.text, s.target, s.onset_s, s.offset_s) for s in stimulus.syllables)
            self._model_end_s = float(stimulus.duration_s)
        step = vget(self.view, "step")
        self._response_from_s = self._model_end_s + float(vget(step, "delay_s", 0.0) or 0.0)
        self._model_reported = stimulus is None
        unison = bool(getattr(self.session, "is_unison", lambda: False)())
        phase = Phase.YOUR_TURN if stimulus is None else (Phase.TOGETHER if unison else Phase.LISTEN)
        self._patient.update(
            phase=phase, notes=notes, lit_index=None, feedback=None,
            low_note_hz=self.low_note_hz, interval_semitones=self.interval_semitones,
        )  # fmt: skip
        self._answer_from_s = 0.0 if phase is Phase.TOGETHER else self._response_from_s
        self._first_voice_s = self._last_voice_s = None
        if stream is not None:
            self.live.start(self.recording.read_new, stream)
        self._clock.start()
        self.recording_changed.emit(True)
        # The therapist's panel clears the last analysis in the next turn: this turn already repaints
        # the patient's window for the new phase (together one 40-50 ms turn).
        started = self.recording

        def tell_panel() -> None:
            if self.recording is started:  # (not when this attempt already ended)
                self.attempt_started.emit()

        QTimer.singleShot(0, self, tell_panel)

    def _window(self) -> ResponseWindow:
        return ResponseWindow(
            response_from_s=self._answer_from_s,
            model_end_s=self._model_end_s,
            stop_on_silence=self.stop_on_silence,
            start_on_voice=self.start_on_voice,
        )

    def _on_frames(self, times_s: np.ndarray, f0_hz: np.ndarray) -> None:
        voiced = ~np.isnan(np.asarray(f0_hz, dtype=float))
        if not voiced.any():
            return
        times = np.asarray(times_s, dtype=float)[voiced]
        self._last_voice_s = float(times[-1])
        if self._first_voice_s is None:
            window = self._window()
            answer = [t for t in times if window.counts_as_answer(float(t))]
            self._first_voice_s = float(answer[0]) if answer else None

    def _tick(self) -> None:
        rec = self.recording
        if rec is None:
            return
        pos = rec.position_s()
        self._patient.update(lit_index=self._lit_at(pos))
        if pos >= self._model_end_s and not self._model_reported:
            self._model_reported = True
            self._report_model_played()
        elif self._model_reported and pos >= self._response_from_s and self.awaiting() == "response":
            if (
                self._patient.state.phase is not Phase.YOUR_TURN
                and self._patient.state.phase is not Phase.TOGETHER
            ):
                self._patient.update(phase=Phase.YOUR_TURN, notes=self._with_guide(self._patient.state.notes))
            if self._window().over(pos, first_voice_s=self._first_voice_s, last_voice_s=self._last_voice_s):
                self.stop_attempt()

    def _with_guide(self, notes: tuple[TargetNote, ...]) -> tuple[TargetNote, ...]:
        """The model's notes plus the same melody again where the patient's answer is expected."""
        if not notes or notes[-1].offset_s > self._response_from_s:
            return notes  # unison, or the guide is already there
        shift = self._response_from_s
        return notes + tuple(
            TargetNote(n.text, n.target, n.onset_s + shift, n.offset_s + shift) for n in notes
        )

    def _lit_at(self, pos_s: float) -> int | None:
        for i, s in enumerate(getattr(self.stimulus, "syllables", ()) or ()):
            if s.onset_s <= pos_s < s.offset_s:
                return i
        return None

    def _report_model_played(self) -> None:
        session = self.session
        if session is None or self.awaiting() != "model":
            return

        def done(view: Any) -> None:
            self._show_view(view)
            if self.awaiting() != "response":  # a listen-only step: nothing to record
                self.stop_attempt(discard=True)
            elif self._response_from_s > self._model_end_s:
                self._patient.update(
                    phase=Phase.IDLE, lit_index=None
                )  # the pause before a delayed repetition

        self._run(session.model_played, done)  # type: ignore[attr-defined]

    def mark_tap(self) -> None:
        """A tap on the patient's pad, stamped on the audio clock by the engine."""
        if self.recording is not None and self._audio is not None:
            self._audio.mark_tap()

    def stop_attempt(self, *, discard: bool = False) -> None:
        rec = self.recording
        if rec is None:
            return
        self.recording = None
        self._clock.stop()
        self.live.stop()
        self.recording_changed.emit(False)
        self._patient.update(phase=Phase.IDLE, lit_index=None)
        session = self.session
        if discard or session is None or self.awaiting() != "response":
            self._run(rec.stop, lambda _r: None, executor="analysis")
            return

        def analyse() -> tuple[Any, Any]:
            outcome = session.submit_recording(rec.stop())
            return outcome, session.view()

        self._run(analyse, self._show_outcome, executor="analysis")

    def _show_outcome(self, result: tuple[Any, Any]) -> None:
        """The scores first, the next view in the following event-loop turn (each redraws a panel: in one
        turn together they held the GUI thread for 40-60 ms). Busy until both are shown."""
        self.outcome, view = result
        self._busy = True
        self.outcome_ready.emit(self.outcome)

        def then() -> None:
            self._busy = False
            self._show_view(view)

        QTimer.singleShot(0, self, then)

    def shutdown(self) -> None:
        self._clock.stop()
        rec, self.recording = self.recording, None
        self.live.shutdown()
        if rec is not None:
            with contextlib.suppress(Exception):
                rec.stop()
