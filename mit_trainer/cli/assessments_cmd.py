"""``mit-trainer assessments add|list``: standardised language assessments beside the practice data.

Results of WAB, BDAE, AAT, CAL, ANELT or a CIU analysis, with the time point (baseline, post,
follow-up ...), the day they were given, an optional subtest or version, and whether the assessor was
blind to the treatment. The research export writes them to its ``assessments`` table with the date as a
day offset, so outcomes can be related to practice without dates leaving the clinic.
"""

from __future__ import annotations

import argparse
import math
from datetime import UTC, date, datetime

from mit_trainer.cli import option_types as opt
from mit_trainer.cli.db_option import add_db_option, open_cli_store, print_table
from mit_trainer.cli.errors import CliError
from mit_trainer.storage import StoreError
from mit_trainer.storage.records import ASSESSMENT_TESTS

MAX_TEXT = 200


def _day(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    if day > date.today():
        raise argparse.ArgumentTypeError(f"the date is in the future: {text}")
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or not -1e6 <= value <= 1e6:
        raise argparse.ArgumentTypeError(f"not a plausible score: {text!r}")
    if not opt.is_plain_number(text):  # float() also reads 1_0 as 10
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    return value


def _text(text: str) -> str:
    text = text.strip()
    if not text or len(text) > MAX_TEXT or any(ord(c) < 32 for c in text):
        raise argparse.ArgumentTypeError(f"must be 1-{MAX_TEXT} printable characters")
    return text


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("assessments", help="record and list standardised assessments (WAB, BDAE, ...)")
    parser.set_defaults(handler=lambda _args: parser.print_help() or 2)
    asub = parser.add_subparsers(dest="assessments_command", metavar="ACTION")
    add = asub.add_parser(
        "add",
        help="add one assessment result",
        description="Add a standardised assessment result for a patient (by pseudonymous code).",
    )
    add.add_argument("patient", metavar="CODE", help="the patient's code")
    add.add_argument("--test", required=True, choices=ASSESSMENT_TESTS, help="the assessment")
    add.add_argument("--score", required=True, type=_score, help="the score (as the test reports it)")
    add.add_argument("--date", required=True, type=_day, metavar="YYYY-MM-DD", help="the day it was given")
    add.add_argument(
        "--time-point", required=True, type=_text, metavar="NAME", help="e.g. baseline, post, follow-up-3m"
    )
    add.add_argument("--subtest", type=_text, metavar="NAME", help="subtest or version (e.g. 'AQ', 'WAB-R')")
    add.add_argument("--blinded", action="store_true", help="the assessor did not know the treatment")
    add.add_argument("--notes", type=_text, help="free text (exported only with --with-free-text)")
    add_db_option(add)
    add.set_defaults(handler=_add)
    lst = asub.add_parser("list", help="list a patient's assessments, oldest first")
    lst.add_argument("patient", metavar="CODE", help="the patient's code")
    add_db_option(lst)
    lst.set_defaults(handler=_list)


def _add(args: argparse.Namespace) -> int:
    with open_cli_store(args) as store:
        try:
            patient = store.get_patient_by_code(args.patient)
            a = store.add_assessment(
                patient.id,
                test=args.test,
                subtest=args.subtest,
                score=args.score,
                time_point=args.time_point,
                assessed_at=args.date,
                blinded=args.blinded,
                notes=args.notes,
            )
        except StoreError as exc:
            raise CliError(str(exc)) from exc
    print(f"added {a.test} {a.time_point} ({a.assessed_at:%Y-%m-%d}) for {args.patient}: {a.score:g}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_cli_store(args) as store:
        try:
            patient = store.get_patient_by_code(args.patient)
            rows = store.list_assessments(patient.id)
        except StoreError as exc:
            raise CliError(str(exc)) from exc
    if not rows:
        print(f"no assessments for {args.patient}")
        return 0
    print_table(
        ["date", "test", "subtest", "time point", "score", "blinded"],
        [
            [
                f"{a.assessed_at:%Y-%m-%d}",
                a.test,
                a.subtest,
                a.time_point,
                "" if a.score is None else f"{a.score:g}",
                "yes" if a.blinded else "no",
            ]
            for a in rows
        ],
    )
    return 0
