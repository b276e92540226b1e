"""Research ids: random, stable per export key, the key kept in the clinic, no patient code exported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from sqlalchemy import create_engine, text

from mit_trainer.app.export import export_dataset
from mit_trainer.cli.main import main
from mit_trainer.storage import Consents, InvalidValue, Store, attempt_from_analysis, open_store

#: Long, distinctive codes: a short one ("P01") can turn up by chance in compressed or audio bytes.
CODES = ("KlinikQx4711Alpha", "KlinikQx4711Beta")


def _analysis() -> dict[str, object]:
    return {
        "pitch": {"hop_s": 0.01, "times_s": [0.0, 0.01], "f0_hz": [None, 220.0], "confidence": [0.0, 0.9]},
        "syllables": [
            {"index": 0, "text": "thank", "target": "H", "onset_s": 0.1, "offset_s": 0.4, "f0_hz": 262.0,
             "produced": "H"},
        ],
        "scores": {"overall": 0.9},
        "verdict": "pass",
    }  # fmt: skip


def _clinic(tmp_path: Path) -> Path:
    db = tmp_path / "clinic" / "db.sqlite3"
    with open_store(db) as store:
        for code in CODES:
            p = store.add_patient(code, Consents(clinical=True, research=True, share_audio=True))
            s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1", level=1)
            wav = store.patient_recordings_dir(p.id) / f"s{s.id}-1.wav"
            sf.write(wav, 0.1 * np.sin(np.arange(8000) / 7.0), 16000)
            attempt = attempt_from_analysis(
                _analysis(), item_index=0, phrase_id="thank-you", level=1, step_id="unison", step_index=2,
                audio_path=str(wav), points_awarded=1,
            )  # fmt: skip
            store.record_attempt(s.id, attempt)
            store.end_session(s.id, points_possible=1)
    return db


def _every_exported_text(out: Path) -> str:
    chunks = [p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file()]
    chunks += [str(p.relative_to(out)) for p in out.rglob("*")]  # file and folder names too
    for p in out.glob("*.parquet"):
        chunks.append(json.dumps(pq.read_table(p).to_pylist(), default=str))
    return "\n".join(chunks)


def test_research_ids_are_random_stable_per_key_and_no_code_is_exported(tmp_path: Path) -> None:
    db = _clinic(tmp_path)
    with open_store(db) as store:
        first = export_dataset(store, tmp_path / "e1", with_audio=True)
        again = export_dataset(store, tmp_path / "e2", with_audio=True)
        other = export_dataset(store, tmp_path / "e3", with_audio=True, export_key="study-2")
        key = store.research_key("research")
    assert first.participants == again.participants  # stable under one key
    assert set(first.participants).isdisjoint(other.participants)  # a new key, new ids
    assert all(re.fullmatch(r"sub-[a-z0-9]{10}", p) for p in first.participants + other.participants)
    assert sorted(key) == sorted(CODES) and sorted(f"sub-{r}" for r in key.values()) == sorted(
        first.participants
    )
    for report in (first, again, other):
        text_ = _every_exported_text(report.out_dir)
        assert report.audio_attempts == 2 and len(list(report.out_dir.rglob("*.wav"))) == 2
        for code in CODES:
            assert code not in text_ and code.lower() not in text_.lower()
        assert "KlinikQx" not in text_


def test_research_ids_do_not_derive_from_the_code(tmp_path: Path) -> None:
    """Two clinics with the same codes get different ids: nothing is a hash of the code."""
    ids = []
    for n in range(2):
        db = _clinic(tmp_path / f"c{n}")
        with open_store(db) as store:
            ids.append(sorted(store.research_id(p.id, "research") for p in store.list_patients()))
    assert ids[0] != ids[1]


def test_the_key_is_deleted_with_the_patient_and_keys_are_checked(tmp_path: Path) -> None:
    db = _clinic(tmp_path)
    with open_store(db) as store:
        p = store.get_patient_by_code(CODES[0])
        store.research_id(p.id, "research")
        with pytest.raises(InvalidValue, match="export key"):
            store.research_id(p.id, "../x")
        store.delete_patient(p.id)
        assert list(store.research_key("research")) == []
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM research_ids")).scalar_one() == 0
    engine.dispose()


def test_cli_writes_the_key_only_outside_the_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _clinic(tmp_path)
    out = tmp_path / "out"
    assert main(["export", "--db", str(db), "--out", str(out), "--write-key", str(out / "key.tsv")]) == 1
    assert "inside --out" in capsys.readouterr().err and not out.exists()
    key_file = tmp_path / "clinic-key.tsv"
    assert main(["export", "--db", str(db), "--out", str(out), "--write-key", str(key_file)]) == 0
    lines = key_file.read_text().splitlines()
    assert lines[0] == "patient_code\tparticipant_id\texport_key" and len(lines) == 3
    with open_store(db) as store:
        _assert_key_matches(store, lines[1:])
    assert CODES[0] not in _every_exported_text(out)


def _assert_key_matches(store: Store, rows: list[str]) -> None:
    for row in rows:
        code, pid, key = row.split("\t")
        assert key == "research"
        assert pid == "sub-" + store.research_id(store.get_patient_by_code(code).id, "research")
