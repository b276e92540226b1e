"""The research export read back with pandas, pyarrow and praatio, checked against known values."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from export_fixtures import SECRETS, Clinic
from praatio import textgrid

from mit_trainer.app.codebook import TABLES
from mit_trainer.app.export import ExportError, export_dataset

TSV = {"sep": "\t", "na_values": ["n/a"], "keep_default_na": False}


def _tsv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{name}.tsv", **TSV)


@pytest.fixture
def exported(clinic: Clinic, tmp_path: Path) -> Path:
    out = tmp_path / "export"
    report = export_dataset(clinic.store, out, with_audio=True)
    assert report.participants == ("sub-r01", "sub-r02")
    assert report.excluded == (("P03", "no research consent"),)
    assert report.audio_attempts == 5 and report.audio_models == 1 and report.warnings == ()
    return out


def test_tables_tsv_and_parquet_agree_and_match_dictionaries(exported: Path) -> None:
    counts = {
        "participants": 2,
        "sessions": 3,
        "attempts": 6,
        "syllables": 12,
        "words": 0,
        "taps": 12,
        "assessments": 1,
        "recorded_models": 1,
    }
    for spec in TABLES:
        tsv = _tsv(exported, spec.name)
        par = pd.read_parquet(exported / f"{spec.name}.parquet")
        dictionary = json.loads((exported / f"{spec.name}.json").read_text())
        assert len(tsv) == len(par) == counts[spec.name], spec.name
        assert list(tsv.columns) == list(par.columns) == list(dictionary), spec.name
        for col in tsv.columns:
            a, b = tsv[col], par[col]
            if dictionary[col]["DataType"] == "number":
                np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, equal_nan=True)
            else:
                assert [None if pd.isna(x) else str(x).lower() for x in a] == [
                    None if pd.isna(x) else str(x).lower() for x in b
                ], (spec.name, col)
    schema = pq.read_schema(exported / "attempts.parquet")
    assert str(schema.field("tempo_bpm").type) == "double" and str(schema.field("try_number").type) == "int64"
    assert str(schema.field("backup").type) == "bool"
    assert json.loads((exported / "attempts.json").read_text())["response_latency_s"]["Units"] == "s"
    assert "## attempts.tsv (6 rows)" in (exported / "CODEBOOK.md").read_text()
    desc = json.loads((exported / "dataset_description.json").read_text())
    assert desc["Deidentified"] is True and desc["Tables"]["attempts"]["rows"] == 6
    first = (exported / "attempts.tsv").read_text().splitlines()[0].split("\t")
    assert first[:3] == ["participant_id", "session_id", "attempt_id"]


def test_known_values_days_and_points(exported: Path) -> None:
    sessions = _tsv(exported, "sessions").set_index(["participant_id", "session_id"])
    attempts = _tsv(exported, "attempts")
    assert sessions.loc[("sub-r01", "ses-01"), "day"] == 0 and sessions.loc[("sub-r01", "ses-02"), "day"] == 3
    assert sessions.loc[("sub-r01", "ses-01"), "duration_s"] == 1200.0
    assert sessions.loc[("sub-r01", "ses-02"), "advancement_decision"] == "proposed"
    # Points: P01 ses-01 = 1 + 0 (therapist override of 1) + 1; ses-02 = 1 + 0; P02 = 1.
    assert sessions["points_earned"].to_dict() == {
        ("sub-r01", "ses-01"): 2,
        ("sub-r01", "ses-02"): 1,
        ("sub-r02", "ses-01"): 1,
    }
    summed = attempts.groupby(["participant_id", "session_id"])["final_points"].sum()
    assert summed.to_dict() == sessions["points_earned"].to_dict()
    over = attempts.set_index("attempt_id").loc["sub-r01_ses-01_att-002"]
    assert (over["auto_points"], over["therapist_points"], over["final_points"]) == (1, 0, 0)
    assert (over["auto_verdict"], over["therapist_outcome"], over["therapist_id"]) == (
        "pass",
        "fail",
        "thr-1",
    )
    assert over["n_therapist_scores"] == 1 and over["time_in_session_s"] == 20.0
    first = attempts.iloc[0]
    assert (first["tempo_bpm"], first["interval_semitones"], first["low_note_hz"], first["cue"]) == (
        60.0,
        3.0,
        185.0,
        "unison",
    )
    assert (first["response_latency_s"], first["duration_s"], first["syllables_targeted"]) == (0.25, 2.5, 2)
    assert first["voicing_continuity"] == pytest.approx(162 / 181)
    failed = attempts.set_index("attempt_id").loc["sub-r01_ses-02_att-002"]
    assert failed["syllables_detected"] == 1 and failed["voicing_continuity"] == 1.0
    syl = _tsv(exported, "syllables")
    row = syl[(syl.attempt_id == "sub-r01_ses-01_att-001") & (syl.syllable_index == 1)].iloc[0]
    assert (row["onset_s"], row["duration_s"], row["f0_median_hz"], row["target"], row["produced"]) == (
        1.5,
        pytest.approx(0.8),
        185.0,
        "L",
        "L",
    )
    assert row["pitch_error_cents"] == pytest.approx(0.0, abs=1e-9)
    h = syl[(syl.attempt_id == "sub-r01_ses-01_att-001") & (syl.syllable_index == 0)].iloc[0]
    assert h["pitch_error_cents"] == pytest.approx(1200 * np.log2(220 / (185 * 2**0.25)))
    missing = syl[(syl.attempt_id == "sub-r01_ses-02_att-002") & (syl.syllable_index == 1)].iloc[0]
    assert pd.isna(missing["onset_s"]) and pd.isna(missing["produced"]) and not missing["detected"]
    taps = _tsv(exported, "taps")
    assert taps[taps.attempt_id == "sub-r01_ses-01_att-001"]["asynchrony_ms"].tolist() == [20.0, -40.0]
    assess = _tsv(exported, "assessments").iloc[0]
    assert (assess["test"], assess["score"], assess["day"], bool(assess["blinded"])) == (
        "WAB",
        55.0,
        -7,
        True,
    )


def test_audio_only_with_consent_and_files_read_back(exported: Path, clinic: Clinic) -> None:
    assert sorted(p.name for p in (exported / "audio").iterdir()) == ["models", "sub-r01"]
    attempts = _tsv(exported, "attempts").set_index("attempt_id")
    assert (
        attempts.loc["sub-r02_ses-01_att-001", "audio_file"]
        != attempts.loc["sub-r02_ses-01_att-001", "audio_file"]
    )  # n/a
    wav_rel = attempts.loc["sub-r01_ses-01_att-001", "audio_file"]
    assert wav_rel == "audio/sub-r01/ses-01/sub-r01_ses-01_att-001.wav"
    wav = exported / wav_rel
    assert (
        hashlib.sha256(wav.read_bytes()).hexdigest() == attempts.loc["sub-r01_ses-01_att-001", "audio_sha256"]
    )
    sidecar = json.loads(wav.with_suffix(".json").read_text())
    assert (
        sidecar["SamplingFrequency"] == 16000
        and sidecar["RecordingDuration"] == 2.5
        and sidecar["tempo_bpm"] == 60.0
    )
    tg = textgrid.openTextgrid(str(wav.with_suffix(".TextGrid")), includeEmptyIntervals=False)
    assert tg.tierNames == ("target_syllables", "detected_syllables", "produced_tones", "taps", "HL_targets")
    syl = _tsv(exported, "syllables")
    syl = syl[syl.attempt_id == "sub-r01_ses-01_att-001"]
    target = tg.getTier("target_syllables").entries
    assert [(e.start, e.end, e.label) for e in target] == list(
        zip(syl.onset_s, syl.offset_s, syl.text, strict=True)
    )
    assert [e.label for e in tg.getTier("HL_targets").entries] == ["H", "L"]
    assert [(p.time, p.label) for p in tg.getTier("taps").entries] == [(0.52, "0"), (1.46, "1")]
    assert tg.maxTimestamp == 2.5
    f0 = pd.read_csv(wav.parent / "sub-r01_ses-01_att-001_f0.csv", na_values=["n/a"], keep_default_na=False)
    assert list(f0.columns) == ["time_s", "frequency_hz", "confidence"] and len(f0) == 250
    assert np.allclose(np.diff(f0.time_s), 0.01)
    assert f0.frequency_hz[f0.time_s == 0.6].item() == 220.0 and pd.isna(
        f0.frequency_hz[f0.time_s == 0.2].item()
    )
    # The failed attempt's TextGrid: the unproduced syllable has no target or detected interval.
    tg2 = textgrid.openTextgrid(str(exported / "audio/sub-r01/ses-02/sub-r01_ses-02_att-002.TextGrid"), False)
    assert [e.label for e in tg2.getTier("detected_syllables").entries] == ["thank"]


def _all_exported_text(out: Path) -> str:
    chunks = [p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file()]
    for p in out.glob("*.parquet"):  # compressed pages: also check the decoded values
        chunks.append(json.dumps(pq.read_table(p).to_pylist(), default=str))
    return "\n".join(chunks)


def test_deidentified_by_default_and_identified_on_request(
    exported: Path, clinic: Clinic, tmp_path: Path
) -> None:
    text = _all_exported_text(exported)
    for what, secret in SECRETS.items():
        assert secret not in text, what
    assert "Dr. Therapist" not in text and "sub-r01" in text
    ident = export_dataset(clinic.store, tmp_path / "identified", deidentify=False)
    text = _all_exported_text(ident.out_dir)
    for what in ("name", "dob", "session_notes", "reason", "date1", "model_reason"):
        assert SECRETS[what] in text, what


def test_filters_and_errors(clinic: Clinic, tmp_path: Path) -> None:
    from datetime import date

    out = tmp_path / "p02"
    report = export_dataset(clinic.store, out, patients=["P02"], formats=("tsv",))
    assert report.rows["attempts"] == 1 and not list(out.glob("*.parquet"))
    assert not (out / "audio").exists()
    later = export_dataset(clinic.store, tmp_path / "since", since=date(2026, 3, 4))
    assert later.rows["sessions"] == 1 and later.rows["attempts"] == 2 and later.rows["assessments"] == 0
    assert _tsv(later.out_dir, "sessions")["day"].tolist() == [3]  # still counted from the first session
    with pytest.raises(ExportError, match="unknown patient 'NOPE'"):
        export_dataset(clinic.store, tmp_path / "x", patients=["NOPE"])
    with pytest.raises(ExportError, match="not empty"):
        export_dataset(clinic.store, out)
    export_dataset(clinic.store, out, overwrite=True)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_text("x")
    with pytest.raises(ExportError, match="no previous export"):
        export_dataset(clinic.store, tmp_path / "busy", overwrite=True)
    with pytest.raises(ExportError, match="unknown export format"):
        export_dataset(clinic.store, tmp_path / "y", formats=("xlsx",))


def test_changed_recording_is_not_exported(clinic: Clinic, tmp_path: Path) -> None:
    victim = next(clinic.store.recordings_dir.rglob("s1-i0.wav"))
    victim.write_bytes(victim.read_bytes()[:-2] + b"\x01\x02")
    report = export_dataset(clinic.store, tmp_path / "out", with_audio=True)
    assert report.audio_attempts == 4
    assert report.warnings == (
        "sub-r01_ses-01_att-001: recording does not match its stored checksum; not exported",
    )


def test_recorded_models_table_and_audio(exported: Path, clinic: Clinic, tmp_path: Path) -> None:
    [model] = clinic.store.list_recorded_models()
    row = _tsv(exported, "recorded_models").iloc[0]
    assert row["model_id"] == f"mod-{model.id}" and row["therapist_id"] == f"thr-{model.therapist_id}"
    assert (row["phrase_set_name"], row["phrase_id"], row["mode"], row["verdict"]) == (
        "Everyday phrases",
        "thank-you",
        "sung",
        "fail",
    )
    assert (row["tempo_bpm"], row["low_hz"], row["sample_rate_hz"], row["duration_s"]) == (
        60.0,
        185.0,
        16000,
        2.5,
    )
    assert (row["syllables_targeted"], row["syllables_detected"], row["syllables_matching"]) == (2, 1, 1)
    assert not bool(row["accepted"]) and bool(row["insisted"])
    assert "insisted_reason" not in row.index and "created_at" not in row.index  # de-identified
    assert (
        row["audio_file"] == f"audio/models/mod-{model.id}.wav" and row["audio_sha256"] == model.audio_sha256
    )
    x, rate = sf.read(exported / row["audio_file"])
    stored, _ = sf.read(clinic.store.resolve_audio(model.audio_path))
    assert rate == 16000 and np.array_equal(x, stored)
    assert row["audio_file_sha256"] == hashlib.sha256((exported / row["audio_file"]).read_bytes()).hexdigest()
    side = json.loads((exported / f"audio/models/mod-{model.id}.json").read_text())
    assert side["analysis"]["syllables"][1]["onset_s"] is None and side["model_id"] == f"mod-{model.id}"
    # without audio: the row, no file; with the file altered: the row, no file, a warning
    plain = export_dataset(clinic.store, tmp_path / "plain")
    assert plain.rows["recorded_models"] == 1 and plain.audio_models == 0
    assert pd.isna(_tsv(plain.out_dir, "recorded_models").iloc[0]["audio_file"])
    with clinic.store.resolve_audio(model.audio_path).open("ab") as fh:
        fh.write(b"\0\0")
    altered = export_dataset(clinic.store, tmp_path / "altered", with_audio=True)
    assert altered.audio_models == 0 and any(
        "does not match its stored checksum" in w for w in altered.warnings
    )
    assert not (altered.out_dir / "audio" / "models").exists()
