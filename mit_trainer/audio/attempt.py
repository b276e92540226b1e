"""One attempt: a recording in progress (with the model playing) and the timing it yields when stopped."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mit_trainer.audio.recording import WriterSummary
from mit_trainer.audio.results import RecordingResult, XrunCounts

if TYPE_CHECKING:
    from mit_trainer.audio.engine import AudioEngine


class AttemptRecording:
    """Created by :meth:`AudioEngine.start_attempt`; the file grows on disk until :meth:`stop`."""

    def __init__(
        self, engine: AudioEngine, *, record_path: Path, stimulus: npt.NDArray[np.float32] | None
    ) -> None:
        self._engine = engine
        self.path = record_path
        self._stimulus_len = None if stimulus is None else int(stimulus.shape[0])
        self._rate = engine.sample_rate_hz
        self._xruns_at_start = engine.xruns()
        self._taps: list[float] = []
        self._lock = threading.Lock()
        self._result: RecordingResult | None = None
        self._interruption: str | None = None
        self._writer = engine._new_writer(record_path)
        self.start_index = self._writer.start_index

    @property
    def interrupted(self) -> bool:
        return self._interruption is not None

    @property
    def frames_recorded(self) -> int:
        """Frames on disk so far."""
        return self._writer.frames_written

    @property
    def elapsed_s(self) -> float:
        return max(0, self._engine._ring.written - self.start_index) / self._rate

    def add_tap(self, stream_time_s: float) -> None:
        self._taps.append(stream_time_s)

    def interrupt(self, reason: str) -> RecordingResult:
        """End the attempt because the device failed (called by the watchdog)."""
        self._interruption = reason
        return self.stop()

    def stop(self) -> RecordingResult:
        """Stop playback and recording, finalise the file and work out the timing. Idempotent."""
        with self._lock:
            if self._result is not None:
                return self._result
            eng = self._engine
            eng.stop_playback()
            stop_index = eng._ring.written
            summary = self._writer.finish(stop_index)
            if self._interruption is None:
                out_index = eng._stim_start_out_index if self._stimulus_len is not None else None
                eng._wait_clock_settled(self.start_index, out_index)
            self._result = self._build_result(summary)
            eng._attempt_ended(self)
            return self._result

    def _build_result(self, summary: WriterSummary) -> RecordingResult:
        frames, lost = summary.frames_written, summary.samples_lost
        eng = self._engine
        rate = float(self._rate)
        in_clock, out_clock = eng._in_clock, eng._out_clock
        in_fit = in_clock.time_at(self.start_index, sample_rate_hz=rate)
        capture_start = None if in_fit is None else in_fit.time_s
        playback_start = offset = None
        spreads = [] if in_fit is None else [in_fit.spread_s]
        out_index = eng._stim_start_out_index
        if self._stimulus_len is not None and out_index >= 0:
            out_fit = out_clock.time_at(out_index, sample_rate_hz=rate)
            if out_fit is not None:
                playback_start = out_fit.time_s
                spreads.append(out_fit.spread_s)
                model_index = in_clock.index_at(playback_start, sample_rate_hz=rate)
                if model_index is not None:
                    offset = (model_index - self.start_index) / rate
        taps: list[float] = []
        for tap in self._taps:
            i = in_clock.index_at(tap, sample_rate_hz=rate)
            if i is not None:
                taps.append((i - self.start_index) / rate)
        stop_index = self.start_index + frames
        jumps = in_clock.jumps_between(self.start_index, stop_index, sample_rate_hz=rate)
        if out_index >= 0:
            jumps += out_clock.jumps_between(
                out_index, out_index + (self._stimulus_len or 0), sample_rate_hz=rate
            )
        x = eng.xruns().minus(self._xruns_at_start)
        xruns = XrunCounts(
            x.input_overflows,
            x.input_underflows,
            x.output_underflows,
            x.output_overflows,
            lost,
            x.samples_padded,
        )
        info = eng.info
        return RecordingResult(
            path=self.path,
            duration_s=frames / rate,
            sample_rate_hz=int(rate),
            capture_start_stream_s=capture_start,
            playback_start_stream_s=playback_start,
            offset_s=offset,
            stimulus_duration_s=None if self._stimulus_len is None else self._stimulus_len / rate,
            taps_s=tuple(taps),
            clock_jumps=jumps,
            xruns=xruns,
            interrupted=self._interruption is not None,
            interruption_reason=self._interruption,
            levels=summary.levels,
            timing_uncertainty_s=max(spreads) if spreads else None,
            input_latency_s=info.input_latency_s,
            output_latency_s=info.output_latency_s,
            writer_error=summary.error,
        )
