"""The ``--db`` option shared by the data subcommands, and opening the store with one-line errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mit_trainer.cli.errors import CliError
from mit_trainer.storage import Store, StoreError, open_store


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL_OR_PATH",
        default=None,
        help="database: a SQLite file path or a postgresql+psycopg:// URL "
        "(default: mit-trainer.sqlite3 in the user data folder, or $MIT_TRAINER_HOME)",
    )


def open_cli_store(args: argparse.Namespace, *, warn_damaged: bool = True, recover: bool = True) -> Store:
    """Open the ``--db`` store; a damaged file opens read-only with one warning line on stderr.

    With ``recover`` (every command but ``db``), what a crash left behind is recovered first and
    said in one line (see :mod:`mit_trainer.app.startup`)."""
    try:
        store = open_store(args.db)
    except StoreError as exc:
        raise CliError(str(exc)) from exc
    if warn_damaged and store.damaged:
        print(f"mit-trainer: warning: {store.damaged}", file=sys.stderr)
    if recover:
        say_recovery(store)
    return store


def say_recovery(store: Store) -> None:
    """Recover after a crash (see :func:`mit_trainer.app.startup.recover`) and say it on stderr, once."""
    from mit_trainer.app.startup import recover

    try:
        message = recover(store).message
    except StoreError as exc:  # the command itself would fail the same way: one line, exit 1
        store.close()
        raise CliError(str(exc)) from exc
    if message:
        print(f"mit-trainer: {message}", file=sys.stderr)


def report_problems(store: Store) -> None:
    """One ``warning:`` line on stderr per database row that could not be read (and was skipped)."""
    for line in store.take_problems():
        print(f"mit-trainer: warning: {line}", file=sys.stderr)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain, aligned text table (empty cells for None)."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
