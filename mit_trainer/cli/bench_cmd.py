"""``mit-trainer bench``: the analysis benchmark on labelled corpora (issue 3 and issue 12 targets).

``--corpus own`` (default): per pitch tracker, on the trainer's own synthetic corpus, raw pitch accuracy,
voicing recall and false alarms, syllable onset F1, balanced verdict accuracy against each error kind, the
correct attempts at <= 15 dB SNR that failed, batch real-time factor and streaming latency, as one Markdown
table. ``--corpus independent``: voices the trainer did not make (Festival singing re-pitched with WORLD,
Festival speech), per condition the pass rate and per error kind the reject rate, onset F1 at 50 ms against
Festival's phone labels and the median onset error, with the own corpus judged the same way side by side;
``both`` adds the own corpus's tracker table. ``--json`` prints the independent report as JSON instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from mit_trainer.analysis.corpus import EXPECTED_VERDICT
from mit_trainer.analysis.pitch import DEFAULT_TRACKER, TRACKER_NAMES
from mit_trainer.cli.errors import CliError
from mit_trainer.scoring.benchmark import format_table, run_benchmark
from mit_trainer.scoring.independent.bench import from_independent, own_items, run_bench
from mit_trainer.scoring.independent.corpus import build_corpus, shipped_phrases
from mit_trainer.scoring.independent.errors import GenerationError
from mit_trainer.scoring.independent.plan import KINDS, plan_corpus
from mit_trainer.scoring.independent.report import format_report, report_json

#: Items analysed with the slow reference trackers (pyin ~0.2x real time, crepe-full ~0.5x).
SLOW_LIMITS = {"pyin": 8, "crepe-full": 16, "crepe-medium": 32}


def default_trackers() -> list[str]:
    """The default tracker, SwiftF0's own output, yin, crepe-tiny and pyin (on a few items)."""
    return list(dict.fromkeys([DEFAULT_TRACKER, "swiftf0-own", "yin", "crepe-tiny", "pyin"]))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "bench",
        help="benchmark pitch trackers, segmentation and verdicts on a synthetic labelled corpus",
        description="Generate a labelled corpus of synthetic attempts (male/female, 40-90 BPM, 10-20 dB SNR, "
        "reverberation; correct attempts and seven error kinds) and report, per tracker, pitch accuracy, "
        "voicing, syllable onset F1, verdict accuracy, real-time factor and streaming latency.",
    )
    p.add_argument("--quick", action="store_true", help="a small corpus (4 items per kind) for a smoke run")
    p.add_argument(
        "--trackers",
        metavar="NAMES",
        help=f"comma-separated trackers (default: {', '.join(default_trackers())}; also swiftf0-own)",
    )
    p.add_argument("--seed", type=int, default=2026, help="corpus seed (settings were tuned on seed 1)")
    p.add_argument("--per-kind", type=int, metavar="N", help="items per kind (default 25, quick 4)")
    p.add_argument("--output", metavar="FILE.md", help="also write the table (with the set-up) to this file")
    p.add_argument(
        "--corpus",
        choices=("own", "independent", "both"),
        default="own",
        help="own: the trainer's synthetic corpus per tracker (default); independent: voices the trainer did "
        "not make, per condition and error kind, own corpus side by side; both: also the own tracker table",
    )
    p.add_argument("--json", action="store_true", help="independent corpus: print the report as JSON")
    p.add_argument("--kinds", metavar="NAMES", help="independent corpus: only these conditions/error kinds")
    p.add_argument(
        "--own-per-kind",
        type=int,
        metavar="N",
        help="own corpus items per kind beside it (default 25, quick 4)",
    )
    p.add_argument("--cache-dir", metavar="DIR", help="independent corpus audio cache (default: user cache)")
    p.set_defaults(handler=run)


#: Independent corpus: items per kind (full, quick) and the silent-patient-with-leak tries.
INDEP_PER_KIND = (12, 3)
INDEP_SILENCE_LEAK = (100, 10)


def run(args: argparse.Namespace) -> int:
    if args.corpus != "own":
        return run_independent(args)
    names = args.trackers.split(",") if args.trackers else default_trackers()
    names = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    for n in names:
        if n not in TRACKER_NAMES and n != "swiftf0-own":
            raise CliError(f"unknown tracker {n!r}; choose from {', '.join((*TRACKER_NAMES, 'swiftf0-own'))}")
    per_kind = args.per_kind or (4 if args.quick else 25)
    if per_kind < 1:
        raise CliError("--per-kind must be at least 1")
    limits = {k: min(v, per_kind * len(EXPECTED_VERDICT)) for k, v in SLOW_LIMITS.items()}
    t0 = time.perf_counter()
    reports, corpus = run_benchmark(
        names, seed=args.seed, per_kind=per_kind, limits=limits,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )  # fmt: skip
    table = format_table(reports, EXPECTED_VERDICT)
    audio_s = sum(c.duration_s for c in corpus)
    slow = ", ".join(f"{k} {v}" for k, v in limits.items() if k in names)
    setup = (
        f"Corpus seed {args.seed}: {len(corpus)} synthetic attempts ({per_kind} per kind), "
        f"{audio_s:.0f} s of audio at 16 kHz; slow trackers on their first items only "
        f"({slow or 'none in this run'}; the first 8 are one of each kind). Machine: {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.1f}. Run time {time.perf_counter() - t0:.0f} s."
    )
    print(table)
    print()
    print(setup)
    if args.output:
        Path(args.output).write_text(f"{table}\n\n{setup}\n", encoding="utf-8")
    return 0


def _machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def _command(args: argparse.Namespace) -> str:
    words = ["mit-trainer bench", f"--corpus {args.corpus}"] + (["--quick"] if args.quick else [])
    for flag in ("seed", "per_kind", "own_per_kind", "kinds", "trackers"):
        value = getattr(args, flag)
        if value is not None and not (flag == "seed" and value == 2026):
            words.append(f"--{flag.replace('_', '-')} {value}")
    return " ".join(words)


def run_independent(args: argparse.Namespace) -> int:
    tracker = (args.trackers or DEFAULT_TRACKER).split(",")[0].strip()
    if tracker not in TRACKER_NAMES and tracker != "swiftf0-own":
        raise CliError(
            f"unknown tracker {tracker!r}; choose from {', '.join((*TRACKER_NAMES, 'swiftf0-own'))}"
        )
    q = 1 if args.quick else 0
    per_kind = args.per_kind or INDEP_PER_KIND[q]
    if per_kind < 1:
        raise CliError("--per-kind must be at least 1")

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    phrases = shipped_phrases()
    kinds = KINDS
    if args.kinds:
        kinds = tuple(dict.fromkeys(k.strip() for k in args.kinds.split(",") if k.strip()))
        bad = [k for k in kinds if k not in KINDS]
        if bad or not kinds:
            raise CliError(f"unknown kind {', '.join(bad) or '(none)'}; choose from {', '.join(KINDS)}")
    counts = {"silence_leak": max(per_kind, INDEP_SILENCE_LEAK[q])} if not args.per_kind else {}
    plans = plan_corpus(phrases, seed=args.seed, per_kind=per_kind, kinds=kinds, counts=counts)
    try:
        items = build_corpus(
            plans, phrases=phrases, cache_dir=Path(args.cache_dir) if args.cache_dir else None, progress=say
        )
    except GenerationError as exc:
        raise CliError(f"cannot generate the independent corpus: {exc}") from exc
    gen_s = time.perf_counter() - t0
    indep = run_bench(
        [from_independent(i) for i in items], name="independent", tracker_name=tracker, progress=say
    )
    own_per_kind = (4 if args.quick else 25) if args.own_per_kind is None else args.own_per_kind
    if own_per_kind < 0:
        raise CliError("--own-per-kind must be 0 or more")
    own = None
    if own_per_kind:
        own = run_bench(own_items(args.seed, own_per_kind), name="own", tracker_name=tracker, progress=say)
    setup = (
        f"Command: {_command(args)}. Independent corpus: {len(items)} items ({per_kind} per kind, "
        f"silence_leak {counts.get('silence_leak', per_kind)}), {indep.audio_s:.0f} s of audio, "
        f"generated or read from the cache in {gen_s:.0f} s; own corpus {own_per_kind} per kind. "
        f"Machine: {_machine()}. Run time {time.perf_counter() - t0:.0f} s."
    )
    if args.json:
        own_json = report_json(own) if own is not None else None
        print(json.dumps({"independent": report_json(indep), "own": own_json, "setup": setup}))
        return 0
    text = format_report(indep, own) + "\n\n" + setup
    if args.corpus == "both" and own_per_kind:
        reports, _ = run_benchmark([tracker], seed=args.seed, per_kind=own_per_kind, progress=say)
        text += "\n\nOwn corpus, tracker table:\n\n" + format_table(reports, EXPECTED_VERDICT)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    return 0
