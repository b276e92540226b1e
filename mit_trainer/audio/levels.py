"""Input level, clipping, noise floor and voice activity: pure numpy functions and small state machines.

Nothing here touches a device or a thread; the engine feeds captured blocks in and the GUI reads the
numbers out. Levels are in dBFS (0 dBFS = full scale 1.0); silence is reported as ``SILENCE_DBFS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]

#: The level reported for digital silence (instead of -inf).
SILENCE_DBFS = -120.0
#: A sample at or above this magnitude counts as clipped.
CLIP_THRESHOLD = 0.999


def amplitude_to_dbfs(amplitude: float) -> float:
    """Convert a linear amplitude (1.0 = full scale) to dBFS, floored at ``SILENCE_DBFS``."""
    if amplitude <= 10.0 ** (SILENCE_DBFS / 20.0):
        return SILENCE_DBFS
    return 20.0 * math.log10(amplitude)


def rms_dbfs(signal: FloatArray) -> float:
    """RMS level of ``signal`` (any shape, float samples in [-1, 1]) in dBFS."""
    if signal.size == 0:
        return SILENCE_DBFS
    x = np.asarray(signal, dtype=np.float64)
    return amplitude_to_dbfs(float(np.sqrt(np.mean(x * x))))


def peak_dbfs(signal: FloatArray) -> float:
    """Peak absolute sample of ``signal`` in dBFS."""
    if signal.size == 0:
        return SILENCE_DBFS
    return amplitude_to_dbfs(float(np.max(np.abs(signal))))


@dataclass(frozen=True)
class LevelStats:
    """Level summary of a stretch of audio."""

    rms_dbfs: float
    peak_dbfs: float
    clipped_samples: int
    n_samples: int

    @property
    def clipping(self) -> bool:
        return self.clipped_samples > 0

    @property
    def clipped_fraction(self) -> float:
        return self.clipped_samples / self.n_samples if self.n_samples else 0.0


def level_stats(signal: FloatArray, *, clip_threshold: float = CLIP_THRESHOLD) -> LevelStats:
    """RMS, peak and clipped-sample count of ``signal``."""
    clipped = int(np.count_nonzero(np.abs(signal) >= clip_threshold)) if signal.size else 0
    return LevelStats(
        rms_dbfs=rms_dbfs(signal), peak_dbfs=peak_dbfs(signal), clipped_samples=clipped, n_samples=signal.size
    )


class LevelAccumulator:
    """Running level statistics over blocks (sum of squares, peak, clip count) without keeping the audio."""

    def __init__(self, *, clip_threshold: float = CLIP_THRESHOLD) -> None:
        self._clip_threshold = clip_threshold
        self._sum_sq = 0.0
        self._peak = 0.0
        self._clipped = 0
        self._n = 0

    def update(self, block: FloatArray) -> None:
        if block.size == 0:
            return
        x = np.asarray(block, dtype=np.float64)
        self._sum_sq += float(np.dot(x.ravel(), x.ravel()))
        self._peak = max(self._peak, float(np.max(np.abs(x))))
        self._clipped += int(np.count_nonzero(np.abs(x) >= self._clip_threshold))
        self._n += x.size

    def stats(self) -> LevelStats:
        rms = math.sqrt(self._sum_sq / self._n) if self._n else 0.0
        return LevelStats(
            rms_dbfs=amplitude_to_dbfs(rms),
            peak_dbfs=amplitude_to_dbfs(self._peak),
            clipped_samples=self._clipped,
            n_samples=self._n,
        )


def frame_rms_dbfs(signal: FloatArray, *, frame_length: int, hop_length: int) -> npt.NDArray[np.float64]:
    """RMS level in dBFS of each frame (frames hop_length apart; a last partial frame is dropped).

    Returns shape ``(n_frames,)``; an empty array when the signal is shorter than one frame.
    """
    if frame_length <= 0 or hop_length <= 0:
        raise ValueError("frame_length and hop_length must be positive")
    x = np.asarray(signal, dtype=np.float64).ravel()
    if x.size < frame_length:
        return np.zeros(0)
    n_frames = 1 + (x.size - frame_length) // hop_length
    frames = np.lib.stride_tricks.sliding_window_view(x, frame_length)[::hop_length][:n_frames]
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    floor = 10.0 ** (SILENCE_DBFS / 20.0)
    return 20.0 * np.log10(np.maximum(rms, floor))


def estimate_noise_floor_dbfs(
    signal: FloatArray, *, sample_rate_hz: float, frame_s: float = 0.02, percentile: float = 10.0
) -> float:
    """Noise floor: a low percentile of 20 ms frame levels (robust to speech filling most of the signal)."""
    frame = max(1, round(frame_s * sample_rate_hz))
    levels = frame_rms_dbfs(signal, frame_length=frame, hop_length=frame)
    if levels.size == 0:
        return rms_dbfs(signal)
    return float(np.percentile(levels, percentile))


@dataclass(frozen=True)
class VadConfig:
    """Voice-activity thresholds; ``no_response_timeout_s`` is a protocol setting passed in by the caller."""

    threshold_db_above_noise: float = 12.0
    min_threshold_dbfs: float = -55.0
    min_voiced_s: float = 0.12
    frame_s: float = 0.02
    no_response_timeout_s: float = 5.0
    initial_noise_floor_dbfs: float = -70.0
    noise_adapt_s: float = 2.0


@dataclass(frozen=True)
class VadState:
    """Snapshot of a :class:`VoiceActivityDetector` after the last block."""

    elapsed_s: float
    noise_floor_dbfs: float
    level_dbfs: float
    voiced: bool
    response_onset_s: float | None
    no_response: bool


class VoiceActivityDetector:
    """Streaming energy VAD: finds the start of the patient's response and decides "no response".

    Feed blocks of any size with :meth:`process`; time 0 is the first sample fed (the caller chooses what
    that means, e.g. the end of the model). A response starts at the first frame of a run of frames at least
    ``min_voiced_s`` long whose level is ``threshold_db_above_noise`` above the noise floor (and above
    ``min_threshold_dbfs``). The noise floor follows quiet frames (a slow minimum tracker) and never rises
    towards the voice. ``no_response`` becomes true once ``no_response_timeout_s`` passes without an onset.
    """

    def __init__(self, *, sample_rate_hz: float, config: VadConfig | None = None) -> None:
        self._cfg = config or VadConfig()
        self._sr = float(sample_rate_hz)
        self._frame = max(1, round(self._cfg.frame_s * self._sr))
        self._pending = np.zeros(0, dtype=np.float64)
        self._n_frames = 0
        self._noise = self._cfg.initial_noise_floor_dbfs
        self._level = SILENCE_DBFS
        self._run_start: int | None = None
        self._run_len = 0
        self._onset_frame: int | None = None
        self._min_run = max(1, math.ceil(self._cfg.min_voiced_s / self._cfg.frame_s))
        self._alpha = 1.0 - math.exp(-self._cfg.frame_s / max(self._cfg.noise_adapt_s, 1e-3))

    @property
    def threshold_dbfs(self) -> float:
        return max(self._noise + self._cfg.threshold_db_above_noise, self._cfg.min_threshold_dbfs)

    def process(self, block: FloatArray) -> VadState:
        x = np.concatenate([self._pending, np.asarray(block, dtype=np.float64).ravel()])
        n_full = x.size // self._frame
        for i in range(n_full):
            self._frame_level(x[i * self._frame : (i + 1) * self._frame])
        self._pending = x[n_full * self._frame :]
        return self.state()

    def _frame_level(self, frame: npt.NDArray[np.float64]) -> None:
        level = rms_dbfs(frame)
        self._level = level
        voiced = level >= self.threshold_dbfs
        if voiced:
            if self._run_start is None:
                self._run_start = self._n_frames
                self._run_len = 0
            self._run_len += 1
            if self._onset_frame is None and self._run_len >= self._min_run:
                self._onset_frame = self._run_start
        else:
            self._run_start = None
            self._run_len = 0
            if level < self._noise:
                self._noise = level  # falls at once
            else:
                self._noise += self._alpha * (level - self._noise)  # rises slowly, only on unvoiced frames
        self._n_frames += 1

    def state(self) -> VadState:
        elapsed = self._n_frames * self._frame / self._sr
        onset = None if self._onset_frame is None else self._onset_frame * self._frame / self._sr
        return VadState(
            elapsed_s=elapsed,
            noise_floor_dbfs=self._noise,
            level_dbfs=self._level,
            voiced=self._run_start is not None,
            response_onset_s=onset,
            no_response=onset is None and elapsed >= self._cfg.no_response_timeout_s,
        )


def detect_response_onset_s(
    signal: FloatArray, *, sample_rate_hz: float, config: VadConfig | None = None
) -> float | None:
    """Offline voice onset: seconds from the start of ``signal`` to the first response, or ``None``.

    The noise floor is seeded from the quietest 10 % of the signal so a recording that starts with voice
    is still detected.
    """
    cfg = config or VadConfig()
    seed = estimate_noise_floor_dbfs(signal, sample_rate_hz=sample_rate_hz, frame_s=cfg.frame_s)
    vad = VoiceActivityDetector(
        sample_rate_hz=sample_rate_hz,
        config=VadConfig(
            threshold_db_above_noise=cfg.threshold_db_above_noise,
            min_threshold_dbfs=cfg.min_threshold_dbfs,
            min_voiced_s=cfg.min_voiced_s,
            frame_s=cfg.frame_s,
            no_response_timeout_s=cfg.no_response_timeout_s,
            initial_noise_floor_dbfs=seed,
            noise_adapt_s=cfg.noise_adapt_s,
        ),
    )
    return vad.process(signal).response_onset_s
