"""Device-loss detection for :class:`AudioEngine`: a watchdog on missing callbacks, not only on errors.

A microphone that is unplugged, a sound server that hangs, or a stream that keeps running on silence
(PortAudio fills input underflows with zeros in a duplex stream) are all noticed within
``watchdog_timeout_s`` plus one watchdog period. The attempt in progress is finalised first (nothing
recorded is lost), then an :class:`AudioEvent` with a sentence for the user is queued.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mit_trainer.audio.results import AudioEvent

if TYPE_CHECKING:
    from mit_trainer.audio.attempt import AttemptRecording
    from mit_trainer.audio.devices import AudioSettings

#: Time allowed between starting a stream and its first callback before the device counts as lost.
START_TIMEOUT_S = 3.0
WATCHDOG_PERIOD_S = 0.1


class DeviceHealth:
    """Mixed into :class:`AudioEngine`; uses the engine's stream state (set by its callbacks)."""

    _events: queue.SimpleQueue[AudioEvent]
    _listener: Callable[[AudioEvent], None] | None
    _stream: Any
    _lost: bool
    _closing: bool
    _finished: bool
    _capture: bool
    _settings: AudioSettings
    _attempt: AttemptRecording | None
    _last_in_mono: float | None
    _last_out_mono: float | None
    _underflow_since: float | None
    _opened_mono: float
    _watchdog_stop: Any

    def _monotonic(self) -> float:
        raise NotImplementedError

    def _close_stream(self) -> None:
        raise NotImplementedError

    def events(self) -> list[AudioEvent]:
        """Drain the events (device lost, reopened) that happened since the last call."""
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    @property
    def device_lost(self) -> bool:
        return self._lost

    def _emit(self, kind: str, message: str) -> AudioEvent:
        event = AudioEvent(kind, message, self._monotonic())
        self._events.put(event)
        if self._listener is not None:
            with contextlib.suppress(Exception):  # a broken listener must not stop the watchdog
                self._listener(event)
        return event

    def check_health(self) -> AudioEvent | None:
        """One watchdog check; the watchdog thread calls it every 0.1 s. Returns the loss event, if any."""
        if self._stream is None or self._lost or self._closing:
            return None
        reason = self._loss_reason(self._monotonic())
        if reason is None:
            return None
        self._lost = True
        attempt = self._attempt
        if attempt is not None:
            attempt.interrupt(reason)  # finalise the file first: nothing recorded is lost
        event = self._emit("device_lost", reason)
        try:
            self._close_stream()
        except Exception:  # a broken device may refuse to close; the stream is abandoned either way
            self._stream = None
        return event

    def _loss_reason(self, now: float) -> str | None:
        timeout = self._settings.watchdog_timeout_s
        what = "microphone" if self._capture else "loudspeaker"
        if self._finished:
            return f"The audio device stopped (the {what} was unplugged or the sound system failed)."
        last = self._last_in_mono if self._capture else self._last_out_mono
        if last is None:
            if now - self._opened_mono > START_TIMEOUT_S:
                return (
                    f"The {what} did not start within {START_TIMEOUT_S:.0f} s; check it and choose it again."
                )
            return None
        if now - last > timeout:
            return (
                f"No sound has come from the {what} for {now - last:.1f} s; it may have been unplugged. "
                "The recording so far is saved."
            )
        since = self._underflow_since
        if self._capture and since is not None and now - since > timeout:
            return (
                "The microphone stopped delivering sound; it may have been unplugged. "
                "The recording so far is saved."
            )
        return None

    def _watchdog_loop(self) -> None:
        while not self._watchdog_stop.wait(WATCHDOG_PERIOD_S):
            if self.check_health() is not None:
                return
