"""The analysis benchmark: trackers, segmentation and verdicts against a labelled synthetic corpus.

For each tracker, on the same corpus (:mod:`mit_trainer.analysis.corpus`): raw pitch
accuracy at 50 cents on the voiced frames of sung syllables, voicing recall and false
alarms, syllable onset F1 at 50 and 100 ms (correct attempts), balanced verdict
accuracy of correct attempts against each error kind, the worst correct attempt at
15 dB SNR, batch real-time factor of the whole analysis and streaming latency.
``swiftf0-own`` is the SwiftF0 package's own output (its own voicing, no energy gate).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mit_trainer.analysis.corpus import KINDS, CorpusItem, make_corpus
from mit_trainer.core.records import PitchTrack
from mit_trainer.scoring.attempt import AttemptAnalysis, analyze_attempt
from mit_trainer.scoring.settings import ScoringSettings


@dataclass
class TrackerReport:
    """Everything measured for one tracker."""

    name: str
    rpa_hits: int = 0
    rpa_total: int = 0
    voiced_hits: int = 0
    voiced_total: int = 0
    false_alarms: int = 0
    unvoiced_total: int = 0
    onset_counts: dict[float, list[int]] = field(default_factory=dict)  # tol -> [tp, n_truth, n_detected]
    verdicts: dict[str, list[str]] = field(default_factory=dict)  # kind -> verdicts
    audio_s: float = 0.0
    analysis_s: float = 0.0
    cpu_s: float = 0.0
    stream_latency_s: float | None = None
    correct_15db_fail: int = 0
    correct_15db_total: int = 0

    def onset_f1(self, tol: float) -> float:
        tp, nt, nd = self.onset_counts.get(tol, [0, 0, 0])
        return 2 * tp / (nt + nd) if nt + nd else float("nan")

    def balanced(self, kind: str, expected: dict[str, str]) -> float:
        ok_c = np.mean([v == "pass" for v in self.verdicts.get("correct", [])])
        ok_k = np.mean([v == expected[kind] for v in self.verdicts.get(kind, [])])
        return float(0.5 * (ok_c + ok_k))


def onset_matches(truth: Sequence[float], detected: Sequence[float], tol: float) -> int:
    """True positives of a one-to-one greedy matching of onsets within ``tol`` seconds."""
    pairs = sorted((abs(t - d), i, j) for i, t in enumerate(truth) for j, d in enumerate(detected))
    used_t: set[int] = set()
    used_d: set[int] = set()
    tp = 0
    for dist, i, j in pairs:
        if dist > tol:
            break
        if i not in used_t and j not in used_d:
            used_t.add(i)
            used_d.add(j)
            tp += 1
    return tp


def _frame_truth(item: CorpusItem, track: PitchTrack) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = np.clip(np.round(track.times_s / 0.01).astype(int), 0, item.truth_f0_hz.size - 1)
    truth = item.truth_f0_hz[k]
    sung = item.sung_frames[k]
    # frames near a voicing change (and the reverberant tail) are not scored for voicing
    tv = ~np.isnan(item.truth_f0_hz)
    near = np.convolve(np.diff(tv.astype(int), prepend=0) != 0, np.ones(5), mode="same") > 0
    last = np.flatnonzero(tv)
    if last.size:
        near[last[-1] : last[-1] + 40] = True
    return truth, sung, near[k]


def score_item(rep: TrackerReport, item: CorpusItem, res: AttemptAnalysis) -> None:
    rep.verdicts.setdefault(item.kind, []).append(res.verdict)
    track = res.pitch
    if item.kind == "correct" and item.snr_db is not None and item.snr_db <= 15.0:
        rep.correct_15db_total += 1
        rep.correct_15db_fail += int(res.verdict != "pass")
    if len(track) == 0:
        return
    truth, sung, near = _frame_truth(item, track)
    est = track.f0_hz
    tv = ~np.isnan(truth)
    ev = ~np.isnan(est)
    if item.kind in ("correct", "inverted", "monotone", "missing", "rhythm"):
        sel = sung & tv
        cents = np.abs(1200 * np.log2(np.where(ev[sel], est[sel], 1.0) / truth[sel]))
        rep.rpa_hits += int(np.sum(ev[sel] & (cents <= 50)))
        rep.rpa_total += int(sel.sum())
    rep.voiced_hits += int(np.sum(tv & ev & ~near))
    rep.voiced_total += int(np.sum(tv & ~near))
    rep.false_alarms += int(np.sum(~tv & ev & ~near))
    rep.unvoiced_total += int(np.sum(~tv & ~near))
    if item.kind == "correct":
        det = [d.onset_s for d in res.detected]
        for tol in (0.05, 0.1):
            c = rep.onset_counts.setdefault(tol, [0, 0, 0])
            c[0] += onset_matches(item.onsets_s, det, tol)
            c[1] += len(item.onsets_s)
            c[2] += len(det)


def stream_latency_s(
    tracker: Any, *, sample_rate_hz: int, seconds: float = 3.0, block_s: float = 0.01
) -> float:
    """Median delay from a frame's time to the wall-clock moment its frame comes out of the stream.

    Audio is pushed in ``block_s`` blocks as if arriving in real time; the delay is
    the audio still needed (look-ahead, block boundary) plus the compute time.
    """
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sample_rate_hz)) / sample_rate_hz
    x = (0.3 * np.sin(2 * np.pi * 150 * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    stream = tracker.stream(sample_rate_hz=sample_rate_hz)
    block = int(block_s * sample_rate_hz)
    lags: list[float] = []
    for start in range(0, x.size, block):
        t0 = time.perf_counter()
        frames = stream.push(x[start : start + block])
        compute = time.perf_counter() - t0
        arrived_s = min(x.size, start + block) / sample_rate_hz
        lags.extend(arrived_s - float(ft) + compute for ft in frames.times_s)
    return float(np.median(lags)) if lags else float("nan")


class _SwiftOwn:
    """SwiftF0 as the package gives it: its own confidence >= 0.5 is voiced, no energy gate."""

    name = "swiftf0-own"

    def __init__(self) -> None:
        import swift_f0

        self._det = swift_f0.SwiftF0()

    def track(self, samples: Any, *, sample_rate_hz: int) -> PitchTrack:
        r = self._det.detect(np.asarray(samples, dtype=np.float32), sample_rate=sample_rate_hz)
        f0 = np.where(np.asarray(r.confidence) >= 0.5, np.asarray(r.pitch_hz, dtype=float), np.nan)
        times = np.asarray(r.timestamps, dtype=float)
        hop = float(np.median(np.diff(times))) if times.size > 1 else 0.016
        return PitchTrack(times, f0, np.asarray(r.confidence, dtype=float), hop, self.name, "swift-f0")


def make_tracker(name: str) -> Any:
    if name == "swiftf0-own":
        return _SwiftOwn()
    from mit_trainer.analysis.pitch import get_tracker

    return get_tracker(name)


def run_benchmark(
    trackers: Sequence[str],
    *,
    seed: int,
    per_kind: int,
    settings: ScoringSettings | None = None,
    limits: dict[str, int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[TrackerReport], list[CorpusItem]]:
    """Analyse every corpus item with each tracker; ``limits`` caps the items of slow trackers."""
    corpus = make_corpus(seed, per_kind=per_kind)
    reports = []
    for name in trackers:
        tracker = make_tracker(name)
        rep = TrackerReport(name)
        items = corpus[: (limits or {}).get(name, len(corpus))]
        for item in items:
            t0, c0 = time.perf_counter(), time.process_time()
            res = analyze_attempt(
                item.samples, sample_rate_hz=item.sample_rate_hz, phrase=item.phrase, mode="sung",
                tracker=tracker, settings=settings, interval_semitones=item.interval_semitones,
            )  # fmt: skip
            rep.analysis_s += time.perf_counter() - t0
            rep.cpu_s += time.process_time() - c0
            rep.audio_s += item.duration_s
            score_item(rep, item, res)
        if hasattr(tracker, "stream"):
            try:
                rep.stream_latency_s = stream_latency_s(tracker, sample_rate_hz=16000)
            except NotImplementedError:
                rep.stream_latency_s = None
        reports.append(rep)
        if progress:
            progress(f"{name}: {len(items)} items, {rep.audio_s:.0f} s of audio in {rep.analysis_s:.1f} s")
    return reports, corpus


def format_table(reports: Sequence[TrackerReport], expected: dict[str, str]) -> str:
    """A Markdown table, one row per tracker."""
    kinds = [k for k in KINDS if k != "correct"]
    head = [
        "tracker",
        "items",
        "RPA50 %",
        "voicing recall %",
        "voicing FA %",
        "onset F1 50ms",
        "onset F1 100ms",
    ]
    head += [f"BA {k} %" for k in kinds] + [
        "correct@<=15dB failed",
        "batch RTF x (wall)",
        "RTF x (CPU)",
        "stream latency ms",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in reports:
        n = sum(len(v) for v in r.verdicts.values())

        def pct(a: int, b: int) -> str:
            return f"{100 * a / b:.1f}" if b else "-"

        row = [r.name, str(n), pct(r.rpa_hits, r.rpa_total), pct(r.voiced_hits, r.voiced_total)]
        row += [pct(r.false_alarms, r.unvoiced_total), f"{r.onset_f1(0.05):.3f}", f"{r.onset_f1(0.1):.3f}"]
        row += [f"{100 * r.balanced(k, expected):.1f}" if r.verdicts.get(k) else "-" for k in kinds]
        row += [f"{r.correct_15db_fail}/{r.correct_15db_total}", f"{r.audio_s / max(r.analysis_s, 1e-9):.0f}"]
        row += [f"{r.audio_s / max(r.cpu_s, 1e-9):.0f}"]
        row += ["-" if r.stream_latency_s is None else f"{1000 * r.stream_latency_s:.0f}"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
