"""``mit-trainer bench``: the analysis benchmark on a labelled synthetic corpus (see issue 3 targets).

Prints, per pitch tracker, raw pitch accuracy, voicing recall and false alarms, syllable onset F1, balanced
verdict accuracy against each error kind, the correct attempts at <= 15 dB SNR that failed, batch real-time
factor of the whole analysis and streaming latency, as one Markdown table (optionally written to a file).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from mit_trainer.analysis.corpus import EXPECTED_VERDICT
from mit_trainer.analysis.pitch import DEFAULT_TRACKER, TRACKER_NAMES
from mit_trainer.cli import option_types as opt
from mit_trainer.cli.errors import CliError
from mit_trainer.scoring.benchmark import format_table, run_benchmark

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
    p.add_argument("--seed", type=opt.seed, default=2026, help="corpus seed (settings were tuned on seed 1)")
    p.add_argument(
        "--per-kind", type=opt.integer(1, 10_000), metavar="N", help="items per kind (default 25, quick 4)"
    )
    p.add_argument(
        "--output",
        metavar="FILE.md",
        type=opt.output_file,
        help="also write the table (with the set-up) to this file",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
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
