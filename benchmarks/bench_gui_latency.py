"""Voice-to-screen latency of the patient's live pitch trace, per live tracker, side by side.

A synthetic microphone delivers audio at the pace of real time (what arrived by now, like the audio
engine's ring buffer); every second a 0.5 s sung tone starts. The real GUI path runs: the live-pitch
worker thread (polls every 20 ms, pushes into the tracker's stream, queued signal) and the trace's
~30 Hz redraw timer. Latency = wall time at which the first voiced frame of a tone is drawn minus the
wall time at which that tone's first sample was "captured". Target: <= 100 ms (DESIGN.md §2).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_latency.py [--seconds 8]``
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

RATE_HZ = 48_000


class RealtimeMicrophone:
    """``read_new()`` returns the samples "captured" since the last call, at the pace of the wall clock."""

    def __init__(self, signal: np.ndarray) -> None:
        self.signal, self.t0, self.pos = signal, time.perf_counter(), 0

    def read_new(self) -> np.ndarray:
        end = min(len(self.signal), int((time.perf_counter() - self.t0) * RATE_HZ))
        out, self.pos = self.signal[self.pos : end], max(self.pos, end)
        return out


def measure(tracker: str, seconds: float) -> list[float]:
    from PySide6.QtCore import QEventLoop, QTimer

    from mit_trainer.analysis.pitch import get_tracker
    from mit_trainer.gui.live_pitch import LivePitch
    from mit_trainer.gui.patient.pitch_trace import PitchTrace

    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    onsets = np.arange(0.5, seconds - 0.6, 1.0)
    on = np.zeros_like(t, dtype=bool)
    for o in onsets:
        on |= (t >= o) & (t < o + 0.5)
    phase = 2 * np.pi * np.cumsum(np.full(t.size, 160.0)) / RATE_HZ
    voice = sum(np.sin(k * phase) / k for k in range(1, 8))
    signal = (0.3 * voice / np.max(np.abs(voice)) * on).astype(np.float32)
    stream = get_tracker(tracker).stream(sample_rate_hz=RATE_HZ)
    trace = PitchTrace()
    drawn_at: dict[int, float] = {}
    mic = RealtimeMicrophone(signal)
    original = trace._redraw

    def redraw() -> None:
        original()
        times, st = trace.trace_data()
        now = time.perf_counter()
        for k, o in enumerate(onsets):
            if k not in drawn_at and np.any(np.isfinite(st) & (times >= o) & (times < o + 0.5)):
                drawn_at[k] = now

    trace._timer.timeout.disconnect()
    trace._timer.timeout.connect(redraw)
    live = LivePitch()
    live.frames.connect(trace.add_frames)
    mic.t0 = time.perf_counter()
    live.start(mic.read_new, stream)
    trace.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    trace.stop()
    live.shutdown()
    return [1000.0 * (drawn_at[k] - (mic.t0 + o)) for k, o in enumerate(onsets) if k in drawn_at]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--trackers", default="crepe-tiny,yin,swiftf0")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    print(
        f"{'tracker':<12} {'tones':>5} {'p50 ms':>7} {'p90 ms':>7} {'max ms':>7}"
        "  (voice onset -> drawn; target <= 100)"
    )
    for name in args.trackers.split(","):
        lat = measure(name, args.seconds)
        if lat:
            p50, p90 = np.median(lat), np.percentile(lat, 90)
            print(f"{name:<12} {len(lat):>5} {p50:>7.0f} {p90:>7.0f} {max(lat):>7.0f}")
        else:
            print(f"{name:<12} {0:>5} {'-':>7} {'-':>7} {'-':>7}  (no voiced frame drawn)")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
