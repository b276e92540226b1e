"""Rendered models of a session: which voice renders them, a cache, and rendering ahead (issue 13 item 4).

Responsible for three things the session and the editor share:

* :func:`voice_argument` turns a resolved model voice (:func:`mit_trainer.app.voices.resolve_voice`) into
  what :func:`render_stimulus` takes: a word voice name (the words, sung:
  :mod:`mit_trainer.analysis.sung_words`) or a formant :class:`VoiceParams` (one vowel per syllable).
* :class:`ModelRequest`, everything one render depends on (phrase, voice, low note, interval, tempo, mode,
  taps, fade, lengthening, rate), and :func:`render_request`, which renders it; when espeak-ng cannot
  sing the words (a broken installation), it falls back to the formant voice of the same sex and logs
  why, so a session never stops for want of a model.
* :class:`ModelCache`, a small LRU cache of rendered models with a one-thread background renderer:
  :meth:`ModelCache.prefetch` renders the next items' models while the therapist works on this one, and
  :meth:`ModelCache.get` returns a cached model at once, waits for one already being rendered, or renders
  it in the caller's thread (the GUI calls it from a worker, never from its own thread).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from mit_trainer.analysis.espeak import EspeakError
from mit_trainer.analysis.stimulus import Stimulus, render_stimulus
from mit_trainer.analysis.voice import VoiceParams
from mit_trainer.app.voices import MODEL_VOICE_LABELS, MODEL_VOICES, resolve_voice
from mit_trainer.core.records import Phrase

__all__ = [
    "MODEL_VOICES",
    "MODEL_VOICE_LABELS",
    "ModelCache",
    "ModelRequest",
    "render_request",
    "resolve_voice",
]

log = logging.getLogger(__name__)


def voice_argument(voice: str) -> str | VoiceParams:
    """What :func:`render_stimulus` takes for a resolved voice."""
    if voice == "formant-male":
        return VoiceParams.male()
    if voice == "formant-female":
        return VoiceParams.female()
    return voice


@dataclass(frozen=True)
class ModelRequest:
    """Everything one rendered model depends on (the cache key). ``monotone`` renders speech-song on one
    pitch (protocols without melody) and reports the phrase's own H/L targets."""

    phrase: Phrase
    voice: str  # resolved: a word voice name, "formant-male" or "formant-female"
    low_hz: float
    interval_semitones: float
    tempo_bpm: float
    mode: str
    taps: str = "none"
    fade: tuple[float, float] | None = None
    stress_lengthening: float = 1.0
    sample_rate_hz: int = 44100
    monotone: bool = False


def _render(req: ModelRequest, voice: str | VoiceParams) -> Stimulus:
    phrase = req.phrase
    if req.monotone:
        phrase = replace(phrase, pattern=tuple("L" for _ in phrase.pattern))
    stim = render_stimulus(
        phrase,
        sample_rate_hz=req.sample_rate_hz,
        low_hz=req.low_hz,
        interval_semitones=1.0 if req.monotone else req.interval_semitones,
        tempo_bpm=req.tempo_bpm,
        mode="sprechgesang" if req.monotone else req.mode,  # type: ignore[arg-type]
        taps=req.taps,  # type: ignore[arg-type]
        fade=req.fade,
        stress_lengthening=req.stress_lengthening,
        voice=voice,
    )
    if not req.monotone:
        return stim
    sylls = tuple(replace(s, target=t) for s, t in zip(stim.syllables, req.phrase.pattern, strict=True))
    return replace(stim, syllables=sylls, interval_semitones=0.0, phrase_id=req.phrase.id)


def render_request(req: ModelRequest) -> Stimulus:
    """Render ``req``; a word voice that espeak-ng cannot sing falls back to the formant voice."""
    voice = voice_argument(req.voice)
    try:
        return _render(req, voice)
    except EspeakError as exc:
        if not isinstance(voice, str):
            raise
        fallback = "formant-female" if voice == "female" else "formant-male"
        log.warning(
            "the %s voice cannot sing %r (%s); using the %s voice", voice, req.phrase.id, exc, fallback
        )
        return _render(req, voice_argument(fallback))


class ModelCache:
    """Rendered models by request, least recently used dropped beyond ``max_items``; thread-safe.

    ``render`` is the function that renders one request (tests pass a counting one). The background
    thread is created on the first :meth:`prefetch` and stopped by :meth:`close`.
    """

    def __init__(
        self, *, max_items: int = 24, render: Callable[[ModelRequest], Stimulus] = render_request
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self._render = render
        self._max = max_items
        self._done: OrderedDict[ModelRequest, Stimulus] = OrderedDict()
        self._pending: dict[ModelRequest, Future[Stimulus]] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    def __contains__(self, req: object) -> bool:
        with self._lock:
            return req in self._done

    def __len__(self) -> int:
        with self._lock:
            return len(self._done)

    def get(self, req: ModelRequest) -> Stimulus:
        """The model for ``req``: cached, awaited from the background renderer, or rendered now."""
        with self._lock:
            hit = self._done.get(req)
            if hit is not None:
                self._done.move_to_end(req)
                return hit
            pending = self._pending.get(req)
            if pending is None:
                mine: Future[Stimulus] = Future()
                self._pending[req] = mine
        if pending is not None:
            return pending.result()
        self._fill(req, mine)
        return mine.result()

    def prefetch(self, requests: Iterable[ModelRequest]) -> int:
        """Queue the requests not cached or under way for the background renderer; returns how many."""
        queued = 0
        with self._lock:
            if self._closed:
                return 0
            for req in requests:
                if req in self._done or req in self._pending:
                    continue
                fut: Future[Stimulus] = Future()
                self._pending[req] = fut
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-prefetch")
                self._pool.submit(self._fill, req, fut)
                queued += 1
        return queued

    def _fill(self, req: ModelRequest, fut: Future[Stimulus]) -> None:
        try:
            stim = self._render(req)
        except BaseException as exc:  # handed to whoever waits for this model
            with self._lock:
                self._pending.pop(req, None)
                if not fut.done():
                    fut.set_exception(exc)
            return
        with self._lock:
            self._pending.pop(req, None)
            self._done[req] = stim
            self._done.move_to_end(req)
            while len(self._done) > self._max:
                self._done.popitem(last=False)
            if not fut.done():
                fut.set_result(stim)

    def close(self, *, wait: bool = True) -> None:
        """Stop the background renderer; queued renders not started are dropped (their waiters get an
        error; :meth:`get` still renders in the caller's thread afterwards)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
        with self._lock:
            for req, fut in list(self._pending.items()):
                if not fut.done():
                    fut.set_exception(RuntimeError("the model cache was closed"))
                    self._pending.pop(req, None)
