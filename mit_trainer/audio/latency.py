"""Round-trip latency: play a chirp, find it in what the microphone hears, compare with the stream clock.

Needs a path from loudspeaker to microphone (the room, a loopback cable, or a null sink's monitor). The
report gives the measured round trip (output callback to input callback, the number a user feels), the
position of the chirp predicted from PortAudio's DAC/ADC timestamps, and the difference between the two,
which is the error of every timing the trainer derives from the stream clock.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from mit_trainer.audio.engine import AudioEngine
from mit_trainer.audio.errors import AudioError
from mit_trainer.audio.results import XrunCounts


@dataclass(frozen=True)
class LatencyReport:
    detected: bool
    round_trip_s: float | None
    measured_offset_s: float | None
    predicted_offset_s: float | None
    clock_error_s: float | None
    input_latency_s: float
    output_latency_s: float
    peak_correlation: float
    level_dbfs: float
    xruns: XrunCounts
    sample_rate_hz: int
    clock_jumps: int = 0  # unflagged drops/insertions seen during the measurement (numbers less reliable)
    problem: str | None = None  # why no round trip is given, when none is


MAX_PLAUSIBLE_ROUND_TRIP_S = 2.0


def plausible_round_trip(rt_s: float | None, xruns: int) -> tuple[float | None, str | None]:
    """The round trip if it can be true, else (None, why): a chirp heard before it was played, or seconds
    late, means the stream clock jumped (e.g. a glitch under load), not that sound travelled back in time."""
    if rt_s is None:
        return None, "the stream did not report when the chirps were played"
    if rt_s <= 0.0 or rt_s > MAX_PLAUSIBLE_ROUND_TRIP_S:
        glitches = f" ({xruns} glitches during the measurement)" if xruns else ""
        return None, (
            f"the timing was inconsistent ({1000 * rt_s:.0f} ms){glitches}; the machine may be overloaded: "
            "run the test again when it is idle"
        )
    return rt_s, None


def chirp(
    *, sample_rate_hz: int, duration_s: float = 0.03, f0_hz: float = 600.0, f1_hz: float = 5000.0
) -> npt.NDArray[np.float32]:
    """A Hann-windowed exponential sine sweep: sharp autocorrelation peak, no DC."""
    n = int(duration_s * sample_rate_hz)
    t = np.arange(n) / sample_rate_hz
    k = np.log(f1_hz / f0_hz) / duration_s
    phase = 2 * np.pi * f0_hz * (np.exp(k * t) - 1) / k
    return (np.sin(phase) * np.hanning(n)).astype(np.float32)


def find_signal(recording: npt.NDArray[np.floating], template: npt.NDArray[np.floating]) -> tuple[int, float]:
    """Index where ``template`` best matches ``recording`` and the normalised correlation there (0..1)."""
    n = recording.size + template.size
    nfft = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(recording, nfft) * np.conj(np.fft.rfft(template, nfft)), nfft)[
        : recording.size
    ]
    k = int(np.argmax(np.abs(corr)))
    seg = recording[k : k + template.size]
    denom = float(np.linalg.norm(seg) * np.linalg.norm(template[: seg.size])) or 1.0
    return k, float(abs(corr[k]) / denom)


def measure_round_trip(
    engine: AudioEngine,
    *,
    repeats: int = 3,
    spacing_s: float = 0.35,
    amplitude: float = 0.5,
    search_s: float = 0.15,
    sleep: Callable[[float], None] = time.sleep,
) -> LatencyReport:
    """Play ``repeats`` chirps through an open engine, record, and compare found vs predicted positions."""
    rate = engine.sample_rate_hz
    c = chirp(sample_rate_hz=rate) * amplitude
    stim = np.zeros(int((repeats * spacing_s + 0.1) * rate), dtype=np.float32)
    starts = [int((0.05 + i * spacing_s) * rate) for i in range(repeats)]
    for s in starts:
        stim[s : s + c.size] = c
    with tempfile.TemporaryDirectory(prefix="mit-latency-") as tmp:
        path = Path(tmp) / "latency.wav"
        attempt = engine.start_attempt(stim, stimulus_rate_hz=rate, record_path=path)
        sleep(stim.size / rate + 0.4)
        result = attempt.stop()
        if result.interrupted:
            raise AudioError(result.interruption_reason or "The audio device failed during the measurement.")
        rec, _ = sf.read(str(path), dtype="float32")
    # Each chirp is searched on its own, within +-search_s of where the stream clock says it should be
    # (or anywhere, without a prediction), so one chirp lost to a glitch does not spoil the measurement.
    predicted = result.offset_s
    found: list[tuple[int, int]] = []  # (stimulus position, recording position)
    correlations = []
    for s in starts:
        if predicted is None:
            lo, hi = 0, rec.size
        else:
            centre = round(s + predicted * rate)
            lo, hi = (
                max(0, centre - int(search_s * rate)),
                min(rec.size, centre + int(search_s * rate) + c.size),
            )
        if hi - lo < c.size:
            continue
        k, r = find_signal(rec[lo:hi], c)
        correlations.append(r)
        if r >= 0.5:
            found.append((s, lo + k))
    detected = len(found) >= max(1, (repeats + 1) // 2)
    measured = err = rt = None
    if detected:
        measured = float(np.median([k - s for s, k in found])) / rate
        err = None if predicted is None else measured - predicted
        out_index = engine._stim_start_out_index
        rt = (attempt.start_index + measured * rate - out_index) / rate if out_index >= 0 else None
    problem = None
    if detected:
        rt, problem = plausible_round_trip(rt, result.xruns.total)
    return LatencyReport(
        detected=detected,
        problem=problem,
        round_trip_s=rt,
        measured_offset_s=measured,
        predicted_offset_s=result.offset_s,
        clock_error_s=err,
        input_latency_s=result.input_latency_s,
        output_latency_s=result.output_latency_s,
        peak_correlation=float(np.median(correlations)) if correlations else 0.0,
        level_dbfs=result.levels.peak_dbfs,
        xruns=result.xruns,
        sample_rate_hz=rate,
        clock_jumps=result.clock_jumps,
    )
