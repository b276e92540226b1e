"""The words model voice: the phrase's words, sung on its two notes to its beats (issue 13).

Responsible for turning a phrase's text and syllables plus the note grid of :mod:`stimulus` into sung
audio and the syllable timing the lanes light up by. Steps:

1. **Speak.** espeak-ng (:mod:`espeak`) speaks the text plainly; its phone events give every phone's start.
2. **Syllables.** Each phrase syllable is matched to the words by its letters; within a word the espeak
   vowels (nuclei) are matched to the word's syllables (extra nuclei merged, the longest one split when
   too few); between two nuclei one consonant goes to the next syllable, more are split after the first.
   A :class:`SourceSyllable` is (start, vowel start, vowel end, end) in the spoken audio.
3. **Analyse** the spoken audio with WORLD (``pyworld``: dio + stonemask, cheaptrick, d4c) once per
   (text, voice), kept in a small cache.
4. **Re-time.** The vowel of syllable *i* starts on beat *i* (where the tap click sounds); its onset
   consonants come just before the beat, its coda consonants just before the next syllable's onset (the
   last syllable's voiced part before the last beat's end, the rest after it; the last vowel gives up
   what the first onset's voiced part took before the first beat), all at natural length
   (shortened only when they would take more than half a syllable); the vowel fills the rest, its first
   30 ms and its offglide (last 30 %, at most 80 ms) kept natural and the middle stretched, held within
   3 dB of its loudest frame. Pauses espeak put between words are dropped, so voicing runs on (legato)
   wherever the consonants are voiced.
5. **Re-pitch.** ``intone``: each syllable's note, a raised-cosine glide (80-150 ms, in log frequency)
   centred in the consonants between two notes, and a 5 Hz vibrato of +-25 cents that starts 250 ms into
   a vowel. ``sprechgesang``: speech-like shapes around the notes (H rises to and falls from the high note,
   L drifts down, the phrase declines), no vibrato. Then WORLD resynthesises: F0 replaced, spectral
   envelope and aperiodicity kept.

Voices are named (:data:`WORD_VOICES`: ``male``, ``female``); a voice is an espeak-ng voice variant plus an
optional spectral-envelope frequency warp. Hum stays with the closed-mouth formant voice (:mod:`voice`).
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr

from mit_trainer.analysis.espeak import Speech, speak

FRAME_PERIOD_S = 0.005  # WORLD frame period, analysis and synthesis
_TRANSITION_S = 0.03  # natural-length vowel onset
_OFFGLIDE_SHARE = 0.3  # the vowel's last part (a diphthong's glide, the formant transition) kept natural
_OFFGLIDE_MAX_S = 0.08
_MIN_VOWEL_SHARE = 0.5  # consonants are shortened if they would take more than half a syllable's span
_VIBRATO_RATE_HZ = 5.0
_VIBRATO_DELAY_S = 0.25
_VIBRATO_RAMP_S = 0.2
_PEAK = 0.5
_ANALYSIS_CACHE_SIZE = 48


@dataclass(frozen=True)
class WordVoice:
    """A named model voice that sings words: an espeak-ng variant and a spectral-envelope warp."""

    name: str
    label: str
    variant: str  # appended to the language's espeak voice, e.g. "+f3"
    female: bool
    envelope_warp: float = 1.0  # > 1 moves the formants up (shorter vocal tract)

    def espeak_voice(self, language: str) -> str:
        base = _LANGUAGE_VOICES.get(language.lower(), language.lower())
        return base + self.variant


#: The word voices, by the name the settings and the CLI use.
WORD_VOICES: dict[str, WordVoice] = {
    "male": WordVoice("male", "Male, sung words", "", female=False),
    "female": WordVoice("female", "Female, sung words", "+f3", female=True),
}
_LANGUAGE_VOICES = {"en": "en-us"}


def word_voice(name: str) -> WordVoice:
    """The word voice called ``name``; ``ValueError`` naming the known voices otherwise."""
    try:
        return WORD_VOICES[name]
    except (KeyError, TypeError):
        known = ", ".join(WORD_VOICES)
        raise ValueError(f"unknown voice {name!r}; use one of: {known}") from None


@dataclass(frozen=True)
class SourceSyllable:
    """Where one phrase syllable lies in the spoken audio (s): first phone, vowel, last phone."""

    start_s: float
    vowel_start_s: float
    vowel_end_s: float
    end_s: float


@dataclass(frozen=True)
class SungSyllable:
    """Where one syllable lies in the sung model (s from the model's start): onset consonants from
    ``onset_s``, the vowel from ``vowel_s`` (on the beat) to ``vowel_end_s``, coda until ``offset_s``."""

    onset_s: float
    vowel_s: float
    vowel_end_s: float
    offset_s: float


@dataclass(frozen=True, eq=False)
class SungWords:
    """The sung model at the output rate and its timing. ``f0_hz`` is the intended pitch (no vibrato)
    every ``FRAME_PERIOD_S`` from 0, NaN where the model is unvoiced or silent."""

    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    syllables: tuple[SungSyllable, ...]
    f0_hz: npt.NDArray[np.float64]
    frame_period_s: float = FRAME_PERIOD_S


@dataclass(frozen=True, eq=False)
class SpokenAnalysis:
    """espeak-ng's speech of a text, its phrase syllables, and its WORLD analysis every
    ``FRAME_PERIOD_S`` (voicing, spectral envelope ``sp`` and aperiodicity ``ap``, frames x bins)."""

    speech: Speech
    syllables: tuple[SourceSyllable, ...]
    voiced: npt.NDArray[np.bool_]
    sp: npt.NDArray[np.float32]
    ap: npt.NDArray[np.float32]


def _letters(s: str) -> str:
    return re.sub(r"[^a-z]", "", s.lower())


def spoken_text(text: str) -> str:
    """The text espeak-ng is given: punctuation dropped (it would insert pauses), apostrophes kept."""
    cleaned = re.sub(r"[^\w'\s]|_", " ", text)
    return " ".join(cleaned.split())


def _word_groups(words: Sequence[str], syllables: Sequence[str]) -> list[tuple[list[int], int]]:
    """(word indices, number of phrase syllables) per group: one group per word when the syllables spell
    the words letter for letter, else one group for the whole phrase."""
    wl = [_letters(w) for w in words]
    sl = [_letters(s) for s in syllables]
    groups: list[tuple[list[int], int]] = []
    k = 0
    for wi, w in enumerate(wl):
        acc, count = "", 0
        while k < len(sl) and len(acc) < len(w):
            acc += sl[k]
            k += 1
            count += 1
        if acc != w or count == 0:
            return [(list(range(len(words))), len(syllables))]
        groups.append(([wi], count))
    if k != len(sl):
        return [(list(range(len(words))), len(syllables))]
    return groups


def _nuclei(phones: Sequence[Any], m: int) -> list[tuple[float, float]]:
    """``m`` nucleus spans (start_s, end_s) among a word's ``phones``: merge the closest extra nuclei,
    split the longest when there are too few."""
    spans = [(p.start_s, p.end_s) for p in phones if p.is_vowel]
    if not spans:  # no vowel letter (e.g. "hmm"): the longest phone carries the syllable
        longest = max(phones, key=lambda p: p.duration_s)
        spans = [(longest.start_s, longest.end_s)]
    while len(spans) > m:
        j = min(range(len(spans) - 1), key=lambda i: spans[i + 1][1] - spans[i][0])
        spans[j : j + 2] = [(spans[j][0], spans[j + 1][1])]
    while len(spans) < m:
        j = max(range(len(spans)), key=lambda i: spans[i][1] - spans[i][0])
        a, b = spans[j]
        mid = 0.5 * (a + b)
        spans[j : j + 1] = [(a, mid), (mid, b)]
    return spans


def source_syllables(speech: Speech, syllables: Sequence[str]) -> tuple[SourceSyllable, ...]:
    """Map the spoken phones to the phrase's syllables (module docstring, step 2)."""
    if not syllables:
        raise ValueError("a phrase needs at least one syllable")
    by_word: dict[int, list[Any]] = {}
    for p in speech.phones:
        if not p.is_pause and p.word_index >= 0:
            by_word.setdefault(p.word_index, []).append(p)
    if not by_word:
        raise ValueError("espeak-ng produced no phones for this text")
    words = speech.words if len(speech.words) == max(by_word) + 1 else tuple(f"w{i}" for i in by_word)
    out: list[SourceSyllable] = []
    for word_ids, m in _word_groups(words, syllables):
        phones = [p for w in word_ids for p in by_word.get(w, [])]
        if not phones:
            raise ValueError(f"espeak-ng said nothing for {' '.join(words[w] for w in word_ids)!r}")
        nuclei = _nuclei(phones, m)
        starts = [phones[0].start_s]
        for (_, v1), (v0, _) in itertools.pairwise(nuclei):
            cons = [p for p in phones if p.start_s >= v1 - 1e-9 and p.end_s <= v0 + 1e-9 and not p.is_vowel]
            starts.append(cons[1].start_s if len(cons) >= 2 else v1)
        ends = [*starts[1:], phones[-1].end_s]
        out.extend(SourceSyllable(s, v0, v1, e) for s, (v0, v1), e in zip(starts, nuclei, ends, strict=True))
    return tuple(out)


_CACHE: OrderedDict[tuple[str, str, tuple[str, ...], float], SpokenAnalysis] = OrderedDict()
_CACHE_LOCK = threading.Lock()
#: Sung voices by every argument of :func:`sing`: the steps of one item share a voice (taps and fade are
#: added afterwards by the stimulus renderer), so a session sings each phrase once per mode.
_SUNG: OrderedDict[tuple[Any, ...], SungWords] = OrderedDict()
_SUNG_CACHE_SIZE = 12


def _pyworld() -> Any:
    with warnings.catch_warnings():  # pyworld 0.3 imports pkg_resources, which warns that it is deprecated
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import pyworld

    return pyworld


def analyse(text: str, syllables: Sequence[str], voice: WordVoice, *, language: str = "en") -> SpokenAnalysis:
    """espeak-ng speech of ``text`` analysed by WORLD, with its syllables (cached per text and voice)."""
    key = (spoken_text(text), voice.espeak_voice(language), tuple(syllables), voice.envelope_warp)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    speech = speak(key[0], voice=key[1])
    sylls = source_syllables(speech, syllables)
    pw = _pyworld()
    x = speech.samples.astype(np.float64)
    fs = speech.sample_rate_hz
    f0, t = pw.dio(x, fs, f0_floor=50.0, f0_ceil=500.0, frame_period=FRAME_PERIOD_S * 1000)
    f0 = _voice_the_vowels(pw.stonemask(x, f0, t, fs), sylls)
    sp = pw.cheaptrick(x, f0, t, fs)
    # Aperiodicity every second frame (d4c is the slowest step; it changes slowly), interpolated back.
    ap_half = pw.d4c(x, np.ascontiguousarray(f0[::2]), np.ascontiguousarray(t[::2]), fs)
    padded = np.concatenate((ap_half, ap_half[-1:]))  # the last odd frame has no even one after it
    ap = np.empty((f0.shape[0], ap_half.shape[1]))
    ap[::2] = ap_half
    ap[1::2] = 0.5 * (padded[: f0.shape[0] // 2] + padded[1 : f0.shape[0] // 2 + 1])
    if voice.envelope_warp != 1.0:
        sp = _warp(sp, voice.envelope_warp)
    result = SpokenAnalysis(speech, sylls, f0 > 0, sp.astype(np.float32), ap.astype(np.float32))
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _ANALYSIS_CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _voice_the_vowels(
    f0: npt.NDArray[np.float64], sylls: Sequence[SourceSyllable]
) -> npt.NDArray[np.float64]:
    """``f0`` with every vowel frame voiced: dio sometimes misses the first vowel of an utterance (seen on
    espeak-ng's "I" at time 0), and WORLD would then analyse it as noise. Gaps are interpolated from the
    voiced frames (120 Hz when there are none)."""
    out = f0.copy()
    frames = np.arange(out.shape[0])
    vowel = np.zeros(out.shape[0], dtype=bool)
    for s in sylls:
        vowel[round(s.vowel_start_s / FRAME_PERIOD_S) : round(s.vowel_end_s / FRAME_PERIOD_S) + 1] = True
    gaps = vowel & (out <= 0)
    if gaps.any():
        ok = out > 0
        out[gaps] = np.interp(frames[gaps], frames[ok], out[ok]) if ok.any() else 120.0
    return out


def _warp(sp: npt.NDArray[np.float64], factor: float) -> npt.NDArray[np.float64]:
    """Scale the spectral envelope's frequency axis by ``factor`` (linear interpolation between bins)."""
    bins = sp.shape[1]
    src = np.clip(np.arange(bins) / factor, 0, bins - 1)
    lo = np.floor(src).astype(np.intp)
    hi = np.minimum(lo + 1, bins - 1)
    frac = src - lo
    return np.asarray(sp[:, lo] * (1.0 - frac) + sp[:, hi] * frac)


def sung_timing(
    source: Sequence[SourceSyllable],
    beats_s: Sequence[float],
    *,
    lead_in_s: float,
    tail_s: float,
    final_voiced_s: float | None = None,
    first_voiced_s: float = 0.0,
) -> tuple[SungSyllable, ...]:
    """Destination timing (module docstring, step 4). ``beats_s`` are the k+1 grid bounds: vowel *i*
    starts at ``beats_s[i]``; the first syllable's onset consonants precede the first beat (in the lead-in).
    The last syllable's coda straddles the end of the last beat: its first ``final_voiced_s`` (its voiced
    part, e.g. the "l" of "help") before it, the rest (the "p") after, so that voicing ends with the last
    beat; None puts half of the coda on each side. ``first_voiced_s``, the voiced end of the first onset
    (the "m" of "my"), which sounds before the first beat, is taken off the end of the last vowel: the
    voiced span then lasts exactly the asked beats."""
    k = len(source)
    if len(beats_s) != k + 1:
        raise ValueError("beats_s needs one bound more than there are syllables")
    d_on = [s.vowel_start_s - s.start_s for s in source]
    d_co = [s.end_s - s.vowel_end_s for s in source]
    d_on[0] = min(d_on[0], 0.9 * lead_in_s)
    d_co[-1] = min(d_co[-1], 1.8 * tail_s)
    for i in range(k - 1):  # consonants inside span i: coda i and the next onset
        span = beats_s[i + 1] - beats_s[i]
        cons = d_co[i] + d_on[i + 1]
        if cons > _MIN_VOWEL_SHARE * span > 0:
            f = _MIN_VOWEL_SHARE * span / cons
            d_co[i] *= f
            d_on[i + 1] *= f
    out = []
    for i in range(k):
        if i + 1 < k:
            v1 = beats_s[i + 1] - d_co[i] - d_on[i + 1]
        else:
            inside = 0.5 * d_co[i] if final_voiced_s is None else min(max(final_voiced_s, 0.0), d_co[i])
            early = min(max(first_voiced_s, 0.0), d_on[0], 0.25 * (beats_s[k] - beats_s[k - 1]))
            v1 = beats_s[k] - inside - early
        out.append(SungSyllable(beats_s[i] - d_on[i], beats_s[i], v1, v1 + d_co[i]))
    return tuple(out)


def _segments(
    src: Sequence[SourceSyllable], dst: Sequence[SungSyllable]
) -> list[tuple[float, float, float, float, int]]:
    """Piecewise-linear time map: (dst start, dst end, src start, src end, kind), kind 0 for consonants,
    1 for a vowel's natural-length onset and offglide, 2 for its stretched middle."""
    segs = []
    for s, d in zip(src, dst, strict=True):
        segs.append((d.onset_s, d.vowel_s, s.start_s, s.vowel_start_s, 0))
        sv, dv = s.vowel_end_s - s.vowel_start_s, d.vowel_end_s - d.vowel_s
        tr = min(_TRANSITION_S, 0.3 * sv, 0.3 * dv)
        off = min(_OFFGLIDE_MAX_S, _OFFGLIDE_SHARE * sv, 0.3 * dv)
        segs.append((d.vowel_s, d.vowel_s + tr, s.vowel_start_s, s.vowel_start_s + tr, 1))
        segs.append((d.vowel_s + tr, d.vowel_end_s - off, s.vowel_start_s + tr, s.vowel_end_s - off, 2))
        segs.append((d.vowel_end_s - off, d.vowel_end_s, s.vowel_end_s - off, s.vowel_end_s, 1))
        segs.append((d.vowel_end_s, d.offset_s, s.vowel_end_s, s.end_s, 0))
    return [g for g in segs if g[1] > g[0]]


def _held_gain(
    sp: npt.NDArray[np.float32], src_a: float, src_b: float, pos: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], int]:
    """Power gain that keeps a stretched vowel within 3 dB of its loudest frame, and that frame's index:
    espeak-ng lets a phrase's last vowel die away (and turn breathy), which, stretched to a beat or two,
    would fade out of voicing. The caller also caps the aperiodicity at the loudest frame's."""
    a = max(0, int(src_a / FRAME_PERIOD_S))
    b = min(sp.shape[0], math.ceil(src_b / FRAME_PERIOD_S) + 1)
    energy = sp[a:b].sum(axis=1, dtype=np.float64)
    if energy.size == 0:
        return np.ones(pos.shape[0]), int(np.rint(pos[0])) if pos.size else 0
    here = sp[np.rint(pos).astype(np.intp)].sum(axis=1, dtype=np.float64)
    gain = np.clip(0.5 * float(energy.max()) / np.maximum(here, 1e-30), 1.0, 100.0)
    return np.asarray(gain), a + int(np.argmax(energy))


def _raised_cosine(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0)))


def _note_cents(
    t: npt.NDArray[np.float64],
    dst: Sequence[SungSyllable],
    cents: Sequence[float],
    mode: str,
    beats_s: Sequence[float],
) -> npt.NDArray[np.float64]:
    """Intended pitch (cents above the low note) at times ``t``: notes with glides, or speech-song shapes."""
    out = np.full(t.shape[0], float(cents[0]))
    if mode == "sprechgesang":
        k = len(dst)
        idx = np.clip(np.searchsorted(np.asarray(beats_s), t, side="right") - 1, 0, k - 1)
        b = np.asarray(beats_s)
        rel = np.clip((t - b[idx]) / (b[idx + 1] - b[idx]), -1.0, 2.0)
        is_h = np.asarray(cents)[idx] > min(cents)
        h_shape = np.interp(rel, [0.0, 0.35, 1.0], [-120.0, 40.0, -160.0])
        l_shape = np.interp(rel, [0.0, 1.0], [30.0, -70.0])
        raw = np.asarray(cents)[idx] + np.where(is_h, h_shape, l_shape)
        width = max(1, round(0.04 / FRAME_PERIOD_S))
        smooth = np.convolve(np.pad(raw, width, mode="edge"), np.ones(width) / width, mode="same")[
            width:-width
        ]
        span = max(b[-1] - b[0], 1e-3)
        return np.asarray(smooth - 150.0 * np.clip((t - b[0]) / span, 0.0, 1.0))
    for i in range(1, len(dst)):
        gap_a, gap_b = dst[i - 1].vowel_end_s, dst[i].vowel_s
        centre = 0.5 * (gap_a + gap_b)
        glide = min(0.15, max(0.08, gap_b - gap_a + 0.04))
        step = _raised_cosine((t - (centre - glide / 2)) / glide)
        out += (cents[i] - cents[i - 1]) * step
    return out


def _vibrato_weight(t: npt.NDArray[np.float64], dst: Sequence[SungSyllable]) -> npt.NDArray[np.float64]:
    w = np.zeros(t.shape[0])
    for d in dst:
        length = d.vowel_end_s - d.vowel_s
        delay = min(_VIBRATO_DELAY_S, 0.3 * length)
        ramp = max(1e-3, min(_VIBRATO_RAMP_S, 0.3 * length))
        up = np.clip((t - d.vowel_s - delay) / ramp, 0.0, 1.0)
        down = np.clip((d.vowel_end_s - 0.05 - t) / 0.05, 0.0, 1.0)
        inside = (t >= d.vowel_s) & (t < d.vowel_end_s)
        w[inside] = (up * down)[inside]
    return w


def sing(
    text: str,
    syllables: Sequence[str],
    *,
    notes_hz: Sequence[float],
    beats_s: Sequence[float],
    n_samples: int,
    sample_rate_hz: int,
    voice: WordVoice,
    mode: str = "intone",
    lead_in_s: float,
    tail_s: float,
    vibrato_cents: float = 25.0,
    language: str = "en",
    seed: int = 0,
) -> SungWords:
    """Sing ``text`` (module docstring): one note per syllable, vowel *i* starting at ``beats_s[i]``.

    ``beats_s`` has one bound more than ``syllables`` (the last is where the phrase ends); ``n_samples``
    at ``sample_rate_hz`` is the length of the result. Same arguments, same samples (and, from a small
    cache, the same object).
    """
    notes, beats = tuple(float(f) for f in notes_hz), tuple(float(b) for b in beats_s)
    key = (
        text, tuple(syllables), notes, beats, n_samples, sample_rate_hz, voice, mode,
        float(lead_in_s), float(tail_s), float(vibrato_cents), language, seed,
    )  # fmt: skip
    with _CACHE_LOCK:
        hit = _SUNG.get(key)
        if hit is not None:
            _SUNG.move_to_end(key)
            return hit
    sung = _sing(
        text, syllables, notes_hz=notes, beats_s=beats, n_samples=n_samples,
        sample_rate_hz=sample_rate_hz, voice=voice, mode=mode, lead_in_s=lead_in_s, tail_s=tail_s,
        vibrato_cents=vibrato_cents, language=language, seed=seed,
    )  # fmt: skip
    with _CACHE_LOCK:
        _SUNG[key] = sung
        while len(_SUNG) > _SUNG_CACHE_SIZE:
            _SUNG.popitem(last=False)
    return sung


def _sing(
    text: str,
    syllables: Sequence[str],
    *,
    notes_hz: Sequence[float],
    beats_s: Sequence[float],
    n_samples: int,
    sample_rate_hz: int,
    voice: WordVoice,
    mode: str = "intone",
    lead_in_s: float,
    tail_s: float,
    vibrato_cents: float = 25.0,
    language: str = "en",
    seed: int = 0,
) -> SungWords:
    """:func:`sing` without its cache."""
    if mode not in ("intone", "sprechgesang"):
        raise ValueError(f"the words voice sings intone or sprechgesang; got {mode!r}")
    if len(notes_hz) != len(syllables):
        raise ValueError("notes_hz needs one note per syllable")
    ana = analyse(text, syllables, voice, language=language)
    last = ana.syllables[-1]
    coda = ana.voiced[round(last.vowel_end_s / FRAME_PERIOD_S) : round(last.end_s / FRAME_PERIOD_S)]
    final_voiced_s = float(np.flatnonzero(coda)[-1] + 1) * FRAME_PERIOD_S if coda.any() else 0.0
    first = ana.syllables[0]
    onset = ana.voiced[round(first.start_s / FRAME_PERIOD_S) : round(first.vowel_start_s / FRAME_PERIOD_S)]
    unvoiced = np.flatnonzero(~onset)
    first_voiced_s = (onset.shape[0] - (unvoiced[-1] + 1 if unvoiced.size else 0)) * FRAME_PERIOD_S
    dst = sung_timing(
        ana.syllables,
        beats_s,
        lead_in_s=lead_in_s,
        tail_s=tail_s,
        final_voiced_s=final_voiced_s,
        first_voiced_s=first_voiced_s,
    )
    fs = ana.speech.sample_rate_hz
    total_s = n_samples / sample_rate_hz
    n_frames = math.ceil(total_s / FRAME_PERIOD_S) + 1
    t = np.arange(n_frames, dtype=np.float64) * FRAME_PERIOD_S
    src_t = np.full(n_frames, np.nan)
    in_vowel = np.zeros(n_frames, dtype=bool)
    held: list[tuple[npt.NDArray[np.bool_], float, float]] = []
    for da, db, sa, sb, kind in _segments(ana.syllables, dst):
        m = (t >= da) & (t < db)
        src_t[m] = sa + (t[m] - da) * ((sb - sa) / (db - da))
        if kind:
            in_vowel |= m
        if kind == 2:
            held.append((m, sa, sb))
    sounding = np.isfinite(src_t)
    pos = np.clip(np.where(sounding, src_t, 0.0) / FRAME_PERIOD_S, 0, ana.sp.shape[0] - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, ana.sp.shape[0] - 1)
    frac = (pos - lo)[:, None]
    sp = ana.sp[lo] * (1.0 - frac) + ana.sp[hi] * frac
    ap = ana.ap[lo] * (1.0 - frac) + ana.ap[hi] * frac
    for m, sa, sb in held:
        gain, ref = _held_gain(ana.sp, sa, sb, pos[m])
        sp[m] *= gain[:, None].astype(np.float32)
        ap[m] = np.minimum(ap[m], ana.ap[ref])
    voiced = sounding & (in_vowel | ana.voiced[np.rint(pos).astype(np.intp)])
    low = float(min(notes_hz))
    cents = [1200.0 * math.log2(f / low) for f in notes_hz]
    intended = low * np.exp2(_note_cents(t, dst, cents, mode, beats_s) / 1200.0)
    f0 = intended.copy()
    if mode == "intone" and vibrato_cents > 0:
        phase = np.random.default_rng([seed, 0x574F]).uniform(0.0, 2.0 * np.pi)
        vib = vibrato_cents * np.sin(2.0 * np.pi * _VIBRATO_RATE_HZ * t + phase) * _vibrato_weight(t, dst)
        f0 = f0 * np.exp2(vib / 1200.0)
    f0 = np.where(voiced, f0, 0.0)
    # Synthesise only the frames from just before the first onset to just after the last offset.
    f_a = max(0, int((dst[0].onset_s - 0.05) / FRAME_PERIOD_S))
    f_b = min(n_frames, math.ceil((dst[-1].offset_s + 0.08) / FRAME_PERIOD_S) + 1)
    pw = _pyworld()
    part = pw.synthesize(
        np.ascontiguousarray(f0[f_a:f_b]),
        np.ascontiguousarray(sp[f_a:f_b], dtype=np.float64),
        np.ascontiguousarray(ap[f_a:f_b], dtype=np.float64),
        fs,
        FRAME_PERIOD_S * 1000,
    )
    n_fs = round(total_s * fs)
    y = np.zeros(n_fs)
    at = round(f_a * FRAME_PERIOD_S * fs)
    k = max(0, min(part.shape[0], n_fs - at))
    y[at : at + k] = part[:k]
    y *= _gate(n_fs, fs, dst[0].onset_s, dst[-1].offset_s)
    out = soxr.resample(y, fs, sample_rate_hz) if fs != sample_rate_hz else y
    out = np.concatenate((out, np.zeros(max(0, n_samples - out.shape[0]))))[:n_samples]
    top = float(np.max(np.abs(out), initial=0.0))
    if top > 0:
        out *= _PEAK / top
    samples = out.astype(np.float32)
    contour = np.where(voiced, intended, np.nan)
    samples.setflags(write=False)
    contour.setflags(write=False)
    return SungWords(samples, sample_rate_hz, dst, contour)


def _gate(n: int, sr: int, start_s: float, stop_s: float) -> npt.NDArray[np.float64]:
    """1 from ``start_s`` to ``stop_s`` with 10 ms (start) and 30 ms (end) raised-cosine ramps, else 0."""
    t = np.arange(n) / sr
    up = _raised_cosine((t - (start_s - 0.01)) / 0.01)
    down = 1.0 - _raised_cosine((t - stop_s) / 0.03)
    return np.asarray(up * down)
