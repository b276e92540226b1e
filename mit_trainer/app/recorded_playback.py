"""Playing a therapist's recorded model in a session: which model, at which tempo, as a Stimulus.

:func:`choose_model` picks, for a phrase and a cue's mode, this therapist's newest recorded model, else
anyone's, and only one sung for the phrase as it is now (same syllables, tones and beats).
:func:`model_stimulus` turns its WAV into the :class:`~mit_trainer.analysis.stimulus.Stimulus` a session
plays: time-scaled with WORLD (pitch kept, :mod:`mit_trainer.analysis.timescale`) when the session's
tempo differs from the tempo it was sung at, resampled to the session's rate, cut to the phrase with a
little room around it, the step's fade and taps applied, and the syllable timing the lanes light up by
taken from its analysis (scaled with it). :class:`RecordedModelPlayer` does this for a session and keeps
the scaled audio of the last few models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from mit_trainer.analysis.stimulus import Stimulus, StimulusSyllable, tap_click
from mit_trainer.analysis.timescale import MAX_FACTOR, MIN_FACTOR, time_scale
from mit_trainer.app.recorded_model import RecordedModelError, phrase_signature, recorded_models_for_phrase
from mit_trainer.core.records import Phrase
from mit_trainer.storage import RecordedModel, Store
from mit_trainer.storage.base import sha256_file
from mit_trainer.storage.errors import UnsafePath

#: A session tempo within this fraction of the model's plays the recording as it is.
TEMPO_TOLERANCE = 0.01
#: Seconds of the recording kept before the first and after the last syllable when it is played.
EDGE_S = 0.2
#: Analysis mode of a recorded model -> the mode of the synthesized model it may replace.
MODE_FOR_STIMULUS = {"sung": "intone", "sprechgesang": "sprechgesang"}


class RecordedModelPlayer:
    """What a session asks for: the recorded model that fits a phrase and cue, as a :class:`Stimulus`.

    Keeps the time-scaled audio of the last few models (time-scaling takes about 2 s per second of
    48 kHz audio on a loaded 2-core machine, benchmarks/RESULTS-recmodel.md), so an item's steps re-use it."""

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
        model = choose_model(models, mode=mode, therapist_id=therapist_id, phrase=phrase)
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


def choose_model(
    models: Sequence[RecordedModel], *, mode: str, therapist_id: int | None, phrase: Phrase | None = None
) -> RecordedModel | None:
    """The model a session plays for a stimulus ``mode`` (``intone`` or ``sprechgesang``): the newest of
    this therapist's, else the newest of anyone's; None when no recorded model fits. With ``phrase``, a
    model sung to another version of it (syllables, tones or beats edited since) does not fit."""
    fitting = [m for m in models if MODE_FOR_STIMULUS.get(m.mode) == mode]
    if phrase is not None:
        wanted = phrase_signature(phrase)
        fitting = [m for m in fitting if m.analysis.get("phrase", wanted) == wanted]
    own = [m for m in fitting if therapist_id is not None and m.therapist_id == therapist_id]
    pool = own or fitting
    return max(pool, key=lambda m: (m.created_at, m.id)) if pool else None


def load_model_audio(store: Store, model: RecordedModel) -> tuple[npt.NDArray[np.float32], int]:
    """Read a recorded model's WAV (mono float32), refusing a missing or altered file, or one whose
    stored path leads outside the recordings folder."""
    try:
        path = store.resolve_audio(model.audio_path)
    except UnsafePath:
        path = None
    if path is None or not path.resolve().is_relative_to(store.recordings_dir.resolve()):
        raise RecordedModelError(
            f"recorded model {model.id}: {model.audio_path} is outside the recordings folder"
        )
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
        mode=MODE_FOR_STIMULUS.get(model.mode, "intone"),
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
