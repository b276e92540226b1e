"""GUI test fixtures: a trainer on the fake audio device, and a check that no test leaves work running."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication

from mit_trainer.gui.settings_store import GuiSettings


@pytest.fixture(autouse=True)
def no_leftover_threads_or_timers(qapp: QApplication) -> Iterator[None]:
    """Fail a test that leaves a Python thread, a QThread or a QTimer of ours running (napari-style)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    qapp.processEvents()
    alive = [t for t in threading.enumerate() if t.ident not in before and t.is_alive() and not t.daemon]
    assert not alive, f"threads left running: {[t.name for t in alive]}"
    for w in qapp.topLevelWidgets():
        # Our timers are named "mit-..." (Qt's own, e.g. the status bar's message timeout, are not).
        active = [
            t.objectName()
            for t in w.findChildren(QTimer)
            if t.isActive() and t.objectName().startswith("mit-")
        ]
        running = [t.objectName() for t in w.findChildren(QThread) if t.isRunning()]
        assert not running, f"QThreads left running under {w!r}: {running}"
        assert not active, f"timers left running under a closed {w!r}: {active}"


@dataclass
class Rig:
    services: Any
    window: Any
    mic: Any
    pump: QTimer

    def close(self) -> None:
        self.pump.stop()
        self.services.shutdown()
        self.window.close()
        self.services.patient_window.close()


def make_rig(tmp_path: Path) -> Rig:
    """The whole trainer on a temporary database and the fake audio device (virtual clock, 8x speed),
    built but not shown."""
    from mit_trainer.audio.devices import AudioSettings
    from mit_trainer.audio.engine import AudioEngine
    from mit_trainer.audio.fake_clock import DemoMicrophone
    from mit_trainer.gui import wiring
    from mit_trainer.gui.app import build

    mic = DemoMicrophone(speed=8.0)
    engine = AudioEngine(mic.device, watchdog=False)
    engine.open(AudioSettings())
    services, window = build(
        QApplication.instance(),
        db=str(tmp_path / "t.sqlite3"),
        settings=GuiSettings(),
        audio=wiring.EngineAudio(engine),
    )
    pump = QTimer()
    pump.setInterval(10)
    pump.timeout.connect(lambda: mic.pace(mic.speed))
    pump.start()
    window.resize(1280, 800)
    return Rig(services, window, mic, pump)


@pytest.fixture
def unshown_rig() -> Any:
    """:func:`make_rig` itself, for tests of how the window is first shown."""
    return make_rig


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path) -> Iterator[Rig]:
    """The whole trainer (see :func:`make_rig`), shown as the app shows it, its store open."""
    from mit_trainer.gui.app import prepare_to_show

    r = make_rig(tmp_path)
    prepare_to_show(QApplication.instance(), r.window, r.services.patient_window)
    r.window.show()
    qtbot.waitUntil(lambda: r.services.store is not None, timeout=30000)
    yield r
    r.close()
