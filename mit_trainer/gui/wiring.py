"""The GUI's only contact points with the layers below (store, audio, pitch, stimulus, session).

Every import of a lower layer that the GUI needs at run time goes through here, lazily, so that the
window opens before heavy modules load and so that each seam is one small function.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from mit_trainer.core import defaults

log = logging.getLogger(__name__)


def prewarm() -> None:
    """Import the session's modules (and the GUI's lazily used ones) ahead of need, on a worker thread."""
    import importlib

    for name in (
        "mit_trainer.storage",
        "mit_trainer.app.session",
        "mit_trainer.core.phrases",
        "mit_trainer.analysis.stimulus",
        "mit_trainer.analysis.pitch.crepe",
        "mit_trainer.scoring.attempt",
        "mit_trainer.gui.therapist.calibration",
        "mit_trainer.gui.progress.report",
    ):
        try:
            importlib.import_module(name)
        except ImportError as exc:  # reported when the feature is used, not here
            log.warning("prewarm: %s", exc)
    try:  # the trackers' onnxruntime sessions: building one takes tens of ms, better not at the first attempt
        from mit_trainer.analysis.pitch import DEFAULT_TRACKER, LIVE_TRACKER, warm_up

        warm_up(DEFAULT_TRACKER, stream=False)  # scoring and calibration: batch
        warm_up(LIVE_TRACKER, batch=False)  # the live trace: streams
    except Exception as exc:  # a missing model is reported when an attempt is analysed
        log.warning("prewarm: cannot build the pitch trackers: %s", exc)


def load_runtimes() -> None:
    """Before the event loop: the imports that hold the GIL in one long piece (see ``load_runtime``)."""
    from mit_trainer.analysis.pitch import load_runtime

    load_runtime()


def open_store(db: str | None) -> Any:
    """Open the store and recover what a crash left (app layer's start-up); what was recovered, and a
    damaged file, are noted on the store as ``startup_note`` for the window to say once."""
    from mit_trainer.app.startup import open_trainer_store

    started = open_trainer_store(db)
    notes = [n for n in (started.store.damaged, started.message) if n]
    started.store.startup_note = " ".join(notes)  # type: ignore[attr-defined]
    return started.store


def data_dir() -> Path:
    """The store's data folder (same rule as ``mit_trainer.storage.paths.data_dir``).

    Repeated here because importing anything from ``mit_trainer.storage`` loads SQLAlchemy and
    Alembic (seconds on a busy machine), and the window must open before that.
    """
    import os

    import platformdirs

    override = os.environ.get("MIT_TRAINER_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("mit-trainer", appauthor=False))


def scratch_recordings_dir() -> Path:
    """Where attempts are recorded before a session gives the patient's own folder."""
    return data_dir() / "recordings" / "unassigned"


def user_phrases_dir() -> Path:
    return data_dir() / "phrases"


def phrase_folders() -> list[Path]:
    from mit_trainer.core.phrases import shipped_phrases_dir

    shipped = shipped_phrases_dir()
    # the shipped sets of other languages live in one folder per language (phrases/de, phrases/fr...)
    languages = sorted(p for p in shipped.iterdir() if p.is_dir()) if shipped.is_dir() else []
    return [shipped, *languages, user_phrases_dir()]


def phrase_set_choices() -> list[tuple[str, str]]:
    """(label, path) of every phrase-set file the trainer can use."""
    out = []
    for folder in phrase_folders():
        if folder.is_dir():
            out += [(f"{p.stem} ({folder.name})", str(p)) for p in sorted(folder.glob("*.y*ml"))]
    return out


def protocol_ids() -> list[str]:
    try:
        from mit_trainer.core.protocol_files import shipped_protocols

        return [p.id for p in shipped_protocols()]
    except Exception as exc:  # a broken protocol file must not stop the window from opening
        log.warning("cannot list protocols: %s", exc)
        return ["HE1989"]


def live_stream(sample_rate_hz: int) -> Any:
    """A streaming pitch tracker for the live trace (the project's chosen live tracker)."""
    from mit_trainer.analysis.pitch import LIVE_TRACKER, shared_tracker

    return shared_tracker(LIVE_TRACKER).stream(sample_rate_hz=sample_rate_hz)


def track_pitch(samples: Any, *, sample_rate_hz: int) -> Any:
    """Batch pitch of a calibration recording (the default scoring tracker)."""
    from mit_trainer.analysis.pitch import DEFAULT_TRACKER, shared_tracker

    return shared_tracker(DEFAULT_TRACKER).track(samples, sample_rate_hz=sample_rate_hz)


class EngineRecording:
    """An attempt of the audio engine as the session controller sees it (``RecordingPort``)."""

    def __init__(self, engine: Any, attempt: Any) -> None:
        self._engine, self._attempt = engine, attempt
        self.sample_rate_hz = int(engine.sample_rate_hz)
        engine.read_new_audio()  # the live trace starts with this attempt, not before it

    def position_s(self) -> float:
        return float(self._attempt.elapsed_s)

    def read_new(self) -> Any:
        return self._engine.read_new_audio()

    def stop(self) -> Any:
        return self._attempt.stop()


class EngineAudio:
    """The audio engine behind the GUI's ``AudioPort`` (real devices or the fake one)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    @property
    def sample_rate_hz(self) -> int:
        return int(self.engine.sample_rate_hz)

    def start_attempt(
        self, stimulus_samples: Any, stimulus_rate_hz: int, record_path: Path
    ) -> EngineRecording:
        if self.engine.device_lost or not self.engine.is_open:
            # The stream died between attempts (a stalled or unplugged device): try the same devices once
            # more before telling the therapist; a "reopened" event reports it when it works.
            with contextlib.suppress(Exception):
                self.engine.reopen()
        attempt = self.engine.start_attempt(
            stimulus_samples, stimulus_rate_hz=stimulus_rate_hz, record_path=record_path
        )
        return EngineRecording(self.engine, attempt)

    def prepare_model(self, samples: Any, rate_hz: int) -> tuple[Any, int]:
        """The model resampled to the stream's rate (on a worker, before the attempt starts)."""
        return self.engine.prepare_stimulus(samples, rate_hz), int(self.engine.sample_rate_hz)

    def mark_tap(self) -> float | None:
        return float(self.engine.mark_tap())

    def input_level(self) -> float:
        return float(self.engine.input_level().rms_dbfs)

    def device_names(self, *, inputs: bool) -> list[str]:
        devices = self.engine.backend.list_devices()
        return [d.name for d in devices if (d.can_record if inputs else d.can_play)]

    def play(self, samples: Any, rate: int) -> None:
        """Play without keeping the recording (the editor's Play): a scratch recording, stopped at the end."""
        import threading
        import time

        rec = self.start_attempt(samples, rate, scratch_recordings_dir() / "playback.wav")
        duration_s = len(samples) / rate

        def wait_and_stop() -> None:
            while rec.position_s() < duration_s + 0.3:
                time.sleep(0.05)
            rec.stop()

        threading.Thread(target=wait_and_stop, name="editor-playback", daemon=True).start()

    def events(self) -> list[tuple[str, str]]:
        """(kind, message) of audio events since the last call: ``device_lost``, ``reopened``, ``xrun``."""
        return [(e.kind, e.message) for e in self.engine.events()]

    def reopen(self, input_device: str | None, output_device: str | None) -> None:
        """Restart the stream on other devices (chosen in Settings)."""
        from mit_trainer.audio.devices import load_settings

        self.engine.reopen(
            load_settings().with_devices(input_device=input_device, output_device=output_device)
        )

    def close(self) -> None:
        self.engine.close()


def make_audio(settings: Any) -> EngineAudio:
    """The real audio engine on the chosen devices; raises with a clear message when none is usable."""
    from mit_trainer.audio.devices import load_settings
    from mit_trainer.audio.engine import AudioEngine

    audio_settings = load_settings().with_devices(
        input_device=settings.input_device, output_device=settings.output_device
    )
    engine = AudioEngine()
    try:
        engine.open(audio_settings)
    except Exception as exc:
        raise RuntimeError(f"Audio unavailable: {exc}") from exc
    return EngineAudio(engine)


def device_names(audio: Any, *, inputs: bool) -> list[str]:
    if audio is None or not hasattr(audio, "device_names"):
        return []
    try:
        return list(audio.device_names(inputs=inputs))
    except Exception as exc:
        log.warning("cannot list audio devices: %s", exc)
        return []


def audio_test(audio: Any) -> str:
    """Play a 1 s, 440 Hz tone while recording; report level, latency and glitches (worker thread)."""
    import time

    import numpy as np

    rate = defaults.STREAM_SAMPLE_RATE_HZ
    t = np.arange(rate) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    rec = audio.start_attempt(tone, rate, scratch_recordings_dir() / "audio-test.wav")
    deadline = time.monotonic() + 5.0
    while rec.position_s() < 1.3 and time.monotonic() < deadline:
        time.sleep(0.05)
    r = rec.stop()
    latency = r.input_latency_s + r.output_latency_s
    return (
        f"Recorded {r.duration_s:.1f} s: level {r.levels.rms_dbfs:.0f} dBFS (peak {r.levels.peak_dbfs:.0f}), "
        f"{'clipping, ' if r.levels.clipping else ''}latency {1000 * latency:.0f} ms, "
        f"glitches {r.xruns.total}."
    )


def load_recording(result: Any) -> tuple[Any, int]:
    """Samples and rate of a finished recording (mono float32)."""
    from mit_trainer.analysis.audio_input import load_audio

    clip = load_audio(result.path)
    return clip.samples, int(clip.sample_rate_hz)


def render_phrase(phrase: Any, *, settings: Any, low_note_hz: float) -> Any:
    """The intoned model of ``phrase`` with the workstation defaults (for the editor's Play): the
    workstation's model voice, falling back to the formant voice if espeak-ng cannot sing the words."""
    from mit_trainer.app.model_cache import ModelRequest, render_request
    from mit_trainer.app.voices import resolve_voice

    voice = resolve_voice(str(getattr(settings, "model_voice", "auto")), low_note_hz)
    return render_request(
        ModelRequest(
            phrase,
            voice,
            low_note_hz,
            float(settings.interval_semitones),
            float(settings.tempo_bpm),
            "intone",
            sample_rate_hz=defaults.STREAM_SAMPLE_RATE_HZ,
        )
    )


def play(audio: Any, stimulus: Any) -> None:
    audio.play(stimulus.samples, stimulus.sample_rate_hz)


def start_session(store: Any, req: Any, *, therapist_id: int | None, settings: Any) -> Any:
    """A new :class:`~mit_trainer.app.session.TrainingSession` for the request of the patients panel."""
    from mit_trainer.app.session import TrainingSession, VoiceSettings
    from mit_trainer.core.phrases import load_phrase_set
    from mit_trainer.core.protocol_files import load_protocol

    voice = VoiceSettings(
        low_note_hz=req.low_note_hz,
        interval_semitones=req.interval_semitones,
        tempo_bpm=req.tempo_bpm,
        model_gain=float(settings.model_volume),
        model_voice=str(getattr(settings, "model_voice", "auto")),
        model_source=str(getattr(settings, "model_source", "synthesized")),
    )
    plan = getattr(req, "plan", None)
    session = TrainingSession.start(
        store,
        patient_code=req.patient.code,
        protocol=load_protocol(req.protocol_id),
        phrase_set=load_phrase_set(req.phrase_set_path),
        level=req.level,
        therapist_id=therapist_id,
        voice=voice,
        fatigue_before=req.fatigue_before,
        plan_items=list(plan) if plan else None,
    )
    # Render the first models ahead while the therapist reads the first step (a background thread; WORLD
    # and numpy release the interpreter lock: measured, the GUI thread's longest gap stayed under 30 ms).
    session.prefetch_items = 2
    session.prefetch_models()
    return session


def propose_plan(store: Any, *, patient_code: str, protocol_id: str, phrase_set_path: str, level: int) -> Any:
    """The planner's proposal for today, the phrases that could be added, and a note on what was left out:
    ``(entries, choices, note)``, entries and choices as ``(phrase_id, text, trained)`` tuples."""
    from mit_trainer.app.session_rules import propose_plan as propose
    from mit_trainer.core.phrases import load_phrase_set
    from mit_trainer.core.protocol_files import load_protocol

    ps = load_phrase_set(phrase_set_path)
    plan = propose(store, patient_code=patient_code, protocol=load_protocol(protocol_id), phrase_set=ps,
                   level=level)  # fmt: skip
    by_id = {p.id: p for p in ps.phrases}
    entries = [(i.phrase_id, by_id[i.phrase_id].text, i.kind.value == "trained") for i in plan.items]
    choices = [(p.id, p.text, p.trained) for p in ps.phrases if p.level == level]
    left = []
    if plan.blocked:
        left.append(f"{len(plan.blocked)} practised in the last day")
    if plan.dropped:
        left.append(f"{len(plan.dropped)} dropped after repeated failures")
    note = "Proposed by the planner" + (f" ({'; '.join(left)} left out)" if left else "") + "."
    return entries, choices, note


def plan_warner(phrase_set: Any) -> Any:
    """``ids -> warnings`` for a plan of this set's phrases (the protocol's rules, as advice)."""
    from mit_trainer.app.session_plan import plan_warnings

    by_id = {p.id: p for p in phrase_set.phrases}
    return lambda ids: plan_warnings([by_id[i] for i in ids if i in by_id])
