"""The therapist's recorded model of a phrase (issue 13 item 2): record, check, keep, list, delete.

The therapist sings the phrase once at the set tempo after a count-in (:meth:`RecordedModels.start`
plays it and records through the audio engine's attempt recording); the recording is cut to start just
before the count-in ended and judged by the scoring pipeline (:func:`~mit_trainer.scoring.analyze_attempt`)
like any attempt, giving a :class:`ModelTake` with the syllables beside their targets. A take is kept
(:meth:`RecordedModels.keep`) when its verdict is ``pass``, or when the therapist insists with a
non-empty reason; otherwise :class:`KeepRefused`. Try again discards the take's file. How a session
plays a kept model (time-scaled with WORLD at another tempo) is :mod:`mit_trainer.app.recorded_playback`.

No Qt here; recording and analysis take from tens of milliseconds to seconds, so the GUI calls these
from a worker.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf

from mit_trainer.analysis.stimulus import tap_click
from mit_trainer.audio.attempt import AttemptRecording
from mit_trainer.audio.engine import AudioEngine
from mit_trainer.audio.results import RecordingResult
from mit_trainer.core.records import Phrase
from mit_trainer.scoring.attempt import AttemptAnalysis, analyze_attempt
from mit_trainer.scoring.settings import ScoringSettings
from mit_trainer.storage import RecordedModel, RecordedModelDeletion, RecordedModelInput, Store

#: Beats of the count-in before the therapist starts singing.
COUNT_IN_BEATS = 4
#: The take starts this long before the count-in ends (a singer may come in a little early).
TAKE_LEAD_S = 0.25
#: Seconds recorded after the phrase's last beat before the recording stops by itself.
TAIL_S = 1.5
#: Model voice sources a session may use (the setting "model voice source").
MODEL_SOURCES = ("synthesized", "recorded")


class KeepRefused(ValueError):
    """The take did not pass and no reason was given for keeping it (one line for the user)."""


class RecordedModelError(ValueError):
    """A recording or stored model that cannot be used (one line for the user)."""


@dataclass(frozen=True)
class ModelTarget:
    """What the therapist is asked to sing: a phrase of a set at a tempo, interval and analysis mode.

    ``low_hz`` is the low note the therapist is given (a reference only: the stored low note is the one
    measured in the take)."""

    phrase: Phrase
    phrase_set: str
    tempo_bpm: float = 60.0
    interval_semitones: float = 3.0
    mode: str = "sung"
    low_hz: float | None = None

    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo_bpm

    @property
    def phrase_s(self) -> float:
        return float(sum(self.phrase.beats)) * self.beat_s

    @property
    def count_in_s(self) -> float:
        return COUNT_IN_BEATS * self.beat_s

    def target_spans_s(self, start_s: float) -> list[tuple[float, float]]:
        """Where each syllable should be sung when the phrase starts at ``start_s`` (s)."""
        edges = (
            start_s + np.concatenate([[0.0], np.cumsum(np.asarray(self.phrase.beats, float))]) * self.beat_s
        )
        return [(float(a), float(b)) for a, b in itertools.pairwise(edges)]


@dataclass(frozen=True)
class SyllableCheck:
    """One syllable of a take beside its target (what the dialog shows)."""

    index: int
    text: str
    target: str
    target_onset_s: float
    target_offset_s: float
    onset_s: float | None
    offset_s: float | None
    f0_hz: float | None
    produced: str | None

    @property
    def matches(self) -> bool:
        return self.produced == self.target


@dataclass(frozen=True)
class ModelTake:
    """One recorded and analysed take; its WAV (cut after the count-in) is at ``path``."""

    target: ModelTarget
    path: Path
    sample_rate_hz: int
    duration_s: float
    analysis: AttemptAnalysis
    phrase_start_s: float  # where the count-in said to start, on the take's clock

    @property
    def verdict(self) -> str:
        return self.analysis.verdict

    @property
    def passed(self) -> bool:
        return self.analysis.verdict == "pass"

    def checks(self) -> list[SyllableCheck]:
        spans = self.target.target_spans_s(self.phrase_start_s)
        return [
            SyllableCheck(s.index, s.text, s.target, a, b, s.onset_s, s.offset_s, s.f0_hz, s.produced)
            for s, (a, b) in zip(self.analysis.syllables, spans, strict=True)
        ]

    def low_hz(self) -> float | None:
        """The low note actually sung: the median f0 of the L syllables sung low (None without one)."""
        lows = [s.f0_hz for s in self.analysis.syllables if s.target == "L" and s.produced == "L" and s.f0_hz]
        return float(np.median(lows)) if lows else None


def count_in(
    *, tempo_bpm: float, sample_rate_hz: int, beats: int = COUNT_IN_BEATS
) -> npt.NDArray[np.float32]:
    """``beats`` clicks one beat apart, the first at sample 0, lasting exactly ``beats`` beats."""
    if not tempo_bpm > 0:
        raise ValueError(f"tempo must be positive, not {tempo_bpm} BPM")
    beat = round(60.0 / tempo_bpm * sample_rate_hz)
    out = np.zeros(beat * beats, dtype=np.float32)
    click = tap_click(sample_rate_hz=sample_rate_hz)
    for k in range(beats):
        n = min(click.size, out.size - k * beat)
        out[k * beat : k * beat + n] += click[:n] * (1.4 if k == 0 else 1.0)
    return out


class RecordedModels:
    """Record, check, keep, list, delete and play therapists' recorded models over one store."""

    def __init__(
        self, store: Store, *, tracker: str | None = None, scoring: ScoringSettings | None = None
    ) -> None:
        self._store = store
        self.tracker = tracker
        self.scoring = scoring or ScoringSettings()

    # ------------------------------------------------------------------ recording
    def new_take_path(self) -> Path:
        """A fresh file name for a take, inside the recordings folder's ``models`` folder."""
        return self._store.recorded_models_dir() / f"take-{secrets.token_hex(6)}.wav"

    def start(self, engine: AudioEngine, target: ModelTarget) -> AttemptRecording:
        """Play the count-in and record; stop the returned recording after :func:`recording_length_s`."""
        rate = engine.sample_rate_hz
        clicks = count_in(tempo_bpm=target.tempo_bpm, sample_rate_hz=rate)
        return engine.start_attempt(clicks, stimulus_rate_hz=rate, record_path=self.new_take_path())

    def analyse_recording(self, result: RecordingResult, target: ModelTarget) -> ModelTake:
        """Cut a finished recording (from :meth:`start`) after its count-in and analyse it."""
        if result.interrupted:
            self.discard_file(result.path)
            raise RecordedModelError(f"the recording was interrupted: {result.interruption_reason}")
        offset = result.offset_s if result.offset_s is not None else 0.0
        return self.analyse_file(result.path, target, count_in_end_s=offset + target.count_in_s)

    def analyse_file(self, path: Path, target: ModelTarget, *, count_in_end_s: float = 0.0) -> ModelTake:
        """Analyse the WAV at ``path`` in which the phrase should start at ``count_in_end_s``; the file
        is rewritten without what came before ``TAKE_LEAD_S`` ahead of that point."""
        try:
            info = sf.info(str(path))
            samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
        except (OSError, RuntimeError, sf.LibsndfileError) as exc:
            raise RecordedModelError(f"cannot read the recording {Path(path).name}: {exc}") from exc
        mono = samples.mean(axis=1)
        cut = max(0, round((count_in_end_s - TAKE_LEAD_S) * rate))
        if cut >= mono.size:
            raise RecordedModelError("the recording stopped before the count-in ended")
        mono = np.ascontiguousarray(mono[cut:])
        if cut > 0:
            sf.write(str(path), mono, rate, subtype=info.subtype)
        analysis = analyze_attempt(
            mono,
            sample_rate_hz=rate,
            phrase=target.phrase,
            mode=target.mode,
            tracker=self.tracker,
            settings=self.scoring,
            tempo_bpm=target.tempo_bpm,
            interval_semitones=target.interval_semitones or None,
            audio_name=Path(path).name,
        )
        return ModelTake(
            target, Path(path), int(rate), mono.size / rate, analysis, count_in_end_s - cut / rate
        )

    # ------------------------------------------------------------------ deciding
    def keep(self, take: ModelTake, *, therapist_id: int | None, reason: str | None = None) -> RecordedModel:
        """Store the take: at once when it passed, else only with the therapist's ``reason``."""
        why = (reason or "").strip() or None
        if not take.passed and why is None:
            raise KeepRefused(
                f"the take did not match (verdict {take.verdict}): try again, or keep it anyway with a reason"
            )
        t = take.target
        return self._store.add_recorded_model(
            RecordedModelInput(
                phrase_set=t.phrase_set,
                phrase_id=t.phrase.id,
                therapist_id=therapist_id,
                tempo_bpm=t.tempo_bpm,
                low_hz=take.low_hz() or t.low_hz,
                interval_semitones=t.interval_semitones,
                mode=t.mode,
                audio_path=take.path,
                sample_rate_hz=take.sample_rate_hz,
                duration_s=take.duration_s,
                analysis=take.analysis.to_json() | {"phrase": phrase_signature(t.phrase)},
                verdict=take.verdict,
                insisted_reason=None if take.passed else why,
            )
        )

    def discard(self, take: ModelTake) -> None:
        """Try again: forget the take and remove its file."""
        self.discard_file(take.path)

    def discard_file(self, path: Path) -> None:
        root = self._store.recorded_models_dir(create=False).resolve()
        file = Path(path).resolve()
        if file.is_relative_to(root):  # never remove anything outside the models folder
            file.unlink(missing_ok=True)

    # ------------------------------------------------------------------ the kept models
    def list(self, *, phrase_set: str | None = None, phrase_id: str | None = None) -> list[RecordedModel]:
        return self._store.list_recorded_models(phrase_set=phrase_set, phrase_id=phrase_id)

    def delete(self, model_id: int) -> RecordedModelDeletion:
        return self._store.delete_recorded_model(model_id)


def phrase_signature(phrase: Phrase) -> dict[str, Any]:
    """What a recorded model was sung to (kept in its analysis): a later edit of the phrase that changes
    its syllables, tones or beats makes the model unfit for it."""
    return {
        "syllables": list(phrase.syllables),
        "pattern": [t.upper() for t in phrase.pattern],
        "beats": [float(b) for b in phrase.beats],
    }


def recording_length_s(target: ModelTarget) -> float:
    """How long :meth:`RecordedModels.start` should record: count-in, the phrase, and a tail."""
    return target.count_in_s + target.phrase_s + TAIL_S


def recorded_models_for_phrase(
    store: Store, phrase_id: str, *, phrase_set: str | None = None, therapist_id: int | None = None
) -> list[RecordedModel]:
    """Every kept recorded model of a phrase (newest first): for benchmarks and the session's choice."""
    return store.list_recorded_models(phrase_set=phrase_set, phrase_id=phrase_id, therapist_id=therapist_id)
