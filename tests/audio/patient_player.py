"""Test helper, run as a subprocess: play a WAV into the PulseAudio sink named by ``PULSE_SINK`` (the
"patient") and print, as JSON, the stream time at which its first sample reached the sink.

The ALSA stream clock is the system clock, shared with the trainer's process, so the trainer's
recording can be checked against this time. The start time is fitted over all blocks (the first blocks'
stamps are unreliable), with the same fitting the engine uses.
"""

from __future__ import annotations

import json
import sys
import threading

import numpy as np
import sounddevice as sd
import soundfile as sf

from mit_trainer.audio.ringbuffer import BlockClockLog


def main() -> None:
    path = sys.argv[1]
    lead_in_s = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
    x, rate = sf.read(path, dtype="float32")
    lead = int(lead_in_s * rate)  # silence first, so the voice starts after the stream has settled
    signal = np.concatenate([np.zeros(lead, np.float32), x, np.zeros(int(0.3 * rate), np.float32)])
    clock = BlockClockLog(100000)
    state = {"pos": 0, "underflows": 0}
    done = threading.Event()

    def callback(out: np.ndarray, frames: int, ti: object, status: object) -> None:
        pos = state["pos"]
        clock.add(pos, ti.outputBufferDacTime, not status)  # type: ignore[attr-defined]
        if status and 0 < pos < signal.size:
            state["underflows"] += 1
        n = max(0, min(frames, signal.size - pos))
        out[:n, 0] = signal[pos : pos + n]
        out[n:, 0] = 0
        state["pos"] = pos + frames
        if pos + frames >= signal.size:
            done.set()

    with sd.OutputStream(
        device="pulse", samplerate=rate, channels=1, dtype="float32", callback=callback, latency=0.2
    ):
        done.wait(signal.size / rate + 10)
    fit = clock.time_at(lead, sample_rate_hz=rate)
    assert fit is not None
    jumps = clock.jumps_between(0, signal.size, sample_rate_hz=rate)
    print(
        json.dumps(
            {
                "voice_start_stream_s": fit.time_s,
                "spread_s": fit.spread_s,
                "rate": rate,
                "glitches": state["underflows"] + jumps,
            }
        )
    )


if __name__ == "__main__":
    main()
