"""The bench on the independent corpus, with the own corpus side by side: verdicts, onsets, speed.

Per condition (correct attempts) the pass rate, per error kind the reject rate (``fail`` or ``no_response``),
and for every item with truth onsets the syllable onset F1 at 50 ms against the generator's phone labels and
the median onset error (each true onset to the nearest detected one). Speed is batch real time (audio seconds
per wall-clock second of :func:`analyze_attempt`, the tracker loaded once beforehand).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mit_trainer.analysis.corpus import CorpusItem, make_corpus
from mit_trainer.core.records import Phrase
from mit_trainer.scoring.attempt import AttemptAnalysis, analyze_attempt
from mit_trainer.scoring.benchmark import make_tracker, onset_matches
from mit_trainer.scoring.independent.corpus import IndependentItem

ONSET_TOL_S = 0.05


@dataclass(frozen=True)
class BenchItem:
    """What the bench needs of an item of either corpus."""

    item_id: str
    corpus: str
    kind: str
    expected: str  # "pass" / "reject"
    phrase: Phrase
    mode: str
    samples: Any
    sample_rate_hz: int
    onsets_s: tuple[float, ...]
    voice: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    vowel_onsets_s: tuple[float, ...] = ()


@dataclass
class KindStats:
    """Counts for one kind."""

    kind: str
    expected: str
    n: int = 0
    ok: int = 0  # passed (conditions) or rejected (error kinds)
    tp: int = 0
    n_truth: int = 0
    n_detected: int = 0
    errors_s: list[float] = field(default_factory=list)
    vowel_tp: int = 0
    vowel_n_truth: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.n if self.n else float("nan")

    @property
    def f1(self) -> float:
        d = self.n_truth + self.n_detected
        return 2 * self.tp / d if d else float("nan")

    @property
    def vowel_f1(self) -> float:
        d = self.vowel_n_truth + (self.n_detected if self.vowel_n_truth else 0)
        return 2 * self.vowel_tp / d if d else float("nan")

    @property
    def median_error_ms(self) -> float:
        return 1000 * float(np.median(self.errors_s)) if self.errors_s else float("nan")


@dataclass
class CorpusReport:
    name: str
    tracker: str
    kinds: dict[str, KindStats] = field(default_factory=dict)
    by_voice: dict[str, list[int]] = field(default_factory=dict)  # voice -> [ok, n] over conditions
    audio_s: float = 0.0
    wall_s: float = 0.0
    startup_s: float = 0.0  # loading the tracker (its model) once
    cpu_s: float = 0.0  # process CPU time of the analyses (all threads)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def speed_x(self) -> float:
        return self.audio_s / self.wall_s if self.wall_s else float("nan")

    @property
    def speed_with_startup_x(self) -> float:
        total = self.wall_s + self.startup_s
        return self.audio_s / total if total else float("nan")


def from_independent(item: IndependentItem) -> BenchItem:
    p = item.plan
    kw: dict[str, Any] = {"tempo_bpm": p.tempo_bpm, "interval_semitones": p.interval_semitones}
    if item.played is not None:
        kw["played"] = item.played
        kw["played_rate_hz"] = item.sample_rate_hz  # (mixed into the recording at its own rate)
        kw["played_offset_s"] = item.played_offset_s
    if p.kind == "model_leak":  # a unison step: the session passes the model's onsets
        kw["model_syllables"] = [_Onset(t) for t in item.model_onsets_s]
    voice = f"{p.voice.split('_')[0]}-{p.vocal_range}" + ("-speech" if p.kind.startswith("spoken") else "")
    return BenchItem(
        p.item_id,
        "independent",
        p.kind,
        p.expected,
        item.phrase,
        p.mode,
        item.samples,
        item.sample_rate_hz,
        item.onsets_s,
        voice,
        kw,
        item.vowel_onsets_s,
    )


def from_own(item: CorpusItem) -> BenchItem:
    exp = "pass" if item.kind == "correct" else "reject"
    return BenchItem(
        item.item_id,
        "own",
        item.kind,
        exp,
        item.phrase,
        "sung",
        item.samples,
        item.sample_rate_hz,
        item.onsets_s,
        item.voice,
        {"interval_semitones": item.interval_semitones},
    )


@dataclass(frozen=True)
class _Onset:
    onset_s: float


def own_items(seed: int, per_kind: int) -> list[BenchItem]:
    return [from_own(c) for c in make_corpus(seed, per_kind=per_kind)]


def _call(item: BenchItem, tracker: Any, accepted: set[str]) -> AttemptAnalysis:
    kw = {k: v for k, v in item.kwargs.items() if k in accepted}
    return analyze_attempt(
        item.samples,
        sample_rate_hz=item.sample_rate_hz,
        phrase=item.phrase,
        mode=item.mode,
        tracker=tracker,
        **kw,
    )


def run_bench(
    items: Sequence[BenchItem], *, name: str, tracker_name: str, progress: Callable[[str], None] | None = None
) -> CorpusReport:
    """Analyse every item once; parameters ``analyze_attempt`` does not (yet) take are left out and noted."""
    t0 = time.perf_counter()
    tracker = make_tracker(tracker_name)
    if hasattr(tracker, "track"):  # load a lazily loaded model now, so start-up is counted once
        tracker.track(np.zeros(1600, dtype=np.float32), sample_rate_hz=16000)
    startup_s = time.perf_counter() - t0
    accepted = set(inspect.signature(analyze_attempt).parameters)
    rep = CorpusReport(name, tracker_name, startup_s=startup_s)
    for item in items:
        t0, c0 = time.perf_counter(), time.process_time()
        res = _call(item, tracker, accepted)
        rep.wall_s += time.perf_counter() - t0
        rep.cpu_s += time.process_time() - c0
        rep.audio_s += item.samples.size / item.sample_rate_hz
        st = rep.kinds.setdefault(item.kind, KindStats(item.kind, item.expected))
        ok = res.verdict == "pass" if item.expected == "pass" else res.verdict != "pass"
        st.n += 1
        st.ok += int(ok)
        st.verdicts[res.verdict] = st.verdicts.get(res.verdict, 0) + 1
        det = [d.onset_s for d in res.detected]
        if item.expected == "pass" and item.onsets_s:
            st.tp += onset_matches(item.onsets_s, det, ONSET_TOL_S)
            st.n_truth += len(item.onsets_s)
            st.n_detected += len(det)
            st.errors_s += [min(abs(t - d) for d in det) for t in item.onsets_s] if det else []
            if item.vowel_onsets_s:
                st.vowel_tp += onset_matches(item.vowel_onsets_s, det, ONSET_TOL_S)
                st.vowel_n_truth += len(item.vowel_onsets_s)
        if item.expected == "pass":
            v = rep.by_voice.setdefault(item.voice, [0, 0])
            v[0] += int(ok)
            v[1] += 1
        rep.records.append(
            {
                "item": item.item_id,
                "kind": item.kind,
                "voice": item.voice,
                "expected": item.expected,
                "verdict": res.verdict,
                "ok": ok,
                "n_truth": len(item.onsets_s),
                "n_detected": len(det),
                "ignored": sorted(set(item.kwargs) - accepted),
            }
        )
    if progress:
        progress(f"{name}: {len(items)} items, {rep.audio_s:.0f} s of audio in {rep.wall_s:.1f} s")
    return rep
