"""Recorded models in the store: add, list, get, delete (with the file), the rules, and the migration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import text

from mit_trainer.storage import (
    InvalidValue,
    RecordedModelInput,
    Store,
    UnknownRecord,
    open_store,
)
from mit_trainer.storage import engine as db
from mit_trainer.storage.base import sha256_file
from tests.storage.helpers_storage import analysis_json


def _wav(store: Store, name: str, seconds: float = 1.0) -> Path:
    path = store.recorded_models_dir() / name
    t = np.arange(int(16000 * seconds)) / 16000
    sf.write(path, 0.3 * np.sin(2 * np.pi * 220 * t), 16000)
    return path


def _input(store: Store, name: str = "a.wav", **fields: Any) -> RecordedModelInput:
    values: dict[str, Any] = {
        "phrase_set": "Everyday phrases",
        "phrase_id": "thank-you",
        "therapist_id": None,
        "tempo_bpm": 60.0,
        "low_hz": 196.0,
        "interval_semitones": 3.0,
        "mode": "sung",
        "audio_path": _wav(store, name),
        "sample_rate_hz": 16000,
        "duration_s": 1.0,
        "analysis": analysis_json(),
        "verdict": "pass",
    }
    values.update(fields)
    return RecordedModelInput(**values)


def test_add_list_get_delete_removes_the_file(store: Store) -> None:
    t1 = store.add_therapist("Ann")
    t2 = store.add_therapist("Ben")
    a = store.add_recorded_model(_input(store, "a.wav", therapist_id=t1.id))
    b = store.add_recorded_model(_input(store, "b.wav", therapist_id=t2.id, phrase_id="good-morning"))
    c = store.add_recorded_model(
        _input(store, "c.wav", therapist_id=t1.id, verdict="fail", insisted_reason="  my accent  ")
    )
    assert a.audio_path == "models/a.wav" and a.accepted and a.insisted_reason is None
    assert a.audio_sha256 == sha256_file(store.recordings_dir / "models" / "a.wav")
    assert a.analysis["syllables"][0]["text"] == "thank" and a.analysis_version is None
    assert not c.accepted and c.insisted_reason == "my accent" and c.verdict == "fail"
    assert [m.id for m in store.list_recorded_models()] == [c.id, b.id, a.id]  # newest first
    assert [m.id for m in store.list_recorded_models(phrase_id="thank-you")] == [c.id, a.id]
    assert [m.id for m in store.list_recorded_models(therapist_id=t2.id)] == [b.id]
    assert store.list_recorded_models(phrase_set="Other") == []
    assert store.get_recorded_model(b.id) == b
    report = store.delete_recorded_model(a.id)
    assert report.file_removed and report.warning is None
    assert not (store.recordings_dir / "models" / "a.wav").exists()
    assert (store.recordings_dir / "models" / "b.wav").exists()
    assert [m.id for m in store.list_recorded_models()] == [c.id, b.id]
    with pytest.raises(UnknownRecord):
        store.get_recorded_model(a.id)
    with pytest.raises(UnknownRecord):
        store.delete_recorded_model(a.id)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"verdict": "fail"}, "keep it only with a reason"),
        ({"verdict": "no_response", "insisted_reason": "   "}, "keep it only with a reason"),
        ({"mode": "hum"}, "mode must be one of"),
        ({"tempo_bpm": 0.0}, "tempo must be positive"),
        ({"low_hz": -1.0}, "low note must be positive"),
        ({"interval_semitones": 13.0}, "interval must be in"),
        ({"phrase_id": ""}, "phrase id"),
        ({"verdict": "great"}, "verdict must be one of"),
        ({"audio_path": "/etc/hostname"}, "outside the recordings folder"),
        ({"audio_path": "models/../../x.wav"}, "leaves the recordings folder"),
        ({"audio_path": "models/missing.wav"}, "does not exist"),
    ],
)
def test_refuses_bad_models(store: Store, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        store.add_recorded_model(_input(store, **fields))
    assert store.list_recorded_models() == []


def test_unknown_therapist_is_refused(store: Store) -> None:
    with pytest.raises(UnknownRecord, match="no therapist with id 99"):
        store.add_recorded_model(_input(store, therapist_id=99))


def test_database_itself_refuses_a_failed_model_without_reason(store: Store) -> None:
    """The CHECK constraint holds even when a row is written behind the store's back."""
    m = store.add_recorded_model(_input(store))
    with pytest.raises(InvalidValue, match="rejected by the database"), store._tx() as orm:
        orm.execute(text("UPDATE recorded_models SET accepted = false WHERE id = :i"), {"i": m.id})


def test_delete_never_removes_a_file_outside_the_recordings_folder(store: Store, tmp_path: Path) -> None:
    outside = tmp_path / "precious.wav"
    outside.write_bytes(b"RIFF")
    m = store.add_recorded_model(_input(store))
    with store._tx() as orm:  # a tampered row
        orm.execute(
            text("UPDATE recorded_models SET audio_path = :p WHERE id = :i"),
            {"p": "../precious.wav", "i": m.id},
        )
    report = store.delete_recorded_model(m.id)
    assert not report.file_removed and report.warning is not None and "outside" in report.warning
    assert outside.exists() and store.list_recorded_models() == []


def test_delete_of_a_model_whose_file_is_gone_says_so(store: Store) -> None:
    m = store.add_recorded_model(_input(store))
    (store.recordings_dir / m.audio_path).unlink()
    report = store.delete_recorded_model(m.id)
    assert not report.file_removed and report.warning is not None and "already gone" in report.warning


def test_upgrade_from_0001_keeps_data_and_downgrade_drops_the_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = db.create_store_engine(db.resolve_target(str(path)))
    try:
        db.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO therapists (display_name, created_at) VALUES ('Ann', '2026-12-01 10:00:00')"
                )
            )
    finally:
        engine.dispose()
    with open_store(path, recordings_dir=tmp_path / "rec") as s:
        assert s.schema_revision() == db.SCHEMA_HEAD == "0004_voice"  # (0002_recmodel, 0003_relstore, voice)
        [t] = s.list_therapists()
        m = s.add_recorded_model(_input(s, therapist_id=t.id))
        assert s.list_recorded_models(therapist_id=t.id) == [m]
        db.downgrade(s.engine, "0001")
        assert s.schema_revision() == "0001"
        with s.engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
        assert "recorded_models" not in names and "therapists" in names
