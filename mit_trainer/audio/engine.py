"""The audio engine: one stream for playback and capture, recording attempts, taps, levels, a watchdog.

The stream runs from :meth:`AudioEngine.open` to :meth:`AudioEngine.close` so the level meter and live
pitch trace work between attempts. Its callbacks (:meth:`on_input`, :meth:`on_output`) only copy into
preallocated buffers, stamp the stream clock and count glitches: no locks, no logging, no Qt, no file I/O.
Everything else happens on the caller's thread, the recorder thread or the watchdog thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import soxr

from mit_trainer.audio.backend import (
    INPUT_OVERFLOW,
    INPUT_UNDERFLOW,
    OUTPUT_OVERFLOW,
    OUTPUT_UNDERFLOW,
    AudioBackend,
    AudioStream,
)
from mit_trainer.audio.devices import AudioSettings, find_device
from mit_trainer.audio.errors import AudioError, AudioUnavailableError
from mit_trainer.audio.health import DeviceHealth
from mit_trainer.audio.levels import SILENCE_DBFS, estimate_noise_floor_dbfs, level_stats
from mit_trainer.audio.recording import RecordingWriter
from mit_trainer.audio.results import AudioEvent, InputLevel, StreamInfo, XrunCounts
from mit_trainer.audio.ringbuffer import BlockClockLog, SampleRing

if TYPE_CHECKING:
    from mit_trainer.audio.attempt import AttemptRecording

#: How long :meth:`AudioEngine.open` waits for a new stream to deliver audio before restarting it once.
STARTUP_CHECK_S = 2.5
#: Stream age (in samples' time) before its clock stamps are trusted; PulseAudio's ALSA plugin reports
#: input times hundreds of ms off during the first ~1.5 s of a stream (measured, see tests/audio).
SETTLE_AGE_S = 2.0


class AudioEngine(DeviceHealth):
    """Full-duplex audio for the trainer; see the package docstring for the API walk-through."""

    def __init__(
        self,
        backend: AudioBackend | None = None,
        *,
        event_listener: Callable[[AudioEvent], None] | None = None,
        watchdog: bool = True,
    ) -> None:
        self._backend = backend
        self._listener = event_listener
        self._use_watchdog = watchdog
        self._events: queue.SimpleQueue[AudioEvent] = queue.SimpleQueue()
        self._stream: AudioStream | None = None
        self._settings = AudioSettings()
        self._info: StreamInfo | None = None
        self._attempt: AttemptRecording | None = None
        self._attempt_lock = threading.Lock()
        self._watchdog_stop = threading.Event()
        self._watchdog_thread: threading.Thread | None = None
        self._reset_stream_state(1)

    # -- state shared with the callbacks (plain attributes, single writer each) --------------------
    def _reset_stream_state(self, sample_rate_hz: int, ring_seconds: float = 1.0) -> None:
        self._rate = sample_rate_hz
        self._ring = SampleRing(max(1024, int(ring_seconds * sample_rate_hz)))
        self._in_clock = BlockClockLog(8192)
        self._out_clock = BlockClockLog(8192)
        self._out_count = 0
        self._stim: npt.NDArray[np.float32] | None = None
        self._stim_pos = 0
        self._stim_start_out_index = -1
        self._stim_armed = False
        self._n_in_over = self._n_in_under = self._n_out_under = self._n_out_over = 0
        self._underflow_since: float | None = None
        self._last_adc_s: float | None = None
        self._last_in_frames = 0
        self._n_padded = 0
        self._settled_at = int(SETTLE_AGE_S * sample_rate_hz)  # before that, stamps may be start-up garbage
        self._zeros = np.zeros(sample_rate_hz, dtype=np.float32)  # up to 1 s of gap filled per overflow
        self._last_in_mono: float | None = None
        self._last_out_mono: float | None = None
        self._last_now: tuple[float, float] | None = None
        self._finished = False
        self._closing = False
        self._lost = False
        self._opened_mono = 0.0
        self._live_cursor = 0
        self._capture = self._playback = False

    @property
    def backend(self) -> AudioBackend:
        if self._backend is None:
            from mit_trainer.audio.backend import PortAudioBackend

            self._backend = PortAudioBackend()
        return self._backend

    # -- callbacks (audio thread) -------------------------------------------------------------------
    def on_input(self, samples: npt.NDArray[np.float32], adc_time_s: float, now_s: float, flags: int) -> None:
        mono = self._monotonic()
        n = samples.shape[0]
        if flags & INPUT_OVERFLOW and self._last_adc_s is not None and self._ring.written >= self._settled_at:
            # Samples were lost before this block: fill the gap (measured on the ADC clock) with silence so
            # the recording's time axis stays continuous and the model offset stays valid after it.
            gap = round((adc_time_s - self._last_adc_s) * self._rate) - self._last_in_frames
            if 0 < gap <= self._zeros.shape[0]:
                self._ring.write(self._zeros[:gap])
                self._n_padded += gap
        self._in_clock.add(self._ring.written, adc_time_s, not (flags & (INPUT_OVERFLOW | INPUT_UNDERFLOW)))
        self._ring.write(samples)
        if flags:
            if flags & INPUT_OVERFLOW:
                self._n_in_over += 1
            if flags & INPUT_UNDERFLOW:
                self._n_in_under += 1
                if self._underflow_since is None:
                    self._underflow_since = mono
        if not flags & INPUT_UNDERFLOW:
            self._underflow_since = None
        self._last_adc_s = adc_time_s
        self._last_in_frames = n
        self._last_in_mono = mono
        self._last_now = (now_s, mono)

    def on_output(self, out: npt.NDArray[np.float32], dac_time_s: float, now_s: float, flags: int) -> None:
        n = out.shape[0]
        idx = self._out_count
        stim = self._stim
        if self._stim_armed and stim is not None:
            pos = self._stim_pos
            if pos == 0:
                self._stim_start_out_index = idx
            k = min(n, stim.shape[0] - pos)
            out[:k] = stim[pos : pos + k]
            out[k:] = 0.0
            self._stim_pos = pos + k
            if pos + k >= stim.shape[0]:
                self._stim_armed = False
        else:
            out.fill(0.0)
        if flags:
            if flags & OUTPUT_UNDERFLOW:
                self._n_out_under += 1
            if flags & OUTPUT_OVERFLOW:
                self._n_out_over += 1
        self._out_clock.add(idx, dac_time_s, not (flags & OUTPUT_UNDERFLOW))
        self._out_count = idx + n
        mono = self._monotonic()
        self._last_out_mono = mono
        if not self._capture:
            self._last_now = (now_s, mono)

    def on_finished(self) -> None:
        self._finished = True

    def _monotonic(self) -> float:
        return self.backend.monotonic_s()

    # -- opening and closing ------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._stream is not None

    @property
    def info(self) -> StreamInfo:
        if self._info is None:
            raise AudioError("The audio engine is not open.")
        return self._info

    @property
    def sample_rate_hz(self) -> int:
        return self.info.sample_rate_hz

    @property
    def settings(self) -> AudioSettings:
        return self._settings

    def open(self, settings: AudioSettings, *, playback: bool = True, capture: bool = True) -> StreamInfo:
        """Resolve the devices by name, negotiate the rate, allocate buffers and start the stream."""
        if self._stream is not None:
            self.close()
        backend = self.backend
        devices = backend.list_devices()
        in_dev = find_device(devices, settings.input_device, kind="input") if capture else None
        out_dev = find_device(devices, settings.output_device, kind="output") if playback else None
        if capture and in_dev is None:
            raise AudioUnavailableError("No microphone was found; connect one and try again.")
        if playback and out_dev is None:
            raise AudioUnavailableError("No loudspeaker or headphones were found; connect one and try again.")
        in_idx = in_dev.index if in_dev else None
        out_idx = out_dev.index if out_dev else None
        rate = backend.negotiate_rate_hz(
            input_index=in_idx, output_index=out_idx, wanted=settings.sample_rate_hz
        )
        self._settings = settings
        self._start_stream(in_idx, out_idx, rate, capture=capture, playback=playback)
        if backend.self_clocked:
            # Seen with PulseAudio's ALSA plugin (a new server, a sink changing its latency): a stream
            # stalls after its first blocks. Restarting fixes it; after STARTUP_CHECK_S, a stall is left to
            # the watchdog to report.
            import time

            deadline = time.monotonic() + STARTUP_CHECK_S
            while not self._wait_running(max(0.1, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    break
                self._close_stream()
                self._start_stream(in_idx, out_idx, rate, capture=capture, playback=playback)
        assert self._stream is not None
        self._info = StreamInfo(
            sample_rate_hz=rate,
            input_device=in_dev.name if in_dev else None,
            output_device=out_dev.name if out_dev else None,
            input_latency_s=self._stream.input_latency_s,
            output_latency_s=self._stream.output_latency_s,
            block_size=settings.block_size,
        )
        if self._use_watchdog:
            self._watchdog_stop.clear()
            self._watchdog_thread = threading.Thread(
                target=self._watchdog_loop, name="audio-watchdog", daemon=True
            )
            self._watchdog_thread.start()
        return self._info

    def _start_stream(
        self, in_idx: int | None, out_idx: int | None, rate: int, *, capture: bool, playback: bool
    ) -> None:
        settings = self._settings
        self._reset_stream_state(rate, settings.ring_seconds)
        self._capture, self._playback = capture, playback
        stream = self.backend.open_stream(
            input_index=in_idx,
            output_index=out_idx,
            sample_rate_hz=rate,
            block_size=settings.block_size,
            latency_s=settings.latency_s,
            callbacks=self,
            input_channel=settings.input_channel,
        )
        self._opened_mono = self._monotonic()
        self._stream = stream
        stream.start()

    def _wait_running(self, timeout_s: float) -> bool:
        """Wait until the stream has delivered 0.3 s of audio in each direction it runs."""
        import time

        need = int(0.3 * self._rate)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ok_in = not self._capture or self._ring.written >= need
            ok_out = not self._playback or self._out_count >= need
            if ok_in and ok_out:
                return True
            last = self._last_in_mono if self._capture else self._last_out_mono
            if last is not None and self._monotonic() - last > 0.3:
                return False  # started, then stalled
            time.sleep(0.01)
        return False

    def _wait_clock_settled(self, in_index: int, out_index: int | None, *, timeout_s: float = 2.5) -> bool:
        """On a young stream, wait until the clock stamps around the attempt lie on a stable segment
        (:meth:`BlockClockLog.segments`); indices are continuous, so a later fit times earlier samples."""
        import time

        if not self._backend_self_clocked():
            return True
        deadline = time.monotonic() + timeout_s
        age = int(SETTLE_AGE_S * self._rate)
        while True:
            ok = self._ring.written >= age and self._in_clock.time_at(in_index, sample_rate_hz=self._rate)
            if ok and out_index is not None and out_index >= 0:
                ok = self._out_count >= age and self._out_clock.time_at(out_index, sample_rate_hz=self._rate)
            if ok:
                return True
            if time.monotonic() > deadline or self._lost or self._stream is None:
                return False
            time.sleep(0.05)

    def _backend_self_clocked(self) -> bool:
        return bool(getattr(self.backend, "self_clocked", True))

    def close(self) -> None:
        """Stop any attempt (its file is finalised), the watchdog and the stream."""
        attempt = self._attempt
        if attempt is not None:
            attempt.stop()
        self._watchdog_stop.set()
        t = self._watchdog_thread
        if t is not None and t is not threading.current_thread():
            t.join(2.0)
        self._watchdog_thread = None
        self._close_stream()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            self._closing = True
            try:
                stream.stop()
            finally:
                stream.close()

    def reopen(self, settings: AudioSettings | None = None) -> StreamInfo:
        """Close, re-scan the devices and open again (after a device was lost or changed)."""
        self.close()
        self.backend.rescan()
        info = self.open(settings or self._settings, playback=self._playback, capture=self._capture)
        self._emit("reopened", f"Audio restarted on {info.input_device or info.output_device}.")
        return info

    # -- attempts -------------------------------------------------------------------------------------
    def start_attempt(
        self, stimulus: npt.NDArray[np.floating] | None, *, stimulus_rate_hz: int | None, record_path: Path
    ) -> AttemptRecording:
        """Start recording to ``record_path`` and, if given, play ``stimulus`` (mono float) at once.

        The stimulus is resampled (soxr) to the stream rate before playback starts.
        """
        from mit_trainer.audio.attempt import AttemptRecording

        if self._stream is None or self._lost:
            raise AudioError("The audio device is not running; choose a device again.")
        if not self._capture:
            raise AudioError("The audio engine was opened without a microphone.")
        if self._attempt is not None:
            raise AudioError("An attempt is already being recorded.")
        stim = None if stimulus is None else self.prepare_stimulus(stimulus, stimulus_rate_hz)
        self._stim_armed = False
        attempt = AttemptRecording(self, record_path=Path(record_path), stimulus=stim)
        self._attempt = attempt
        if stim is not None:
            self._stim = stim
            self._stim_pos = 0
            self._stim_start_out_index = -1
            self._stim_armed = True
        return attempt

    def prepare_stimulus(
        self, stimulus: npt.NDArray[np.floating], rate_hz: int | None
    ) -> npt.NDArray[np.float32]:
        """``stimulus`` as the stream plays it: mono float32 at the stream's rate, clipped to +-1.

        Any thread may call this (it reads only the stream's settings): resampling a model takes a
        few milliseconds, better spent on a worker than where the attempt starts. Samples already
        at the stream's rate pass through (clipped)."""
        if not self._playback:
            raise AudioError("The audio engine was opened without a loudspeaker.")
        if rate_hz is None:
            raise ValueError("stimulus_rate_hz is required with a stimulus")
        x = np.asarray(stimulus, dtype=np.float32).ravel()
        if rate_hz != self._rate:
            x = soxr.resample(x, rate_hz, self._rate).astype(np.float32)
        return np.ascontiguousarray(np.clip(x, -1.0, 1.0), dtype=np.float32)

    def play(self, stimulus: npt.NDArray[np.floating], *, stimulus_rate_hz: int) -> None:
        """Play without recording (a therapist previewing a model); not allowed during an attempt."""
        if self._stream is None or self._lost:
            raise AudioError("The audio device is not running; choose a device again.")
        if self._attempt is not None:
            raise AudioError("An attempt is being recorded; stop it first.")
        stim = self.prepare_stimulus(stimulus, stimulus_rate_hz)
        self._stim_armed = False
        self._stim = stim
        self._stim_pos = 0
        self._stim_start_out_index = -1
        self._stim_armed = True

    @property
    def is_playing(self) -> bool:
        """True while a model or :meth:`play` sound is still being sent to the loudspeaker."""
        return self._stim_armed

    def stop_playback(self) -> None:
        """Silence the model at once (the recording continues)."""
        self._stim_armed = False

    def _attempt_ended(self, attempt: object) -> None:
        if self._attempt is attempt:
            self._attempt = None
            self._stim_armed = False

    def _new_writer(self, path: Path) -> RecordingWriter:
        s = self._settings
        return RecordingWriter(
            self._ring,
            path=path,
            start_index=self._ring.written,
            sample_rate_hz=self._rate,
            subtype=s.recording_subtype,
            flush_interval_s=s.flush_interval_s,
        )

    # -- live data for the GUI (called from the consumer's own timer) --------------------------------
    def read_new_audio(self, *, max_s: float = 1.0) -> npt.NDArray[np.float32]:
        """Samples captured since the previous call (at most the newest ``max_s`` seconds)."""
        end = self._ring.written
        start = max(self._live_cursor, end - int(max_s * self._rate))
        samples, lost = self._ring.read(start, end)
        self._live_cursor = start + lost + samples.size
        return samples

    def input_level(self, *, window_s: float = 0.1) -> InputLevel:
        """Level of the last ``window_s`` seconds and a noise floor from the last 3 s."""
        recent = self._ring.latest(int(window_s * self._rate))
        stats = level_stats(recent)
        longer = self._ring.latest(int(3.0 * self._rate))
        floor = estimate_noise_floor_dbfs(longer, sample_rate_hz=self._rate) if longer.size else SILENCE_DBFS
        return InputLevel(stats.rms_dbfs, stats.peak_dbfs, stats.clipping, floor, window_s)

    def stream_time_s(self) -> float:
        """Now, on the stream clock: the last callback's ``currentTime`` plus the time since that callback."""
        last = self._last_now
        if last is None:
            if self._stream is None:
                raise AudioError("The audio engine is not open.")
            return self._stream.time_s()
        now_s, mono = last
        return now_s + (self._monotonic() - mono)

    def mark_tap(self) -> float:
        """Stamp a tap (call from the GUI thread when the tap key or pad is hit); returns its stream time."""
        t = self.stream_time_s()
        attempt = self._attempt
        if attempt is not None:
            attempt.add_tap(t)
        return t

    def xruns(self) -> XrunCounts:
        return XrunCounts(
            self._n_in_over, self._n_in_under, self._n_out_under, self._n_out_over, 0, self._n_padded
        )
