"""Framing shared by the window-based trackers (CREPE, yin, pyin): batch and streaming on one code path.

Frame ``k`` is centred on sample ``k * hop`` of the 16 kHz signal; its window spans
``[k * hop - frame_length / 2, k * hop + frame_length / 2)``, with zeros before the start and after the
end (librosa's ``center=True`` with constant padding). A subclass implements :meth:`FrameTracker._analyze`
on a padded segment. A frame-local tracker (``context_frames == lookahead_frames == 0``) streams exactly
what batch computes; a sequence model (pyin's HMM) is run on a sliding window with some context before and
``lookahead_frames`` after the emitted frames.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import numpy.typing as npt
import soxr

from mit_trainer.analysis.audio_input import Float32Array, prepare_signal, to_mono_float
from mit_trainer.analysis.pitch.base import (
    ANALYSIS_RATE_HZ,
    LEVEL_WINDOW,
    STREAM_RESAMPLE_QUALITY,
    VoicingSettings,
    decide_voicing,
    energy_gate,
    frame_levels_db,
    make_track,
    noise_floor_db,
)
from mit_trainer.core.records import FloatArray, PitchTrack

BoolArray = npt.NDArray[np.bool_]
#: Frame-local trackers analyse long signals this many frames at a time (bounded memory).
CHUNK_FRAMES = 2048


def n_frames_for(n_samples: int, hop: int) -> int:
    """Number of frames of a signal of ``n_samples`` (librosa ``center=True`` convention)."""
    return 0 if n_samples <= 0 else 1 + n_samples // hop


class FrameTracker(ABC):
    """Base of the window-based trackers. Subclasses set the class attributes and :meth:`_analyze`."""

    name: str
    version: str
    default_confidence: float
    frame_length: int = 1024
    #: frames of audio before the first emitted frame a stream re-analyses (sequence models only)
    context_frames: int = 0
    #: frames after the last emitted frame a stream waits for (sequence models only)
    lookahead_frames: int = 0
    #: a stream analyses at least this many new frames at a time
    min_batch_frames: int = 1

    def __init__(self, *, hop_s: float = 0.01, voicing: VoicingSettings | None = None) -> None:
        hop = round(hop_s * ANALYSIS_RATE_HZ)
        if hop < 16 or hop > 1600:
            raise ValueError(f"hop_s must be between 1 ms and 100 ms, got {hop_s}")
        self.hop = hop
        self.hop_s = hop / ANALYSIS_RATE_HZ
        self.voicing = voicing or VoicingSettings()
        self.window_s = (self.frame_length // 2 + self.lookahead_frames * hop) / ANALYSIS_RATE_HZ

    @property
    def confidence_threshold(self) -> float:
        t = self.voicing.confidence_threshold
        return self.default_confidence if t is None else t

    @abstractmethod
    def _analyze(
        self, padded: Float32Array, n_frames: int, active: BoolArray
    ) -> tuple[FloatArray, FloatArray]:
        """f0 (Hz, NaN allowed) and confidence of frames ``0..n_frames-1`` of ``padded``.

        Frame ``i``'s window is ``padded[i * hop : i * hop + frame_length]``. Frames where ``active`` is
        False will be unvoiced whatever is returned, so a tracker may skip them.
        """

    def _levels(self, padded: Float32Array, n_frames: int) -> FloatArray:
        centers = np.arange(n_frames, dtype=np.int64) * self.hop + self.frame_length // 2
        return frame_levels_db(padded, centers=centers)

    def _frames(
        self, padded: Float32Array, n_frames: int, floor_db: float | None
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Levels, voiced f0 and confidence; ``floor_db`` None estimates the floor from these frames."""
        levels = self._levels(padded, n_frames)
        floor = noise_floor_db(levels, self.voicing) if floor_db is None else floor_db
        gate = energy_gate(levels, floor, self.voicing)
        if self.context_frames or self.lookahead_frames:  # a sequence model sees the whole signal
            f0, conf = self._analyze(padded, n_frames, gate)
        else:  # frame-local: bounded memory on long recordings
            parts = [
                self._analyze(
                    padded[k * self.hop :], min(CHUNK_FRAMES, n_frames - k), gate[k : k + CHUNK_FRAMES]
                )
                for k in range(0, n_frames, CHUNK_FRAMES)
            ]
            f0 = np.concatenate([p[0] for p in parts])
            conf = np.concatenate([p[1] for p in parts])
        f0 = decide_voicing(f0, conf, gate, threshold=self.confidence_threshold, settings=self.voicing)
        return levels, f0, conf

    def track(self, samples: npt.ArrayLike, *, sample_rate_hz: int) -> PitchTrack:
        """Pitch of a whole signal (any rate, mono or stereo, int or float)."""
        x = prepare_signal(samples, sample_rate_hz=sample_rate_hz, target_rate_hz=ANALYSIS_RATE_HZ)
        n = n_frames_for(x.size, self.hop)
        half = self.frame_length // 2
        padded = np.zeros(half + (n - 1) * self.hop + self.frame_length, dtype=np.float32) if n else x[:0]
        padded[half : half + x.size] = x
        if n == 0:
            empty = np.zeros(0)
            return make_track(first_frame=0, f0_hz=empty, confidence=empty, hop_s=self.hop_s, **self._ident())
        _, f0, conf = self._frames(padded, n, None)
        return make_track(first_frame=0, f0_hz=f0, confidence=conf, hop_s=self.hop_s, **self._ident())

    def stream(self, *, sample_rate_hz: int) -> FrameStream:
        """An incremental tracker for audio arriving at ``sample_rate_hz``."""
        return FrameStream(self, sample_rate_hz=sample_rate_hz)

    def _ident(self) -> dict[str, str]:
        return {"tracker": self.name, "version": self.version}


class FrameStream:
    """Streaming form of a :class:`FrameTracker`; see the module docstring for the frame timing."""

    def __init__(self, tracker: FrameTracker, *, sample_rate_hz: int) -> None:
        self._t = tracker
        prepare_signal(np.zeros(0, dtype=np.float32), sample_rate_hz=sample_rate_hz, target_rate_hz=16000)
        self._resampler = (
            None
            if sample_rate_hz == ANALYSIS_RATE_HZ
            else soxr.ResampleStream(
                sample_rate_hz, ANALYSIS_RATE_HZ, 1, dtype="float32", quality=STREAM_RESAMPLE_QUALITY
            )
        )
        half = tracker.frame_length // 2
        self._buf = np.zeros(half, dtype=np.float32)  # padded signal from padded index self._buf_start
        self._buf_start = 0
        self._n_in = 0  # samples at 16 kHz received
        self._emitted = 0
        self._levels: list[FloatArray] = []  # level history for the noise floor
        self._n_levels = 0
        self._closed = False

    def push(self, block: npt.ArrayLike) -> PitchTrack:
        if self._closed:
            raise RuntimeError("this pitch stream has been flushed")
        x = to_mono_float(block)
        if self._resampler is not None:
            x = self._resampler.resample_chunk(x)
        self._append(x)
        t = self._t
        complete = self._complete_frames()
        ready = complete - t.lookahead_frames
        if ready - self._emitted < t.min_batch_frames:
            return self._empty()
        return self._emit(ready, complete)

    def flush(self) -> PitchTrack:
        if self._closed:
            raise RuntimeError("this pitch stream has been flushed")
        if self._resampler is not None:
            self._append(self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
        self._closed = True
        t = self._t
        n_total = n_frames_for(self._n_in, t.hop)
        need = t.frame_length // 2 + (n_total - 1) * t.hop + t.frame_length
        have = self._buf_start + self._buf.size
        if need > have:
            self._buf = np.concatenate([self._buf, np.zeros(need - have, dtype=np.float32)])
        if n_total <= self._emitted:
            return self._empty()
        return self._emit(n_total, n_total)

    def _append(self, x: Float32Array) -> None:
        if x.size:
            self._buf = np.concatenate([self._buf, x])
            self._n_in += x.size

    def _complete_frames(self) -> int:
        """Frames whose whole window has arrived (the end padding is not known until flush)."""
        t = self._t
        have = self._buf_start + self._buf.size
        if have < t.frame_length:
            return 0
        return min((have - t.frame_length) // t.hop + 1, n_frames_for(self._n_in, t.hop))

    def _emit(self, ready: int, complete: int) -> PitchTrack:
        t = self._t
        first = max(0, self._emitted - t.context_frames)
        lo = first * t.hop - self._buf_start
        hi = (complete - 1) * t.hop + t.frame_length - self._buf_start
        segment = self._buf[lo:hi]
        n_seg = complete - first
        levels_seg = t._levels(segment, n_seg)
        new_levels = levels_seg[self._emitted - first : ready - first]
        self._remember(new_levels)
        floor = noise_floor_db(np.concatenate(self._levels), t.voicing)
        _, f0, conf = t._frames(segment, n_seg, floor)
        k0, k1 = self._emitted - first, ready - first
        out = make_track(
            first_frame=self._emitted, f0_hz=f0[k0:k1], confidence=conf[k0:k1], hop_s=t.hop_s, **t._ident()
        )
        self._emitted = ready
        keep_from = max(0, ready - t.context_frames) * t.hop
        cut = keep_from - self._buf_start
        if cut > 0:
            self._buf = self._buf[cut:]
            self._buf_start = keep_from
        return out

    def _remember(self, levels: FloatArray) -> None:
        self._levels.append(levels)
        self._n_levels += levels.size
        limit = int(self._t.voicing.noise_history_s / self._t.hop_s)
        while self._n_levels - self._levels[0].size >= limit and len(self._levels) > 1:
            self._n_levels -= self._levels.pop(0).size

    def _empty(self) -> PitchTrack:
        e = np.zeros(0)
        return make_track(
            first_frame=self._emitted, f0_hz=e, confidence=e, hop_s=self._t.hop_s, **self._t._ident()
        )


__all__ = ["LEVEL_WINDOW", "FrameStream", "FrameTracker", "n_frames_for"]
