"""Voice calibration arithmetic (no Qt): comfortable pitch, range and the proposed low note.

The comfortable pitch is the median f0 of the sustained "ah"; the range is the 5th-95th percentile of
the f0 over the "ah" and the glide together. The proposed low note is the comfortable pitch lowered
by ``LOW_NOTE_OFFSET_ST`` semitones and rounded to the nearest equal-tempered semitone (A4 = 440 Hz),
so that the high note (low + interval, typically 3 semitones) sits near the comfortable pitch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LOW_NOTE_OFFSET_ST = 2.0
MIN_VOICED_FRAMES = 20  # 0.2 s at a 10 ms hop


@dataclass(frozen=True)
class VoiceEstimate:
    comfortable_hz: float
    range_low_hz: float
    range_high_hz: float
    proposed_low_hz: float
    voiced_frames: int


def round_to_semitone_hz(f_hz: float) -> float:
    midi = round(69 + 12 * math.log2(f_hz / 440.0))
    return 440.0 * 2 ** ((midi - 69) / 12)


def estimate_voice(ah_f0_hz: np.ndarray, glide_f0_hz: np.ndarray | None = None) -> VoiceEstimate:
    """Estimate from the f0 frames (NaN = unvoiced). Raises ValueError when too little was voiced."""
    ah = np.asarray(ah_f0_hz, dtype=float)
    ah = ah[np.isfinite(ah) & (ah > 0)]
    if ah.size < MIN_VOICED_FRAMES:
        raise ValueError("too little voice in the sustained 'ah': please record it again, a little louder")
    both = ah
    if glide_f0_hz is not None:
        g = np.asarray(glide_f0_hz, dtype=float)
        g = g[np.isfinite(g) & (g > 0)]
        both = np.concatenate([ah, g])
    comfortable = float(np.median(ah))
    lo, hi = np.percentile(both, [5, 95])
    proposed = round_to_semitone_hz(comfortable * 2 ** (-LOW_NOTE_OFFSET_ST / 12))
    return VoiceEstimate(comfortable, float(lo), float(hi), proposed, int(both.size))
