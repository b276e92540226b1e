"""espeak-ng speech with its phoneme timing, through the library ``espeakng_loader`` ships (ctypes).

The library reports a phoneme event (mnemonic and sample position) for every phoneme it speaks; syllables are
read from them: one per vowel, a word's first syllable starting at its first phoneme, a later one at the last
consonant before its vowel (the one before that, if any, closes the previous syllable). The library keeps
global state, so calls are serialised with a lock; it is loaded on first use.
"""

from __future__ import annotations

import ctypes
from ctypes import CFUNCTYPE, POINTER, c_char, c_char_p, c_int, c_short, c_size_t, c_uint, c_void_p
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mit_trainer.core.espeak_phonemes import LOCK as SHARED_LOCK
from mit_trainer.core.espeak_phonemes import EspeakUnavailableError
from mit_trainer.core.espeak_phonemes import library as shared_library
from mit_trainer.core.espeak_phonemes import sample_rate_hz as shared_rate
from mit_trainer.scoring.independent.errors import GenerationError

#: English voices and variants (``+f3``/``+f2`` are female variants of the same voice).
VOICES: tuple[str, ...] = ("en-us", "en", "en+m3", "en-us+f3", "en+f2")
_EV_WORD, _EV_END, _EV_PHONEME = 1, 5, 7
_IPA_VOWELS = frozenset("aeiouyæɑɒɔəɛɜɚɝɪʊʌɐɘɵɤøœɶʏɯɨʉ")
_LOCK = SHARED_LOCK  # espeak-ng's state is global: one lock for every user in the process
_STATE: dict[str, Any] = {}


class EspeakError(GenerationError):
    """espeak-ng could not be loaded or did not say what was asked (one line, for the user)."""


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", c_int), ("unique_identifier", c_uint), ("text_position", c_int), ("length", c_int),
        ("audio_position", c_int), ("sample", c_int), ("user_data", c_void_p), ("id", c_char * 8),
    ]  # fmt: skip


_CALLBACK = CFUNCTYPE(c_int, POINTER(c_short), c_int, POINTER(_Event))


@dataclass(frozen=True, eq=False)
class Speech:
    """Spoken audio and, per syllable, its onset, vowel start, vowel end and end (s)."""

    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    onsets_s: tuple[float, ...]
    vowel_onsets_s: tuple[float, ...]
    vowel_ends_s: tuple[float, ...]
    ends_s: tuple[float, ...]
    voice: str


def _lib() -> Any:
    if "lib" in _STATE:
        return _STATE["lib"]
    try:
        lib = shared_library()
    except EspeakUnavailableError as exc:
        raise EspeakError(f"espeak-ng library not available (pip install espeakng-loader): {exc}") from exc
    lib.espeak_SetVoiceByName.argtypes = [c_char_p]
    lib.espeak_Synth.argtypes = [c_char_p, c_size_t, c_uint, c_int, c_uint, c_uint, c_void_p, c_void_p]
    rate = shared_rate()  # (the shared initialisation names phonemes in IPA)
    chunks: list[npt.NDArray[np.int16]] = []
    events: list[tuple[int, int, str]] = []

    def callback(wav: Any, n: int, ev: Any) -> int:
        if n > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while ev[i].type != 0:
            e = ev[i]
            name = bytes(e.id).split(b"\0")[0].decode("utf-8", "replace") if e.type == _EV_PHONEME else ""
            events.append((int(e.type), int(e.sample), name))
            i += 1
        return 0

    cb = _CALLBACK(callback)
    _STATE.update(lib=lib, rate=int(rate), chunks=chunks, events=events, cb=cb)
    return lib


def _is_vowel(name: str) -> bool:
    """A syllable nucleus: an IPA vowel, or a syllabic consonant (the shared initialisation names IPA)."""
    core = name.lstrip("ˈˌ'," + "%=")
    return bool(core) and (any(c in _IPA_VOWELS for c in core) or "\u0329" in core)


def _syllables(events: list[tuple[int, int, str]], sr: int, total: int) -> list[tuple[float, ...]]:
    words: list[list[tuple[int, str]]] = []
    for kind, sample, name in events:
        if kind == _EV_WORD:
            words.append([])
        elif kind == _EV_PHONEME and words and not name.startswith("_"):
            words[-1].append((sample, name))
    out: list[list[float]] = []  # onset, vowel start, vowel end, end
    for phones in words:
        prev_vowel = -1
        for j, (sample, name) in enumerate(phones):
            if not _is_vowel(name):
                continue
            if prev_vowel < 0:
                onset = phones[0][0]
            else:
                cons = j - prev_vowel - 1
                onset = phones[j - 1][0] if cons >= 1 else sample
            vowel_end = phones[j + 1][0] if j + 1 < len(phones) else None
            out.append([onset / sr, sample / sr, (vowel_end or -1) / sr, -1.0])
            prev_vowel = j
    pauses = [*sorted(s for k, s, n in events if k == _EV_PHONEME and n.startswith("_")), total]
    for k, syl in enumerate(out):
        nxt = out[k + 1][0] if k + 1 < len(out) else total / sr
        stop = min([p / sr for p in pauses if p / sr > syl[1]] + [nxt])
        syl[3] = stop
        if syl[2] < 0:
            syl[2] = stop
    return [tuple(s) for s in out]


def speak(text: str, *, voice: str, words_per_min: float = 150.0) -> Speech:
    """Say ``text`` with ``voice``; raises :class:`EspeakError` when the voice or library is missing."""
    with _LOCK:
        lib = _lib()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise EspeakError(f"espeak-ng has no voice {voice!r}")
        lib.espeak_SetParameter(1, round(words_per_min), 0)
        chunks, events = _STATE["chunks"], _STATE["events"]
        chunks.clear()
        events.clear()
        lib.espeak_SetSynthCallback(_STATE["cb"])  # (another user of espeak-ng may have set its own)
        data = text.encode("utf-8")
        if lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 1, None, None) != 0:
            raise EspeakError(f"espeak-ng could not say {text!r}")
        lib.espeak_Synchronize()
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        evs = list(events)
    sr = int(_STATE["rate"])
    sylls = _syllables(evs, sr, pcm.size)
    x = (pcm.astype(np.float32) / 32768.0).astype(np.float32)
    cols = [tuple(s[i] for s in sylls) for i in range(4)]
    return Speech(x, sr, cols[0], cols[1], cols[2], cols[3], voice)
