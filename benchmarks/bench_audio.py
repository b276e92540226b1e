"""Audio benchmark: time spent inside the audio callback, ring buffer vs naive designs, and the
round-trip latency through PulseAudio null sinks (a private server started here).

    .venv/bin/python benchmarks/bench_audio.py [--seconds 3]

Each design runs as the callback of a real full-duplex PortAudio stream; the time from entering to
leaving the callback is taken with perf_counter_ns into a preallocated array.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from mit_trainer.audio import AudioEngine, AudioSettings, measure_round_trip
from mit_trainer.audio.backend import PortAudioBackend
from mit_trainer.audio.pulseserver import PrivatePulseServer

RATE = 44100


class Timed:
    """Wraps a callbacks object; duplex PortAudio calls on_output then on_input once per period."""

    def __init__(self, inner: Any, capacity: int = 100_000) -> None:
        self.inner = inner
        self.ns = np.zeros(capacity, dtype=np.int64)
        self.n = 0
        self._t0 = 0

    def on_output(self, out: Any, dac: float, now: float, flags: int) -> None:
        self._t0 = time.perf_counter_ns()
        self.inner.on_output(out, dac, now, flags)

    def on_input(self, samples: Any, adc: float, now: float, flags: int) -> None:
        self.inner.on_input(samples, adc, now, flags)
        if self.n < self.ns.size:
            self.ns[self.n] = time.perf_counter_ns() - self._t0
            self.n += 1

    def on_finished(self) -> None:
        pass


class NaiveConcat:
    """The anti-pattern: keep blocks in a list and concatenate everything on every callback."""

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.audio = np.zeros(0, np.float32)

    def on_output(self, out: Any, dac: float, now: float, flags: int) -> None:
        out.fill(0.0)

    def on_input(self, samples: Any, adc: float, now: float, flags: int) -> None:
        self.blocks.append(samples.copy())
        self.audio = np.concatenate(self.blocks)


class NaiveFileWrite:
    """The other anti-pattern: write (and flush) the WAV file inside the callback."""

    def __init__(self, path: Path) -> None:
        self.file = sf.SoundFile(str(path), "w", samplerate=RATE, channels=1, subtype="PCM_24")

    def on_output(self, out: Any, dac: float, now: float, flags: int) -> None:
        out.fill(0.0)

    def on_input(self, samples: Any, adc: float, now: float, flags: int) -> None:
        self.file.write(samples)
        self.file.flush()


def run_design(name: str, make: Any, seconds: float, latency_s: float) -> tuple[str, np.ndarray, int]:
    backend = PortAudioBackend()
    devices = backend.list_devices()
    pulse = next(d.index for d in devices if d.name == "pulse")
    inner = make()
    timed = Timed(inner)
    if isinstance(inner, AudioEngine):
        inner._reset_stream_state(RATE, 20.0)
        inner._capture = inner._playback = True
        inner._settings = AudioSettings()
    stream = backend.open_stream(
        input_index=pulse,
        output_index=pulse,
        sample_rate_hz=RATE,
        block_size=256,
        latency_s=latency_s,
        callbacks=timed,
    )
    recorder = None
    with tempfile.TemporaryDirectory() as tmp:
        stream.start()
        time.sleep(0.5)
        if isinstance(inner, AudioEngine):
            from mit_trainer.audio.recording import RecordingWriter

            recorder = RecordingWriter(
                inner._ring,
                path=Path(tmp) / "ring.wav",
                start_index=inner._ring.written,
                sample_rate_hz=RATE,
                subtype="PCM_24",
                flush_interval_s=0.25,
            )
        time.sleep(seconds)
        stream.stop()
        stream.close()
        if recorder is not None:
            recorder.finish(inner._ring.written)
    xruns = inner.xruns().total if isinstance(inner, AudioEngine) else -1
    return name, timed.ns[: timed.n].copy(), xruns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--latency", type=float, default=0.05)
    args = ap.parse_args()
    with PrivatePulseServer(default_source="speaker.monitor") as server:
        os.environ.update(server.env)
        PortAudioBackend().rescan()
        tmp = Path(tempfile.mkdtemp())
        designs = [
            ("ring buffer (AudioEngine) + writer thread", AudioEngine),
            ("naive: list.append + np.concatenate", NaiveConcat),
            ("naive: soundfile write+flush in callback", lambda: NaiveFileWrite(tmp / "naive.wav")),
        ]
        run_design("warm-up", AudioEngine, 1.0, args.latency)  # a new server's first stream may stall
        rows = [run_design(name, make, args.seconds, args.latency) for name, make in designs]
        print(
            f"\nCallback duration, full-duplex PortAudio stream, 256-frame blocks ({1e3 * 256 / RATE:.1f} ms)"
        )
        print(f"{'design':44s} {'calls':>6s} {'p50 us':>8s} {'p99 us':>8s} {'max us':>9s}")
        for name, ns, _ in rows:
            us = ns / 1000.0
            p50, p99 = np.percentile(us, 50), np.percentile(us, 99)
            print(f"{name:44s} {us.size:6d} {p50:8.1f} {p99:8.1f} {us.max():9.1f}")
        print("\nRound trip through the null sinks (speaker -> speaker.monitor), 3 chirps x 3 runs")
        print(f"{'latency setting':>16s} {'measured ms':>12s} {'PortAudio ms':>13s} {'clock error ms':>15s}")
        for latency in (0.05, 0.1):
            engine = AudioEngine()
            engine.open(AudioSettings(input_device="pulse", output_device="pulse", latency_s=latency))
            try:
                for _ in range(3):
                    r = measure_round_trip(engine)
                    meas = f"{1e3 * r.round_trip_s:.1f}" if r.round_trip_s is not None else "not found"
                    err = f"{1e3 * r.clock_error_s:+.2f}" if r.clock_error_s is not None else "-"
                    rep = 1e3 * (r.input_latency_s + r.output_latency_s)
                    print(f"{latency:16.2f} {meas:>12s} {rep:13.1f} {err:>15s}")
            finally:
                engine.close()


if __name__ == "__main__":
    main()
