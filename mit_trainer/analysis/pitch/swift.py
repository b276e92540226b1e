"""SwiftF0 pitch tracker (the ``swift-f0`` package: a small CNN on a spectrogram, run with onnxruntime).

SwiftF0 works at 16 kHz with a fixed 16 ms hop (256 samples), searches 46.875-2093.75 Hz (we narrow it to
the :class:`VoicingSettings` range) and calibrates its confidence so that 0.5 means voiced. Its own
``PitchStream`` reproduces the batch result and needs 10 frames of look-ahead (176 ms after a frame's
time, since the receptive field spans 2815 samples each way). The frame level for the energy gate is
SwiftF0's own ``loudness_db`` (32 ms centred on the frame).
"""

from __future__ import annotations

from importlib import metadata

import numpy as np
import numpy.typing as npt
import soxr
import swift_f0

from mit_trainer.analysis.audio_input import prepare_signal, to_mono_float
from mit_trainer.analysis.pitch.base import (
    ANALYSIS_RATE_HZ,
    STREAM_RESAMPLE_QUALITY,
    VoicingSettings,
    concat_tracks,
    decide_voicing,
    energy_gate,
    make_track,
    noise_floor_db,
)
from mit_trainer.core.records import FloatArray, PitchTrack

_HOP = 256


class SwiftF0Tracker:
    """SwiftF0 behind the :class:`~mit_trainer.analysis.pitch.base.PitchTracker` interface."""

    name = "swiftf0"
    default_confidence = 0.5
    hop_s = _HOP / ANALYSIS_RATE_HZ
    window_s = 11 * _HOP / ANALYSIS_RATE_HZ

    def __init__(
        self, *, voicing: VoicingSettings | None = None, threads: int = 2, hop_s: float | None = None
    ) -> None:
        if hop_s is not None and abs(hop_s - self.hop_s) > 1e-9:
            raise ValueError(f"SwiftF0's hop is fixed at {self.hop_s} s; got hop_s={hop_s}")
        self.voicing = voicing or VoicingSettings()
        self.version = metadata.version("swift-f0")
        self.threads = threads
        self._detector: swift_f0.SwiftF0 | None = None
        self.fmin_hz = max(self.voicing.fmin_hz, swift_f0.FMIN)
        self.fmax_hz = min(self.voicing.fmax_hz, swift_f0.FMAX)

    @property
    def confidence_threshold(self) -> float:
        t = self.voicing.confidence_threshold
        return self.default_confidence if t is None else t

    def detector(self) -> swift_f0.SwiftF0:
        if self._detector is None:
            self._detector = swift_f0.SwiftF0(threads=self.threads, spin=False)
        return self._detector

    def _finish(self, r: swift_f0.PitchResult, first_frame: int, floor_db: float | None) -> PitchTrack:
        levels = np.asarray(r.loudness_db, dtype=np.float64)
        conf = np.asarray(r.confidence, dtype=np.float64)
        floor = noise_floor_db(levels, self.voicing, conf) if floor_db is None else floor_db
        gate = energy_gate(levels, floor, self.voicing)
        f0 = decide_voicing(
            np.asarray(r.pitch_hz, dtype=np.float64),
            conf,
            gate,
            threshold=self.confidence_threshold,
            settings=self.voicing,
        )
        return make_track(
            first_frame=first_frame,
            f0_hz=f0,
            confidence=conf,
            hop_s=self.hop_s,
            tracker=self.name,
            version=self.version,
        )

    def track(self, samples: npt.ArrayLike, *, sample_rate_hz: int) -> PitchTrack:
        x = prepare_signal(samples, sample_rate_hz=sample_rate_hz, target_rate_hz=ANALYSIS_RATE_HZ)
        if x.size == 0:
            e = np.zeros(0)
            return make_track(
                first_frame=0,
                f0_hz=e,
                confidence=e,
                hop_s=self.hop_s,
                tracker=self.name,
                version=self.version,
            )
        r = self.detector().detect(x, ANALYSIS_RATE_HZ, self.fmin_hz, self.fmax_hz)
        return self._finish(r, 0, None)

    def stream(self, *, sample_rate_hz: int) -> SwiftF0Stream:
        return SwiftF0Stream(self, sample_rate_hz=sample_rate_hz)


class SwiftF0Stream:
    """Streaming SwiftF0: resample to 16 kHz, feed SwiftF0's own stream, apply the voicing decision."""

    def __init__(self, tracker: SwiftF0Tracker, *, sample_rate_hz: int) -> None:
        prepare_signal(np.zeros(0, dtype=np.float32), sample_rate_hz=sample_rate_hz, target_rate_hz=16000)
        self._t = tracker
        self._inner = tracker.detector().stream(tracker.fmin_hz, tracker.fmax_hz)
        self._resampler = (
            None
            if sample_rate_hz == ANALYSIS_RATE_HZ
            else soxr.ResampleStream(
                sample_rate_hz, ANALYSIS_RATE_HZ, 1, dtype="float32", quality=STREAM_RESAMPLE_QUALITY
            )
        )
        self._emitted = 0
        self._levels: list[FloatArray] = []
        self._n_levels = 0
        self._n_in = 0

    def push(self, block: npt.ArrayLike) -> PitchTrack:
        x = to_mono_float(block)
        if self._resampler is not None:
            x = self._resampler.resample_chunk(x)
        self._n_in += x.size
        return self._finish(self._inner.push(x, ANALYSIS_RATE_HZ))

    def flush(self) -> PitchTrack:
        parts = []
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
            if tail.size:
                self._n_in += tail.size
                parts.append(self._finish(self._inner.push(tail, ANALYSIS_RATE_HZ)))
        parts.append(self._finish(self._inner.flush()))
        return concat_tracks(parts)

    def _finish(self, r: swift_f0.PitchResult) -> PitchTrack:
        levels = np.asarray(r.loudness_db, dtype=np.float64)
        self._levels.append(levels)
        self._n_levels += levels.size
        limit = int(self._t.voicing.noise_history_s / self._t.hop_s)
        while len(self._levels) > 1 and self._n_levels - self._levels[0].size >= limit:
            self._n_levels -= self._levels.pop(0).size
        floor = noise_floor_db(np.concatenate(self._levels), self._t.voicing)
        out = self._t._finish(r, self._emitted, floor)
        self._emitted += len(out)
        return out
