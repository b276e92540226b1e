"""An unplugged microphone during an attempt: the therapist is told, the recording is kept, and the
device can be chosen again without restarting."""

from __future__ import annotations

from typing import Any

import soundfile as sf
from test_session_end_to_end import _start_level1_session


def test_device_loss_is_reported_and_the_recording_kept(qtbot: Any, rig: Any) -> None:
    _start_level1_session(qtbot, rig)
    s, c = rig.services, rig.services.controller
    engine = s.audio.engine
    rig.window.pages["session"].buttons["play"].click()
    qtbot.waitUntil(lambda: c.is_recording() and c.recording.position_s() > 0.5, timeout=20000)
    path = c.recording._attempt.path
    rig.mic.device.disconnect()  # callbacks stop; the stream clock goes on
    rig.mic.advance(1.5)
    event = engine.check_health()  # what the watchdog thread does every 0.1 s
    assert event is not None and event.kind == "device_lost"
    qtbot.waitUntil(lambda: c.recording is None, timeout=5000)
    qtbot.waitUntil(lambda: "Settings" in rig.window.statusBar().currentMessage(), timeout=5000)
    info = sf.info(str(path))
    assert info.frames / info.samplerate >= 0.4  # what was recorded before the loss is on disk
    # Plugged in again and applied from Settings: the engine restarts and attempts work again.
    rig.mic.device.reconnect()
    rig.window.pages["settings"].apply_button.click()
    qtbot.waitUntil(lambda: not engine.device_lost and engine.is_open, timeout=10000)
