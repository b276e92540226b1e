"""``mit-trainer gui --demo``: the real trainer driven by a script, a simulated patient and the fake device.

The script (a generator of wait conditions run by :class:`ScriptRunner`) unlocks as a demo therapist,
opens the simulated patient (with a few earlier sessions, so the progress charts have data), runs one
Level I item end to end (model, the simulated voice "sung" into the fake microphone, analysis, scores,
the therapist's score, next step), calibrates, and visits the editor, progress and settings. With a
screenshot folder it saves every surface at 1280x800 and 1920x1080 and exits; without one it runs at
real speed on the desktop and leaves the trainer open.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from mit_trainer.audio.fake_clock import DemoMicrophone
from mit_trainer.core import defaults
from mit_trainer.gui import wiring
from mit_trainer.gui.settings_store import GuiSettings

SIZES = ((1280, 800), (1920, 1080))
DEMO_PIN = "2468"
RATE_HZ = defaults.STREAM_SAMPLE_RATE_HZ
Script = Generator[Callable[[], bool], None, None]
log = logging.getLogger(__name__)


class ScriptRunner(QObject):
    """Runs a generator of conditions: each ``yield cond`` waits (on a timer, never sleeping) until true.

    At most one step per timer tick, even when the next condition is already true: a step is what a
    user does between two looks at the screen (a click, a key), and no user acts twice in one event-loop
    turn. Chaining ready steps in one turn would charge the GUI thread with several interactions at once.
    """

    finished = Signal(int)

    def __init__(self, script: Script, *, timeout_s: float = 90.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._script: Iterator[Callable[[], bool]] = script
        self._cond: Callable[[], bool] | None = None
        self._timeout_s, self._since = timeout_s, time.monotonic()
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-demo-script")
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        self._timer.start()

    def _where(self) -> str:
        frame = getattr(self._script, "gi_frame", None)
        return "?" if frame is None else f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno}"

    def _poll(self) -> None:
        try:
            if self._cond is None or self._cond():
                self._cond = next(self._script)
                log.info("demo step at line %s after %.1f s", self._where(), time.monotonic() - self._since)
                self._since = time.monotonic()
        except StopIteration:
            self._timer.stop()
            self.finished.emit(0)
            return
        except Exception:
            log.exception("demo script failed")
            self._timer.stop()
            self.finished.emit(1)
            return
        if time.monotonic() - self._since > self._timeout_s:
            log.error("demo script timed out waiting at line %s", self._where())
            import faulthandler

            faulthandler.dump_traceback(all_threads=True)
            self._timer.stop()
            self.finished.emit(1)


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


def run_demo(app: QApplication, *, db: str | None, screenshot_dir: Path | None) -> int:
    from mit_trainer.gui.app import build, prepare_to_show

    offscreen = screenshot_dir is not None
    tmp = None
    if db is None:
        tmp = tempfile.TemporaryDirectory(prefix="mit-trainer-demo-")
        db = str(Path(tmp.name) / "demo.sqlite3")
    mic = DemoMicrophone(speed=8.0 if offscreen else 1.0)
    from mit_trainer.audio.engine import AudioEngine

    engine = AudioEngine(mic.device, watchdog=False)
    from mit_trainer.audio.devices import AudioSettings

    engine.open(AudioSettings())
    audio = wiring.EngineAudio(engine)
    services, window = build(app, db=db, settings=GuiSettings(auto_lock_min=60.0), audio=audio)
    # The virtual clock runs near real time while the patient is recorded, so the live trace shows what a
    # patient would see (the live tracker is built for real time, not 8x); fast through the calibration's
    # recordings; otherwise at real time: nothing waits for it, and a fast fake device would run its
    # Python callbacks at 8x the rate of a sound card, loading the GUI thread more than a clinic would.
    recording_speed = 1.5 if offscreen else 1.0
    controller = services.controller

    def speed() -> float:
        if controller.is_recording():
            return recording_speed
        return mic.speed if services.calibration_recording() else 1.0

    mic.start_clock(speed)
    window.resize(*SIZES[0])
    window.lock()
    wiring.load_runtimes()
    prepare_to_show(app, window, services.patient_window)
    from mit_trainer.demo.script import demo_script

    monitor = StallMonitor(window)
    # From show() on (show itself included), 250 ms of the window appearing: a row of their own.
    monitor.phase = "window appears"
    QTimer.singleShot(250, lambda: setattr(monitor, "phase", "start"))
    monitor.start()
    window.show()
    runner = ScriptRunner(demo_script(services, window, mic, screenshot_dir, monitor))
    status: list[int] = []

    def done(code: int) -> None:
        status.append(code)
        monitor.stop()
        print(monitor.summary(), flush=True)
        if offscreen or code != 0:
            mic.stop_clock()
            services.shutdown()
            window.close()
            app.quit()

    runner.finished.connect(done)
    runner.start()
    app.exec()
    mic.stop_clock()
    services.shutdown()
    if tmp is not None:
        tmp.cleanup()
    code = status[0] if status else 1
    if code != 0:
        print("mit-trainer: error: the demo did not complete (see the log above)", file=sys.stderr)
    return code


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
