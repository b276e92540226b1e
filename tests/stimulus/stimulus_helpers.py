"""Test helpers for the stimulus tests: phrases with known truth and an independent pitch tracker.

Two trackers that share nothing with the renderer check its pitch: SwiftF0 (a separately trained neural
model run by onnxruntime; it also gives voicing, hence the voiced span) and librosa's classic ``yin``.
"""

from __future__ import annotations

import librosa
import numpy as np
import soxr
from swift_f0 import SwiftF0

from mit_trainer.analysis.stimulus import Stimulus
from mit_trainer.core.records import Phrase


def make_phrase(
    syllables: tuple[str, ...], pattern: str, beats: tuple[float, ...] | None = None, pid: str = "test"
) -> Phrase:
    return Phrase(
        id=pid,
        text=" ".join(syllables),
        level=1 if len(syllables) <= 3 else 2,
        syllables=syllables,
        pattern=tuple(pattern),
        beats=beats if beats is not None else (1.0,) * len(syllables),
    )


#: A Level II phrase with a two-beat syllable and both note changes.
PHRASE = make_phrase(("I", "want", "some", "wa", "ter"), "LHLHL", (1.0, 2.0, 1.0, 1.0, 1.0), "i-want-water")
THANK_YOU = make_phrase(("thank", "you"), "HL", (2.0, 1.0), "thank-you")


class Tracker:
    """SwiftF0 on a whole signal: (times_s, f0_hz with NaN where unvoiced)."""

    def __init__(self) -> None:
        self._detector = SwiftF0(threads=1)

    def track(self, samples: np.ndarray, sample_rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
        result = self._detector.detect(samples.astype(np.float32), sample_rate_hz)
        f0 = np.where(result.confidence >= 0.5, result.pitch_hz, np.nan)
        return result.timestamps, f0


def yin_track(samples: np.ndarray, sample_rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """librosa ``yin`` at 16 kHz, 10 ms hop, 64 ms frames: (frame-centre times_s, f0_hz)."""
    y = soxr.resample(samples.astype(np.float64), sample_rate_hz, 16000)
    f0 = librosa.yin(y, fmin=60.0, fmax=800.0, sr=16000, frame_length=1024, hop_length=160)
    return np.arange(f0.shape[0]) * 0.01, f0


def syllable_medians(stim: Stimulus, times: np.ndarray, f0: np.ndarray) -> list[float]:
    """Median tracked f0 over the middle 60% of every syllable (NaN if nothing voiced there)."""
    out = []
    for s in stim.syllables:
        d = s.offset_s - s.onset_s
        m = (times >= s.onset_s + 0.2 * d) & (times <= s.offset_s - 0.2 * d) & np.isfinite(f0)
        out.append(float(np.median(f0[m])) if m.any() else float("nan"))
    return out


def cents(f_hz: float, ref_hz: float) -> float:
    return float(1200.0 * np.log2(f_hz / ref_hz))


def voiced_span(times: np.ndarray, f0: np.ndarray) -> tuple[float, float]:
    voiced = np.flatnonzero(np.isfinite(f0))
    return float(times[voiced[0]]), float(times[voiced[-1]])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
