"""``mit-trainer export``: write the de-identified research export (tables, codebook, audio)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from mit_trainer.app.export import DEFAULT_EXPORT_KEY, FORMATS, ExportError, export_dataset
from mit_trainer.cli.db_option import add_db_option, open_cli_store, print_table, report_problems
from mit_trainer.cli.errors import CliError
from mit_trainer.storage import StoreError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export",
        help="export practice data as tidy TSV/Parquet tables with a codebook (de-identified)",
        description="Write a BIDS-inspired research export: participants, sessions, attempts, syllables, "
        "taps and assessments, each as TSV and Parquet with a JSON data dictionary, plus CODEBOOK.md. "
        "Only patients with research consent are included; recordings only with share-audio consent.",
    )
    add_db_option(parser)
    parser.add_argument("--out", metavar="DIR", type=Path, required=True, help="new (or empty) output folder")
    parser.add_argument("--patients", metavar="CODE", nargs="+", help="only these patients (default: all)")
    parser.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        type=_date,
        help="only sessions and assessments from that date (UTC) on",
    )
    parser.add_argument(
        "--with-audio", action="store_true", help="add WAV, JSON sidecar, TextGrid and f0 CSV per attempt"
    )
    parser.add_argument(
        "--format", default="tsv,parquet", type=_formats, help="comma-separated: tsv, parquet"
    )
    parser.add_argument(
        "--identified",
        action="store_true",
        help="keep names, dates and free-text notes (NOT de-identified; for the clinic's own use)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a previous export in --out")
    parser.add_argument(
        "--export-key",
        metavar="NAME",
        default=DEFAULT_EXPORT_KEY,
        help="name of the research-id key (say, the study): participants are sub-<research id>, random "
        f"and the same in every export under this key; the key stays in the database (default: "
        f"{DEFAULT_EXPORT_KEY})",
    )
    parser.add_argument(
        "--write-key",
        metavar="FILE",
        type=Path,
        help="also write the key (patient code -> research id) to FILE, which must be outside --out; "
        "keep it in the clinic",
    )
    parser.set_defaults(handler=_run)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _formats(text: str) -> tuple[str, ...]:
    fmts = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(bad) or text!r}; choose from tsv, parquet"
        )
    return fmts


def _run(args: argparse.Namespace) -> int:
    if args.write_key is not None and _within(args.write_key, args.out):
        raise CliError(f"--write-key {args.write_key} is inside --out; the key must stay out of the export")
    with open_cli_store(args) as store:
        try:
            report = export_dataset(
                store,
                args.out,
                patients=args.patients,
                since=args.since,
                with_audio=args.with_audio,
                formats=args.format,
                deidentify=not args.identified,
                overwrite=args.overwrite,
                export_key=args.export_key,
            )
            key = store.research_key(args.export_key) if args.write_key is not None else None
        except (ExportError, StoreError) as exc:
            raise CliError(str(exc)) from exc
        except OSError as exc:
            raise CliError(f"cannot write the export to {args.out}: {exc.strerror or exc}") from exc
        report_problems(store)
    if key is not None:
        _write_key(args.write_key, key, args.export_key)
    print(f"exported {len(report.participants)} participants to {report.out_dir}")
    print_table(["table", "rows"], [[name, n] for name, n in report.rows.items()])
    n_audio = sum(1 for f in report.files if f.suffix.lower() == ".wav")
    k = report.audio_models
    models = f" and {k} recorded model{'' if k == 1 else 's'}" if k else ""
    print(f"files: {len(report.files)} ({n_audio} recordings for {report.audio_attempts} attempts{models})")
    for code, reason in report.excluded:
        print(f"excluded {code}: {reason}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    if args.identified:
        print("warning: this export contains names, dates and notes; it is not de-identified")
    else:
        print(f"participants are labelled by research id (key {args.export_key!r}, kept in {store.location})")
    return 0


def _within(path: Path, folder: Path) -> bool:
    p, f = path.expanduser().resolve(), folder.expanduser().resolve()
    return p == f or f in p.parents


def _write_key(path: Path, key: dict[str, str], export_key: str) -> None:
    try:
        with path.open("w", encoding="utf-8") as fh:
            fh.write("patient_code\tparticipant_id\texport_key\n")
            for code, rid in key.items():
                fh.write(f"{code}\tsub-{rid}\t{export_key}\n")
    except OSError as exc:
        raise CliError(f"cannot write the key to {path}: {exc.strerror or exc}") from exc
    print(f"key written to {path} ({len(key)} participants): keep it in the clinic")
