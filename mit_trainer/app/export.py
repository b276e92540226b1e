"""The research export: tidy TSV/Parquet tables with data dictionaries, a codebook, and audio.

``export_dataset`` reads everything through :class:`~mit_trainer.storage.Store` and writes a
BIDS-inspired folder (see :mod:`mit_trainer.app.codebook` for every column and the consent and
de-identification rules).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mit_trainer.app import codebook
from mit_trainer.app.export_audio import write_attempt_audio
from mit_trainer.app.export_models import export_recorded_models
from mit_trainer.app.export_rows import ParticipantRows, participant_rows
from mit_trainer.storage import Patient, Store, StoreError, UnknownPatient

#: The export key used when none is given: research ids are stable per key (see :func:`export_dataset`).
DEFAULT_EXPORT_KEY = "research"
_LABEL_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")

FORMATS = ("tsv", "parquet")
_ARROW = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}


class ExportError(Exception):
    """The export cannot be made as asked (one line for the user)."""


@dataclass(frozen=True)
class ExportReport:
    out_dir: Path
    rows: dict[str, int]
    files: tuple[Path, ...]
    participants: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...]  # (patient code, reason)
    audio_attempts: int
    warnings: tuple[str, ...] = field(default=())
    audio_models: int = 0  # recorded models whose WAV was exported


def export_dataset(
    store: Store,
    out_dir: Path,
    *,
    patients: Sequence[str] | None = None,
    since: date | None = None,
    with_audio: bool = False,
    formats: Sequence[str] = FORMATS,
    deidentify: bool = True,
    overwrite: bool = False,
    export_key: str = DEFAULT_EXPORT_KEY,
) -> ExportReport:
    """Write the export of ``patients`` (codes; all by default) to ``out_dir``.

    A de-identified export labels each participant ``sub-<research id>``: a random id made the first
    time the patient is exported under ``export_key`` and the same in every later export under that
    key (a new key, say per study, gives new ids). The key from patient code to research id stays in
    the clinic's database (:meth:`Store.research_key`); no patient code is written anywhere in the
    export. An identified export (``deidentify=False``, for the clinic) uses ``sub-<code>``.
    Paths read from the database are checked to stay inside the recordings folder, and every file is
    written inside ``out_dir``; a value that fails is reported in ``warnings`` and skipped.

    ``since`` keeps sessions and assessments from that UTC date on. ``out_dir`` must be empty or
    absent; with ``overwrite`` a previous export there (it has ``dataset_description.json``) is
    replaced. Raises :class:`ExportError` for an unknown patient, a bad format or a busy folder.
    """
    fmts = tuple(dict.fromkeys(formats))
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ExportError(f"unknown export format {', '.join(bad) or '(none)'}: choose from tsv, parquet")
    _prepare(out_dir, overwrite=overwrite)
    selected = _select(store, patients)
    tables: dict[str, list[dict[str, Any]]] = {spec.name: [] for spec in codebook.TABLES}
    included: list[str] = []
    excluded: list[tuple[str, str]] = []
    warnings: list[str] = []
    files: list[Path] = []
    audio_attempts = 0
    for patient in selected:
        if not patient.consents.research:
            excluded.append((patient.code, "no research consent"))
            continue
        try:
            pid = _participant_label(store, patient, deidentify=deidentify, export_key=export_key)
        except (StoreError, ValueError) as exc:
            excluded.append((patient.code, str(exc)))
            continue
        rows = participant_rows(
            store, patient, participant_id=pid, since=since, with_audio=with_audio, deidentify=deidentify
        )
        included.append(pid)
        for name, table_rows in rows.tables.items():
            tables[name].extend(table_rows)
        if rows.audio_jobs:
            audio_attempts += _write_audio(store, out_dir, rows, files, warnings, deidentify)
    tables["recorded_models"], recorded_audio = export_recorded_models(
        store, out_dir, with_audio=with_audio, files=files, warnings=warnings
    )
    written = [
        p
        for spec in codebook.TABLES
        for p in _write_table(out_dir, spec, tables[spec.name], fmts, deidentify)
    ]
    row_counts = {name: len(r) for name, r in tables.items()}
    desc = out_dir / "dataset_description.json"
    desc.write_text(
        json.dumps(_description(row_counts, fmts, deidentify, with_audio, since), indent=2) + "\n"
    )
    book = out_dir / "CODEBOOK.md"
    book.write_text(
        codebook.render_codebook(
            row_counts=row_counts, deidentify=deidentify, formats=fmts, with_audio=with_audio
        ),
        encoding="utf-8",
    )
    return ExportReport(
        out_dir=out_dir,
        rows=row_counts,
        files=(desc, book, *written, *files),
        participants=tuple(included),
        excluded=tuple(excluded),
        audio_attempts=audio_attempts,
        warnings=tuple(warnings),
        audio_models=recorded_audio,
    )


def _participant_label(store: Store, patient: Patient, *, deidentify: bool, export_key: str) -> str:
    label = store.research_id(patient.id, export_key) if deidentify else patient.code
    if not _LABEL_RE.fullmatch(label):  # a code written into the database by hand: never a path
        raise ValueError(f"participant label {label!r} is not letters and digits; not exported")
    return f"sub-{label}"


def _prepare(out_dir: Path, *, overwrite: bool) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ExportError(f"{out_dir} exists and is not a folder")
        if any(out_dir.iterdir()):
            if not overwrite:
                raise ExportError(
                    f"{out_dir} is not empty; choose a new folder (or overwrite a previous export)"
                )
            if not (out_dir / "dataset_description.json").is_file():
                raise ExportError(
                    f"{out_dir} is not empty and holds no previous export; refusing to overwrite"
                )
            shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


def _select(store: Store, codes: Sequence[str] | None) -> list[Patient]:
    if not codes:
        return store.list_patients()
    out = []
    for code in dict.fromkeys(codes):
        try:
            out.append(store.get_patient_by_code(code))
        except UnknownPatient as exc:
            raise ExportError(f"unknown patient {code!r}") from exc
    return out


def _write_audio(
    store: Store,
    out_dir: Path,
    rows: ParticipantRows,
    files: list[Path],
    warnings: list[str],
    deidentify: bool,
) -> int:
    n = 0
    for job in rows.audio_jobs:
        attempt = job.attempt
        assert attempt.audio_path is not None
        try:
            source = store.resolve_audio(attempt.audio_path)
            dest = _inside(out_dir, job.base)
        except (StoreError, ValueError) as exc:
            warnings.append(f"{job.attempt_label}: {exc}; not exported")
            job.row["audio_file"] = None
            continue
        if not source.is_file():
            warnings.append(f"{job.attempt_label}: recording missing ({attempt.audio_path})")
            job.row["audio_file"] = None
            continue
        if attempt.audio_sha256 and _sha256(source) != attempt.audio_sha256:
            warnings.append(
                f"{job.attempt_label}: recording does not match its stored checksum; not exported"
            )
            continue
        written = write_attempt_audio(attempt, source, dest, sidecar=job.sidecar, audio_only=deidentify)
        job.row["audio_file_sha256"] = _sha256(written[0])
        files.extend(written)
        n += 1
    return n


def _inside(out_dir: Path, relative: Any) -> Path:
    """``out_dir / relative``, refused (ValueError) unless it resolves to a place inside ``out_dir``."""
    path = out_dir / str(relative)
    root = out_dir.resolve()
    if ".." in Path(str(relative)).parts or root not in path.resolve().parents:
        raise ValueError(f"export path {relative} would leave {out_dir}")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_table(
    out_dir: Path, spec: codebook.TableSpec, rows: list[dict[str, Any]], fmts: Iterable[str], deidentify: bool
) -> list[Path]:
    columns = spec.written_columns(deidentify=deidentify)
    written = []
    if "tsv" in fmts:
        path = out_dir / f"{spec.name}.tsv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write("\t".join(c.name for c in columns) + "\n")
            for row in rows:
                fh.write("\t".join(_tsv_value(row.get(c.name)) for c in columns) + "\n")
        written.append(path)
    if "parquet" in fmts:
        path = out_dir / f"{spec.name}.parquet"
        arrays = [
            pa.array([_arrow_value(r.get(c.name), c.kind) for r in rows], type=_ARROW[c.kind])
            for c in columns
        ]
        pq.write_table(pa.Table.from_arrays(arrays, names=[c.name for c in columns]), path)
        written.append(path)
    sidecar = out_dir / f"{spec.name}.json"
    sidecar.write_text(json.dumps(codebook.data_dictionary(spec, deidentify=deidentify), indent=2) + "\n")
    written.append(sidecar)
    return written


def _tsv_value(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.10g}"
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _arrow_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "number":
        return float(value)
    if kind == "string":
        return str(value)
    return value


def _description(
    rows: Mapping[str, int], fmts: Sequence[str], deidentify: bool, with_audio: bool, since: date | None
) -> dict[str, Any]:
    try:
        version = metadata.version("mit-trainer")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        version = "unknown"
    out: dict[str, Any] = {
        "Name": "MIT Trainer practice data",
        "Description": "MIT practice data; BIDS-inspired layout, not a validated BIDS dataset.",
        "GeneratedBy": [{"Name": "mit-trainer", "Version": version}],
        "Deidentified": deidentify,
        "AudioIncluded": with_audio,
        "Formats": list(fmts),
        "Tables": {name: {"rows": n} for name, n in rows.items()},
        "TimeReference": "day = whole UTC calendar days since the participant's first session",
        "ConsentRules": "research consent to be included; share-audio consent for recordings (CODEBOOK.md)",
    }
    if not deidentify:
        out["ExportedAt"] = datetime.now().astimezone().isoformat(timespec="seconds")
        if since is not None:
            out["Since"] = since.isoformat()
    return out
