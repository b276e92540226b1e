"""The therapist's recorded model of a phrase (issue 13 item 2), as a use case shared by GUI and scripts.

The therapist sings the phrase once at the set tempo after a count-in (:meth:`RecordedModels.start`
plays it and records through the audio engine's attempt recording); the recording is cut to start just
before the count-in ended and judged by the scoring pipeline (:func:`~mit_trainer.scoring.analyze_attempt`)
like any attempt, giving a :class:`ModelTake` with the syllables beside their targets. A take is kept
(:meth:`RecordedModels.keep`) when its verdict is ``pass``, or when the therapist insists with a
non-empty reason; otherwise :class:`KeepRefused`. Try again discards the take's file.

Sessions play a kept model instead of the synthesized one (:func:`model_stimulus`): resampled to the
session's rate, time-scaled with WORLD (pitch kept) when the session's tempo differs from the tempo it
was sung at, with the syllable timing the lanes light up by taken from its analysis and scaled with it.

No Qt here; recording, analysis and time-scaling take from tens of milliseconds to seconds, so the GUI
calls these from a worker.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from mit_trainer.analysis.stimulus import Stimulus, StimulusSyllable, tap_click
from mit_trainer.analysis.timescale import MAX_FACTOR, MIN_FACTOR, time_scale
from mit_trainer.audio.attempt import AttemptRecording
from mit_trainer.audio.engine import AudioEngine
from mit_trainer.audio.results import RecordingResult
from mit_trainer.core.records import Phrase
from mit_trainer.scoring.attempt import AttemptAnalysis, analyze_attempt
from mit_trainer.scoring.settings import ScoringSettings
from mit_trainer.storage import RecordedModel, RecordedModelDeletion, RecordedModelInput, Store
from mit_trainer.storage.base import sha256_file

#: Beats of the count-in before the therapist starts singing.
COUNT_IN_BEATS = 4
#: The take starts this long before the count-in ends (a singer may come in a little early).
TAKE_LEAD_S = 0.25
#: Seconds recorded after the phrase's last beat before the recording stops by itself.
TAIL_S = 1.5
#: A session tempo within this fraction of the model's plays the recording as it is.
TEMPO_TOLERANCE = 0.01
#: Seconds of the recording kept before the first and after the last syllable when it is played.
EDGE_S = 0.2
#: Model voice sources a session may use (the setting "model voice source").
MODEL_SOURCES = ("synthesized", "recorded")
#: Analysis mode of a recorded model -> the cue modes of the synthesized model it may replace.
_MODE_FOR_STIMULUS = {"sung": "intone", "sprechgesang": "sprechgesang"}


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
                analysis=take.analysis.to_json(),
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

    def audio(self, model: RecordedModel) -> tuple[npt.NDArray[np.float32], int]:
        """The model's samples (mono float32) and rate, checked against the stored SHA-256."""
        return load_model_audio(self._store, model)


class RecordedModelPlayer:
    """What a session asks for: the recorded model that fits a phrase and cue, as a :class:`Stimulus`.

    Keeps the time-scaled audio of the last few models (time-scaling takes about 1.5 s per second of
    audio on 2 cores), so the steps of an item re-use it."""

    def __init__(self, store: Store, *, cache_size: int = 4) -> None:
        self._store = store
        self._cache: dict[tuple[int, float, int], tuple[npt.NDArray[np.float32], float]] = {}
        self._cache_size = cache_size

    def stimulus(
        self,
        phrase: Phrase,
        *,
        phrase_set: str,
        therapist_id: int | None,
        mode: str,
        tempo_bpm: float,
        sample_rate_hz: int,
        taps: str = "none",
        fade: tuple[float, float] | None = None,
        gain: float = 1.0,
    ) -> tuple[int, Stimulus] | None:
        """(model id, stimulus), or None when no recorded model of the phrase fits ``mode``."""
        models = recorded_models_for_phrase(self._store, phrase.id, phrase_set=phrase_set)
        model = choose_model(models, mode=mode, therapist_id=therapist_id)
        if model is None:
            return None
        key = (model.id, float(tempo_bpm), int(sample_rate_hz))
        if key not in self._cache:
            samples, rate = load_model_audio(self._store, model)
            scaled = scaled_audio(model, samples, rate, tempo_bpm=tempo_bpm, sample_rate_hz=sample_rate_hz)
            while len(self._cache) >= self._cache_size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = scaled
        x, factor = self._cache[key]
        stim = assemble_stimulus(
            model, x, factor, phrase=phrase, tempo_bpm=tempo_bpm, sample_rate_hz=sample_rate_hz, taps=taps,
            fade=fade, gain=gain,
        )  # fmt: skip
        return model.id, stim


def recording_length_s(target: ModelTarget) -> float:
    """How long :meth:`RecordedModels.start` should record: count-in, the phrase, and a tail."""
    return target.count_in_s + target.phrase_s + TAIL_S


def recorded_models_for_phrase(
    store: Store, phrase_id: str, *, phrase_set: str | None = None, therapist_id: int | None = None
) -> list[RecordedModel]:
    """Every kept recorded model of a phrase (newest first): for benchmarks and the session's choice."""
    return store.list_recorded_models(phrase_set=phrase_set, phrase_id=phrase_id, therapist_id=therapist_id)


def choose_model(
    models: Sequence[RecordedModel], *, mode: str, therapist_id: int | None
) -> RecordedModel | None:
    """The model a session plays for a stimulus ``mode`` (``intone`` or ``sprechgesang``): the newest of
    this therapist's, else the newest of anyone's; None when no recorded model fits."""
    fitting = [m for m in models if _MODE_FOR_STIMULUS.get(m.mode) == mode]
    own = [m for m in fitting if therapist_id is not None and m.therapist_id == therapist_id]
    pool = own or fitting
    return max(pool, key=lambda m: (m.created_at, m.id)) if pool else None


def load_model_audio(store: Store, model: RecordedModel) -> tuple[npt.NDArray[np.float32], int]:
    """Read a recorded model's WAV (mono float32), refusing a missing or altered file."""
    path = store.resolve_audio(model.audio_path)
    try:
        if sha256_file(path) != model.audio_sha256:
            raise RecordedModelError(f"recorded model {model.id}: {path.name} changed since it was kept")
        x, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError, sf.LibsndfileError) as exc:
        raise RecordedModelError(f"recorded model {model.id}: cannot read {path.name}: {exc}") from exc
    return np.ascontiguousarray(x.mean(axis=1), dtype=np.float32), int(rate)


def model_stimulus(
    model: RecordedModel,
    samples: npt.NDArray[np.float32],
    rate_hz: int,
    *,
    phrase: Phrase,
    tempo_bpm: float,
    sample_rate_hz: int,
    taps: str = "none",
    fade: tuple[float, float] | None = None,
    gain: float = 1.0,
) -> Stimulus:
    """The recorded model as a :class:`Stimulus` at ``tempo_bpm`` and ``sample_rate_hz``.

    Time-scaled with WORLD when the tempo differs from the model's by more than
    :data:`TEMPO_TOLERANCE`; syllable spans from the model's analysis, scaled alike (a syllable the
    analysis did not find gets its place from the beats); ``taps="mix"`` adds a click at every onset;
    ``fade`` fades the voice as the synthesized model does (fractions of the voiced span)."""
    x, factor = scaled_audio(model, samples, rate_hz, tempo_bpm=tempo_bpm, sample_rate_hz=sample_rate_hz)
    return assemble_stimulus(
        model, x, factor, phrase=phrase, tempo_bpm=tempo_bpm, sample_rate_hz=sample_rate_hz, taps=taps,
        fade=fade, gain=gain,
    )  # fmt: skip


def scaled_audio(
    model: RecordedModel,
    samples: npt.NDArray[np.float32],
    rate_hz: int,
    *,
    tempo_bpm: float,
    sample_rate_hz: int,
) -> tuple[npt.NDArray[np.float32], float]:
    """The model's samples at ``tempo_bpm`` (WORLD time-scaling, pitch kept) and ``sample_rate_hz``,
    with the duration factor applied (1.0 within :data:`TEMPO_TOLERANCE`)."""
    factor = model.tempo_bpm / tempo_bpm
    if abs(factor - 1.0) > TEMPO_TOLERANCE:
        if not MIN_FACTOR <= factor <= MAX_FACTOR:
            raise RecordedModelError(
                f"tempo {tempo_bpm:g} BPM is too far from the model's {model.tempo_bpm:g} BPM"
            )
        samples = time_scale(samples, sample_rate_hz=rate_hz, factor=factor)
    else:
        factor = 1.0
    if rate_hz != sample_rate_hz:
        samples = soxr.resample(samples, rate_hz, sample_rate_hz).astype(np.float32)
    return np.asarray(samples, dtype=np.float32), factor


def assemble_stimulus(
    model: RecordedModel,
    samples: npt.NDArray[np.float32],
    factor: float,
    *,
    phrase: Phrase,
    tempo_bpm: float,
    sample_rate_hz: int,
    taps: str = "none",
    fade: tuple[float, float] | None = None,
    gain: float = 1.0,
) -> Stimulus:
    """A :class:`Stimulus` from audio already from :func:`scaled_audio` (see :func:`model_stimulus`)."""
    x = np.array(samples, dtype=np.float32) * np.float32(gain)
    sr = int(sample_rate_hz)
    sylls = _syllables(model, phrase, factor, tempo_bpm)
    # Keep EDGE_S of the recording around the phrase (the take's lead and tail are room noise).
    first = max(0, round((sylls[0].onset_s - EDGE_S) * sr))
    last = min(x.size, round((sylls[-1].offset_s + EDGE_S) * sr))
    x = np.ascontiguousarray(x[first:last])
    lead_s = first / sr
    sylls = [replace(s, onset_s=s.onset_s - lead_s, offset_s=s.offset_s - lead_s) for s in sylls]
    onsets = [s.onset_s for s in sylls]
    start, stop = sylls[0].onset_s, sylls[-1].offset_s
    if fade is not None:
        x *= _fade(x.size, sr, start, stop, fade)
    if taps == "mix":
        click = tap_click(sample_rate_hz=sr)
        for t in onsets:
            o = round(t * sr)
            k = min(click.size, x.size - o)
            if k > 0:
                x[o : o + k] += click[:k]
    hop = 0.01
    n_hop = int(np.ceil(x.size / sr / hop))
    contour = np.full(n_hop, np.nan)
    for s in sylls:
        contour[int(s.onset_s / hop) : int(s.offset_s / hop)] = s.f0_hz
    x.setflags(write=False)
    contour.setflags(write=False)
    return Stimulus(
        samples=x,
        sample_rate_hz=sr,
        syllables=tuple(sylls),
        tap_times_s=tuple(onsets),
        taps=None,
        mode=_MODE_FOR_STIMULUS.get(model.mode, "intone"),
        low_hz=model.low_hz or 0.0,
        interval_semitones=model.interval_semitones,
        tempo_bpm=tempo_bpm,
        fade=fade,
        phrase_id=phrase.id,
        tap_mode="mix" if taps == "mix" else "none",
        contour_f0_hz=contour,
    )


def _syllables(
    model: RecordedModel, phrase: Phrase, factor: float, tempo_bpm: float
) -> list[StimulusSyllable]:
    """The model's syllables at the new tempo; unfound ones placed by the beats from a found neighbour."""
    found: dict[int, dict[str, Any]] = {
        int(s["index"]): s for s in model.analysis.get("syllables", []) if s.get("onset_s") is not None
    }
    if not found:
        raise RecordedModelError(f"recorded model {model.id} has no syllable timing")
    beat = 60.0 / tempo_bpm
    edges = np.concatenate([[0.0], np.cumsum(np.asarray(phrase.beats, float))]) * beat
    anchor = min(found)
    shift = float(found[anchor]["onset_s"]) * factor - edges[anchor]
    high = model.low_hz * 2 ** (model.interval_semitones / 12) if model.low_hz else None
    out: list[StimulusSyllable] = []
    for i, (text, target) in enumerate(zip(phrase.syllables, phrase.pattern, strict=True)):
        s = found.get(i)
        if s is not None:
            on, off = float(s["onset_s"]) * factor, float(s["offset_s"]) * factor
        else:
            on, off = edges[i] + shift, edges[i + 1] + shift
        f0 = s.get("f0_hz") if s is not None else None
        if f0 is None:
            f0 = (high if target.upper() == "H" else model.low_hz) or 0.0
        out.append(StimulusSyllable(i, text, target.upper(), max(0.0, on), max(0.0, off), float(f0)))
    for k in range(1, len(out)):  # keep the spans in order whatever the analysis missed
        if out[k].onset_s < out[k - 1].offset_s:
            out[k - 1] = replace(out[k - 1], offset_s=out[k].onset_s)
    return out


def _fade(
    n: int, sr: int, start_s: float, stop_s: float, fade: tuple[float, float]
) -> npt.NDArray[np.float32]:
    span = stop_s - start_s
    a = min(n, round((start_s + fade[0] * span) * sr))
    z = min(n, max(a + round(0.01 * sr), round((start_s + fade[1] * span) * sr)))
    g = np.ones(n, dtype=np.float32)
    g[a:z] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(z - a) + 0.5) / max(z - a, 1))
    g[z:] = 0.0
    return g
