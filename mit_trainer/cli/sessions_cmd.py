"""``mit-trainer sessions list``: sessions with their points, fatigue and advancement decision."""

from __future__ import annotations

import argparse

from mit_trainer.cli.db_option import add_db_option, open_cli_store, print_table, report_problems
from mit_trainer.cli.errors import CliError
from mit_trainer.storage import StoreError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sessions", help="list therapy sessions")
    parser.set_defaults(handler=lambda _args: parser.print_help() or 2)
    ssub = parser.add_subparsers(dest="sessions_command", metavar="ACTION")
    lst = ssub.add_parser("list", help="list sessions, oldest first (points: therapist score when present)")
    lst.add_argument("--patient", metavar="CODE", help="only this patient's sessions")
    add_db_option(lst)
    lst.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    with open_cli_store(args) as store:
        try:
            patients = [store.get_patient_by_code(args.patient)] if args.patient else store.list_patients()
        except StoreError as exc:
            raise CliError(str(exc)) from exc
        rows = []
        interrupted = store.interrupted_session_ids()
        shown: dict[int, str] = {}
        for p in patients:
            for s in store.list_sessions(p.id):
                summary = store.session_summary(s.id)
                shown[s.id] = f"{p.code} #{s.number}"
                duration = "" if s.duration_s is None else f"{s.duration_s / 60:.0f} min"
                if s.id in interrupted:
                    duration = f"{duration} interrupted".strip()
                possible = "?" if s.points_possible is None else s.points_possible
                rows.append(
                    [
                        p.code,
                        s.number,
                        s.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                        duration or "open",
                        s.level,
                        f"{s.protocol_id} {s.protocol_version}",
                        summary.n_attempts,
                        f"{summary.points_earned}/{possible}",
                        _fatigue(s.fatigue_before, s.fatigue_after),
                        s.advancement_decision,
                    ]
                )
        report_problems(store)
        if not rows:
            print("no sessions" + (f" for {args.patient}" if args.patient else ""))
            return 0
        headers = [
            "patient",
            "#",
            "started",
            "duration",
            "level",
            "protocol",
            "attempts",
            "points",
            "fatigue",
            "advance",
        ]
        print_table(headers, rows)
        for orphan in store.list_orphan_recordings():
            if orphan.session_id in shown:
                seconds = "?" if orphan.duration_s is None else f"{orphan.duration_s:.1f}"
                print(
                    f"recording kept after a crash (no attempt row): session {shown[orphan.session_id]}: "
                    f"{store.recordings_dir / orphan.audio_path} ({seconds} s)"
                )
    return 0


def _fatigue(before: int | None, after: int | None) -> str:
    return f"{'-' if before is None else before}->{'-' if after is None else after}"
