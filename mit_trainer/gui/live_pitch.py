"""Live pitch for the patient's trace: a worker thread drains new audio and runs the streaming tracker.

The worker owns its own timer (every ``POLL_MS``) on its own QThread: it takes whatever audio the
recording has captured since the last poll (``read_new()``), pushes it through the streaming pitch
tracker and emits the new frames through a queued signal. The GUI only stores them; the trace
redraws on its own ~30 Hz timer. Voice-to-screen latency = tracker look-ahead + poll period + redraw
period (CREPE-tiny: about 32 + 10 + 33 ms; ``benchmarks/bench_gui_latency.py`` measured p50 77 ms,
p90 89 ms).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from mit_trainer.gui.tasks import yield_cpu_to_gui

POLL_MS = 10
log = logging.getLogger(__name__)


class PitchStream(Protocol):
    def push(self, block: np.ndarray) -> Any: ...  # returns a PitchTrack of the new frames


class _Worker(QObject):
    frames = Signal(object, object)  # times_s, f0_hz (numpy arrays)
    failed = Signal(str)

    def __init__(self, read_new: Callable[[], np.ndarray], stream: PitchStream, time_offset_s: float) -> None:
        super().__init__()
        self._read_new: Callable[[], np.ndarray] | None = read_new
        self._stream: PitchStream | None = stream
        self._offset = time_offset_s
        self._timer: QTimer | None = None

    @Slot()
    def start(self) -> None:
        yield_cpu_to_gui()
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-live-pitch-poll")
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    @Slot()
    def stop(self) -> None:
        """Stop polling and let go of the stream and the recording (their native resamplers and buffers
        are freed now, not whenever the worker object is collected)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer.deleteLater()
            self._timer = None
        self.release()

    def release(self) -> None:
        """Drop the stream and the recording. From another thread only once this worker's thread ended
        (its queued ``stop`` may never have run: ``quit()`` can end the loop first)."""
        self._stream = None
        self._read_new = None

    @Slot()
    def poll(self) -> None:
        if self._stream is None or self._read_new is None:
            return  # stopped; a poll was already queued
        try:
            block = self._read_new()
            if block is None or len(block) == 0:
                return
            track = self._stream.push(np.asarray(block, dtype=np.float32))
            if track is not None and len(track):
                self.frames.emit(np.asarray(track.times_s) + self._offset, np.asarray(track.f0_hz))
        except Exception as exc:  # the live trace is a display aid: report once and stop polling
            log.exception("live pitch failed")
            if self._timer is not None:
                self._timer.stop()
            self.failed.emit(f"live pitch stopped: {exc}")


class LivePitch(QObject):
    """Start/stop a live pitch worker for one attempt. ``frames(times_s, f0_hz)`` arrive on the GUI thread."""

    frames = Signal(object, object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._ending: list[tuple[QThread, _Worker]] = []

    def start(
        self, read_new: Callable[[], np.ndarray], stream: PitchStream, *, time_offset_s: float = 0.0
    ) -> None:
        self.stop()
        thread = QThread()
        thread.setObjectName("live-pitch")
        worker = _Worker(read_new, stream, time_offset_s)
        worker.moveToThread(thread)
        worker.frames.connect(self.frames)
        worker.failed.connect(self.failed)
        thread.started.connect(worker.start)
        self._thread, self._worker = thread, worker
        thread.start()

    def running(self) -> bool:
        return self._thread is not None

    def stop(self) -> None:
        """Stop polling without waiting (the GUI thread never blocks on the tracker); the thread ends soon.

        The worker is disconnected first, so no frame of this attempt reaches the next one.
        """
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return
        self._thread = self._worker = None
        worker.frames.disconnect(self.frames)
        worker.failed.disconnect(self.failed)
        QMetaObject.invokeMethod(worker, "stop", Qt.ConnectionType.QueuedConnection)
        thread.quit()
        self._ending.append((thread, worker))
        thread.finished.connect(self._reap)

    def _reap(self) -> None:
        for pair in [p for p in self._ending if p[0].isFinished()]:
            self._ending.remove(pair)
            pair[1].release()
            pair[1].deleteLater()
            pair[0].deleteLater()

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Stop and wait for every worker thread (application exit, tests)."""
        self.stop()
        for thread, worker in self._ending:
            if thread.wait(timeout_ms):
                worker.release()
            worker.deleteLater()
            thread.deleteLater()
        self._ending.clear()
