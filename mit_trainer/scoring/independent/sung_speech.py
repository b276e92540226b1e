"""espeak-ng speech turned into a sung attempt with WORLD: every syllable moved onto its note's start, its
onset consonants kept at their spoken length, its vowel stretched to fill the note, its coda kept; rests
silent. The truth is the score: syllable ``k`` starts where its first phone was placed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

from mit_trainer.scoring.independent import world
from mit_trainer.scoring.independent.espeak import Speech

FloatArray = npt.NDArray[np.float64]


def _fit(pre: float, coda: float, dur: float) -> tuple[float, float]:
    """Consonant lengths shrunk, if needed, to leave the vowel at least 40 % of the note."""
    room = 0.6 * dur
    if pre + coda <= room:
        return pre, coda
    k = room / max(pre + coda, 1e-9)
    return pre * k, coda * k


def sing_speech(
    s: Speech,
    *,
    score: list[tuple[str, float, float, int]],
    lead_s: float,
    glide_s: float,
    vibrato_cents: float,
    formant_ratio: float,
    sample_rate_hz: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, list[float], list[float]]:
    """(audio at ``sample_rate_hz``, syllable onsets, vowel onsets) of ``s`` sung on ``score``.

    ``score`` is (text, duration s, note Hz, syllable of ``s`` it sings) per note, or per rest (empty text).
    """
    sr = sample_rate_hz
    x = soxr.resample(np.asarray(s.samples, dtype=np.float64), s.sample_rate_hz, sr)
    p = world.analyse(x, sample_rate_hz=sr)
    fp = world.FRAME_PERIOD_MS / 1000.0
    out_t: list[float] = [0.0]
    first = next(k for text, _, _, k in score if text)
    src_t: list[float] = [max(0.0, s.onsets_s[first] - lead_s)]
    onsets: list[float] = []
    vowels: list[float] = []
    rests: list[tuple[float, float]] = []
    notes_t: list[float] = []
    notes_hz: list[float] = []
    t = lead_s
    for text, dur, hz, k in score:
        if not text:
            rests.append((t, t + dur))
            t += dur
            continue
        pre, coda = _fit(s.vowel_onsets_s[k] - s.onsets_s[k], s.ends_s[k] - s.vowel_ends_s[k], dur)
        for a, b in ((t, s.onsets_s[k]), (t + pre, s.vowel_onsets_s[k]), (t + dur - coda, s.vowel_ends_s[k]),
                     (t + dur - 1e-3, s.ends_s[k] - 1e-3)):  # fmt: skip
            if a > out_t[-1] and b > src_t[-1]:
                out_t.append(a)
                src_t.append(b)
        onsets.append(t)
        vowels.append(t + pre)
        notes_t.append(t)
        notes_hz.append(hz)
        t += dur
    end = t + 0.05
    out_t.append(end)
    src_t.append(src_t[-1] + 0.05)
    times = np.asarray(np.arange(int(end / fp) + 1) * fp, dtype=np.float64)
    src_frames = np.interp(times, out_t, src_t) / fp
    f0 = world.note_contour(
        times, onsets_s=tuple(notes_t), notes_hz=tuple(notes_hz), glide_s=glide_s,
        vibrato_cents=vibrato_cents, vibrato_hz=float(rng.uniform(4.8, 6.2)),
        vibrato_phase=float(rng.uniform(0, 6.3)),
    )  # fmt: skip
    y = np.asarray(world.resynthesize(p, f0, formant_ratio=formant_ratio, source_frames=src_frames), float)
    gate = np.zeros(y.size)
    a0 = int(max(0.0, onsets[0] - 0.01) * sr)
    gate[a0 : int(t * sr)] = 1.0
    for a, b in rests:
        gate[int(a * sr) : int(b * sr)] = 0.0
    w = int(0.01 * sr)
    gate = np.convolve(gate, np.ones(w) / w, mode="same")
    return y * gate, onsets, vowels
