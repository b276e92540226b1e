"""The pitch-tracker interface and the voicing decision shared by every tracker.

A tracker turns a signal into a :class:`~mit_trainer.core.records.PitchTrack` (batch, :meth:`track`) or
into frames delivered as audio arrives (:meth:`stream`). Every tracker decides voicing the same way:
its own confidence must reach a threshold, the frame must be louder than an absolute floor and, when the
recording shows a noise floor (quiet stretches clearly below the loud ones), louder than that floor by a
margin, and the f0 must lie in the analysed range. The thresholds are the named fields of
:class:`VoicingSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from mit_trainer.core.records import FloatArray, PitchTrack

#: Every tracker analyses at this rate (CREPE and SwiftF0 require it; yin/pyin are fine with it).
ANALYSIS_RATE_HZ = 16_000
#: soxr quality of a stream's resampler: "HQ" holds output back about 20 ms longer than "LQ" (measured
#: with 10 ms blocks at 48 kHz), which the live trace would show as lag; pitch does not need more.
STREAM_RESAMPLE_QUALITY = "LQ"
#: Length of the window, in samples at 16 kHz, over which each frame's level is measured (32 ms).
LEVEL_WINDOW = 512


@dataclass(frozen=True)
class VoicingSettings:
    """Named thresholds of the voicing decision.

    - ``confidence_threshold``: minimum tracker confidence of a voiced frame; ``None`` uses the tracker's
      own calibrated value (``PitchTracker.default_confidence``).
    - ``min_level_dbfs``: frames whose 32 ms RMS level is below this (dB re full scale) are unvoiced,
      whatever the tracker says (silence, digital zero, far-away sounds).
    - ``noise_percentile``: the noise floor is this percentile of the frame levels ...
    - ``min_dynamic_range_db``: ... used only when the ``100 - noise_percentile`` percentile lies at least
      this far above it, i.e. the recording has quiet stretches clearly below its loud ones (otherwise it is
      all voice or all noise, and confidence alone decides).
    - ``noise_margin_db``: a voiced frame must be this far above the noise floor. At 10-20 dB SNR the voice
      stays 6-20 dB above the floor while noise frames sit at it; a confident noise frame (hum, a periodic
      fan) is rejected.
    - ``fmin_hz`` / ``fmax_hz``: the f0 search range; estimates outside it are unvoiced.
    - ``noise_history_s``: a stream estimates the floor from at most this much recent audio.
    """

    confidence_threshold: float | None = None
    min_level_dbfs: float = -60.0
    noise_percentile: float = 10.0
    min_dynamic_range_db: float = 8.0
    noise_margin_db: float = 4.0
    fmin_hz: float = 60.0
    fmax_hz: float = 1000.0
    noise_history_s: float = 30.0

    def __post_init__(self) -> None:
        t = self.confidence_threshold
        if t is not None and not 0.0 <= t <= 1.01:
            raise ValueError(f"confidence_threshold must be in [0, 1], got {t}")
        if not 20.0 <= self.fmin_hz < self.fmax_hz <= 4000.0:
            raise ValueError(f"need 20 <= fmin_hz < fmax_hz <= 4000, got {self.fmin_hz}, {self.fmax_hz}")
        if not 0.0 <= self.noise_percentile < 50.0:
            raise ValueError(f"noise_percentile must be in [0, 50), got {self.noise_percentile}")
        if self.noise_history_s <= 0:
            raise ValueError(f"noise_history_s must be positive, got {self.noise_history_s}")


def frame_levels_db(padded: npt.NDArray[np.float32], *, centers: npt.NDArray[np.int64]) -> FloatArray:
    """RMS level (dBFS) of the :data:`LEVEL_WINDOW` samples centred on each index of ``centers``.

    ``padded`` must extend at least ``LEVEL_WINDOW // 2`` samples either side of every centre.
    """
    if centers.size == 0:
        return np.zeros(0)
    sq = np.concatenate(([0.0], np.cumsum(np.square(padded, dtype=np.float64))))
    half = LEVEL_WINDOW // 2
    energy = (sq[centers + half] - sq[centers - half]) / LEVEL_WINDOW
    return 10.0 * np.log10(np.maximum(energy, 1e-14))


def noise_floor_db(
    levels_db: FloatArray, settings: VoicingSettings, confidence: FloatArray | None = None
) -> float:
    """Estimated noise floor of a recording from its frame levels, or -inf when it shows none.

    With the tracker's ``confidence`` per frame, the floor is taken over the aperiodic frames only (when at
    least 5 % are): a recording that is nearly all voice (a legato phrase with little silence) would
    otherwise put the floor among its own quieter syllables and gate them out."""
    if levels_db.size < 10:
        return -np.inf
    hi = float(np.percentile(levels_db, 100.0 - settings.noise_percentile))
    if confidence is not None and confidence.shape == levels_db.shape:
        noise = levels_db[np.nan_to_num(confidence, nan=0.0) < 0.5]
        if noise.size >= max(10, 0.05 * levels_db.size):
            lo = float(np.percentile(noise, settings.noise_percentile))
            return -np.inf if hi - lo < settings.min_dynamic_range_db else lo
    lo, hi = np.percentile(levels_db, [settings.noise_percentile, 100.0 - settings.noise_percentile])
    if hi - lo < settings.min_dynamic_range_db:
        return -np.inf
    return float(lo)


def energy_gate(levels_db: FloatArray, floor_db: float, settings: VoicingSettings) -> npt.NDArray[np.bool_]:
    """Frames loud enough to be voice: above the absolute floor and the noise floor plus margin."""
    threshold = max(settings.min_level_dbfs, floor_db + settings.noise_margin_db)
    return np.asarray(levels_db >= threshold)


def decide_voicing(
    f0_hz: FloatArray,
    confidence: FloatArray,
    gate: npt.NDArray[np.bool_],
    *,
    threshold: float,
    settings: VoicingSettings,
) -> FloatArray:
    """Return a copy of ``f0_hz`` with NaN where the frame is not voiced."""
    with np.errstate(invalid="ignore"):
        voiced = (
            gate
            & (confidence >= threshold)
            & np.isfinite(f0_hz)
            & (f0_hz >= settings.fmin_hz)
            & (f0_hz <= settings.fmax_hz)
        )
    return np.where(voiced, f0_hz, np.nan)


def make_track(
    *,
    first_frame: int,
    f0_hz: FloatArray,
    confidence: FloatArray,
    hop_s: float,
    tracker: str,
    version: str,
) -> PitchTrack:
    """A :class:`PitchTrack` whose frame ``i`` is frame ``first_frame + i`` of the signal."""
    n = int(f0_hz.shape[0])
    return PitchTrack(
        times_s=(first_frame + np.arange(n, dtype=np.float64)) * hop_s,
        f0_hz=np.asarray(f0_hz, dtype=np.float64),
        confidence=np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0),
        hop_s=hop_s,
        tracker=tracker,
        version=version,
    )


def concat_tracks(parts: list[PitchTrack]) -> PitchTrack:
    """Join consecutive pieces of one stream's output (at least one piece)."""
    first = parts[0]
    return PitchTrack(
        times_s=np.concatenate([p.times_s for p in parts]),
        f0_hz=np.concatenate([p.f0_hz for p in parts]),
        confidence=np.concatenate([p.confidence for p in parts]),
        hop_s=first.hop_s,
        tracker=first.tracker,
        version=first.version,
    )


@runtime_checkable
class PitchStream(Protocol):
    """Incremental pitch tracking of one audio stream (one thread drives it).

    Times are on the stream's own sample clock: the first pushed sample is at 0 s.
    """

    def push(self, block: npt.ArrayLike) -> PitchTrack:
        """Add audio (any length, mono or (frames, channels), int or float); return newly final frames."""
        ...

    def flush(self) -> PitchTrack:
        """End of audio: return the remaining frames. The stream cannot be used afterwards."""
        ...


@runtime_checkable
class PitchTracker(Protocol):
    """A pitch tracker: batch :meth:`track` and incremental :meth:`stream` give the same frames.

    ``hop_s`` is the frame period; ``window_s`` the look-ahead a frame needs, i.e. audio after the frame's
    time that must have arrived before the frame can be emitted by a stream.
    """

    name: str
    version: str
    hop_s: float
    window_s: float
    default_confidence: float

    def track(self, samples: npt.ArrayLike, *, sample_rate_hz: int) -> PitchTrack: ...

    def stream(self, *, sample_rate_hz: int) -> PitchStream: ...
