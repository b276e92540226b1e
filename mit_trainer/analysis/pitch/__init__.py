"""Pitch trackers behind one interface (:class:`PitchTracker`), chosen by name with :func:`get_tracker`.

``DEFAULT_TRACKER`` is the tracker for scoring an attempt (batch), ``LIVE_TRACKER`` the one for the live
pitch display (streaming, low look-ahead). Both were chosen by measurement (``benchmarks/bench_pitch.py``).
"""

from __future__ import annotations

import threading
from typing import Any

from mit_trainer.analysis.pitch.base import (
    ANALYSIS_RATE_HZ,
    PitchStream,
    PitchTracker,
    VoicingSettings,
)

TRACKER_NAMES: tuple[str, ...] = (
    "crepe-tiny",
    "crepe-small",
    "crepe-medium",
    "crepe-full",
    "swiftf0",
    "yin",
    "pyin",
)
#: Batch scoring: SwiftF0 had raw pitch accuracy 1.000 (50 cents), voicing recall 1.000 and no false alarms
#: on the benchmark's sung phrases at 10-20 dB SNR, and is the fastest tracker after yin (about 9x faster
#: than crepe-tiny here); yin is faster still but calls 2.7% of noise frames voiced at 10 dB SNR.
DEFAULT_TRACKER = "swiftf0"
#: Live display: crepe-tiny needs only 32 ms of look-ahead (SwiftF0 needs 176 ms) and streaming adds about
#: 11 ms to that; RPA 0.988 with no false alarms in the same benchmark.
LIVE_TRACKER = "crepe-tiny"


def get_tracker(name: str, **options: Any) -> PitchTracker:
    """A new tracker by name (one of :data:`TRACKER_NAMES`).

    Options: ``voicing`` (:class:`VoicingSettings`) for every tracker; ``hop_s`` for crepe/yin/pyin
    (default 0.01; SwiftF0's hop is fixed at 16 ms); for CREPE also ``viterbi`` (bool), ``threads`` (int),
    ``batch_frames`` (int), ``gate`` (bool: skip frames the energy gate rejects, default True).
    Raises ValueError for an unknown name.
    """
    if name == "yin":
        from mit_trainer.analysis.pitch.classic import YinTracker

        return YinTracker(**options)
    if name == "pyin":
        from mit_trainer.analysis.pitch.classic import PyinTracker

        return PyinTracker(**options)
    if name.startswith("crepe-") and name in TRACKER_NAMES:
        from mit_trainer.analysis.pitch.crepe import CrepeTracker

        return CrepeTracker(model=name.removeprefix("crepe-"), **options)
    if name == "swiftf0":
        from mit_trainer.analysis.pitch.swift import SwiftF0Tracker

        return SwiftF0Tracker(**options)
    raise ValueError(f"unknown pitch tracker {name!r}; choose one of: {', '.join(TRACKER_NAMES)}")


_shared: dict[str, PitchTracker] = {}
_shared_lock = threading.Lock()


def shared_tracker(name: str) -> PitchTracker:
    """The process's one tracker of ``name`` with default options, built on first use and then reused.

    Building a tracker's onnxruntime session takes tens of milliseconds (once per attempt, it lengthened
    the GUI thread's gaps during an analysis); running a built session is thread-safe and releases the
    GIL. Raises ValueError for an unknown name.
    """
    with _shared_lock:
        tracker = _shared.get(name)
        if tracker is None:
            tracker = _shared[name] = get_tracker(name)
        return tracker


def load_runtime() -> bool:
    """Import the inference runtime (onnxruntime) now; False when it is not installed.

    Its extension's initialisation holds the GIL for ~30 ms in one piece (measured: the longest single
    hold of all start-up imports). A GUI calls this before its event loop runs, where nothing waits on
    it, rather than letting a start-up worker do it beside a responsive window.
    """
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def warm_up(name: str, *, batch: bool = True, stream: bool = True) -> None:
    """Build the shared tracker's sessions ahead of the first attempt (start-up, on a worker thread).

    Runs half a second of a 220 Hz tone through the batch path and/or through a stream (a CREPE
    tracker's streams have a session of their own: warm only the path that will be used).
    """
    import numpy as np

    t = np.arange(ANALYSIS_RATE_HZ // 2) / ANALYSIS_RATE_HZ
    tone = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    tracker = shared_tracker(name)
    if batch:
        tracker.track(tone, sample_rate_hz=ANALYSIS_RATE_HZ)
    if stream:
        live = tracker.stream(sample_rate_hz=ANALYSIS_RATE_HZ)
        live.push(tone)
        live.flush()


__all__ = [
    "ANALYSIS_RATE_HZ",
    "DEFAULT_TRACKER",
    "LIVE_TRACKER",
    "TRACKER_NAMES",
    "PitchStream",
    "PitchTracker",
    "VoicingSettings",
    "get_tracker",
    "load_runtime",
    "shared_tracker",
    "warm_up",
]
