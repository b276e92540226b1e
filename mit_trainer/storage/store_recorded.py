"""Store methods for therapists' recorded models: add, list, get and delete (the WAV with the row).

A recorded model is a therapist singing a phrase once as the model a patient hears. Its WAV lives
under ``<recordings folder>/models/`` and its row keeps the path relative to the recordings folder,
the file's SHA-256 and the scoring pipeline's analysis. Only a model whose analysis passed, or one
the therapist insisted on keeping with a reason, can be stored (a CHECK in the table enforces it).
Deleting a model removes its file too, but never a file outside the recordings folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mit_trainer.storage import convert
from mit_trainer.storage.base import StoreBase, sha256_file, utc_now
from mit_trainer.storage.errors import InvalidValue, UnknownRecord
from mit_trainer.storage.models import RecordedModelRow, TherapistRow
from mit_trainer.storage.records import OUTCOMES

#: Analysis modes a recorded model may be sung in (the scoring pipeline's modes).
RECORDED_MODEL_MODES = ("sung", "sprechgesang", "spoken")
#: Folder under the recordings folder that holds the recorded models.
MODELS_DIRNAME = "models"


@dataclass(frozen=True)
class RecordedModelInput:
    """What the app hands the store to keep a recorded model (``audio_path`` inside the recordings folder)."""

    phrase_set: str
    phrase_id: str
    therapist_id: int | None
    tempo_bpm: float
    low_hz: float | None
    interval_semitones: float
    mode: str
    audio_path: Path | str
    sample_rate_hz: int
    duration_s: float
    analysis: Mapping[str, Any]
    verdict: str
    insisted_reason: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class RecordedModel:
    """A stored recorded model; ``audio_path`` is relative to the recordings folder."""

    id: int
    phrase_set: str
    phrase_id: str
    therapist_id: int | None
    created_at: datetime
    tempo_bpm: float
    low_hz: float | None
    interval_semitones: float
    mode: str
    audio_path: str
    sample_rate_hz: int
    audio_sha256: str
    duration_s: float
    analysis: dict[str, Any]
    analysis_version: str | None
    verdict: str
    accepted: bool
    insisted_reason: str | None


@dataclass(frozen=True)
class RecordedModelDeletion:
    """The outcome of deleting a recorded model: whether its file went too, and why not."""

    model_id: int
    file_removed: bool
    warning: str | None = None


def _to_record(row: RecordedModelRow) -> RecordedModel:
    analysis = convert.load_json(row.analysis_json) or {}
    return RecordedModel(
        id=row.id,
        phrase_set=row.phrase_set,
        phrase_id=row.phrase_id,
        therapist_id=row.therapist_id,
        created_at=row.created_at,
        tempo_bpm=row.tempo_bpm,
        low_hz=row.low_hz,
        interval_semitones=row.interval_semitones,
        mode=row.mode,
        audio_path=row.audio_path,
        sample_rate_hz=row.sample_rate_hz,
        audio_sha256=row.audio_sha256,
        duration_s=row.duration_s,
        analysis=analysis,
        analysis_version=row.analysis_version,
        verdict=row.verdict,
        accepted=row.accepted,
        insisted_reason=row.insisted_reason,
    )


def _check_input(m: RecordedModelInput) -> str | None:
    """Raise :class:`InvalidValue` for a model the store must refuse; return the cleaned reason."""
    if not m.phrase_set.strip() or len(m.phrase_set) > 200:
        raise InvalidValue("a recorded model needs its phrase set's name (at most 200 characters)")
    if not m.phrase_id.strip() or len(m.phrase_id) > 64:
        raise InvalidValue("a recorded model needs its phrase id (at most 64 characters)")
    if m.mode not in RECORDED_MODEL_MODES:
        raise InvalidValue(f"mode must be one of {', '.join(RECORDED_MODEL_MODES)}, not {m.mode!r}")
    if m.verdict not in OUTCOMES:
        raise InvalidValue(f"verdict must be one of {', '.join(OUTCOMES)}, not {m.verdict!r}")
    if not m.tempo_bpm > 0:
        raise InvalidValue(f"tempo must be positive, not {m.tempo_bpm} BPM")
    if m.low_hz is not None and not m.low_hz > 0:
        raise InvalidValue(f"low note must be positive, not {m.low_hz} Hz")
    if not 0 <= m.interval_semitones <= 12:
        raise InvalidValue(f"interval must be in [0, 12] semitones, not {m.interval_semitones}")
    if m.sample_rate_hz <= 0 or not m.duration_s > 0:
        raise InvalidValue("a recorded model needs a positive sample rate and duration")
    reason = (m.insisted_reason or "").strip() or None
    if m.verdict != "pass" and reason is None:
        raise InvalidValue(
            f"the recording's verdict is {m.verdict!r}: keep it only with a reason from the therapist"
        )
    return reason


class RecordedModelsMixin(StoreBase):
    def recorded_models_dir(self, *, create: bool = True) -> Path:
        """The folder recorded models are written to (``<recordings folder>/models``)."""
        folder = self._recordings_dir / MODELS_DIRNAME
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        return folder

    def add_recorded_model(self, model: RecordedModelInput) -> RecordedModel:
        """Keep a recorded model: its file must exist inside the recordings folder; its SHA-256 is taken
        now. Raises :class:`InvalidValue` (bad values, no reason for a model that did not pass, a file
        outside the folder or missing) or :class:`UnknownRecord` (no such therapist)."""
        reason = _check_input(model)
        rel = self._relative_audio(model.audio_path)
        file = self.resolve_audio(rel)
        if not file.is_file():
            raise InvalidValue(f"recorded model file {file} does not exist")
        digest = sha256_file(file)
        analysis_json = convert.dump_json(model.analysis)
        assert analysis_json is not None
        with self._tx() as orm:
            if model.therapist_id is not None and self._get(orm, TherapistRow, model.therapist_id) is None:
                raise UnknownRecord(f"no therapist with id {model.therapist_id}")
            row = RecordedModelRow(
                phrase_set=model.phrase_set.strip(),
                phrase_id=model.phrase_id.strip(),
                therapist_id=model.therapist_id,
                created_at=model.created_at or utc_now(),
                tempo_bpm=float(model.tempo_bpm),
                low_hz=None if model.low_hz is None else float(model.low_hz),
                interval_semitones=float(model.interval_semitones),
                mode=model.mode,
                audio_path=rel,
                sample_rate_hz=int(model.sample_rate_hz),
                audio_sha256=digest,
                duration_s=float(model.duration_s),
                analysis_json=analysis_json,
                analysis_version=str(model.analysis.get("analysis_version") or "") or None,
                verdict=model.verdict,
                accepted=model.verdict == "pass",
                insisted_reason=reason,
            )
            orm.add(row)
            orm.flush()
            return _to_record(row)

    def get_recorded_model(self, model_id: int) -> RecordedModel:
        with self._tx() as orm:
            row = self._get(orm, RecordedModelRow, model_id)
            if row is None:
                raise UnknownRecord(f"no recorded model with id {model_id}")
            return _to_record(row)

    def list_recorded_models(
        self,
        *,
        phrase_set: str | None = None,
        phrase_id: str | None = None,
        therapist_id: int | None = None,
    ) -> list[RecordedModel]:
        """Recorded models, newest first, optionally of one phrase set, phrase or therapist."""
        stmt = select(RecordedModelRow)
        if phrase_set is not None:
            stmt = stmt.where(RecordedModelRow.phrase_set == phrase_set)
        if phrase_id is not None:
            stmt = stmt.where(RecordedModelRow.phrase_id == phrase_id)
        if therapist_id is not None:
            stmt = stmt.where(RecordedModelRow.therapist_id == therapist_id)
        stmt = stmt.order_by(RecordedModelRow.created_at.desc(), RecordedModelRow.id.desc())
        with self._tx() as orm:
            return [_to_record(r) for r in orm.scalars(stmt)]

    def delete_recorded_model(self, model_id: int) -> RecordedModelDeletion:
        """Delete the row and its WAV; a stored path that leads outside the recordings folder (a
        tampered row) deletes the row only, and says so."""
        with self._tx() as orm:
            row = self._get(orm, RecordedModelRow, model_id)
            if row is None:
                raise UnknownRecord(f"no recorded model with id {model_id}")
            rel = row.audio_path
            orm.delete(row)
        root = self._recordings_dir.resolve()
        file = (self._recordings_dir / rel).resolve()
        if not file.is_relative_to(root) or file == root:
            return RecordedModelDeletion(
                model_id, False, f"file {rel!r} is outside the recordings folder: kept"
            )
        try:
            file.unlink()
        except FileNotFoundError:
            return RecordedModelDeletion(model_id, False, f"file {rel!r} was already gone")
        except OSError as exc:
            return RecordedModelDeletion(model_id, False, f"could not remove {file}: {exc}")
        return RecordedModelDeletion(model_id, True)
