"""A small ctypes wrapper around the espeak-ng C library: speech audio plus the time of every phone.

Responsible for one thing: given a text and an espeak-ng voice name, return the spoken audio (mono float32
at the library's rate, 22050 Hz) and its phones (IPA symbol, start and end in seconds, the word it belongs
to, its lexical stress). The library and its voice data come from the PyPI package ``espeakng_loader``
(``get_library_path()``, ``get_data_path()``); the Debian ``espeak-ng`` program is not needed.

How: ``espeak_Initialize`` in synchronous mode with phoneme events in IPA, a synthesis callback that
copies each audio chunk and reads the events (``espeakEVENT_WORD`` and ``espeakEVENT_PHONEME``; each carries
the sample position where it starts), then ``espeak_Synth`` of the text as SSML ending in a 300 ms break
(without it the utterance's last milliseconds stay in the library until the next one). A phone lasts
until the next phone starts; an event with an empty name is a pause. The library keeps global state and
is not re-entrant, so every call holds one process-wide lock; it is loaded on first use (importing this
module loads nothing).

Reusable for other languages: pass any voice espeak-ng knows (``"en-us"``, ``"de"``, ``"fr"``,
``"en-us+f3"`` for a variant); :func:`voice_exists` checks a name.
"""

from __future__ import annotations

import ctypes
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mit_trainer.core.espeak_phonemes import LOCK as SHARED_LOCK
from mit_trainer.core.espeak_phonemes import EspeakUnavailableError
from mit_trainer.core.espeak_phonemes import library as shared_library
from mit_trainer.core.espeak_phonemes import sample_rate_hz as shared_rate

# espeak_AUDIO_OUTPUT, espeak_EVENT_TYPE and option values from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_INIT_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_CHARS_UTF8 = 1
_SSML = 0x10
_POS_CHARACTER = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_END_BREAK_MS = 300

#: IPA letters that make a phone a vowel (a syllable nucleus); a syllabic mark (U+0329) does too.
_VOWEL_LETTERS = frozenset("aeiouyæɑɒɔəɛɜɚɝɪʊʌɐɘɵɤøœɶʏɯɨʉ")
_STRESS_MARKS = {"ˈ": 1, "ˌ": 2}


class EspeakError(RuntimeError):
    """espeak-ng could not be loaded, or refused a voice or a text; the message says which."""


@dataclass(frozen=True)
class Phone:
    """One phone of a synthesized utterance. ``symbol`` is IPA without stress marks ("" for a pause);
    ``stress`` is 1 primary, 2 secondary, 0 none; ``word_index`` indexes :attr:`Speech.words` (-1 for a
    pause before the first word)."""

    symbol: str
    start_s: float
    end_s: float
    word_index: int
    stress: int = 0

    @property
    def is_pause(self) -> bool:
        return self.symbol == ""

    @property
    def is_vowel(self) -> bool:
        """True for a syllable nucleus: a vowel letter or a syllabic consonant."""
        return any(c in _VOWEL_LETTERS for c in self.symbol) or "\u0329" in self.symbol

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, eq=False)
class Speech:
    """Spoken audio (read-only float32, -1..1) with its phones in time order; ``phones`` cover the audio
    from 0 to its end without gaps (the first starts at 0, each ends where the next starts)."""

    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    phones: tuple[Phone, ...]
    words: tuple[str, ...]
    voice: str

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / self.sample_rate_hz


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class _Library:
    """The loaded library, its sample rate and the state one synthesis fills in (guarded by _LOCK)."""

    def __init__(self) -> None:
        try:
            lib = shared_library()
        except EspeakUnavailableError as exc:
            raise EspeakError(str(exc)) from exc
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.restype = ctypes.c_int
        rate = shared_rate()
        self.lib: Any = lib
        self.sample_rate_hz = int(rate)
        self.chunks: list[npt.NDArray[np.int16]] = []
        self.events: list[tuple[int, int, str]] = []  # (type, sample, phone name)
        self.callback = _Callback(self._on_synth)  # kept referenced for the library's lifetime

    def _on_synth(self, wav: Any, n: int, events: Any) -> int:
        if n > 0 and wav:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            e = events[i]
            if e.type == _EVENT_WORD:
                self.events.append((_EVENT_WORD, int(e.sample), ""))
            elif e.type == _EVENT_PHONEME:
                self.events.append((_EVENT_PHONEME, int(e.sample), bytes(e.id).decode("utf-8", "replace")))
            i += 1
        return 0


_LOCK = SHARED_LOCK  # espeak-ng's state is global: one lock for every user in the process
_STATE: dict[str, _Library] = {}


def _library() -> _Library:
    """The library, loaded and initialised on first use (call with _LOCK held)."""
    if "lib" not in _STATE:
        _STATE["lib"] = _Library()
    return _STATE["lib"]


def sample_rate_hz() -> int:
    """The rate espeak-ng synthesizes at (22050 Hz for its voices)."""
    with _LOCK:
        return _library().sample_rate_hz


def voice_exists(name: str) -> bool:
    """True when espeak-ng accepts ``name`` as a voice (e.g. ``"en-us"``, ``"en-us+f3"``)."""
    if not name or "\0" in name:
        return False
    with _LOCK:
        return int(_library().lib.espeak_SetVoiceByName(name.encode())) == 0


def _split_stress(name: str) -> tuple[str, int]:
    stress = 0
    for mark, value in _STRESS_MARKS.items():
        if mark in name:
            stress = max(stress, value) if stress == 0 else min(stress, value)
    symbol = "".join(c for c in name if c not in _STRESS_MARKS)
    return unicodedata.normalize("NFC", symbol), stress


def speak(text: str, *, voice: str = "en-us", rate_wpm: int = 175, pitch: int | None = None) -> Speech:
    """Synthesize ``text`` with espeak-ng and return the audio with its phones (see :class:`Speech`).

    ``rate_wpm`` is espeak-ng's speaking rate (80-450 words per minute); ``pitch`` its base pitch (0-99,
    None keeps the voice's). Raises :class:`EspeakError` for an unknown voice, an empty text or a failed
    synthesis, and ``ValueError`` for a rate or pitch out of range.
    """
    if not isinstance(text, str) or not text.strip() or "\0" in text:
        raise EspeakError("espeak-ng needs a non-empty text")
    if not 80 <= rate_wpm <= 450:
        raise ValueError(f"rate_wpm must be between 80 and 450; got {rate_wpm!r}")
    if pitch is not None and not 0 <= pitch <= 99:
        raise ValueError(f"pitch must be between 0 and 99; got {pitch!r}")
    # A trailing break: espeak-ng keeps the last few milliseconds of an utterance in its wave generator
    # until more speech comes (measured: every utterance ended mid-vowel at full amplitude, and the next
    # one started with that leftover). Ending on silence makes both ends clean.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    raw = f'<speak>{escaped}<break time="{_END_BREAK_MS}ms"/></speak>'.encode()
    with _LOCK:
        lib = _library()
        if not voice or "\0" in voice or lib.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise EspeakError(f"espeak-ng has no voice {voice!r}")
        lib.lib.espeak_SetParameter(_PARAM_RATE, int(rate_wpm), 0)
        if pitch is not None:
            lib.lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
        lib.chunks, lib.events = [], []
        lib.lib.espeak_SetSynthCallback(lib.callback)  # (another user may have set its own)
        flags = _CHARS_UTF8 | _SSML
        status = lib.lib.espeak_Synth(raw, len(raw) + 1, 0, _POS_CHARACTER, 0, flags, None, None)
        lib.lib.espeak_Synchronize()
        chunks, events, sr = lib.chunks, lib.events, lib.sample_rate_hz
        lib.chunks, lib.events = [], []
    if status != 0 or not chunks:
        raise EspeakError(f"espeak-ng could not speak {text!r} (status {status})")
    pcm = np.concatenate(chunks)
    samples = (pcm.astype(np.float32) / 32768.0).astype(np.float32)
    samples.setflags(write=False)
    phones, n_words = _phones_from_events(events, pcm.shape[0], sr)
    words = tuple(text.split())
    if len(words) != n_words:  # espeak split differently (digits, hyphens): name the words by number
        words = tuple(f"w{i}" for i in range(n_words))
    return Speech(samples, sr, phones, words, voice)


def _phones_from_events(events: list[tuple[int, int, str]], n: int, sr: int) -> tuple[tuple[Phone, ...], int]:
    """Phones covering samples 0..n from the (type, sample, name) events; also the number of words."""
    marks: list[tuple[int, str, int]] = []  # (start sample, raw name, word index)
    word = -1
    for kind, sample, name in events:
        if kind == _EVENT_WORD:
            word += 1
        else:
            marks.append((min(max(sample, 0), n), name, word))
    if not marks or marks[0][0] > 0:
        marks.insert(0, (0, "", -1))
    out: list[Phone] = []
    for k, (start, name, w) in enumerate(marks):
        stop = marks[k + 1][0] if k + 1 < len(marks) else n
        if stop <= start:
            continue  # zero-length: a duplicate event at the same sample
        symbol, stress = _split_stress(name)
        if out and symbol == "" and out[-1].symbol == "":  # merge adjacent pauses
            prev = out.pop()
            out.append(Phone("", prev.start_s, stop / sr, prev.word_index))
            continue
        out.append(Phone(symbol, start / sr, stop / sr, w, stress))
    return tuple(out), word + 1
