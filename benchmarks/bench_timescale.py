"""Benchmark: time-scaling a therapist's recorded model with WORLD, alternatives side by side.

A recorded model is played at the session's tempo; when that differs from the tempo it was sung at,
:func:`mit_trainer.analysis.timescale.time_scale` stretches it (pitch kept). The session renders it on a
worker before the model plays, so its cost is a wait before the first play of an item. Rows:
  * ``harvest @ rate``    Harvest f0 at the recording's rate (the GUI records at 48 kHz)
  * ``harvest @ 16 kHz``  the same at 16 kHz (soxr down and up; content above 8 kHz lost)
  * ``dio @ rate``        DIO + StoneMask f0 at the recording's rate
  * ``dio @ 24 kHz``      DIO + StoneMask at 24 kHz (content above 12 kHz lost)
  * ``dio @ 16 kHz``      DIO + StoneMask at 16 kHz
Input: Festival singing the shipped Level I-II phrases (a voice the trainer did not make), 60 BPM, up-
sampled to ``--rate``, scaled to 40 BPM (factor 1.5) and 90 BPM (factor 0.667). Columns: median and max
wall-clock milliseconds per second of input, the real-time factor (input seconds per wall second), and
the pitch error of every note's middle half against the note Festival was given (librosa yin, cents):
median and max |error|, and the share of notes within 20 cents.

Run from the repository root: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_timescale.py [--phrases N]``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import time
from collections.abc import Callable
from functools import partial

import librosa
import numpy as np
import soxr

from mit_trainer.analysis.timescale import time_scale
from mit_trainer.core.phrases import load_phrase_sets, shipped_phrases_dir
from tests.app.festival_singer import Sung, sing

FACTORS = (1.5, 60.0 / 90.0)


def note_errors_cents(
    y: np.ndarray, rate: int, sung: Sung, beats: tuple[float, ...], factor: float
) -> list[float]:
    edges = np.concatenate([[0.0], np.cumsum(beats)]) * factor  # Festival sings note i over its beats
    out = []
    for (a, b), truth in zip(itertools.pairwise(edges), sung.sounding_hz, strict=True):
        lo, hi = round((a + 0.25 * (b - a)) * rate), round((b - 0.25 * (b - a)) * rate)
        f0 = librosa.yin(y[lo:hi].astype(float), fmin=60, fmax=400, sr=rate, frame_length=2048)
        out.append(abs(1200.0 * math.log2(float(np.median(f0)) / truth)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phrases", type=int, default=8, help="how many Level I-II phrases (default 8)")
    ap.add_argument("--rate", type=int, default=48_000, help="recording rate (default 48000, the GUI's)")
    args = ap.parse_args()
    sets = load_phrase_sets(shipped_phrases_dir())
    phrases = [p for s in sets for p in s.phrases if p.level in (1, 2) and p.trained][: args.phrases]
    methods: dict[str, Callable[..., np.ndarray]] = {
        "harvest @ rate": partial(time_scale, f0_method="harvest"),
        "harvest @ 16 kHz": partial(time_scale, f0_method="harvest", work_rate_hz=16_000),
        "dio @ rate": partial(time_scale, f0_method="dio"),
        "dio @ 24 kHz": partial(time_scale, f0_method="dio", work_rate_hz=24_000),
        "dio @ 16 kHz": partial(time_scale, f0_method="dio", work_rate_hz=16_000),
    }
    voices = []
    for p in phrases:
        sung = sing(p)
        x = soxr.resample(sung.samples, sung.sample_rate_hz, args.rate).astype(np.float32)
        voices.append((p, sung, x))
    print(f"{len(phrases)} phrases x {len(FACTORS)} factors, Festival singing at {args.rate} Hz")
    head = ("method", "ms/s med", "ms/s max", "RTF", "cents med", "cents max", "<=20 c")
    print(f"{head[0]:<18}" + "".join(f" {h:>10}" for h in head[1:]))
    for name, fn in methods.items():
        cost, errors = [], []
        for p, sung, x in voices:
            for factor in FACTORS:
                t0 = time.perf_counter()
                y = fn(x, sample_rate_hz=args.rate, factor=factor)
                dt = time.perf_counter() - t0
                cost.append(1000.0 * dt / (x.size / args.rate))
                errors += note_errors_cents(y, args.rate, sung, p.beats, factor)
        within = sum(e <= 20.0 for e in errors) / len(errors)
        med = statistics.median(cost)
        cells = (f"{med:.0f}", f"{max(cost):.0f}", f"{1000.0 / med:.2f}", f"{statistics.median(errors):.1f}",
                 f"{max(errors):.1f}", f"{100 * within:.0f} %")  # fmt: skip
        print(f"{name:<18}" + "".join(f" {c:>10}" for c in cells))


if __name__ == "__main__":
    main()
