"""What the demo's script and its runner share: the demo PIN and sizes, the stall monitor, screenshots,
and the simulated patient's calibration voice."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from mit_trainer.audio.fake_clock import RATE_HZ

SIZES = ((1280, 800), (1920, 1080))
DEMO_PIN = "2468"
Script = Generator[Callable[[], bool], None, None]
log = logging.getLogger(__name__)


class StallMonitor(QObject):
    """How long the GUI thread goes without serving a 10 ms timer, per phase of the demo.

    A gap longer than the timer's period is time the GUI thread spent on one piece of work (or on
    several back to back) while input and painting waited. Screenshots are the demo's own work, not
    the trainer's: :meth:`excluding` subtracts their exact duration from the gap they fall in.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-stall-monitor")
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self._excluding = False
        self.phase = "start"
        self.ticks: list[tuple[str, float]] = []  # (phase, gap in seconds)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @contextmanager
    def excluding(self) -> Iterator[None]:
        """Leave out the time spent inside (ticks that fire inside, e.g. from processEvents, too).

        The gap so far (the work before the screenshot) is recorded as a gap of its own, and a new one
        starts after: without the screenshot the event loop would have turned between the two.
        """
        if not self._excluding and self._timer.isActive():
            now = time.perf_counter()
            self.ticks.append((self.phase, now - self._last))
        self._excluding = True
        try:
            yield
        finally:
            self._excluding = False
            self._last = time.perf_counter()

    def _tick(self) -> None:
        if self._excluding:
            return
        now = time.perf_counter()
        self.ticks.append((self.phase, now - self._last))
        self._last = now

    def table(self) -> list[tuple[str, float, float, float, float, int]]:
        """Per phase (in order) and overall: (phase, seconds, p50, p99, longest gap in ms, gaps > 50 ms)."""
        order = list(dict.fromkeys(p for p, _ in self.ticks))
        rows = []
        for name in [*order, "whole demo"]:
            gaps = np.asarray([g for p, g in self.ticks if name in (p, "whole demo")]) * 1000.0
            if gaps.size:
                rows.append((name, gaps.sum() / 1000, float(np.median(gaps)), float(np.percentile(gaps, 99)),
                             float(gaps.max()), int((gaps > 50.0).sum())))  # fmt: skip
        return rows

    def summary(self) -> str:
        rows = self.table()
        if not rows:
            return "GUI thread: not measured"
        head = f"  {'phase':22s} {'s':>5s} {'p50':>6s} {'p99':>6s} {'longest':>8s} {'>50 ms':>7s}"
        lines = ["GUI thread: gaps of a 10 ms timer, ms (screenshots excluded)", head]
        for name, secs, p50, p99, longest, over in rows:
            lines.append(f"  {name:22s} {secs:5.1f} {p50:6.0f} {p99:6.0f} {longest:8.0f} {over:7d}")
        return "\n".join(lines)


def shoot(widget: QWidget, folder: Path | None, name: str, monitor: StallMonitor | None = None) -> None:
    """Save ``widget`` at each size of :data:`SIZES` as ``<name>-<w>x<h>.png``."""
    if folder is None:
        return
    with monitor.excluding() if monitor is not None else nullcontext():
        old = widget.size()
        for w, h in SIZES:
            widget.resize(w, h)
            QApplication.processEvents()  # one layout pass at the new size before grabbing
            widget.grab().save(str(folder / f"{name}-{w}x{h}.png"))
        widget.resize(old)
        QApplication.processEvents()


def synthetic_ah(f0_hz: float, seconds: float) -> np.ndarray:
    """A sustained "ah" at ``f0_hz`` from the project's voice synthesiser (the simulated patient's timbre)."""
    return _voice(np.full(int(seconds * RATE_HZ), f0_hz))


def synthetic_glide(lo_hz: float, hi_hz: float, seconds: float) -> np.ndarray:
    """A glide on "ah" from ``lo_hz`` up to ``hi_hz`` and back down."""
    half = int(seconds * RATE_HZ) // 2
    up = np.geomspace(lo_hz, hi_hz, half)
    return _voice(np.concatenate([up, up[::-1]]))


def _voice(f0_hz: np.ndarray) -> np.ndarray:
    from mit_trainer.analysis.voice import synthesize_voice

    n, ramp = len(f0_hz), RATE_HZ // 20
    amplitude = np.ones(n)
    amplitude[:ramp] = np.linspace(0.0, 1.0, ramp)
    amplitude[-ramp:] = np.linspace(1.0, 0.0, ramp)
    return synthesize_voice(f0_hz, sample_rate_hz=RATE_HZ, vowels="a", amplitude=amplitude, peak=0.4)
