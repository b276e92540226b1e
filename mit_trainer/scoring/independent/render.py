"""Turning an :class:`~.plan.ItemPlan` into audio and truth: Festival (batched) then WORLD, then conditions.

The sung score: syllable ``i`` lasts ``beats[i] * 60 / (tempo_bpm * tempo_factor)`` s on the low note or
``interval`` semitones above it (``transpose_st`` away from the asked key); error kinds change the score
(inverted, monotone, missing -> a rest of the same length, merged -> one note over two syllables' time,
rhythm -> durations scaled 0.4x or 2.5x, wrong interval, first half) or the voice (spoken for sung, silence).
Festival sings (divided into a male range); WORLD puts the voice on the true contour and range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

from mit_trainer.analysis.stimulus import render_stimulus
from mit_trainer.core.records import Phrase
from mit_trainer.scoring.independent import perturb as pt
from mit_trainer.scoring.independent import world
from mit_trainer.scoring.independent.espeak import VOICES as ESPEAK_VOICES
from mit_trainer.scoring.independent.espeak import Speech
from mit_trainer.scoring.independent.festival import Note, Rendition
from mit_trainer.scoring.independent.plan import RANGES, WRONG_INTERVAL_ST, ItemPlan
from mit_trainer.scoring.independent.sung_speech import sing_speech

SAMPLE_RATE_HZ = 16000
VOICE_PEAK = 0.5
NOMINAL_PATIENT_PEAK_DBFS = -6.0  # the level a silent patient's leak is measured from
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Job:
    """A Festival request: sing ``notes`` or speak ``text`` with ``voice``."""

    voice: str  # a Festival voice, or "espeak:" and an espeak-ng voice
    notes: tuple[Note, ...] = ()
    text: str = ""
    alt_text: str = ""  # espeak: said instead when ``text`` does not give ``n_syllables`` syllables
    n_syllables: int = 0


@dataclass(frozen=True, eq=False)
class Rendered:
    """A finished item's audio and truth (onsets on the recording's clock)."""

    samples: npt.NDArray[np.float32]
    onsets_s: tuple[float, ...]
    vowel_onsets_s: tuple[float, ...]
    notes_hz: tuple[float, ...]
    played: npt.NDArray[np.float32] | None
    played_offset_s: float | None
    model_onsets_s: tuple[float, ...]


def true_notes(plan: ItemPlan, phrase: Phrase) -> list[float]:
    """The note (Hz) of each sung syllable of the score, in order."""
    return [hz for t, _, hz, _ in score(plan, phrase) if t]


def score(plan: ItemPlan, phrase: Phrase) -> list[tuple[str, float, float, int]]:
    """(text, duration s, note Hz, the phrase syllable it sings) per note; a rest has empty text and -1."""
    rng = np.random.default_rng([plan.seed, 1])
    n = phrase.n_syllables
    beat_s = 60.0 / (plan.tempo_bpm * plan.tempo_factor)
    low = plan.low_hz * 2.0 ** (plan.transpose_st / 12.0)
    iv = WRONG_INTERVAL_ST if plan.kind == "wrong_interval" else plan.interval_semitones
    pattern = list(phrase.pattern)
    if plan.kind == "inverted":
        pattern = ["L" if p == "H" else "H" for p in pattern]
    hz = [low * 2.0 ** (iv / 12.0) if p == "H" and plan.kind != "monotone" else low for p in pattern]
    durs = [b * beat_s for b in phrase.beats]
    if plan.kind == "rhythm":
        k = rng.choice(n, size=max(1, n // 2), replace=False)
        for i in k:
            durs[int(i)] *= float(rng.choice([0.4, 2.5]))
    notes = [(phrase.syllables[i], durs[i], hz[i], i) for i in range(n)]
    if plan.kind == "missing":
        d = int(plan.get("drop"))
        notes[d] = ("", durs[d], 0.0, -1)
    elif plan.kind == "merged":
        i = int(plan.get("first"))
        notes[i : i + 2] = [(phrase.syllables[i], durs[i] + durs[i + 1], hz[i], i)]
    elif plan.kind == "first_half":
        notes = notes[: math.ceil(n / 2)] if n > 2 else notes[:1]
    return notes


def jobs_for(plan: ItemPlan, phrase: Phrase, babble_texts: list[str]) -> list[Job]:
    """The renderings an item needs: its own voice, then any babble talkers (espeak-ng voices)."""
    out: list[Job] = []
    div = RANGES[plan.vocal_range][3]
    syllables = " ".join(phrase.syllables)
    if plan.kind in ("silence", "silence_leak"):
        pass
    elif plan.voice.startswith("espeak:"):
        out.append(Job(plan.voice, text=phrase.text, alt_text=syllables, n_syllables=phrase.n_syllables))
    elif plan.kind in ("spoken", "spoken_for_sung"):
        out.append(Job(plan.voice, text=syllables))
    else:
        notes = tuple(Note(t, hz / div, d) for t, d, hz, _ in score(plan, phrase))
        out.append(Job(plan.voice, notes=notes))
    out += [
        Job("espeak:" + ESPEAK_VOICES[i % len(ESPEAK_VOICES)], text=t) for i, t in enumerate(babble_texts)
    ]
    return out


def babble_texts(plan: ItemPlan, phrases: list[Phrase]) -> list[str]:
    if plan.kind != "babble":
        return []
    rng = np.random.default_rng([plan.seed, 2])
    others = [p.text for p in phrases if p.id != plan.phrase_id]
    return [others[int(i)] for i in rng.choice(len(others), size=int(plan.get("talkers")), replace=False)]


def _female_variant(voice: str) -> bool:
    return "+f" in voice


def _shift(plan: ItemPlan) -> tuple[float, float]:
    """(f0 factor, formant ratio) taking the generator's voice to the item's range."""
    _, _, ratio, div = RANGES[plan.vocal_range]
    if _female_variant(plan.voice):
        return div / RANGES["female"][3], ratio / RANGES["female"][2]
    return div, ratio


def _sung_voice(
    plan: ItemPlan, phrase: Phrase, r: Rendition | Speech, rng: np.random.Generator
) -> tuple[FloatArray, list[float], list[float]]:
    if isinstance(r, Speech):
        glide = 0.2 if plan.glide_s is None else plan.glide_s
        return sing_speech(
            r, score=score(plan, phrase), lead_s=0.3, glide_s=glide, vibrato_cents=plan.vibrato_cents,
            formant_ratio=_shift(plan)[1], sample_rate_hz=SAMPLE_RATE_HZ, rng=rng,
        )  # fmt: skip
    onsets, vowels = list(r.onsets_s), list(r.vowel_onsets_s)
    x = np.asarray(r.samples, dtype=np.float64)
    if plan.glide_s is None:  # Festival's own contour and glides
        return x, onsets, vowels
    if plan.glide_s is None:  # Festival's own contour and glides
        return x
    p = world.analyse(x, sample_rate_hz=r.sample_rate_hz)
    f0 = world.note_contour(
        p.times_s, onsets_s=r.onsets_s, notes_hz=tuple(true_notes(plan, phrase)), glide_s=plan.glide_s,
        vibrato_cents=plan.vibrato_cents, vibrato_hz=float(rng.uniform(4.8, 6.2)),
        vibrato_phase=float(rng.uniform(0, 6.3)),
    )  # fmt: skip
    y = world.resynthesize(p, f0, formant_ratio=RANGES[plan.vocal_range][2])
    return np.asarray(y[: x.size], dtype=np.float64), onsets, vowels


def _spoken_voice(
    plan: ItemPlan, phrase: Phrase, r: Rendition | Speech
) -> tuple[FloatArray, list[float], list[float]]:
    """The speech time-scaled to ``wpm`` words/min (prosody unchanged) in the item's range."""
    x = np.asarray(r.samples, dtype=np.float64)
    ends = r.ends_s if isinstance(r, Speech) else r.offsets_s
    if r.sample_rate_hz != SAMPLE_RATE_HZ:
        x = soxr.resample(x, r.sample_rate_hz, SAMPLE_RATE_HZ)
    n_words = max(1, len(phrase.text.split()))
    natural = ends[-1] - r.onsets_s[0]
    factor = (n_words * 60.0 / plan.get("wpm")) / max(natural, 1e-3)
    p = world.analyse(x, sample_rate_hz=SAMPLE_RATE_HZ)
    n_out = int(p.f0_hz.size * factor)
    src = np.arange(n_out) / factor
    f0_factor, ratio = _shift(plan)
    f0 = np.interp(src, np.arange(p.f0_hz.size), p.f0_hz) * f0_factor
    y = world.resynthesize(p, f0, formant_ratio=ratio, source_frames=src)
    return (
        np.asarray(y, dtype=np.float64),
        [t * factor for t in r.onsets_s],
        [t * factor for t in r.vowel_onsets_s],
    )


def _leak(plan: ItemPlan, phrase: Phrase) -> tuple[FloatArray, tuple[float, ...]]:
    """The trainer's rendered model of the phrase at the asked key and tempo (unit peak) and its onsets."""
    stim = render_stimulus(
        phrase, sample_rate_hz=SAMPLE_RATE_HZ, low_hz=plan.low_hz, interval_semitones=plan.interval_semitones,
        tempo_bpm=plan.tempo_bpm, mode="intone", taps="none", seed=plan.seed % 1000,
    )  # fmt: skip
    m = np.asarray(stim.samples, dtype=np.float64)
    return m / (np.max(np.abs(m)) + 1e-12), tuple(s.onset_s for s in stim.syllables)


def render(plan: ItemPlan, phrase: Phrase, made: list[Rendition | Speech]) -> Rendered:
    """The item's audio and truth from the renderings :func:`jobs_for` asked for, in that order."""
    rng = np.random.default_rng([plan.seed, 3])
    sr = SAMPLE_RATE_HZ
    played: FloatArray | None = None
    offset: float | None = None
    model_onsets: tuple[float, ...] = ()
    if plan.kind in ("silence", "silence_leak"):
        return _render_silence(plan, phrase, rng)
    voice, babble = made[0], made[1:]
    if plan.kind in ("spoken", "spoken_for_sung"):
        x, onsets, vowels = _spoken_voice(plan, phrase, voice)
        notes = [math.nan] * len(onsets)
    else:
        x, onsets, vowels = _sung_voice(plan, phrase, voice, rng)
        notes = true_notes(plan, phrase)
    x = x * (VOICE_PEAK / (np.max(np.abs(x)) + 1e-12))
    cut = max(0, int((onsets[0] - 0.05) * sr))  # Festival's own leading pause out; the plan's lead in
    x = np.concatenate((np.zeros(int(plan.lead_s * sr)), x[cut:], np.zeros(int(0.4 * sr))))
    shift = plan.lead_s - cut / sr
    onsets = [t + shift for t in onsets]
    vowels = [t + shift for t in vowels]
    if plan.kind == "model_leak":
        played, model_onsets = _leak(plan, phrase)
        offset = onsets[0] - model_onsets[0]
        need = int((offset + played.size / sr) * sr) + 1
        x = np.pad(x, (0, max(0, need - x.size)))
        x = pt.add_at(x, played, offset, sr, VOICE_PEAK * 10 ** (plan.get("leak_db") / 20))
        model_onsets = tuple(t + offset for t in model_onsets)
    x = _conditions(plan, x, onsets, babble, rng)
    out = pt.hard_clip(x, drive_db=plan.get("drive_db")) if plan.kind == "clipping" else pt.set_peak_dbfs(
        x, plan.peak_dbfs)  # fmt: skip
    return Rendered(
        out.astype(np.float32), tuple(onsets), tuple(vowels), tuple(notes),
        None if played is None else played.astype(np.float32), offset, model_onsets,
    )  # fmt: skip


def _conditions(
    plan: ItemPlan,
    x: FloatArray,
    onsets: list[float],
    babble: list[Rendition | Speech],
    rng: np.random.Generator,
) -> FloatArray:
    sr = SAMPLE_RATE_HZ
    k = plan.kind
    if k == "breathy":
        x = pt.breathy(x, sr, rng, rel_db=plan.get("rel_db"))
    if k == "taps":
        taps = pt.tap_track(x.size, sr, onsets, rng, jitter_s=plan.get("jitter_s"))
        x = x + taps * VOICE_PEAK * 10 ** (plan.get("rel_db") / 20)
    if k == "cough_click":
        g = VOICE_PEAK * 10 ** (plan.get("rel_db") / 20)
        if plan.get("cough") > 0.5:  # in the lead-in or after the phrase
            before = onsets[0] > 0.5 and rng.random() < 0.5
            at = rng.uniform(0.0, onsets[0] - 0.45) if before else x.size / sr - 0.42
            x = pt.add_at(x, pt.cough(sr, rng), at, sr, g)
        else:
            x = pt.add_at(x, pt.click(sr, rng), rng.uniform(0.0, x.size / sr), sr, g)
    if k == "reverb":
        x = pt.reverb(x, sr, rng, rt60_s=plan.get("rt60_s"))
    if k == "babble":
        mix = np.zeros(x.size)
        for b in babble:
            s = soxr.resample(np.asarray(b.samples, dtype=np.float64), b.sample_rate_hz, sr)
            mix = pt.add_at(
                mix, s / (pt.active_rms(s, sr) + 1e-12), rng.uniform(-0.5, x.size / sr - 1.0), sr, 1.0
            )
        x = pt.mix_at_snr(x, mix, plan.get("snr_db"), sr)
    if k == "hum":
        x = x + pt.hum(x.size, sr, rng, mains_hz=plan.get("mains_hz")) * VOICE_PEAK * 10 ** (
            plan.get("rel_db") / 20
        )
    x = pt.mix_at_snr(x, pt.pink_noise(rng, x.size), float(rng.uniform(35.0, 45.0)), sr)  # the room
    if k == "telephone":
        x = pt.telephone(x, sr)
    return x


def _render_silence(plan: ItemPlan, phrase: Phrase, rng: np.random.Generator) -> Rendered:
    sr = SAMPLE_RATE_HZ
    floor_dbfs = float(rng.uniform(-65.0, -50.0))
    if plan.kind == "silence":
        x = pt.pink_noise(rng, int(plan.get("dur_s") * sr)) * 10 ** (floor_dbfs / 20)
        return Rendered(x.astype(np.float32), (), (), (), None, None, ())
    played, model_onsets = _leak(plan, phrase)
    offset = float(rng.uniform(0.2, 1.0))
    x = pt.pink_noise(rng, int((offset + played.size / sr + 0.8) * sr)) * 10 ** (floor_dbfs / 20)
    x = pt.add_at(x, played, offset, sr, 10 ** ((NOMINAL_PATIENT_PEAK_DBFS + plan.get("leak_db")) / 20))
    return Rendered(
        x.astype(np.float32), (), (), (), played.astype(np.float32), offset,
        tuple(t + offset for t in model_onsets),
    )  # fmt: skip
