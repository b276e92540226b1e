"""The bench's Markdown tables and JSON: per kind, per voice, and a one-line summary per corpus."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mit_trainer.scoring.independent.bench import CorpusReport
from mit_trainer.scoring.independent.plan import CONDITIONS, ERRORS


def _num(v: float, fmt: str) -> str:
    return "-" if v != v else format(v, fmt)


def kind_table(rep: CorpusReport, kinds: Sequence[str], title: str) -> str:
    head = [
        "kind",
        "n",
        "pass/reject %",
        "verdicts",
        "onset F1 50ms",
        "median onset err ms",
        "vowel-onset F1",
    ]
    lines = [
        f"**{title}** ({rep.name}, {rep.tracker})",
        "",
        "| " + " | ".join(head) + " |",
        "|---" * len(head) + "|",
    ]
    for k in kinds:
        s = rep.kinds.get(k)
        if s is None:
            continue
        verd = " ".join(f"{v}:{c}" for v, c in sorted(s.verdicts.items()))
        label = f"{k} ({'pass' if s.expected == 'pass' else 'reject'})"
        lines.append(
            f"| {label} | {s.n} | {_num(100 * s.rate, '.0f')} | {verd} | {_num(s.f1, '.2f')} | "
            f"{_num(s.median_error_ms, '.0f')} | {_num(s.vowel_f1, '.2f')} |"
        )
    return "\n".join(lines)


def summary_line(rep: CorpusReport) -> str:
    cond = [s for s in rep.kinds.values() if s.expected == "pass"]
    err = [s for s in rep.kinds.values() if s.expected != "pass"]
    pr = sum(s.ok for s in cond) / max(1, sum(s.n for s in cond))
    rr = sum(s.ok for s in err) / max(1, sum(s.n for s in err))
    tp, nt, nd = (sum(getattr(s, a) for s in cond) for a in ("tp", "n_truth", "n_detected"))
    f1 = 2 * tp / (nt + nd) if nt + nd else float("nan")
    return (
        f"{rep.name}: correct attempts pass {100 * pr:.1f} %, wrong attempts rejected {100 * rr:.1f} %, "
        f"balanced {50 * (pr + rr):.1f} %, onset F1 50 ms {_num(f1, '.3f')}, "
        f"batch {rep.speed_x:.0f}x real time ({rep.audio_s:.0f} s audio, {rep.wall_s:.1f} s; "
        f"{rep.speed_with_startup_x:.0f}x with the tracker's start-up, {rep.startup_s:.1f} s; "
        f"{rep.audio_s / max(rep.cpu_s, 1e-9):.0f}x of process CPU time)"
    )


def voice_table(rep: CorpusReport) -> str:
    lines = ["| voice (correct attempts) | n | pass % |", "|---|---|---|"]
    for v, (ok, n) in sorted(rep.by_voice.items()):
        lines.append(f"| {v} | {n} | {100 * ok / n:.0f} |")
    return "\n".join(lines)


def format_report(indep: CorpusReport, own: CorpusReport | None) -> str:
    parts = [
        kind_table(indep, CONDITIONS, "Independent corpus: correct attempts by condition"),
        kind_table(indep, ERRORS, "Independent corpus: error kinds"),
        voice_table(indep),
    ]
    if own is not None:
        own_kinds = list(own.kinds)
        parts.append(kind_table(own, own_kinds, "Own corpus, same run"))
    parts.append("\n".join(summary_line(r) for r in (indep, own) if r is not None))
    ignored = sorted({k for r in indep.records for k in r["ignored"]})
    if ignored:
        parts.append(f"Not passed to analyze_attempt (not accepted yet): {', '.join(ignored)}.")
    return "\n\n".join(parts)


def report_json(rep: CorpusReport) -> dict[str, Any]:
    return {
        "corpus": rep.name,
        "tracker": rep.tracker,
        "audio_s": rep.audio_s,
        "wall_s": rep.wall_s,
        "speed_x": rep.speed_x,
        "startup_s": rep.startup_s,
        "cpu_s": rep.cpu_s,
        "speed_with_startup_x": rep.speed_with_startup_x,
        "kinds": {
            k: {
                "expected": s.expected,
                "n": s.n,
                "ok": s.ok,
                "rate": s.rate,
                "onset_f1_50ms": s.f1,
                "median_onset_error_ms": s.median_error_ms,
                "vowel_onset_f1_50ms": s.vowel_f1,
                "verdicts": s.verdicts,
            }
            for k, s in rep.kinds.items()
        },
        "by_voice": {v: {"ok": ok, "n": n} for v, (ok, n) in rep.by_voice.items()},
        "items": rep.records,
    }
