"""Background work for the GUI (Anki's ``taskman`` pattern).

A job runs on a worker thread of one of two small pools (database work and analysis work are kept
apart so a long analysis never delays a save). The job never touches widgets: its result or its
exception is delivered to ``on_success`` / ``on_failure`` on the GUI thread through a queued signal.
``TaskRunner.wait_idle`` lets tests and shutdown wait for every job to finish.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

T = TypeVar("T")
WORKER_NICE = 10  # how much lower a worker thread's priority is than the GUI's (0-19)
log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the GUI thread; receives the worker's result through a queued connection."""

    done = Signal(object)  # a list [result, exception]; never a bare None (PySide refcount bug)


def yield_cpu_to_gui() -> None:
    """Run the calling worker thread at a lower CPU priority than the GUI thread (Linux: per thread).

    On a two-core workstation the analysis, the database and the live tracker are CPU-bound next to
    the GUI thread; the kernel then gives the GUI thread the CPU first. Elsewhere this does nothing.
    """
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not permitted: priorities stay equal
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        yield_cpu_to_gui()
        try:
            result = self._fn()
        except BaseException as exc:  # delivered to on_failure on the GUI thread
            exc.__dict__.setdefault("_gui_traceback", traceback.format_exc())
            self._relay.done.emit([None, exc])
            return
        self._relay.done.emit([result, None])


class TaskRunner(QObject):
    """Two executors: ``db`` (one thread, keeps writes ordered) and ``analysis`` (one thread)."""

    failed = Signal(str)  # a job failed and nobody handled it: a one-line message for the status bar

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools = {"db": QThreadPool(self), "analysis": QThreadPool(self)}
        for pool in self._pools.values():
            pool.setMaxThreadCount(1)
        self._relays: set[_Relay] = set()

    def run_in_background(
        self,
        fn: Callable[[], T],
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        executor: str = "db",
    ) -> None:
        """Run ``fn()`` on ``executor`` ("db" or "analysis"); call back on the GUI thread."""
        relay = _Relay()
        self._relays.add(relay)

        @Slot(object)
        def finish(outcome: list[Any]) -> None:
            result, exc = outcome
            self._relays.discard(relay)
            relay.deleteLater()
            if exc is None:
                if on_success is not None:
                    on_success(result)
                return
            if on_failure is not None:
                on_failure(exc)
            else:
                log.error("background job failed: %s", exc.__dict__.get("_gui_traceback", exc))
                self.failed.emit(f"{type(exc).__name__}: {exc}")

        relay.done.connect(finish)
        self._pools[executor].start(_Job(fn, relay))

    def busy(self) -> bool:
        return bool(self._relays)

    def wait_idle(self, timeout_ms: int = 30000) -> bool:
        """Block until all pools are idle (shutdown and tests only; never during normal GUI work)."""
        return all(pool.waitForDone(timeout_ms) for pool in self._pools.values())


class StagedWork(QObject):
    """Runs a list of short GUI-thread steps one per event-loop turn, so no single turn is long.

    For work that must touch widgets (a theme change restyles hundreds of them) and so cannot go to a
    worker: between two steps Qt paints, serves timers and handles input. Starting a new list drops
    what is left of the previous one (the newest settings win). ``finished`` follows the last step.
    """

    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._steps: list[Callable[[], None]] = []
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-staged-work")
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._next)

    def run(self, steps: list[Callable[[], None]]) -> None:
        self._steps = list(steps)
        self._timer.start()

    def run_now(self, steps: list[Callable[[], None]]) -> None:
        """All steps at once (start-up, before the window is shown)."""
        self._timer.stop()
        self._steps = []
        for step in steps:
            step()
        self.finished.emit()

    def pending(self) -> bool:
        return bool(self._steps)

    def cancel(self) -> None:
        """Drop the steps not yet run (the window is closing)."""
        self._timer.stop()
        self._steps = []

    def remaining(self) -> list[Callable[[], None]]:
        """The steps not yet run (to run other steps before them: ``run([*first, *remaining()])``)."""
        return list(self._steps)

    def _next(self) -> None:
        if not self._steps:
            return
        self._steps.pop(0)()
        if self._steps:
            self._timer.start()
        else:
            self.finished.emit()
