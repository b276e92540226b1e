"""``mit-trainer gui``: start the desktop trainer (also what ``mit-trainer`` with no arguments does).

``--demo`` runs a scripted session with the simulated patient through the fake audio device;
with ``--screenshot-dir DIR`` it runs offscreen, saves a screenshot of every surface at 1280x800 and
1920x1080 into DIR and exits. Qt is imported only when this command runs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from mit_trainer.cli.errors import CliError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "gui",
        help="start the desktop trainer (the default)",
        description="Start the desktop trainer: the therapist window and the patient view.",
    )
    p.add_argument("--demo", action="store_true", help="run a scripted session with a simulated patient")
    p.add_argument(
        "--screenshot-dir",
        metavar="DIR",
        type=Path,
        help="with --demo: run offscreen, save screenshots of every surface here, then exit",
    )
    p.add_argument("--db", metavar="URL_OR_PATH", help="database (SQLite file or postgresql+psycopg:// URL)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.screenshot_dir is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        try:
            args.screenshot_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(
                f"cannot create the screenshot folder {args.screenshot_dir}: {exc.strerror}"
            ) from exc
    elif not args.demo and _no_display():
        raise CliError(
            "no display found (DISPLAY is not set); run on a desktop or use --demo --screenshot-dir DIR"
        )
    try:
        from mit_trainer.gui.app import application
        from mit_trainer.gui.app import run as run_gui
    except ImportError as exc:
        raise CliError(f"the desktop trainer cannot start: {exc}") from exc
    if args.demo or args.screenshot_dir is not None:
        from mit_trainer.demo.desktop import run_demo

        return run_demo(application(), db=args.db, screenshot_dir=args.screenshot_dir)
    return run_gui(db=args.db)


def _no_display() -> bool:
    """True on a Linux/BSD machine without X11 or Wayland (and no Qt platform chosen by hand)."""
    import sys

    if os.name != "posix" or sys.platform == "darwin" or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
