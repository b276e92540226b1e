"""Therapists' recorded models in the research export: one table row each, and the WAV with audio.

A recorded model is the therapist's voice, not a patient's, so it is exported whichever patients are
selected; the therapist appears only as ``thr-<N>``, the time it was kept and the reason for keeping a
take that did not pass only when de-identification is switched off. Audio goes to
``audio/models/mod-<N>.wav`` (metadata chunks removed) with a JSON sidecar of its analysis.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mit_trainer.app.export_audio import copy_wav_audio_only
from mit_trainer.storage import RecordedModel, Store

MODELS_FOLDER = Path("audio") / "models"


def _label(prefix: str, value: int | None) -> str | None:
    return None if value is None else f"{prefix}-{value}"


def recorded_model_row(m: RecordedModel) -> dict[str, Any]:
    """The ``recorded_models`` row of one model (every column; the writer drops identifying ones)."""
    sylls = m.analysis.get("syllables", [])
    scores = m.analysis.get("scores", {}) or {}
    return {
        "model_id": _label("mod", m.id),
        "therapist_id": _label("thr", m.therapist_id),
        "phrase_set_name": m.phrase_set,
        "phrase_id": m.phrase_id,
        "created_at": m.created_at.isoformat(),
        "tempo_bpm": m.tempo_bpm,
        "low_hz": m.low_hz,
        "interval_semitones": m.interval_semitones,
        "mode": m.mode,
        "duration_s": m.duration_s,
        "sample_rate_hz": m.sample_rate_hz,
        "syllables_targeted": len(sylls),
        "syllables_detected": sum(1 for s in sylls if s.get("onset_s") is not None),
        "syllables_matching": sum(
            1 for s in sylls if s.get("produced") and s.get("produced") == s.get("target")
        ),
        "score_contour": scores.get("contour"),
        "score_rhythm": scores.get("rhythm"),
        "score_overall": scores.get("overall"),
        "verdict": m.verdict,
        "accepted": m.accepted,
        "insisted": not m.accepted,
        "insisted_reason": m.insisted_reason,
        "audio_file": None,
        "audio_sha256": m.audio_sha256,
        "audio_file_sha256": None,
        "analysis_version": m.analysis_version,
    }


def export_recorded_models(
    store: Store, out_dir: Path, *, with_audio: bool, files: list[Path], warnings: list[str]
) -> tuple[list[dict[str, Any]], int]:
    """The table rows of every recorded model and, with audio, their files; returns (rows, files written).

    A model whose WAV is missing or no longer matches its checksum is listed without audio, with a warning.
    """
    rows, n_audio = [], 0
    for m in sorted(store.list_recorded_models(), key=lambda m: m.id):
        row = recorded_model_row(m)
        rows.append(row)
        if not with_audio:
            continue
        source = store.resolve_audio(m.audio_path)
        label = row["model_id"]
        if not source.is_file():
            warnings.append(f"{label}: recorded model missing ({m.audio_path})")
            continue
        if _sha256(source) != m.audio_sha256:
            warnings.append(f"{label}: recorded model does not match its stored checksum; not exported")
            continue
        (out_dir / MODELS_FOLDER).mkdir(parents=True, exist_ok=True)
        rel = MODELS_FOLDER / f"{label}.wav"
        copy_wav_audio_only(source, out_dir / rel)
        sidecar = out_dir / MODELS_FOLDER / f"{label}.json"
        side = {k: v for k, v in row.items() if k not in ("created_at", "insisted_reason", "audio_file")}
        analysis = {k: v for k, v in m.analysis.items() if k != "audio"}
        sidecar.write_text(json.dumps(side | {"analysis": analysis}, indent=2) + "\n")
        row["audio_file"] = rel.as_posix()
        row["audio_file_sha256"] = _sha256(out_dir / rel)
        files.extend([out_dir / rel, sidecar])
        n_audio += 1
    return rows, n_audio


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
