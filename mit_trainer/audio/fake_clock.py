"""The fake audio device on a virtual clock, driven by its own thread: the sound card of the demo and of
the GUI tests. The clock thread runs the engine's audio callbacks and feeds a simulated voice, so none of
that work lands on the GUI thread (as with a real device).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from mit_trainer.audio.fake import FakeAudioDevice
from mit_trainer.core import defaults

RATE_HZ = defaults.STREAM_SAMPLE_RATE_HZ


class DemoMicrophone:
    """The fake device on a virtual clock, run by this object's own thread, plus "say this now".

    The clock thread plays the part of the sound card: it runs the engine's audio callbacks and feeds
    the simulated voice, so none of that work lands on the GUI thread (as with a real device).
    :meth:`say_later` synthesises on the clock thread, with the clock held, so the voice still starts
    exactly ``after_s`` after the moment it was asked for.
    """

    def __init__(self, *, speed: float) -> None:
        self.device = FakeAudioDevice(sample_rate_hz=RATE_HZ, block_size=256, realtime=False)
        self.speed = speed
        self.frames = 0  # stream frames advanced so far (the stream starts at frame 0)
        self.fed = 0  # microphone samples queued so far
        self._owed = 0.0  # samples of clock time not yet run (less than one block)
        self._last_wall = time.perf_counter()
        self._lock = threading.RLock()
        self._jobs: list[tuple[Callable[[], np.ndarray], int]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def advance(self, seconds: float) -> None:
        """Run ``seconds`` of audio through the engine (whole blocks; the remainder is carried over)."""
        with self._lock:
            self._owed += seconds * RATE_HZ
            n_blocks = int(self._owed // self.device.block_size)
            if n_blocks <= 0:
                return
            self._owed -= n_blocks * self.device.block_size
            self.device.advance(n_blocks * self.device.block_size / RATE_HZ)
            self.frames += n_blocks * self.device.block_size

    def pace(self, speed: float) -> None:
        """Advance by the wall time since the last call times ``speed`` (at most 0.2 s of wall time)."""
        now = time.perf_counter()
        elapsed, self._last_wall = min(0.2, now - self._last_wall), now
        self.advance(elapsed * speed)

    def say(self, samples: np.ndarray, *, after_s: float = 0.0) -> None:
        """Queue ``samples`` to be heard ``after_s`` seconds from now."""
        with self._lock:
            self._feed_at(np.asarray(samples, np.float32), self.frames + int(after_s * RATE_HZ))

    def say_later(self, make: Callable[[], np.ndarray], *, after_s: float = 0.0) -> None:
        """Like :meth:`say`, but ``make()`` (the synthesis) runs on the clock thread."""
        with self._lock:
            self._jobs.append((make, self.frames + int(after_s * RATE_HZ)))

    def _feed_at(self, samples: np.ndarray, start: int) -> None:
        if start > self.fed:
            self.device.feed(np.zeros(start - self.fed, np.float32))
            self.fed = start
        self.device.feed(samples)
        self.fed += len(samples)

    def start_clock(self, speed: Callable[[], float]) -> None:
        """Run the clock on a thread at ``speed()`` times real time (checked every 5 ms)."""

        def run() -> None:
            while not self._stop.wait(0.005):
                with self._lock:
                    jobs, self._jobs = self._jobs, []
                    for make, start in jobs:  # the clock is held while the voice is made
                        self._feed_at(np.asarray(make(), np.float32), start)
                    self._last_wall = time.perf_counter() if jobs else self._last_wall
                    self.pace(speed())

        self._last_wall = time.perf_counter()
        self._thread = threading.Thread(target=run, name="demo-audio-clock", daemon=True)
        self._thread.start()

    def stop_clock(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
