"""Frozen value types the audio engine hands to the GUI, the session runner and the command line."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mit_trainer.audio.levels import LevelStats


@dataclass(frozen=True)
class AudioEvent:
    """Something the user must hear about. ``kind``: ``device_lost``, ``reopened`` or ``xrun``."""

    kind: str
    message: str
    monotonic_s: float


@dataclass(frozen=True)
class XrunCounts:
    """Glitches seen by the callbacks. ``samples_lost``: samples the recorder could not save (written as
    silence); ``samples_padded``: silence inserted where the device lost input (measured on the ADC clock)."""

    input_overflows: int = 0
    input_underflows: int = 0
    output_underflows: int = 0
    output_overflows: int = 0
    samples_lost: int = 0
    samples_padded: int = 0

    @property
    def total(self) -> int:
        return self.input_overflows + self.input_underflows + self.output_underflows + self.output_overflows

    def minus(self, other: XrunCounts) -> XrunCounts:
        return XrunCounts(
            self.input_overflows - other.input_overflows,
            self.input_underflows - other.input_underflows,
            self.output_underflows - other.output_underflows,
            self.output_overflows - other.output_overflows,
            self.samples_lost - other.samples_lost,
            self.samples_padded - other.samples_padded,
        )


@dataclass(frozen=True)
class InputLevel:
    """Live microphone level over the last ``window_s`` seconds."""

    rms_dbfs: float
    peak_dbfs: float
    clipping: bool
    noise_floor_dbfs: float
    window_s: float


@dataclass(frozen=True)
class StreamInfo:
    """What :meth:`AudioEngine.open` negotiated."""

    sample_rate_hz: int
    input_device: str | None
    output_device: str | None
    input_latency_s: float
    output_latency_s: float
    block_size: int


@dataclass(frozen=True)
class RecordingResult:
    """One finished (or interrupted) attempt recording.

    Times ending in ``_stream_s`` are on the PortAudio stream clock. ``offset_s`` is where the first
    sample of the model (stimulus) lies in the recording's time axis, i.e. ``playback_start_stream_s -
    capture_start_stream_s``: a voice sample at recording time ``t`` was sung ``t - offset_s`` after the model
    began. ``taps_s`` are relative to the first recorded sample. ``timing_uncertainty_s`` is the spread of
    the per-block clock stamps (median absolute deviation); ``clock_jumps`` counts places where the sound
    system dropped or inserted samples without flagging an xrun (times on either side stay correct: each
    stretch has its own clock fit).
    """

    path: Path
    duration_s: float
    sample_rate_hz: int
    capture_start_stream_s: float | None
    playback_start_stream_s: float | None
    offset_s: float | None
    stimulus_duration_s: float | None
    taps_s: tuple[float, ...]
    xruns: XrunCounts
    interrupted: bool
    interruption_reason: str | None
    levels: LevelStats
    timing_uncertainty_s: float | None
    input_latency_s: float
    output_latency_s: float
    writer_error: str | None = None
    clock_jumps: int = 0  # steps in the stream clock inside the attempt (samples dropped/inserted unflagged)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        d["taps_s"] = list(self.taps_s)
        d["levels"]["clipping"] = self.levels.clipping
        return d
