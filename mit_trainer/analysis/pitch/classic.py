"""Classic pitch trackers from librosa: ``yin`` and probabilistic ``pyin``.

Both analyse 1024-sample (64 ms) windows of the 16 kHz signal, enough for two periods at 60 Hz.
librosa's ``yin`` returns no confidence, so ours is the normalised autocorrelation of the frame at the
period yin found (1 for a perfectly periodic frame, about 0 for noise). ``pyin`` supplies its own voiced
probability and voiced/unvoiced decision (an HMM over the whole signal); its stream re-runs it over a
sliding window with half a second of context and a quarter second of look-ahead, and it is slow
(DESIGN.md: about 0.2x real time), so it is a reference, not a live tracker.
"""

from __future__ import annotations

from importlib.metadata import version

import librosa
import numpy as np
import numpy.typing as npt

from mit_trainer.analysis.audio_input import Float32Array
from mit_trainer.analysis.pitch.base import ANALYSIS_RATE_HZ, VoicingSettings
from mit_trainer.analysis.pitch.framing import BoolArray, FrameTracker
from mit_trainer.core.records import FloatArray


def periodicity(frames: Float32Array, period: npt.NDArray[np.int64]) -> FloatArray:
    """Normalised autocorrelation of each column of ``frames`` (length, n) at lag ``period[i]`` samples,
    over the first half of the frame; 0 where the period is invalid."""
    length, n = frames.shape
    width = length // 2
    lag = np.clip(period, 1, length - width)
    rows = np.arange(width)[:, None]
    cols = np.arange(n)[None, :]
    a = frames[:width, :].astype(np.float64)
    b = frames[rows + lag[None, :], cols].astype(np.float64)
    num = np.sum(a * b, axis=0)
    den = np.sqrt(np.sum(a * a, axis=0) * np.sum(b * b, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 1e-12, num / np.maximum(den, 1e-300), 0.0)
    return np.asarray(np.clip(r, 0.0, 1.0))


class YinTracker(FrameTracker):
    """librosa ``yin`` (de Cheveigné & Kawahara 2002) with a periodicity confidence."""

    name = "yin"
    default_confidence = 0.75

    def __init__(self, *, hop_s: float = 0.01, voicing: VoicingSettings | None = None) -> None:
        super().__init__(hop_s=hop_s, voicing=voicing)
        self.version = f"librosa-{version('librosa')}"

    def _analyze(
        self, padded: Float32Array, n_frames: int, active: BoolArray
    ) -> tuple[FloatArray, FloatArray]:
        seg = padded[: (n_frames - 1) * self.hop + self.frame_length]
        v = self.voicing
        f0 = librosa.yin(
            seg,
            fmin=v.fmin_hz,
            fmax=v.fmax_hz,
            sr=ANALYSIS_RATE_HZ,
            frame_length=self.frame_length,
            hop_length=self.hop,
            center=False,
        ).astype(np.float64)
        frames = librosa.util.frame(seg, frame_length=self.frame_length, hop_length=self.hop)
        period = np.rint(ANALYSIS_RATE_HZ / np.where(f0 > 0, f0, v.fmax_hz)).astype(np.int64)
        conf = periodicity(frames, period)
        return f0[:n_frames], conf[:n_frames]


class PyinTracker(FrameTracker):
    """librosa ``pyin`` (Mauch & Dixon 2014): its voiced probability is the confidence."""

    name = "pyin"
    # pyin's HMM voiced/unvoiced decision does most of the work; its voiced probability is often low on
    # frames it rightly calls voiced (a 0.1 threshold cost 10% recall on the benchmark), while the frames
    # it wrongly calls voiced in white noise sit at its floor of 0.01 (near fmin): hence 0.02
    default_confidence = 0.02
    context_frames = 50
    lookahead_frames = 25
    min_batch_frames = 10

    def __init__(self, *, hop_s: float = 0.01, voicing: VoicingSettings | None = None) -> None:
        super().__init__(hop_s=hop_s, voicing=voicing)
        self.version = f"librosa-{version('librosa')}"

    def _analyze(
        self, padded: Float32Array, n_frames: int, active: BoolArray
    ) -> tuple[FloatArray, FloatArray]:
        seg = padded[: (n_frames - 1) * self.hop + self.frame_length]
        v = self.voicing
        f0, voiced, prob = librosa.pyin(
            seg,
            fmin=v.fmin_hz,
            fmax=v.fmax_hz,
            sr=ANALYSIS_RATE_HZ,
            frame_length=self.frame_length,
            hop_length=self.hop,
            center=False,
        )
        f0 = np.where(voiced, f0, np.nan).astype(np.float64)
        return f0[:n_frames], np.nan_to_num(prob[:n_frames].astype(np.float64))
