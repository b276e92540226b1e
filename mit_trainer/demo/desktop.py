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
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from mit_trainer.audio.fake_clock import DemoMicrophone
from mit_trainer.demo.script import demo_script
from mit_trainer.demo.tools import (
    SIZES,
    Script,
    StallMonitor,
)
from mit_trainer.gui import wiring
from mit_trainer.gui.settings_store import GuiSettings

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
