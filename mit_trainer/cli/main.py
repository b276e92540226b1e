"""The ``mit-trainer`` entry point: starts the desktop app or runs a subcommand.

Every subcommand lives in its own module under :mod:`mit_trainer.cli` and exposes
``register(subparsers)``; the handler it sets returns an exit status. Errors the
user can fix are raised as :class:`CliError` and printed as one line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from mit_trainer.cli.errors import CliError
from mit_trainer.core.display import printable


def one_line(message: object) -> str:
    """A message as one printable line: control characters escaped, only the first line kept."""
    text = str(message).strip()
    return printable(text.splitlines()[0] if text else "error")


#: Subcommand modules, in the order they appear in ``--help``.
SUBCOMMAND_MODULES = (
    "gui",
    "phrases",
    "synth",
    "analyze",
    "bench",
    "audio",
    "record",
    "demo",
    "export",
    "patients",
    "sessions",
    "assessments",
    "protocols",
    "db",
)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (the usage itself is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see '{self.prog} --help')\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (``only``) one with just that subcommand: each subcommand module may pull in
    heavy libraries (scipy, SQLAlchemy, Qt), so a command imports only what it needs."""
    parser = _Parser(
        prog="mit-trainer",
        description="Melodic Intonation Therapy trainer. Without a subcommand, starts the desktop app.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = (only,) if only in SUBCOMMAND_MODULES else SUBCOMMAND_MODULES
    for name in names:
        importlib.import_module(f"mit_trainer.cli.{name}_cmd").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        args_list = ["gui"]
    parser = build_parser(args_list[0])
    args = parser.parse_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except CliError as exc:
        print(f"mit-trainer: error: {one_line(exc)}", file=sys.stderr)
        return exc.status
    except MemoryError:
        print("mit-trainer: error: out of memory (the input is too large)", file=sys.stderr)
        return 1
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            return 0
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"mit-trainer: error: {one_line(where)}{one_line(exc.strerror or exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mit-trainer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        # A store error a command did not expect (a dropped table, a damaged file) is still one line.
        store_errors = sys.modules.get("mit_trainer.storage.errors")
        if store_errors is not None and isinstance(exc, store_errors.StoreError):
            print(f"mit-trainer: error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
