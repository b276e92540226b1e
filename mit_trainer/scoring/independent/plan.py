"""Seeded plans for the independent corpus: which phrase, voice, range, key, tempo, glide and condition.

Every random draw happens here, so an item is fully described by its :class:`ItemPlan` (its cache key) and
rendering is deterministic. Conditions are correct attempts under a recording condition (must pass); error
kinds are wrong attempts (must be rejected: ``fail`` or ``no_response``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mit_trainer.core.records import Phrase

CONDITIONS: tuple[str, ...] = (
    "clean", "stock_glide", "long_glide", "female", "child", "transpose", "tempo", "lead_silence",
    "reverb", "babble", "hum", "clipping", "telephone", "level", "vibrato", "cough_click", "breathy",
    "taps", "model_leak", "spoken",
)  # fmt: skip
ERRORS: tuple[str, ...] = (
    "inverted", "monotone", "missing", "merged", "rhythm", "spoken_for_sung", "wrong_interval",
    "first_half", "silence", "silence_leak",
)  # fmt: skip
KINDS: tuple[str, ...] = CONDITIONS + ERRORS
FESTIVAL_VOICES: tuple[str, ...] = ("kal_diphone", "ked_diphone")
#: espeak-ng voices (WORLD re-pitched and re-timed onto the score, or time-scaled speech).
ESPEAK_VOICES: tuple[str, ...] = (
    "espeak:en-us",
    "espeak:en",
    "espeak:en+m3",
    "espeak:en-us+f3",
    "espeak:en+f2",
)
#: Per range: low note range (Hz), WORLD formant ratio, and what Festival's notes are divided by.
RANGES: dict[str, tuple[float, float, float, float]] = {
    "male": (95.0, 140.0, 1.0, 1.0),
    "female": (175.0, 250.0, 1.15, 2.0),
    "child": (250.0, 330.0, 1.3, 2.5),
}
WRONG_INTERVAL_ST = 8.0


@dataclass(frozen=True)
class ItemPlan:
    """Everything that decides one item. ``low_hz``/``interval_semitones``/``tempo_bpm`` are what the patient
    was asked for (the model's); the attempt is sung ``transpose_st`` away, at ``tempo_factor`` times
    the tempo.
    ``extra`` holds condition-specific numbers (sorted name/value pairs)."""

    item_id: str
    kind: str
    phrase_id: str
    voice: str
    vocal_range: str
    low_hz: float
    interval_semitones: float
    tempo_bpm: float
    tempo_factor: float
    transpose_st: float
    glide_s: float | None  # None: Festival's own f0 (its ~200 ms glides), no WORLD re-pitch
    vibrato_cents: float
    lead_s: float
    peak_dbfs: float
    seed: int
    extra: tuple[tuple[str, float], ...] = ()

    @property
    def group(self) -> str:
        return "condition" if self.kind in CONDITIONS else "error"

    @property
    def expected(self) -> str:
        return "pass" if self.kind in CONDITIONS else "reject"

    @property
    def mode(self) -> str:
        return "spoken" if self.kind == "spoken" else "sung"

    def get(self, name: str, default: float = math.nan) -> float:
        return dict(self.extra).get(name, default)


def _extra(kind: str, rng: np.random.Generator, n_syll: int) -> dict[str, float]:
    if kind == "reverb":
        return {"rt60_s": 0.6}
    if kind == "babble":
        return {"snr_db": 10.0, "talkers": float(rng.integers(2, 5))}
    if kind == "hum":
        return {"mains_hz": float(rng.choice([50.0, 60.0])), "rel_db": float(rng.uniform(-30.0, -15.0))}
    if kind == "clipping":
        return {"drive_db": float(rng.uniform(6.0, 12.0))}
    if kind == "cough_click":
        return {"cough": float(rng.random() < 0.5), "rel_db": float(rng.uniform(-6.0, 0.0))}
    if kind == "breathy":
        return {"rel_db": float(rng.uniform(-15.0, -6.0))}
    if kind == "taps":
        return {"rel_db": float(rng.uniform(-12.0, 0.0)), "jitter_s": 0.03}
    if kind in ("model_leak", "silence_leak"):
        return {"leak_db": float(rng.uniform(-40.0, -10.0))}
    if kind == "spoken":
        return {"wpm": float(rng.uniform(60.0, 160.0))}
    if kind == "spoken_for_sung":
        return {"wpm": float(rng.uniform(90.0, 160.0))}
    if kind == "missing":
        return {"drop": float(rng.integers(1, n_syll))}
    if kind == "merged":
        return {"first": float(rng.integers(0, n_syll - 1))}
    if kind == "silence":
        return {"dur_s": float(rng.uniform(2.0, 6.0))}
    return {}


def plan_item(kind: str, index: int, phrases: list[Phrase], *, seed: int) -> ItemPlan:
    """The plan of item ``index`` of ``kind``; the same arguments give the same plan."""
    rng = np.random.default_rng([seed, KINDS.index(kind), index])
    min_n = 3 if kind in ("rhythm", "missing", "merged") else 2
    pool = [p for p in phrases if p.n_syllables >= min_n] or phrases
    phrase = pool[int(rng.integers(len(pool)))]
    vocal_range = {"female": "female", "child": "child", "clean": "male", "stock_glide": "male"}.get(
        kind, "female" if rng.random() < 0.5 else "male"
    )
    lo, hi, _, _ = RANGES[vocal_range]
    glide: float | None = float(rng.uniform(0.03, 0.3))
    if kind == "stock_glide":
        glide = None
    elif kind == "long_glide":
        glide = float(rng.uniform(0.2, 0.3))
    family = FESTIVAL_VOICES if kind == "stock_glide" or rng.random() < 0.5 else ESPEAK_VOICES
    voice = family[int(rng.integers(len(family)))]
    transpose = float(rng.choice([-12, -7, -3, 3, 7, 12])) if kind == "transpose" else 0.0
    low = float(rng.uniform(lo, hi))
    if kind == "transpose":  # keep the sung key inside the voice's range
        low = float(np.clip(low, 95.0 * 2 ** (-transpose / 12), 330.0 * 2 ** (-transpose / 12)))
    return ItemPlan(
        item_id=f"{kind}-{index}",
        kind=kind,
        phrase_id=phrase.id,
        voice=voice,
        vocal_range=vocal_range,
        low_hz=round(low, 3),
        interval_semitones=float(rng.choice([3.0, 3.0, 4.0, 5.0])),
        tempo_bpm=round(float(rng.uniform(45.0, 80.0)), 2),
        tempo_factor=round(float(rng.uniform(0.6, 1.4)), 3) if kind == "tempo" else 1.0,
        transpose_st=transpose,
        glide_s=None if glide is None else round(glide, 3),
        vibrato_cents=50.0 if kind == "vibrato" else round(float(rng.uniform(0.0, 25.0)), 1),
        lead_s=round(float(rng.uniform(0.0, 3.0) if kind == "lead_silence" else rng.uniform(0.3, 0.8)), 3),
        peak_dbfs=round(float(rng.uniform(-50.0, -6.0) if kind == "level" else rng.uniform(-12.0, -3.0)), 2),
        seed=int(rng.integers(1 << 31)),
        extra=tuple(sorted((k, round(v, 3)) for k, v in _extra(kind, rng, phrase.n_syllables).items())),
    )


def plan_corpus(
    phrases: list[Phrase], *, seed: int, per_kind: int, kinds: tuple[str, ...] = KINDS,
    counts: dict[str, int] | None = None,
) -> list[ItemPlan]:  # fmt: skip
    """``per_kind`` plans of every kind (``counts`` overrides per kind), interleaved by index."""
    n = {k: (counts or {}).get(k, per_kind) for k in kinds}
    return [plan_item(k, i, phrases, seed=seed) for i in range(max(n.values(), default=0)) for k in kinds
            if i < n[k]]  # fmt: skip
