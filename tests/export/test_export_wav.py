"""De-identified audio: exported WAVs keep format and samples but drop metadata chunks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from export_fixtures import Clinic, analysis

from mit_trainer.app.export import export_dataset
from mit_trainer.app.export_audio import copy_wav_audio_only
from mit_trainer.storage import attempt_from_analysis


def _chunks(raw: bytes) -> list[bytes]:
    out, pos = [], 12
    while pos + 8 <= len(raw):
        size = int.from_bytes(raw[pos + 4 : pos + 8], "little")
        out.append(raw[pos : pos + 4])
        pos += 8 + size + size % 2
    return out


def test_copy_drops_metadata_chunks_and_keeps_samples(tmp_path: Path) -> None:
    samples = np.linspace(-0.5, 0.5, 801)
    src = tmp_path / "float.wav"
    sf.write(src, samples, 16000, subtype="FLOAT")  # libsndfile adds a time-stamped PEAK chunk
    orig = src.read_bytes()
    info = b"INFOICRD" + (11).to_bytes(4, "little") + b"2026-03-02\0\0"  # odd-sized date, padded
    extra = b"LIST" + len(info).to_bytes(4, "little") + info
    src.write_bytes(b"RIFF" + (len(orig) - 8 + len(extra)).to_bytes(4, "little") + orig[8:] + extra)
    assert b"PEAK" in _chunks(src.read_bytes()) and b"LIST" in _chunks(src.read_bytes())
    dest = tmp_path / "out.wav"
    assert copy_wav_audio_only(src, dest) is True
    assert _chunks(dest.read_bytes()) == [b"fmt ", b"fact", b"data"]
    assert b"2026-03-02" not in dest.read_bytes()
    got, rate = sf.read(dest)
    assert rate == 16000 and np.array_equal(got, sf.read(src)[0])
    pcm = tmp_path / "pcm.wav"
    sf.write(pcm, samples, 16000, subtype="PCM_16")
    assert copy_wav_audio_only(pcm, tmp_path / "pcm2.wav") is False
    assert (tmp_path / "pcm2.wav").read_bytes() == pcm.read_bytes()


def test_export_checksums_with_a_float_recording(clinic: Clinic, tmp_path: Path) -> None:
    store = clinic.store
    p = store.get_patient_by_code("P01")
    t = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1.0", level=1, started_at=t)
    wav = store.patient_recordings_dir(p.id) / "float.wav"
    sf.write(wav, 0.1 * np.sin(np.arange(40000) / 10), 16000, subtype="FLOAT")
    a = attempt_from_analysis(
        analysis(),
        item_index=0,
        phrase_id="thank-you",
        level=1,
        step_id="unison",
        step_index=2,
        started_at=t,
        audio_path=str(wav),
        points_awarded=1,
    )
    store.record_attempt(s.id, a)
    for deidentify in (True, False):
        out = tmp_path / f"export-{deidentify}"
        export_dataset(store, out, with_audio=True, deidentify=deidentify)
        label = "sub-r01" if deidentify else "sub-P01"  # an identified export keeps the clinic's code
        row = (
            pd.read_csv(out / "attempts.tsv", sep="\t").set_index("attempt_id").loc[f"{label}_ses-03_att-001"]
        )
        exported = (out / row["audio_file"]).read_bytes()
        assert hashlib.sha256(exported).hexdigest() == row["audio_file_sha256"]
        assert row["audio_sha256"] == hashlib.sha256(wav.read_bytes()).hexdigest()
        assert (b"PEAK" in _chunks(exported)) is (not deidentify)
        assert (row["audio_file_sha256"] == row["audio_sha256"]) is (not deidentify)
