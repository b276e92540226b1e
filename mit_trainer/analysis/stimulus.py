"""The intoned model of a phrase: what the patient hears, sings along with and repeats (PROTOCOL.md §1, §3).

Responsible for turning a :class:`~mit_trainer.core.records.Phrase` plus the stimulus settings (low note,
interval, tempo, mode, taps, fade, accent) into a :class:`Stimulus`: mono float32 samples and the exact
onset, offset and note of every syllable and every tap. Pure functions, no I/O except :func:`write_wav`.

Timing: one beat lasts ``60 / tempo_bpm`` s; syllable *i* lasts ``beats[i]`` beats (times
``stress_lengthening`` for H syllables, the TMR accent). Onsets are whole samples at the output rate, so
``onset_s * sample_rate_hz`` is an integer and the tap clicks start exactly there. H syllables are sung at
``low_hz * 2 ** (interval_semitones / 12)``, L syllables at ``low_hz``.

Modes: ``intone`` (vowel timbre per syllable from its spelling, legato: voicing never stops between the first
onset and the last offset, pitch steps glide over ~60 ms around each boundary, a short amplitude dip marks
each new syllable, light vibrato once a note settles), ``hum`` (the same melody with the closed-mouth ``m``
timbre) and ``sprechgesang`` (rhythm and stress kept; H syllables rise to and fall from the high note, L
syllables drift down, the whole phrase declines; no vibrato). The voice is :mod:`voice` rendered at half the
output rate above 32 kHz (the formants stay below 5.5 kHz) and resampled with soxr: about 1.6x faster than
synthesising at 44.1 kHz (``benchmarks/bench_stimulus.py`` compares both).
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from mit_trainer.analysis.sung_words import WORD_VOICES, WordVoice, sing, word_voice
from mit_trainer.analysis.voice import VoiceParams, synthesize_voice
from mit_trainer.core.records import Phrase

Mode = Literal["hum", "intone", "sprechgesang"]
TapMode = Literal["mix", "separate", "none"]
MODES: tuple[str, ...] = ("hum", "intone", "sprechgesang")
TAP_MODES: tuple[str, ...] = ("mix", "separate", "none")

#: Default vibrato peak depth (cents) per mode when ``vibrato_cents`` is not given.
#: Names of the voices that sing the words (``render_stimulus(voice=NAME)``).
VOICE_NAMES: tuple[str, ...] = tuple(WORD_VOICES)
MODE_VIBRATO_CENTS: dict[str, float] = {"intone": 25.0, "hum": 15.0, "sprechgesang": 0.0}
_GLIDE_S = 0.06  # pitch-step duration between sung syllables
_VOICE_PEAK = 0.5
_TAP_PEAK = 0.35
_CONTOUR_HOP_S = 0.01


@dataclass(frozen=True)
class StimulusSyllable:
    """One syllable of the model: its target tone, its sung span and its note (Hz)."""

    index: int
    text: str
    target: str  # "H" or "L"
    onset_s: float
    offset_s: float
    f0_hz: float
    vowel_onset_s: float | None = None  # the beat: where the vowel starts (= onset_s without words)

    @property
    def beat_s(self) -> float:
        """Where the syllable's beat (tap, vowel onset) falls."""
        return self.onset_s if self.vowel_onset_s is None else self.vowel_onset_s


@dataclass(frozen=True, eq=False)
class Stimulus:
    """A rendered model. ``samples`` is voice plus taps when the taps were mixed in; with ``"separate"``
    taps the click track is in ``taps``. ``tap_times_s`` are the syllable onsets (where the patient taps)
    whatever the tap mode. ``contour_f0_hz`` is the intended pitch (no vibrato) every ``contour_hop_s``
    from time 0, NaN where the model is silent. Arrays are read-only."""

    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    syllables: tuple[StimulusSyllable, ...]
    tap_times_s: tuple[float, ...]
    taps: npt.NDArray[np.float32] | None
    mode: str
    low_hz: float
    interval_semitones: float
    tempo_bpm: float
    fade: tuple[float, float] | None
    phrase_id: str = ""
    tap_mode: str = "none"
    stress_lengthening: float = 1.0
    contour_f0_hz: npt.NDArray[np.float64] | None = None
    contour_hop_s: float = _CONTOUR_HOP_S
    voice_name: str = ""  # the word voice's name, "" for the formant (vowel) voice

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / self.sample_rate_hz

    @property
    def voiced_span_s(self) -> tuple[float, float]:
        """First syllable onset and last syllable offset (s)."""
        return self.syllables[0].onset_s, self.syllables[-1].offset_s

    @property
    def high_hz(self) -> float:
        return self.low_hz * 2.0 ** (self.interval_semitones / 12.0)


def render_stimulus(
    phrase: Phrase,
    *,
    sample_rate_hz: int,
    low_hz: float,
    interval_semitones: float = 3.0,
    tempo_bpm: float = 60.0,
    mode: Mode = "intone",
    taps: TapMode | bool = "none",
    fade: tuple[float, float] | None = None,
    stress_lengthening: float = 1.0,
    voice: VoiceParams | str | None = None,
    vibrato_cents: float | None = None,
    lead_in_s: float = 0.3,
    tail_s: float = 0.3,
    seed: int = 0,
    voice_rate_hz: int | None = None,
    language: str = "en",
) -> Stimulus:
    """Render the model of ``phrase``; see the module docstring for timing and modes.

    ``fade`` = (start, end) as fractions of the voiced span: full level before start, a raised-cosine fade to
    silence at end ("unison with fading"); it affects the voice, never the taps. ``voice`` defaults to
    ``VoiceParams.male()`` for a low note under 160 Hz and ``VoiceParams.female()`` otherwise;
    ``vibrato_cents`` (peak) defaults to :data:`MODE_VIBRATO_CENTS`. Same arguments, same samples.
    A voice *name* (:data:`VOICE_NAMES`: ``"male"``, ``"female"``) sings the words (:mod:`sung_words`:
    espeak-ng and WORLD) in ``intone`` and ``sprechgesang``; each syllable's ``onset_s`` is then its first
    consonant, ``vowel_onset_s`` its beat (where the tap sounds); ``hum`` uses the formant voice of the same
    sex. A ``VoiceParams`` or None selects the vowel-only formant voice. ``language`` picks the espeak-ng
    voice for the words (``"en"`` = ``en-us``). ``voice_rate_hz`` is the rate the formant voice is
    synthesised at before resampling to the output rate (default: half the output rate above 32 kHz, else
    the output rate). ``taps`` also accepts ``True`` (= ``"mix"``) and ``False`` (= ``"none"``). Raises
    ``ValueError`` naming the offending parameter (an unknown voice name included).
    """
    if isinstance(taps, bool):  # convenience: True = mixed in, False = none
        taps = "mix" if taps else "none"
    _validate(phrase, sample_rate_hz, low_hz, interval_semitones, tempo_bpm, mode, taps, fade)
    _check_range("stress_lengthening", stress_lengthening, 0.5, 3.0)
    _check_range("lead_in_s", lead_in_s, 0.0, 10.0)
    _check_range("tail_s", tail_s, 0.0, 10.0)
    if vibrato_cents is not None:
        _check_range("vibrato_cents", vibrato_cents, 0.0, 100.0)
    sr = int(sample_rate_hz)
    high_hz = low_hz * 2.0 ** (interval_semitones / 12.0)
    beat_s = 60.0 / tempo_bpm
    pattern = [t.upper() for t in phrase.pattern]
    dur_s = np.array(
        [
            b * beat_s * (stress_lengthening if t == "H" else 1.0)
            for b, t in zip(phrase.beats, pattern, strict=True)
        ]
    )
    lead = round(lead_in_s * sr)
    bounds = lead + np.round(np.concatenate(([0.0], np.cumsum(dur_s))) * sr).astype(np.int64)
    n = int(bounds[-1]) + round(tail_s * sr)
    if voice_rate_hz is None:  # the formant voice renders at half the rate above 32 kHz: keep n even
        n += n % 2 if sr > 32000 and sr % 2 == 0 else 0
    else:
        _check_range("voice_rate_hz", voice_rate_hz, 8000, sr)
    words = _words_voice(voice, mode)
    formant = voice if isinstance(voice, VoiceParams) else None
    if words is None and isinstance(voice, str):  # a word voice humming: its formant counterpart
        formant = VoiceParams.female() if word_voice(voice).female else VoiceParams.male()
    notes_hz = np.array([high_hz if t == "H" else low_hz for t in pattern])
    depth = MODE_VIBRATO_CENTS[mode] if vibrato_cents is None else vibrato_cents
    if words is not None:
        sung = sing(
            _sung_text(phrase),
            phrase.syllables,
            notes_hz=[float(f) for f in notes_hz],
            beats_s=[int(b) / sr for b in bounds],
            n_samples=n,
            sample_rate_hz=sr,
            voice=words,
            mode=mode,
            lead_in_s=lead_in_s,
            tail_s=tail_s,
            vibrato_cents=depth,
            language=language,
            seed=seed,
        )
        samples = np.array(sung.samples, dtype=np.float32)
        syllables = tuple(
            StimulusSyllable(
                i,
                phrase.syllables[i],
                pattern[i],
                d.onset_s,
                d.offset_s,
                float(notes_hz[i]),
                int(bounds[i]) / sr,
            )
            for i, d in enumerate(sung.syllables)
        )
        contour = np.full(math.ceil(n / sr / _CONTOUR_HOP_S), np.nan)
        step = round(_CONTOUR_HOP_S / sung.frame_period_s)
        take = sung.f0_hz[::step][: contour.shape[0]]
        contour[: take.shape[0]] = take
    else:
        samples, syllables, contour = _render_formant_voice(
            phrase, pattern, bounds, n, sr, notes_hz, mode, formant, depth, seed, voice_rate_hz
        )
    if fade is not None:
        samples *= _fade_gain(n, sr, syllables[0].onset_s, syllables[-1].offset_s, fade)
    tap_track = None
    if taps == "mix":
        _add_clicks(samples, bounds[:-1], sr)
    elif taps == "separate":
        tap_track = _add_clicks(np.zeros(n, dtype=np.float32), bounds[:-1], sr)
    for arr in (samples, contour, tap_track):
        if arr is not None:
            arr.setflags(write=False)
    return Stimulus(
        samples=samples,
        sample_rate_hz=sr,
        syllables=syllables,
        tap_times_s=tuple(s.beat_s for s in syllables),
        taps=tap_track if taps == "separate" else None,
        mode=mode,
        low_hz=float(low_hz),
        interval_semitones=float(interval_semitones),
        tempo_bpm=float(tempo_bpm),
        fade=None if fade is None else (float(fade[0]), float(fade[1])),
        phrase_id=phrase.id,
        tap_mode=taps,
        stress_lengthening=float(stress_lengthening),
        contour_f0_hz=contour,
        voice_name="" if words is None else words.name,
    )


def _words_voice(voice: VoiceParams | str | None, mode: str) -> WordVoice | None:
    """The word voice to sing with: a voice name outside ``hum``; None for the formant voice."""
    if not isinstance(voice, str):
        return None
    wv = word_voice(voice)  # ValueError for an unknown name
    return None if mode == "hum" else wv


def _sung_text(phrase: Phrase) -> str:
    """The words to sing: the phrase's text, or its syllables when the text has no letters."""
    return phrase.text if re.search(r"[A-Za-z]", phrase.text or "") else " ".join(phrase.syllables)


def _render_formant_voice(
    phrase: Phrase,
    pattern: list[str],
    bounds: npt.NDArray[np.int64],
    n: int,
    sr: int,
    notes_hz: npt.NDArray[np.float64],
    mode: str,
    voice: VoiceParams | None,
    depth: float,
    seed: int,
    voice_rate_hz: int | None,
) -> tuple[npt.NDArray[np.float32], tuple[StimulusSyllable, ...], npt.NDArray[np.float64]]:
    """The vowel-only formant voice (hum, and the fallback without words): samples, syllables, contour."""
    # The voice, rendered at half the output rate above 32 kHz (n even, so the resampled length is n).
    sr_v = (sr // 2 if sr > 32000 and sr % 2 == 0 else sr) if voice_rate_hz is None else int(voice_rate_hz)
    syllables = tuple(
        StimulusSyllable(
            i,
            phrase.syllables[i],
            pattern[i],
            int(bounds[i]) / sr,
            int(bounds[i + 1]) / sr,
            float(notes_hz[i]),
            int(bounds[i]) / sr,
        )
        for i in range(len(pattern))
    )

    n_v = round(n * sr_v / sr)
    b_v = np.round(bounds * (sr_v / sr)).astype(np.int64)
    low_hz = float(notes_hz.min())
    params = voice if voice is not None else (VoiceParams.male() if low_hz < 160.0 else VoiceParams.female())
    params = params.replace(vibrato_depth_cents=depth)
    if mode == "sprechgesang":
        params = params.replace(jitter_percent=max(params.jitter_percent, 0.8))
    f0 = np.full(n_v, np.nan)
    f0[b_v[0] : b_v[-1]] = _contour_hz(mode, pattern, b_v, notes_hz, sr_v)
    env = _amplitude_envelope(mode, pattern, b_v, n_v, sr_v)
    weight = _vibrato_weight(b_v, n_v, sr_v)
    vowels = [
        (b_v[i] / sr_v, "m" if mode == "hum" else syllable_vowel(s)) for i, s in enumerate(phrase.syllables)
    ]
    rng = np.random.default_rng([seed, 0x4D4954])
    v = synthesize_voice(
        f0,
        sample_rate_hz=sr_v,
        vowels=vowels,
        params=params,
        amplitude=env,
        vibrato_weight=weight,
        peak=_VOICE_PEAK,
        rng=rng,
    )
    if sr_v != sr:
        v = soxr.resample(v, sr_v, sr, quality="LQ")
        if v.shape[0] != n:  # exact for the default 2:1 ratio; other rates may be a sample off
            v = np.concatenate((v, np.zeros(max(0, n - v.shape[0]), dtype=np.float32)))[:n]
    samples = np.require(v, dtype=np.float32, requirements=["C", "W"])
    contour = np.full(math.ceil(n / sr / _CONTOUR_HOP_S), np.nan)
    hop_idx = np.round(np.arange(contour.shape[0]) * _CONTOUR_HOP_S * sr_v).astype(np.int64)
    inside = (hop_idx >= b_v[0]) & (hop_idx < b_v[-1])
    contour[inside] = f0[hop_idx[inside]]
    return samples, syllables, contour


def _check_range(name: str, value: float, lo: float, hi: float) -> None:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (ok and math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}; got {value!r}")


def _validate(
    phrase: Phrase,
    sample_rate_hz: int,
    low_hz: float,
    interval_semitones: float,
    tempo_bpm: float,
    mode: str,
    taps: str,
    fade: tuple[float, float] | None,
) -> None:
    if not isinstance(sample_rate_hz, numbers.Integral) or not 8000 <= sample_rate_hz <= 192000:
        raise ValueError(f"sample_rate_hz must be an integer between 8000 and 192000; got {sample_rate_hz!r}")
    _check_range("low_hz", low_hz, 50.0, 1000.0)
    _check_range("interval_semitones", interval_semitones, 1.0, 12.0)
    _check_range("tempo_bpm", tempo_bpm, 20.0, 200.0)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if taps not in TAP_MODES:
        raise ValueError(f"taps must be one of {', '.join(TAP_MODES)}; got {taps!r}")
    if fade is not None:
        if len(fade) != 2:
            raise ValueError(f"fade must be (start, end) fractions; got {fade!r}")
        _check_range("fade start", fade[0], 0.0, 1.0)
        _check_range("fade end", fade[1], 0.0, 1.0)
        if fade[0] > fade[1]:
            raise ValueError(f"fade start must not be after fade end; got {fade!r}")
    k = len(phrase.syllables)
    if k == 0:
        raise ValueError(f"phrase {phrase.id!r} has no syllables")
    if len(phrase.pattern) != k or len(phrase.beats) != k:
        raise ValueError(f"phrase {phrase.id!r}: pattern and beats must have one entry per syllable")
    if any(t.upper() not in ("H", "L") for t in phrase.pattern):
        raise ValueError(f"phrase {phrase.id!r}: pattern values must be H or L")
    if any(not (b > 0 and math.isfinite(b)) for b in phrase.beats):
        raise ValueError(f"phrase {phrase.id!r}: beats must be positive")


def _raised_cosine(k: int) -> npt.NDArray[np.float64]:
    """k midpoint samples of a raised cosine rising from 0 to 1."""
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * (np.arange(k) + 0.5) / max(k, 1)))


def _glide_windows(
    levels: npt.NDArray[np.float64], b: npt.NDArray[np.int64], half: int
) -> list[tuple[int, int, int]]:
    """(syllable index, start, stop) relative to ``b[0]`` of a transition of up to ``2 * half`` samples
    centred on each inner boundary where the level changes (shortened to fit short syllables)."""
    out = []
    for i in range(1, len(levels)):
        k = int(min(half, (b[i] - b[i - 1]) // 2, (b[i + 1] - b[i]) // 2))
        if levels[i] != levels[i - 1] and k > 0:
            c = int(b[i] - b[0])
            out.append((i, c - k, c + k))
    return out


def _smooth_steps(
    levels: npt.NDArray[np.float64], b: npt.NDArray[np.int64], half: int
) -> npt.NDArray[np.float64]:
    """Piecewise-constant ``levels`` over ``b[i]..b[i+1]`` (relative to ``b[0]``) with raised-cosine steps."""
    out = np.repeat(levels, np.diff(b))
    for i, lo, hi in _glide_windows(levels, b, half):
        out[lo:hi] = levels[i - 1] + (levels[i] - levels[i - 1]) * _raised_cosine(hi - lo)
    return out


def _contour_hz(
    mode: str, pattern: list[str], b: npt.NDArray[np.int64], notes_hz: npt.NDArray[np.float64], sr: int
) -> npt.NDArray[np.float64]:
    """The intended f0 (Hz) of every voiced sample (``b[0]`` to ``b[-1]``): notes joined by glides
    (log-frequency raised cosines) when sung, speech-like shapes in ``sprechgesang``."""
    low_hz = float(notes_hz.min())
    note_cents = 1200.0 * np.log2(notes_hz / low_hz)
    if mode != "sprechgesang":
        out = np.repeat(notes_hz, np.diff(b))
        half = round(_GLIDE_S * sr / 2)
        for i, lo, hi in _glide_windows(note_cents, b, half):
            seg = note_cents[i - 1] + (note_cents[i] - note_cents[i - 1]) * _raised_cosine(hi - lo)
            out[lo:hi] = low_hz * np.exp2(seg / 1200.0)
        return out
    # Sprechgesang: shapes on a 1 ms control grid, smoothed, then interpolated to samples.
    span = int(b[-1] - b[0])
    hop = max(1, sr // 1000)
    grid = np.arange(0, span + hop, hop, dtype=np.float64)
    syl = np.clip(np.searchsorted(b - b[0], grid, side="right") - 1, 0, len(pattern) - 1)
    rel = (grid - (b[syl] - b[0])) / np.diff(b)[syl]
    is_h = np.array([t == "H" for t in pattern])[syl]
    # H: rise to a peak just above the high note early in the syllable, then fall; L: gentle downward drift.
    h_shape = np.interp(rel, [0.0, 0.35, 1.0], [-120.0, 40.0, -160.0])
    l_shape = np.interp(rel, [0.0, 1.0], [30.0, -70.0])
    cents = note_cents[syl] + np.where(is_h, h_shape, l_shape)
    width = max(1, round(0.04 * 1000))
    cents = _box(_box(cents, width), width) - 150.0 * grid / max(span, 1)  # plus declination
    return np.interp(np.arange(span, dtype=np.float64), grid, low_hz * np.exp2(cents / 1200.0))


def _box(x: npt.NDArray[np.float64], width: int) -> npt.NDArray[np.float64]:
    """Centred moving average of ``width`` samples, edges held (cumulative-sum form, O(n))."""
    half = width // 2
    c = np.cumsum(np.concatenate((np.full(half + 1, x[0]), x, np.full(width - half, x[-1]))))
    return np.asarray((c[width:] - c[:-width])[: x.shape[0]] / width)


def _amplitude_envelope(
    mode: str, pattern: list[str], b: npt.NDArray[np.int64], n: int, sr: int
) -> npt.NDArray[np.float32]:
    """Source amplitude: attack at the first onset, release at the last offset, a consonant-like dip at each
    inner boundary (voicing continues), and a small accent on H syllables."""
    env = np.zeros(n, dtype=np.float32)
    accent_db = {"intone": 1.5, "hum": 1.0, "sprechgesang": 3.0}[mode]
    gains = np.array([10 ** (accent_db / 20) if t == "H" else 1.0 for t in pattern])
    env[b[0] : b[-1]] = _smooth_steps(gains, b, round(0.03 * sr))
    depth, width_s = {"intone": (0.55, 0.07), "hum": (0.35, 0.06), "sprechgesang": (0.8, 0.09)}[mode]
    for i in range(1, len(pattern)):
        k = int(min(round(width_s * sr / 2), (b[i] - b[i - 1]) // 3, (b[i + 1] - b[i]) // 3))
        if k > 0:
            bump = 0.5 + 0.5 * np.cos(np.pi * (np.arange(-k, k) + 0.5) / k)
            env[b[i] - k : b[i] + k] *= 1.0 - depth * bump
    attack = int(min(round(0.04 * sr), (b[1] - b[0]) // 3))
    release = int(min(round(0.06 * sr), (b[-1] - b[-2]) // 3))
    if attack > 0:
        env[b[0] : b[0] + attack] *= np.sin(0.5 * np.pi * (np.arange(attack) + 0.5) / attack)
    if release > 0:
        env[b[-1] - release : b[-1]] *= np.cos(0.5 * np.pi * (np.arange(release) + 0.5) / release)
    return env


def _vibrato_weight(b: npt.NDArray[np.int64], n: int, sr: int) -> npt.NDArray[np.float32]:
    """0 while a note settles (first 150 ms, less in short syllables), then rising to 1 over 200 ms."""
    w = np.zeros(n, dtype=np.float32)
    for i in range(len(b) - 1):
        length = int(b[i + 1] - b[i])
        settle = min(0.15 * sr, 0.25 * length)
        ramp = max(1.0, min(0.2 * sr, 0.3 * length))
        w[b[i] : b[i + 1]] = np.clip((np.arange(length) - settle) / ramp, 0.0, 1.0)
    return w


def _fade_gain(
    n: int, sr: int, start_s: float, stop_s: float, fade: tuple[float, float]
) -> npt.NDArray[np.float32]:
    span = stop_s - start_s
    a = round((start_s + fade[0] * span) * sr)
    z = max(a + round(0.01 * sr), round((start_s + fade[1] * span) * sr))
    g = np.ones(n, dtype=np.float32)
    a, z = min(a, n), min(z, n)
    g[a:z] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(z - a) + 0.5) / max(z - a, 1))
    g[z:] = 0.0
    return g


def tap_click(*, sample_rate_hz: int) -> npt.NDArray[np.float32]:
    """A 40 ms woodblock-like click: damped partials that all start at their peak on sample 0."""
    t = np.arange(round(0.04 * sample_rate_hz)) / sample_rate_hz
    click = np.zeros_like(t)
    for f, tau, a in ((1150.0, 0.012, 1.0), (1950.0, 0.008, 0.6), (3100.0, 0.004, 0.35)):
        if f < 0.45 * sample_rate_hz:
            click += a * np.cos(2 * np.pi * f * t) * np.exp(-t / tau)
    return np.asarray(click * (_TAP_PEAK / np.max(np.abs(click))), dtype=np.float32)


def _add_clicks(
    track: npt.NDArray[np.float32], onsets: npt.NDArray[np.int64], sr: int
) -> npt.NDArray[np.float32]:
    """Add one tap click starting exactly at each onset sample (in place); returns ``track``."""
    click = tap_click(sample_rate_hz=sr)
    n = track.shape[0]
    for o in onsets:
        k = min(click.shape[0], n - int(o))
        track[o : o + k] += click[:k]
    return track


#: Frequent short words whose spelling misleads the rules below.
_WORD_VOWELS: dict[str, str] = {
    "i": "a", "a": "@", "the": "@", "to": "u", "do": "u", "who": "u", "you": "u", "of": "@", "was": "@",
    "what": "@", "one": "@", "some": "@", "come": "@", "done": "@", "love": "@", "are": "a", "have": "a",
    "give": "i", "live": "i", "eye": "a", "buy": "a", "my": "a", "by": "a", "im": "a", "ive": "a", "me": "i",
    "he": "i", "she": "i", "we": "i", "be": "i", "where": "e", "there": "e", "whats": "@", "your": "o",
    "how": "a", "now": "a", "down": "a", "town": "a",
}  # fmt: skip
#: (pattern, vowel) tried in order on the letters of a syllable; the first that matches decides.
_VOWEL_RULES: tuple[tuple[str, str], ...] = (
    (r"igh", "a"), (r"ould", "u"), (r"^[^aeiouy]{2,}y$", "a"), (r"^[^aeiouy]y$", "i"),
    (r"^[^aeiouy]*a[^aeiouy]+e$", "e"), (r"^[^aeiouy]*i[^aeiouy]+e$", "a"),
    (r"^[^aeiouy]*o[^aeiouy]+e$", "o"), (r"^[^aeiouy]*u[^aeiouy]+e$", "u"),
    (r"^[^aeiouy]*e[^aeiouy]+e$", "i"),
    (r"(?:er|ir|ur)(?![aeiouy])", "@"), (r"ar(?![aeiouy])", "a"), (r"or(?![aeiouy])", "o"),
    (r"a(?:ll?|lk)", "o"),
    (r"ee|ea|ie", "i"), (r"ey|ei|ay|ai", "e"), (r"oo|ew|ue|ui", "u"), (r"ou", "a"), (r"ow|oa|oi|oy", "o"),
    (r"au|aw", "o"), (r"a", "a"), (r"e", "e"), (r"i", "i"), (r"o", "o"), (r"u", "@"), (r"y", "i"),
)  # fmt: skip


def syllable_vowel(text: str) -> str:
    """A rough vowel (one of ``a e i o u @``) for a written English syllable.

    A short table of frequent words, then spelling rules tried in order: *igh* and *try* -> ``a`` but an
    unstressed *-py*, *-ly* -> ``i``; silent-e words (*make* -> ``e``, *like* -> ``a``, *home* -> ``o``);
    r-coloured *er/ir/ur* -> schwa; vowel digraphs; then the first vowel letter. No vowel letter gives
    schwa (``@``).
    """
    s = re.sub(r"[^a-z]", "", text.lower())
    if s in _WORD_VOWELS:
        return _WORD_VOWELS[s]
    m = re.search(r"[aeiouy]", s[1:] if s.startswith("y") and len(s) > 1 else s)
    if not m:
        return "@"
    for pattern, vowel in _VOWEL_RULES:
        hit = re.search(pattern, s)  # the re module caches compiled patterns
        if hit and (pattern.startswith("^") or hit.start() <= m.start() + 2):
            return vowel
    return "@"


def stimulus_to_json(stimulus: Stimulus) -> dict[str, Any]:
    """A JSON-ready description: settings, syllable timings and notes, tap times (no samples)."""
    first, last = stimulus.voiced_span_s
    return {
        "phrase_id": stimulus.phrase_id,
        "mode": stimulus.mode,
        "voice": stimulus.voice_name or "formant",
        "sample_rate_hz": stimulus.sample_rate_hz,
        "duration_s": round(stimulus.duration_s, 6),
        "voiced_span_s": [round(first, 6), round(last, 6)],
        "low_hz": round(stimulus.low_hz, 4),
        "high_hz": round(stimulus.high_hz, 4),
        "interval_semitones": stimulus.interval_semitones,
        "tempo_bpm": stimulus.tempo_bpm,
        "stress_lengthening": stimulus.stress_lengthening,
        "fade": None if stimulus.fade is None else list(stimulus.fade),
        "taps": stimulus.tap_mode,
        "tap_times_s": [round(t, 6) for t in stimulus.tap_times_s],
        "syllables": [
            {
                "index": s.index,
                "text": s.text,
                "target": s.target,
                "onset_s": round(s.onset_s, 6),
                "vowel_onset_s": round(s.beat_s, 6),
                "offset_s": round(s.offset_s, 6),
                "f0_hz": round(s.f0_hz, 4),
            }
            for s in stimulus.syllables
        ],
    }


def write_wav(
    stimulus: Stimulus,
    path: str | Path,
    *,
    subtype: Literal["PCM_16", "FLOAT"] = "PCM_16",
    track: Literal["samples", "taps"] = "samples",
) -> Path:
    """Write the samples (or, with ``track="taps"``, the separate tap track) as a mono WAV file."""
    data = stimulus.samples if track == "samples" else stimulus.taps
    if data is None:
        raise ValueError("this stimulus has no separate tap track (render it with taps='separate')")
    target = Path(path)
    sf.write(str(target), np.clip(data, -1.0, 1.0), stimulus.sample_rate_hz, subtype=subtype, format="WAV")
    return target
