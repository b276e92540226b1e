"""The seam between the engine and a sound system: a backend opens streams that call the engine back.

:class:`PortAudioBackend` is the real one (sounddevice, imported lazily so that importing the audio package
never loads PortAudio); :class:`mit_trainer.audio.fake.FakeAudioDevice` implements the same protocol for
tests and demos. A stream calls :class:`StreamCallbacks` from its audio thread with mono float32 views and
stream-clock times (seconds, PortAudio's ``inputBufferAdcTime`` / ``outputBufferDacTime`` /
``currentTime``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from mit_trainer.audio.devices import DeviceInfo
from mit_trainer.audio.errors import AudioError, AudioUnavailableError
from mit_trainer.core import defaults

# Status bits passed to the callbacks (same meaning as PortAudio's callback flags).
INPUT_UNDERFLOW = 1
INPUT_OVERFLOW = 2
OUTPUT_UNDERFLOW = 4
OUTPUT_OVERFLOW = 8
PRIMING_OUTPUT = 16

#: Rates tried, in order, when the device's own default rate is refused.
FALLBACK_RATES_HZ = defaults.FALLBACK_SAMPLE_RATES_HZ


class StreamCallbacks(Protocol):
    """What a stream calls; both methods run on the audio thread and must only copy and count."""

    def on_output(
        self, out: npt.NDArray[np.float32], dac_time_s: float, now_s: float, flags: int
    ) -> None: ...

    def on_input(
        self, samples: npt.NDArray[np.float32], adc_time_s: float, now_s: float, flags: int
    ) -> None: ...

    def on_finished(self) -> None: ...


class AudioStream(Protocol):
    sample_rate_hz: int
    input_latency_s: float
    output_latency_s: float

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...

    @property
    def active(self) -> bool: ...

    def time_s(self) -> float: ...


class AudioBackend(Protocol):
    name: str
    self_clocked: bool  # False only for a fake device on a virtual clock

    def list_devices(self) -> list[DeviceInfo]: ...

    def negotiate_rate_hz(
        self, *, input_index: int | None, output_index: int | None, wanted: int | None
    ) -> int: ...

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
    ) -> AudioStream: ...

    def rescan(self) -> None: ...

    def monotonic_s(self) -> float: ...


def _import_sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # libportaudio missing
        raise AudioUnavailableError(
            "PortAudio is not installed, so no sound can be recorded "
            "(Debian/Ubuntu: apt install libportaudio2)."
        ) from exc
    return sounddevice


def _flags_of(status: Any) -> int:
    if not status:
        return 0
    return (
        (INPUT_UNDERFLOW if status.input_underflow else 0)
        | (INPUT_OVERFLOW if status.input_overflow else 0)
        | (OUTPUT_UNDERFLOW if status.output_underflow else 0)
        | (OUTPUT_OVERFLOW if status.output_overflow else 0)
        | (PRIMING_OUTPUT if status.priming_output else 0)
    )


class _PortAudioStream:
    """A sounddevice full-duplex, input-only or output-only stream driving :class:`StreamCallbacks`."""

    def __init__(self, sd: Any, stream: Any, sample_rate_hz: int) -> None:
        self._stream = stream
        self.sample_rate_hz = sample_rate_hz
        lat = stream.latency
        if isinstance(lat, tuple):
            self.input_latency_s, self.output_latency_s = float(lat[0]), float(lat[1])
        elif isinstance(stream, sd.InputStream):
            self.input_latency_s, self.output_latency_s = float(lat), 0.0
        else:
            self.input_latency_s, self.output_latency_s = 0.0, float(lat)

    def start(self) -> None:
        self._stream.start()

    def stop(self) -> None:
        self._stream.abort(ignore_errors=True)

    def close(self) -> None:
        self._stream.close(ignore_errors=True)

    @property
    def active(self) -> bool:
        return bool(self._stream.active)

    def time_s(self) -> float:
        return float(self._stream.time)


class PortAudioBackend:
    """The real sound system through sounddevice/PortAudio."""

    name = "portaudio"
    self_clocked = True

    def __init__(self) -> None:
        self._sd = _import_sounddevice()

    def monotonic_s(self) -> float:
        return time.perf_counter()

    def rescan(self) -> None:
        """Re-enumerate devices (PortAudio only sees devices present at initialisation)."""
        sd = self._sd
        try:
            sd._terminate()
        finally:
            sd._initialize()

    def list_devices(self) -> list[DeviceInfo]:
        sd = self._sd
        try:
            raw = sd.query_devices()
            apis = sd.query_hostapis()
            default_in, default_out = sd.default.device
        except sd.PortAudioError as exc:
            raise AudioUnavailableError(f"The sound system did not answer: {exc}.") from exc
        if default_in is None or default_in < 0:
            default_in = -1
        if default_out is None or default_out < 0:
            default_out = -1
        return [
            DeviceInfo(
                index=int(d["index"]),
                name=str(d["name"]),
                host_api=str(apis[d["hostapi"]]["name"]),
                max_input_channels=int(d["max_input_channels"]),
                max_output_channels=int(d["max_output_channels"]),
                default_sample_rate_hz=float(d["default_samplerate"]),
                default_low_input_latency_s=float(d["default_low_input_latency"]),
                default_low_output_latency_s=float(d["default_low_output_latency"]),
                is_default_input=int(d["index"]) == default_in,
                is_default_output=int(d["index"]) == default_out,
            )
            for d in raw
        ]

    def negotiate_rate_hz(
        self, *, input_index: int | None, output_index: int | None, wanted: int | None
    ) -> int:
        """``wanted`` if the devices accept it, else the input (or output) device's default rate, else a
        fallback rate."""
        sd = self._sd
        first = input_index if input_index is not None else output_index
        if first is None:
            raise AudioUnavailableError("No audio device was chosen and the system has no default device.")
        native = int(sd.query_devices(first)["default_samplerate"])
        candidates = ([wanted] if wanted else []) + [native, *FALLBACK_RATES_HZ]
        for rate in candidates:
            try:
                if input_index is not None:
                    sd.check_input_settings(device=input_index, channels=1, dtype="float32", samplerate=rate)
                if output_index is not None:
                    sd.check_output_settings(
                        device=output_index, channels=1, dtype="float32", samplerate=rate
                    )
            except sd.PortAudioError:
                continue
            return int(rate)
        raise AudioError("The chosen devices accept none of the usual sample rates; choose another device.")

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
    ) -> AudioStream:
        """Open (not start) a stream. The microphone is ``input_channel`` (0-based) of the input device;
        the mono model goes to both channels of a stereo output (headphones hear it in both ears)."""
        sd = self._sd
        on_in, on_out, on_fin = callbacks.on_input, callbacks.on_output, callbacks.on_finished
        ch = int(input_channel)
        n_in = ch + 1
        n_out = 1
        if input_index is not None:
            available = int(sd.query_devices(input_index)["max_input_channels"])
            if n_in > available:
                raise AudioError(
                    f"Input channel {ch + 1} was chosen but the microphone device has {available}."
                )
        if output_index is not None:
            n_out = min(2, int(sd.query_devices(output_index)["max_output_channels"]))
        kwargs: dict[str, Any] = dict(
            samplerate=sample_rate_hz,
            blocksize=block_size,
            dtype="float32",
            latency=latency_s,
            finished_callback=on_fin,
        )
        cb: Callable[..., None]
        try:
            if input_index is not None and output_index is not None:

                def cb(indata: Any, outdata: Any, frames: int, ti: Any, status: Any) -> None:
                    flags = _flags_of(status)
                    now = ti.currentTime
                    left = outdata[:, 0]
                    on_out(left, ti.outputBufferDacTime, now, flags)
                    if n_out > 1:
                        outdata[:, 1] = left
                    on_in(indata[:, ch], ti.inputBufferAdcTime, now, flags)

                stream = sd.Stream(
                    device=(input_index, output_index), channels=(n_in, n_out), callback=cb, **kwargs
                )
            elif input_index is not None:

                def cb(indata: Any, frames: int, ti: Any, status: Any) -> None:
                    on_in(indata[:, ch], ti.inputBufferAdcTime, ti.currentTime, _flags_of(status))

                stream = sd.InputStream(device=input_index, channels=n_in, callback=cb, **kwargs)
            elif output_index is not None:

                def cb(outdata: Any, frames: int, ti: Any, status: Any) -> None:
                    left = outdata[:, 0]
                    on_out(left, ti.outputBufferDacTime, ti.currentTime, _flags_of(status))
                    if n_out > 1:
                        outdata[:, 1] = left

                stream = sd.OutputStream(device=output_index, channels=n_out, callback=cb, **kwargs)
            else:
                raise AudioError("Neither a microphone nor a speaker was chosen.")
        except sd.PortAudioError as exc:
            raise AudioError(f"The audio device could not be opened: {exc}.") from exc
        return _PortAudioStream(sd, stream, sample_rate_hz)
