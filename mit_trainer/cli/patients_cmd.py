"""``mit-trainer patients add|list|consent|delete``: manage patients for scripted use."""

from __future__ import annotations

import argparse
from datetime import date

from mit_trainer.cli.db_option import add_db_option, open_cli_store, print_table, report_problems
from mit_trainer.cli.errors import CliError
from mit_trainer.storage import Consents, PatientIdentity, StoreError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("patients", help="add, list, change consent of, or delete patients")
    parser.set_defaults(handler=lambda _args: parser.print_help() or 2)
    psub = parser.add_subparsers(dest="patients_command", metavar="ACTION")

    add = psub.add_parser("add", help="add a patient under a pseudonymous code")
    add.add_argument("code", metavar="CODE", help="pseudonymous code: 1-32 letters or digits, never a name")
    _consent_flags(add)
    add.add_argument("--name", help="full name (kept in a separate table, never exported by default)")
    add.add_argument(
        "--dob", metavar="YYYY-MM-DD", type=_date, help="date of birth (identifying, never exported)"
    )
    add_db_option(add)
    add.set_defaults(handler=_add)

    lst = psub.add_parser("list", help="list patients with consent flags and session counts")
    lst.add_argument("--names", action="store_true", help="also show full names")
    add_db_option(lst)
    lst.set_defaults(handler=_list)

    consent = psub.add_parser("consent", help="change a patient's consent flags (logged)")
    consent.add_argument("code", metavar="CODE")
    _consent_flags(consent, keep=True)
    add_db_option(consent)
    consent.set_defaults(handler=_consent)

    delete = psub.add_parser(
        "delete", help="delete a patient: every row, every recording, and their traces in the database file"
    )
    delete.add_argument("code", metavar="CODE")
    delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    add_db_option(delete)
    delete.set_defaults(handler=_delete)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _consent_flags(parser: argparse.ArgumentParser, *, keep: bool = False) -> None:
    default = None if keep else False
    tail = " (unchanged when not given)" if keep else " (default: no)"
    for flag, what in (
        ("clinical", "clinical use of the data"),
        ("research", "research use (needed to appear in exports)"),
        ("share-audio", "sharing raw voice recordings in research exports"),
    ):
        parser.add_argument(
            f"--{flag}-consent",
            dest=f"{flag.replace('-', '_')}_consent",
            action=argparse.BooleanOptionalAction,
            default=default,
            help=f"consent to {what}{tail}",
        )


def _add(args: argparse.Namespace) -> int:
    identity = None
    if args.name or args.dob:
        identity = PatientIdentity(full_name=args.name, date_of_birth=args.dob)
    consents = Consents(
        clinical=args.clinical_consent, research=args.research_consent, share_audio=args.share_audio_consent
    )
    with open_cli_store(args) as store:
        try:
            patient = store.add_patient(args.code, consents, identity)
        except StoreError as exc:
            raise CliError(str(exc)) from exc
        print(
            f"added patient {patient.code} (clinical={_yn(consents.clinical)}, "
            f"research={_yn(consents.research)}, share-audio={_yn(consents.share_audio)}) to {store.location}"
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_cli_store(args) as store:
        rows = []
        for p in store.list_patients():
            sessions = store.list_sessions(p.id)
            last = sessions[-1].started_at.astimezone().strftime("%Y-%m-%d") if sessions else ""
            row: list[object] = [
                p.code,
                p.created_at.astimezone().strftime("%Y-%m-%d"),
                _yn(p.consents.clinical),
                _yn(p.consents.research),
                _yn(p.consents.share_audio),
                store.get_patient_settings(p.id).level,
                len(sessions),
                last,
            ]
            if args.names:
                identity = store.get_identity(p.id)
                row.append(identity.full_name if identity else "")
            rows.append(row)
        report_problems(store)
        if not rows:
            print(f"no patients in {store.location}")
            return 0
        headers = [
            "code",
            "added",
            "clinical",
            "research",
            "share-audio",
            "level",
            "sessions",
            "last session",
        ]
        print_table([*headers, *(["name"] if args.names else [])], rows)
    return 0


def _consent(args: argparse.Namespace) -> int:
    with open_cli_store(args) as store:
        try:
            patient = store.get_patient_by_code(args.code)
            old = patient.consents
            new = Consents(
                clinical=old.clinical if args.clinical_consent is None else args.clinical_consent,
                research=old.research if args.research_consent is None else args.research_consent,
                share_audio=old.share_audio if args.share_audio_consent is None else args.share_audio_consent,
            )
            store.update_consents(patient.id, new)
        except StoreError as exc:
            raise CliError(str(exc)) from exc
        print(
            f"{patient.code}: clinical={_yn(new.clinical)}, research={_yn(new.research)}, "
            f"share-audio={_yn(new.share_audio)}"
        )
    return 0


def _delete(args: argparse.Namespace) -> int:
    with open_cli_store(args) as store:
        try:
            patient_id = store.patient_id_for_code(args.code)
            if not args.yes:
                try:
                    n: object = len(store.list_sessions(patient_id))
                except StoreError:  # an unreadable row: deleting it is still allowed
                    n = "?"
                raise CliError(
                    f"this permanently deletes patient {args.code} ({n} sessions and their recordings); "
                    "add --yes to confirm"
                )
            report = store.delete_patient(patient_id)
        except StoreError as exc:
            raise CliError(str(exc)) from exc
    print(
        f"deleted patient {report.code}: {report.sessions_deleted} sessions, "
        f"{report.attempts_deleted} attempts, {report.files_removed} recording files; "
        f"database scrubbed: {_yn(report.scrubbed)}"
    )
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0 if report.scrubbed and not report.warnings else 1


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"
