"""``mit-trainer demo``: simulated sessions through the real pipeline, so data exists without a microphone."""

from __future__ import annotations

import argparse
import sys
import time

from mit_trainer.analysis.pitch import TRACKER_NAMES
from mit_trainer.cli import option_types as opt
from mit_trainer.cli.db_option import say_recovery
from mit_trainer.cli.errors import CliError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "demo",
        help="run complete sessions with a simulated patient (no microphone needed)",
        description=(
            "Runs complete MIT sessions with a simulated patient (a synthetic voice with late starts, "
            "missing syllables, a flattened melody and drifting rhythm, improving over sessions) through the "
            "real "
            "pipeline: stimulus, response audio, analysis, protocol engine and store."
        ),
    )
    p.add_argument("--db", metavar="URL_OR_PATH", help="database (default: the user data folder)")
    p.add_argument("--sessions", type=opt.integer(1, 1000), default=8, help="number of sessions (default 8)")
    p.add_argument(
        "--items",
        type=opt.integer(1, 100),
        default=None,
        help="trained items per session (default: the protocol's)",
    )
    p.add_argument(
        "--probes", type=opt.integer(0, 50), default=None, help="untrained probe items per session"
    )
    p.add_argument("--patient", default=None, help="pseudonymous code of the simulated patient")
    p.add_argument("--protocol", default="HE1989", help="protocol id or file (default HE1989)")
    p.add_argument("--phrases", default=None, help="folder of phrase sets (default: the shipped ones)")
    p.add_argument(
        "--tracker",
        default=None,
        choices=TRACKER_NAMES,
        help="pitch tracker for the analysis (default: the default one)",
    )
    p.add_argument("--seed", type=opt.seed, default=7, help="random seed of the simulated patient")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mit_trainer.app.demo import DEMO_PATIENT, combined_phrase_set, run_demo
    from mit_trainer.app.session import SessionError
    from mit_trainer.core.phrases import PhraseSetError
    from mit_trainer.core.protocol import ProtocolError
    from mit_trainer.core.protocol_files import load_protocol
    from mit_trainer.storage import StoreError, open_store

    if args.sessions < 1:
        raise CliError("--sessions must be at least 1")
    if args.items is not None and args.items < 1:
        raise CliError("--items must be at least 1")
    try:
        protocol = load_protocol(args.protocol)
    except (ProtocolError, KeyError, FileNotFoundError, OSError) as exc:
        raise CliError(f"cannot load protocol {args.protocol!r}: {exc}") from exc
    try:
        phrase_set = combined_phrase_set(Path(args.phrases) if args.phrases else None)
    except (PhraseSetError, OSError) as exc:
        raise CliError(f"cannot load phrase sets: {exc}") from exc
    try:
        store = open_store(args.db)
    except StoreError as exc:
        raise CliError(str(exc)) from exc
    say_recovery(store)  # a demo killed earlier left its session open: closed and said once
    started = time.perf_counter()
    try:
        report = run_demo(
            store,
            sessions=args.sessions,
            items_per_session=args.items,
            probe_items=args.probes,
            patient_code=args.patient or DEMO_PATIENT,
            protocol=protocol,
            phrase_set=phrase_set,
            seed=args.seed,
            tracker=args.tracker,
            progress=lambda line: print(line, flush=True),
        )
    except (SessionError, StoreError) as exc:
        raise CliError(str(exc)) from exc
    finally:
        store.close()
    took = time.perf_counter() - started
    print(
        f"demo: {len(report.sessions)} sessions, {report.n_attempts} attempts "
        f"({report.audio_seconds:.0f} s of audio), {report.n_overrides} therapist overrides, "
        f"in {took:.0f} s; patient {report.patient_code} in {store.location}",
        file=sys.stdout,
    )
    return 0
