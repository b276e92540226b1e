"""``mit-trainer db backup|check``: copy the database safely, and check that it is sound."""

from __future__ import annotations

import argparse
from pathlib import Path

from mit_trainer.cli.db_option import add_db_option, open_cli_store
from mit_trainer.cli.errors import CliError
from mit_trainer.storage import StoreError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("db", help="back up or check the database")
    parser.set_defaults(handler=lambda _args: parser.print_help() or 2)
    dsub = parser.add_subparsers(dest="db_command", metavar="ACTION")
    backup = dsub.add_parser(
        "backup",
        help="copy the SQLite database (safe while the trainer runs) to a timestamped file",
        description="Copies the database with SQLite's online backup API to "
        "backups/mit-trainer-<UTC time>.sqlite3 beside it (or --to DIR) and checks the copy.",
    )
    backup.add_argument("--to", metavar="DIR", type=Path, help="folder for the copy (default: backups/)")
    add_db_option(backup)
    backup.set_defaults(handler=_backup)
    check = dsub.add_parser(
        "check", help="run SQLite's integrity check and print its result (exit 1 when damaged)"
    )
    add_db_option(check)
    check.set_defaults(handler=_check)


def _backup(args: argparse.Namespace) -> int:
    with open_cli_store(args, recover=False) as store:
        try:
            dest = store.backup(args.to)
        except StoreError as exc:
            raise CliError(str(exc)) from exc
    print(f"backed up {store.location} to {dest}")
    return 0


def _check(args: argparse.Namespace) -> int:
    with open_cli_store(args, warn_damaged=False, recover=False) as store:
        try:
            lines = store.check_integrity()
        except StoreError as exc:
            raise CliError(str(exc)) from exc
    if lines == ["ok"]:
        print(f"{store.location}: ok")
        return 0
    for line in lines:
        print(f"{store.location}: {line}")
    raise CliError(
        store.damaged or f"database {store.location} is damaged; copy the last backup over it", status=1
    )
