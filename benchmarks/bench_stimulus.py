"""Benchmark: rendering the intoned model of every shipped phrase, with alternatives side by side.

Rows (per mode and output rate, one render per phrase unless ``--repeats``):
  * ``render_stimulus``            the shipped renderer (voice at half rate above 32 kHz, soxr up-sampling)
  * ``render_stimulus full-rate``  the same with the voice synthesised at the output rate (the design
                                   alternative that the half-rate default replaced)
  * ``sine baseline``              a bare two-note sine with taps: the floor any renderer pays for the
                                   samples themselves (not voice-like; for scale only)
  * ``naive per-sample loop``      the same source-filter idea written as a Python loop over samples
                                   (Rosenberg pulse + 5 formant resonators), on 3 phrases only
Columns: median / p95 / max wall-clock milliseconds per phrase, the max CPU milliseconds (process time:
less sensitive to other jobs on a shared machine), and the real-time factor (audio seconds rendered per
second of wall-clock time; higher is faster). The target is max < 50 ms at 44.1 kHz (issue 2).

Run: ``.venv/bin/python benchmarks/bench_stimulus.py [--repeats N] [--phrases DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from mit_trainer.analysis.stimulus import MODES, render_stimulus, tap_click
from mit_trainer.core.phrases import load_phrase_sets, shipped_phrases_dir
from mit_trainer.core.records import Phrase

LOW_HZ = 130.8
TEMPO_BPM = 60.0


def sine_baseline(phrase: Phrase, *, sample_rate_hz: int) -> np.ndarray:
    """Two-note sine at the same timing, with tap clicks: no timbre, no glides, no envelope."""
    sr = sample_rate_hz
    beat = 60.0 / TEMPO_BPM
    bounds = round(0.3 * sr) + np.round(np.cumsum([0.0, *phrase.beats]) * beat * sr).astype(int)
    f = np.zeros(int(bounds[-1]) + round(0.3 * sr))
    for i, t in enumerate(phrase.pattern):
        f[bounds[i] : bounds[i + 1]] = LOW_HZ * (2 ** (3 / 12) if t == "H" else 1.0)
    y = 0.5 * np.sin(2 * np.pi * np.cumsum(f) / sr) * (f > 0)
    click = tap_click(sample_rate_hz=sr)
    for o in bounds[:-1]:
        y[o : o + click.shape[0]] += click
    return y.astype(np.float32)


def naive_loop(phrase: Phrase, *, sample_rate_hz: int) -> np.ndarray:
    """The source-filter model sample by sample in Python (what vectorising avoids)."""
    sr = sample_rate_hz
    beat = 60.0 / TEMPO_BPM
    formants = ((730, 80), (1090, 90), (2440, 130), (3400, 250), (4200, 300))
    coef = []
    for f, bw in formants:
        c = -np.exp(-2 * np.pi * bw / sr)
        b = 2 * np.exp(-np.pi * bw / sr) * np.cos(2 * np.pi * f / sr)
        coef.append((1 - b - c, b, c))
    state = [[0.0, 0.0] for _ in formants]
    bounds = round(0.3 * sr) + np.round(np.cumsum([0.0, *phrase.beats]) * beat * sr).astype(int)
    n = int(bounds[-1]) + round(0.3 * sr)
    out = np.zeros(n, dtype=np.float32)
    phase, syl = 0.0, 0
    tp, tn = 0.4, 0.2
    for j in range(bounds[0], bounds[-1]):
        while j >= bounds[syl + 1]:
            syl += 1
        f0 = LOW_HZ * (2 ** (3 / 12) if phrase.pattern[syl] == "H" else 1.0)
        phase = (phase + f0 / sr) % 1.0
        if phase < tp:
            x = np.pi / (2 * tp) * np.sin(np.pi * phase / tp)
        elif phase < tp + tn:
            x = -np.pi / (2 * tn) * np.sin(np.pi * (phase - tp) / (2 * tn))
        else:
            x = 0.0
        for k, (a, b, c) in enumerate(coef):
            y = a * x + b * state[k][0] + c * state[k][1]
            state[k][1] = state[k][0]
            state[k][0] = y
            x = y
        out[j] = x
    return out


def _time(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Fastest (wall-clock, CPU) seconds of ``repeats`` calls."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu


def _row(name: str, mode: str, sr: int, timings: list[tuple[float, float]], audio_s: float) -> str:
    ms = sorted(w * 1e3 for w, _ in timings)
    cpu = sorted(c * 1e3 for _, c in timings)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    rtf = audio_s / sum(w for w, _ in timings)
    return (
        f"| {name:<26} | {mode:<12} | {sr:>6} | {len(ms):>4} | {statistics.median(ms):>7.1f} | {p95:>7.1f} "
        f"| {ms[-1]:>7.1f} | {cpu[-1]:>7.1f} | {rtf:>6.0f}x |"
    )


_COLUMNS = ("alternative", "mode", "rate", "n", "med ms", "p95 ms", "max ms", "max CPU", "RTF")
_WIDTHS = (26, 12, 6, 4, 7, 7, 7, 7, 7)
HEADER = (
    "| " + " | ".join(c.ljust(w) for c, w in zip(_COLUMNS, _WIDTHS, strict=True)) + " |\n"
    "|" + "|".join("-" * (w + 2) for w in _WIDTHS) + "|"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phrases", type=Path, default=shipped_phrases_dir(), help="phrase-set file or folder")
    ap.add_argument("--repeats", type=int, default=1, help="renders per phrase; the fastest counts")
    ap.add_argument("--no-naive", action="store_true", help="skip the slow per-sample loop")
    args = ap.parse_args()
    phrases = [p for ps in load_phrase_sets(args.phrases) for p in ps.phrases]
    audio_s = sum(p.duration_s(TEMPO_BPM) + 0.6 for p in phrases)
    longest = max(phrases, key=lambda p: p.total_beats)
    print(
        f"{len(phrases)} phrases from {args.phrases}, {TEMPO_BPM:g} BPM, low note {LOW_HZ} Hz; longest "
        f"{longest.id!r} = {longest.duration_s(TEMPO_BPM) + 0.6:.1f} s with lead-in and tail"
    )
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        "(times: fastest of --repeats per phrase)"
    )
    print(HEADER)
    for sr in (44100, 16000):
        render_stimulus(phrases[0], sample_rate_hz=sr, low_hz=LOW_HZ)  # warm-up
        for mode in MODES:
            kw = {"sample_rate_hz": sr, "low_hz": LOW_HZ, "mode": mode, "taps": "mix"}
            timings = [_time(partial(render_stimulus, p, **kw), args.repeats) for p in phrases]
            print(_row("render_stimulus", mode, sr, timings, audio_s))
        if sr > 32000:
            kw = {"sample_rate_hz": sr, "low_hz": LOW_HZ, "taps": "mix", "voice_rate_hz": sr}
            timings = [_time(partial(render_stimulus, p, **kw), args.repeats) for p in phrases]
            print(_row("render_stimulus full-rate", "intone", sr, timings, audio_s))
        timings = [_time(partial(sine_baseline, p, sample_rate_hz=sr), args.repeats) for p in phrases]
        print(_row("sine baseline", "-", sr, timings, audio_s))
        if not args.no_naive:
            by_length = sorted(phrases, key=lambda p: p.total_beats)
            subset = [by_length[0], by_length[len(by_length) // 2], by_length[-1]]
            timings = [_time(partial(naive_loop, p, sample_rate_hz=sr), 1) for p in subset]
            sub_s = sum(p.duration_s(TEMPO_BPM) + 0.6 for p in subset)
            print(_row("naive per-sample loop (3)", "intone", sr, timings, sub_s))


if __name__ == "__main__":
    main()
