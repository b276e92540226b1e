"""Text to phonemes with stress marks through espeak-ng (the library shipped by ``espeakng_loader``).

A deliberately small ctypes wrapper: it loads ``libespeak-ng`` and its data from the
``espeakng_loader`` wheel, initialises it once per process (no audio output), selects a voice by
language code and returns espeak's IPA transcription of one word, in which ``ˈ`` marks primary and
``ˌ`` secondary stress, each placed right before the stressed vowel. Phonemes are separated by
``_`` so that a diphthong (one phoneme, e.g. German ``aɪ``) stays one syllable nucleus.

Used by :mod:`mit_trainer.core.syllabify_lang`; synthesis lives elsewhere (analysis layer).
espeak-ng keeps global state, so calls are serialised by a lock.
"""

from __future__ import annotations

import ctypes
import functools
import threading

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_INITIALIZE_DONT_EXIT = 0x8000
#: The one initialisation every user in the process shares: synchronous output, phoneme events, IPA
#: phoneme names, no exit on errors. espeak-ng keeps its state globally; a second ``espeak_Initialize``
#: with other options (or another synthesis callback) would silently change it under the other users,
#: so every module that uses espeak-ng gets the library from :func:`library` and holds :data:`LOCK`.
INIT_OPTIONS = 0x0001 | 0x0002 | _ESPEAK_INITIALIZE_DONT_EXIT
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
SEPARATOR = "_"
LOCK = threading.RLock()
_LOCK = LOCK
_RATE: list[int] = []


class EspeakUnavailableError(RuntimeError):
    """Raised when libespeak-ng or its data cannot be loaded, or a voice does not exist."""


@functools.cache
def _library() -> ctypes.CDLL:
    try:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path()
    except (ImportError, OSError, RuntimeError) as exc:
        raise EspeakUnavailableError(f"espeak-ng is not available: {exc}") from None
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), INIT_OPTIONS)
    if rate <= 0:
        raise EspeakUnavailableError(f"espeak-ng did not initialise with the data in {data}")
    _RATE.append(int(rate))
    return lib


def library() -> ctypes.CDLL:
    """The process's espeak-ng, initialised once (:data:`INIT_OPTIONS`); use it holding :data:`LOCK`."""
    with LOCK:
        return _library()


def sample_rate_hz() -> int:
    """The rate espeak-ng synthesises at (initialising it if needed)."""
    library()
    return _RATE[0]


def phonemes(word: str, language: str) -> list[str]:
    """espeak-ng's IPA phonemes of ``word`` in ``language`` (e.g. ``de``), one string per clause.

    Each string lists phonemes separated by :data:`SEPARATOR`; stress marks precede the stressed vowel.
    Raises :class:`EspeakUnavailableError` when espeak-ng has no voice for ``language``.
    """
    lib = _library()
    mode = _PHONEMES_IPA | (ord(SEPARATOR) << 8)
    with _LOCK:
        if lib.espeak_SetVoiceByName(language.encode()) != 0:
            raise EspeakUnavailableError(f"espeak-ng has no voice for language '{language}'")
        buf = ctypes.c_char_p(word.encode("utf-8"))
        ptr = ctypes.pointer(buf)
        out: list[str] = []
        while ptr.contents.value:
            result = lib.espeak_TextToPhonemes(ptr, _CHARS_UTF8, mode)
            if result:
                out.append(result.decode("utf-8", errors="replace"))
        return out
