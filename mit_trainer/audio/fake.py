"""A fake sound card: a WAV or array is "sung" into the microphone on a clock, what is played is kept.

:class:`FakeAudioDevice` implements the backend protocol, so the real :class:`AudioEngine` runs on it
unchanged. Two clocks: ``realtime=True`` runs the callbacks from a thread at the pace of real audio (demos,
the GUI's ``--demo`` mode); ``realtime=False`` is a virtual clock that only moves when a test calls
:meth:`advance`, which runs the callbacks synchronously, as fast as the machine can (deterministic tests).
An optional echo path (``echo_gain``) feeds what was played back into the microphone after the simulated
round trip, like a loudspeaker heard by the microphone. :meth:`disconnect` simulates an unplugged device:
the clock keeps running but no callback arrives.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import numpy.typing as npt

from mit_trainer.audio.backend import INPUT_OVERFLOW, StreamCallbacks
from mit_trainer.audio.devices import DeviceInfo
from mit_trainer.audio.errors import AudioError

FAKE_DEVICE_NAME = "Fake microphone and speaker"
#: Stream time of the first sample: arbitrary and non-zero, like a real stream clock.
STREAM_EPOCH_S = 1000.0


class FakeAudioDevice:
    """Backend whose microphone plays ``microphone`` (mono float32) at ``sample_rate_hz``."""

    name = "fake"

    def __init__(
        self,
        microphone: npt.NDArray[np.floating] | None = None,
        *,
        sample_rate_hz: int,
        block_size: int = 256,
        realtime: bool = False,
        input_latency_s: float = 0.010,
        output_latency_s: float = 0.020,
        echo_gain: float = 0.0,
        loop: bool = False,
    ) -> None:
        self.sample_rate_hz = int(sample_rate_hz)
        self.block_size = int(block_size)
        self.realtime = realtime
        self.self_clocked = realtime  # the virtual clock only moves when a test calls advance()
        self.input_latency_s = input_latency_s
        self.output_latency_s = output_latency_s
        self.echo_gain = echo_gain
        self.loop = loop
        mic = np.zeros(0, np.float32) if microphone is None else np.asarray(microphone, np.float32).ravel()
        self._mic = mic
        self._played = np.zeros(self.sample_rate_hz * 10, dtype=np.float32)
        self._n_played = 0
        self._frames = 0  # frames of stream time elapsed
        self._connected = True
        self._drop_frames = 0
        self._overflowed = False
        self._stream: _FakeStream | None = None
        self._lock = threading.Lock()
        self._t0 = time.perf_counter()

    # -- backend protocol ---------------------------------------------------------------------------
    def list_devices(self) -> list[DeviceInfo]:
        if not self._connected:
            return []
        return [
            DeviceInfo(
                index=0,
                name=FAKE_DEVICE_NAME,
                host_api="fake",
                max_input_channels=1,
                max_output_channels=1,
                default_sample_rate_hz=float(self.sample_rate_hz),
                default_low_input_latency_s=self.input_latency_s,
                default_low_output_latency_s=self.output_latency_s,
                is_default_input=True,
                is_default_output=True,
            )
        ]

    def negotiate_rate_hz(
        self, *, input_index: int | None, output_index: int | None, wanted: int | None
    ) -> int:
        return self.sample_rate_hz  # the fake card has one native rate, like most USB microphones

    def open_stream(
        self,
        *,
        input_index: int | None,
        output_index: int | None,
        sample_rate_hz: int,
        block_size: int,
        latency_s: float,
        callbacks: StreamCallbacks,
        input_channel: int = 0,
    ) -> _FakeStream:
        if input_channel != 0:
            raise AudioError("The fake microphone has one channel.")
        if not self._connected:
            raise AudioError("The fake device is disconnected.")
        self._stream = _FakeStream(
            self, callbacks, capture=input_index is not None, play=output_index is not None
        )
        return self._stream

    def rescan(self) -> None:
        """Nothing to re-enumerate; a disconnected fake stays disconnected until :meth:`reconnect`."""

    def monotonic_s(self) -> float:
        if self.realtime:
            return time.perf_counter() - self._t0
        return self._frames / self.sample_rate_hz

    # -- test controls ------------------------------------------------------------------------------
    def disconnect(self) -> None:
        """Simulate unplugging: callbacks stop, the clock goes on."""
        self._connected = False

    def drop_input(self, seconds: float) -> None:
        """Simulate an input overflow: the next ``seconds`` of microphone audio never reach the engine;
        the block after the gap carries the overflow flag and its true ADC time."""
        self._drop_frames += round(seconds * self.sample_rate_hz / self.block_size) * self.block_size

    def reconnect(self) -> None:
        self._connected = True

    def feed(self, samples: npt.NDArray[np.floating]) -> None:
        """Append more microphone audio (a demo can "sing" phrase after phrase)."""
        with self._lock:
            self._mic = np.concatenate([self._mic, np.asarray(samples, np.float32).ravel()])

    def played_audio(self) -> npt.NDArray[np.float32]:
        """Everything the engine sent to the loudspeaker, from the stream's first sample."""
        return self._played[: self._n_played].copy()

    def advance(self, seconds: float) -> None:
        """Virtual clock only: run ``seconds`` of audio through the callbacks now."""
        if self.realtime:
            raise AudioError("advance() is for the virtual clock; this fake runs in real time.")
        n_blocks = round(seconds * self.sample_rate_hz / self.block_size)
        for _ in range(n_blocks):
            self._step()

    # -- the "hardware" -----------------------------------------------------------------------------
    def _step(self) -> None:
        stream = self._stream
        bs = self.block_size
        start = self._frames
        self._frames += bs
        if stream is None or not stream.running or not self._connected:
            return
        rate = self.sample_rate_hz
        now = STREAM_EPOCH_S + self._frames / rate
        if stream.play:
            out = np.zeros(bs, dtype=np.float32)
            stream.callbacks.on_output(out, now + self.output_latency_s, now, 0)
            self._keep_played(out)
        if stream.capture and self._drop_frames > 0:
            self._drop_frames -= bs
            self._overflowed = True
            return  # this period of input is lost; playback went on
        if stream.capture:
            flags = INPUT_OVERFLOW if self._overflowed else 0
            self._overflowed = False
            block = self._mic_block(start - stream.first_frame, bs)
            if self.echo_gain and stream.play:
                rt = round((self.output_latency_s + self.input_latency_s) * rate) + bs
                j = np.arange(self._n_played - bs - rt, self._n_played - rt)
                ok = (j >= 0) & (j < self._n_played)
                block[ok] += self.echo_gain * self._played[j[ok]]
            stream.callbacks.on_input(block, now - bs / rate - self.input_latency_s, now, flags)

    def _mic_block(self, pos: int, n: int) -> npt.NDArray[np.float32]:
        out = np.zeros(n, dtype=np.float32)
        with self._lock:
            mic = self._mic
        if mic.size == 0:
            return out
        if self.loop:
            idx = (np.arange(pos, pos + n)) % mic.size
            return mic[idx].astype(np.float32)
        if pos < mic.size:
            k = min(n, mic.size - pos)
            out[:k] = mic[pos : pos + k]
        return out

    def _keep_played(self, out: npt.NDArray[np.float32]) -> None:
        n = out.size
        if self._n_played + n > self._played.size:
            self._played = np.concatenate([self._played, np.zeros(max(n, self._played.size), np.float32)])
        self._played[self._n_played : self._n_played + n] = out
        self._n_played += n

    def _run_realtime(self, stream: _FakeStream) -> None:
        period = self.block_size / self.sample_rate_hz
        next_t = time.perf_counter()
        while stream.running:
            next_t += period
            delay = next_t - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self._step()


class _FakeStream:
    def __init__(
        self, device: FakeAudioDevice, callbacks: StreamCallbacks, *, capture: bool, play: bool
    ) -> None:
        self._device = device
        self.callbacks = callbacks
        self.capture, self.play = capture, play
        self.sample_rate_hz = device.sample_rate_hz
        self.input_latency_s = device.input_latency_s if capture else 0.0
        self.output_latency_s = device.output_latency_s if play else 0.0
        self.running = False
        self.first_frame = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.running = True
        self.first_frame = self._device._frames
        if self._device.realtime:
            self._thread = threading.Thread(target=self._device._run_realtime, args=(self,), daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self.running = False
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(1.0)

    def close(self) -> None:
        self.stop()

    @property
    def active(self) -> bool:
        return self.running

    def time_s(self) -> float:
        return STREAM_EPOCH_S + self._device._frames / self.sample_rate_hz
