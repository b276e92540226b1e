"""``mit-trainer protocols list|validate|show``: inspect the shipped MIT protocols, check protocol files."""

from __future__ import annotations

import argparse
import json
import sys

from mit_trainer.cli.errors import CliError
from mit_trainer.core.protocol import Protocol, ProtocolError
from mit_trainer.core.protocol_files import load_protocol, shipped_protocols, validate_protocol_file


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "protocols",
        help="list, validate or show MIT protocol definitions",
        description="MIT protocol definitions (format mit-protocol/1): the shipped ones and your own files.",
    )
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
    psub = parser.add_subparsers(dest="protocols_command", metavar="ACTION")

    p_list = psub.add_parser(
        "list", help="list the shipped protocols", description="List the shipped protocols."
    )
    p_list.add_argument("--json", action="store_true", help="print one JSON object per protocol")
    p_list.set_defaults(handler=_list)

    p_val = psub.add_parser(
        "validate",
        help="check protocol files and report every problem with its line",
        description="Check protocol files; prints every problem as FILE:LINE: error: FIELD: MESSAGE. "
        "Exit status 1 when any file has a problem.",
    )
    p_val.add_argument("files", nargs="+", metavar="FILE", help="protocol YAML file(s)")
    p_val.set_defaults(handler=_validate)

    p_show = psub.add_parser(
        "show",
        help="show the levels and steps of a protocol",
        description="Show a protocol's levels, steps, points and rules.",
    )
    p_show.add_argument(
        "protocol", metavar="ID_OR_FILE", help="a shipped protocol id (e.g. HE1989) or a file"
    )
    p_show.add_argument("--json", action="store_true", help="print the full definition as JSON")
    p_show.set_defaults(handler=_show)


def _load(ref: str) -> Protocol:
    try:
        return load_protocol(ref)
    except ProtocolError as exc:
        if exc.issues:
            for issue in exc.issues[1:]:
                print(issue, file=sys.stderr)
            raise CliError(str(exc.issues[0])) from None
        raise CliError(str(exc)) from None


def _list(args: argparse.Namespace) -> int:
    try:
        protocols = shipped_protocols()
    except ProtocolError as exc:
        raise CliError(f"a shipped protocol is broken: {exc.issues[0] if exc.issues else exc}") from None
    if args.json:
        for p in protocols:
            row = {
                "id": p.id,
                "version": p.version,
                "name": p.name,
                "levels": len(p.levels),
                "max_points": {str(lv.level): lv.max_points for lv in p.levels},
                "sha256": p.sha256,
            }
            print(json.dumps(row))
        return 0
    print(f"{'ID':<12} {'VER':<4} {'LEVELS':<6} {'MAX POINTS':<11} NAME")
    for p in protocols:
        points = "/".join(str(lv.max_points) for lv in p.levels)
        print(f"{p.id:<12} {p.version:<4} {len(p.levels):<6} {points:<11} {p.name}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    bad = 0
    for path in args.files:
        proto, issues = validate_protocol_file(path)
        for issue in issues:
            print(issue)
        if proto is None or any(i.severity == "error" for i in issues):
            bad += 1
        else:
            print(f"{path}: OK ({proto.id} version {proto.version}, {len(proto.levels)} levels)")
    if bad:
        print(f"{bad} of {len(args.files)} file(s) have problems", file=sys.stderr)
        return 1
    return 0


def _show(args: argparse.Namespace) -> int:
    p = _load(args.protocol)
    if args.json:
        print(json.dumps(p.to_dict(), indent=2))
        return 0
    print(f"{p.id} version {p.version}: {p.name}")
    print(f"Source: {p.source}")
    st = p.stimulus
    melody = (
        f"{st.n_pitches} pitches, {st.interval_semitones:g} semitones"
        if st.melody
        else "no melody (monotone)"
    )
    print(f"Stimulus: {melody}, {st.tempo_bpm:g} BPM")
    s = p.session
    print(
        f"Session: {s.items_per_session} items, {s.probe_items} untrained probes ({s.probe_block}), "
        f"no repeat within {s.repeat_block_hours:g} h, "
        f"drop after {s.drop_after_failures} consecutive failures"
    )
    a = p.advancement
    print(
        f"Advancement: propose next level after >= {a.criterion_percent:g}% in {a.consecutive_sessions} "
        f"consecutive sessions; stay while the mean of the last {a.stay_window} "
        f"beats the {a.stay_window} before"
    )
    for lv in p.levels:
        print()
        print(
            f"Level {lv.level} {lv.name} ({lv.syllables_min}-{lv.syllables_max} syllables), "
            f"max {lv.max_points} points"
        )
        for step in lv.steps:
            number = lv.step_number(step.id)
            label = f"{number}" if number is not None else "B"
            if step.scored and step.points is not None:
                pts = f"{step.points.first}"
                if step.points.after_backup is not None:
                    pts += f"/{step.points.after_backup}/0"
                else:
                    pts += "/0"
            else:
                pts = "-"
            extra = []
            if step.backup_to:
                extra.append(f"backup to {step.backup_to}")
            if step.tries > 1:
                extra.append(f"{step.tries} tries")
            if step.delay_s:
                extra.append(f"delay {step.delay_s:g} s")
            if step.fade:
                extra.append(f"fade {step.fade.start:g}-{step.fade.end:g}")
            if step.probe:
                extra.append("question")
            if step.backup_only:
                extra.append("backup only")
            print(
                f"  {label:>2} {step.name:<38} cue {step.cue.value:<12} taps {step.taps.value:<14} "
                f"points {pts:<6} {', '.join(extra)}"
            )
    return 0
