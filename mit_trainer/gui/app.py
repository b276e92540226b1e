"""Builds the desktop trainer: services constructed once here and passed to the windows.

:func:`build` creates the task runner, opens the store (in the background, so the window shows at
once), the audio engine, the patient model and window, the session controller and the main window
with its panels. :func:`run` starts the event loop. Heavy modules (analysis, CREPE) are imported only
when first needed, so the main window is usable within a fraction of a second.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QWidget

from mit_trainer.core.defaults import DB_FILENAME
from mit_trainer.gui import wiring
from mit_trainer.gui.main_window import MainWindow
from mit_trainer.gui.patient.model import PatientScreenModel
from mit_trainer.gui.patient.window import PatientWindow
from mit_trainer.gui.session_controller import SessionController
from mit_trainer.gui.settings_store import GuiSettings, load_settings, save_settings
from mit_trainer.gui.tasks import StagedWork, TaskRunner
from mit_trainer.gui.theme import THEMES, style_sheet, theme_steps
from mit_trainer.gui.therapist.lock import IdleLock

log = logging.getLogger(__name__)


class Services(QObject):
    """Everything the panels share; built once by :func:`build`."""

    theme_changed = Signal(object)  # Theme
    audio_message = Signal(str)  # device lost / restarted: shown to the therapist
    store_ready = Signal(object)  # the store, once it has opened (on the GUI thread)

    def __init__(self, app: QApplication, settings: GuiSettings, *, db: str | None, audio: Any) -> None:
        super().__init__()
        self.app = app
        self.settings = settings
        self.db = db
        self.store: Any = None
        self.therapist: Any = None
        self.calibration_feed: Any = None  # demo: the simulated patient's voice for the calibration wizard
        self.audio = audio
        self.tasks = TaskRunner(self)
        self.theme = THEMES.get(settings.theme, THEMES["light"])
        self.patient_model = PatientScreenModel()
        self.patient_window = PatientWindow(self.patient_model, theme=self.theme, tap_side=settings.tap_side)
        self.controller = SessionController(
            tasks=self.tasks,
            audio=audio,
            patient=self.patient_model,
            stream_factory=wiring.live_stream,
            record_dir=wiring.scratch_recordings_dir(),
            parent=self,
        )
        self.patient_window.tapped.connect(self.controller.mark_tap)
        self.tap_shortcut: QShortcut | None = None  # see add_tap_key
        self.controller.live.frames.connect(self.patient_window.trace.add_frames)
        self.controller.recording_changed.connect(self._recording_changed)
        self.patient_model.on_pause_requested(self.controller.toggle_pause)
        self._audio_watch = QTimer(self)
        self._audio_watch.setObjectName("mit-audio-events")
        self._audio_watch.setInterval(250)
        self._audio_watch.timeout.connect(self._check_audio)
        self._audio_watch.start()
        self.calibration_recording: Any = lambda: False  # set by the calibration wizard while it is open
        self.record_model_recording: Any = lambda: False  # set by the "Record my model" dialog
        self.idle_lock = IdleLock(timeout_s=settings.auto_lock_min * 60.0, is_busy=self.recording_anything)
        self.idle_lock.watch_application(app)
        # Widgets that carry the theme's style sheet: the patient window, and the main window's pages and
        # bars (each its own restyle step), never the application (see gui.theme.theme_steps).
        self.themed_widgets: list[QWidget] = [self.patient_window]
        self.theme_work = StagedWork(self)
        self._shut = False

    def recording_anything(self) -> bool:
        """A session attempt, a calibration or a recorded model is being recorded (the auto-lock waits)."""
        return bool(
            self.controller.is_recording() or self.calibration_recording() or self.record_model_recording()
        )

    def _check_audio(self) -> None:
        """Device loss is noticed by the audio engine's watchdog; here it reaches the therapist (4 Hz)."""
        audio = self.audio
        if audio is None or not hasattr(audio, "events"):
            return
        for kind, message in audio.events():
            if kind == "device_lost":
                self.controller.stop_attempt()  # what was recorded is kept and analysed as interrupted
                self.audio_message.emit(f"{message} Choose a device in Settings and press Apply.")
            elif kind == "reopened":
                self.audio_message.emit(message)

    def _recording_changed(self, on: bool) -> None:
        trace = self.patient_window.trace
        if on:
            trace.clear_trace()
            trace.start()
        else:
            trace.stop()

    def set_audio(self, audio: Any) -> None:
        self.audio = audio
        self.controller.set_audio(audio)

    def update_settings(self, settings: GuiSettings) -> None:
        old, self.settings = self.settings, settings
        save_settings(settings)
        self.apply_settings()
        devices = (settings.input_device, settings.output_device)
        lost = bool(getattr(getattr(self.audio, "engine", None), "device_lost", False))
        if (lost or devices != (old.input_device, old.output_device)) and hasattr(self.audio, "reopen"):
            audio = self.audio
            self.tasks.run_in_background(lambda: audio.reopen(*devices), executor="analysis")

    def apply_settings(self, *, staged: bool = True) -> None:
        """Theme, font scale, tap pad, cue tone and auto-lock from :attr:`settings` (start and Apply).

        The values take effect at once; restyling the windows for a new theme or type size runs one
        step per event-loop turn (``staged``; :attr:`theme_work` emits ``finished`` after the last),
        so the GUI thread is never held for the whole restyle. At start-up it runs at once.
        """
        st = self.settings
        self.theme = theme = THEMES.get(st.theme, THEMES["light"])
        pw = self.patient_window
        pw.set_tap_side(st.tap_side)
        pw.tap_pad.set_side_mm(st.tap_pad_mm)
        if self.tap_shortcut is not None:
            self.tap_shortcut.setKey(QKeySequence(st.tap_key))
        pw.lanes.set_point_size(40.0 * st.font_scale)
        self.controller.cue_tone = st.cue_tone
        self.idle_lock.set_timeout_s(st.auto_lock_min * 60.0)
        steps = theme_steps(self.app, theme, widgets=self.themed_widgets, font_scale=st.font_scale)
        steps += [lambda: pw.apply_theme(theme), lambda: self.theme_changed.emit(theme)]
        if staged:
            self.theme_work.run(steps)
        else:
            self.theme_work.run_now(steps)

    def add_tap_key(self, window: QWidget) -> None:
        """The tap key (or a foot pedal that sends it) taps from whichever of the trainer's windows has
        focus. It belongs to the always-visible main ``window``: a hidden widget's shortcuts never fire."""
        shortcut = QShortcut(QKeySequence(self.settings.tap_key), window)
        shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        shortcut.setAutoRepeat(False)
        shortcut.activated.connect(self.patient_window.tap_pad.tap)
        self.tap_shortcut = shortcut

    def add_themed(self, widget: QWidget) -> None:
        """Give ``widget`` (and its children and dialogs) the theme's style sheet now and on every change."""
        self.themed_widgets.append(widget)
        widget.setStyleSheet(style_sheet(self.theme))

    def shutdown(self) -> None:
        if self._shut:
            return
        self._shut = True
        settle_heap()  # collections back on even if the start-up imports never reported back
        self.controller.shutdown()
        self._audio_watch.stop()
        self.idle_lock.disarm()
        self.idle_lock.unwatch_application(self.app)
        self.tasks.wait_idle()
        # staged GUI steps not yet run (charts appearing, a restyle): the windows are closing
        owners = [self, *self.app.topLevelWidgets()]
        for staged in [s for owner in owners for s in owner.findChildren(StagedWork)]:
            staged.cancel()
        self.patient_window.close()
        if self.audio is not None and hasattr(self.audio, "close"):
            self.audio.close()
        if self.store is not None and hasattr(self.store, "close"):
            self.store.close()


def build(
    app: QApplication, *, db: str | None, settings: GuiSettings | None = None, audio: Any = None
) -> tuple[Services, MainWindow]:
    """Construct the services and the main window with all panels (the store opens in the background)."""
    from mit_trainer.gui.panels import add_panels

    settings = settings or load_settings()
    if db is None and settings.data_folder:
        db = str(Path(settings.data_folder).expanduser() / DB_FILENAME)
    services = Services(app, settings, db=db, audio=audio)
    services.apply_settings(staged=False)
    window = MainWindow(services)
    services.add_tap_key(window)
    add_panels(window, services)
    hold_collections()  # until the session modules are imported (settle_heap)

    def start_work() -> None:
        if audio is None:  # opening PortAudio can take a while: not on the GUI thread
            services.tasks.run_in_background(
                lambda: wiring.make_audio(settings),
                services.set_audio,
                lambda e: window.say(str(e)),
                executor="analysis",
            )

        def prewarm() -> None:
            # Import what a session needs now, on a worker, so no import stalls the GUI thread later.
            services.tasks.run_in_background(
                wiring.prewarm, lambda _r: settle_heap(), lambda _e: settle_heap(), executor="analysis"
            )

        def opened(store: Any) -> None:
            services.store = store
            note = getattr(store, "startup_note", "")
            if note:  # a crash was recovered, or the file is damaged: said once, where the therapist looks
                window.lock_screen.message.setText(note)
                window.say(note)
            window.refresh_therapists()
            services.store_ready.emit(store)
            prewarm()

        def failed(exc: BaseException) -> None:
            window.lock_screen.show_error(f"Cannot open the database: {exc}")
            prewarm()

        # One start-up job at a time: the store first (the lock screen needs it), then the imports.
        # Two workers running Python at once beside the GUI thread left it waiting for the GIL (the
        # interpreter hands it to either waiting thread): 45-61 ms gaps at start-up.
        services.tasks.run_in_background(lambda: wiring.open_store(db), opened, failed)

    # The window's first paint goes first: on two cores, imports and the database opening on workers
    # hold the GIL often enough to stretch it past 50 ms (xcb: 34-60 ms; after it: 15-19 ms).
    AfterFirstPaint(window, start_work)
    return services, window


class AfterFirstPaint(QObject):
    """Runs ``work`` once, in the event-loop turn after ``window``'s first paint, or after ``fallback_ms``
    if the window is not shown by then (a window built but never shown, as in some tests)."""

    def __init__(self, window: QWidget, work: Callable[[], None], *, fallback_ms: int = 2000) -> None:
        super().__init__(window)
        self._work: Callable[[], None] | None = work
        self._window = window
        window.installEventFilter(self)
        self._fallback = QTimer(self)
        self._fallback.setSingleShot(True)
        self._fallback.timeout.connect(self._run)
        self._fallback.start(fallback_ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, self._run)
        return False

    def done(self) -> bool:
        return self._work is None

    def _run(self) -> None:
        self._fallback.stop()
        work, self._work = self._work, None
        if work is not None:
            self._window.removeEventFilter(self)
            work()


def hold_collections() -> None:
    """Start-up: no garbage collection until :func:`settle_heap` (imports make little cyclic garbage)."""
    gc.disable()


def settle_heap() -> None:
    """Exempt every object alive now (modules, classes, widgets) from garbage collection, and resume it.

    A full collection walks every tracked object while holding the GIL: with scipy, onnxruntime,
    SQLAlchemy and Qt loaded that took 35-220 ms, whichever thread triggered it, and the GUI thread
    waited. What exists once the session modules are imported lives as long as the process, so it is
    frozen (``gc.freeze``); collections then walk only what was made since.
    """
    gc.freeze()
    gc.enable()


def prepare_to_show(app: QApplication, *windows: QWidget) -> None:
    """Polish and lay out ``windows`` and handle what building them posted, before they are first shown.

    Building the pages posts hundreds of events (a polish and a layout request per widget, pyqtgraph's
    queued calls); the first event-loop turn after ``show()`` would handle all of them at once, with
    the window on screen and not responding (100-150 ms here). Done before, the window is not yet
    visible and ``show()`` plus the first paint take one short turn.
    """
    for window in windows:
        window.ensurePolished()
        layout = window.layout()
        if layout is not None:
            layout.activate()
    for _ in range(2):  # handling the first batch posts a few more
        app.sendPostedEvents()


def application() -> QApplication:
    """The application object, set up as the trainer wants it (also used by the demo)."""
    app = QApplication.instance() or QApplication([])
    # Hand the GIL to the GUI thread more often than every 5 ms while workers analyse audio.
    sys.setswitchinterval(0.002)
    app.setApplicationName("MIT Trainer")
    return app  # type: ignore[return-value]


def run(*, db: str | None) -> int:
    app = application()
    services, window = build(app, db=db)
    window.resize(1280, 800)
    window.lock()
    wiring.load_runtimes()  # ~40 ms before the window appears instead of a ~30 ms stall after it
    prepare_to_show(app, window, services.patient_window)  # the patient's window shows with the session
    window.show()
    status = app.exec()
    services.shutdown()
    return int(status)
