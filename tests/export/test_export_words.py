"""The word tier in the research export: the words table, the attempts' word counts, the TextGrid tiers
``words`` and ``word_status``, and the codebook; attempts without a word check have no rows or tiers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from export_fixtures import Clinic, analysis
from praatio import textgrid

from mit_trainer.app.export import export_dataset
from mit_trainer.storage import Consents, attempt_from_analysis

TSV = {"sep": "\t", "na_values": ["n/a"], "keep_default_na": False}
WORDS = [
    {"index": 0, "text": "thank", "status": "said", "onset_s": 0.48, "offset_s": 1.32, "confidence": 0.81,
     "gop": -1.9, "syllables": [0]},
    {"index": 1, "text": "you", "status": "unclear", "onset_s": 1.5, "offset_s": 2.31, "confidence": 0.2,
     "gop": -4.1, "syllables": [1]},
]  # fmt: skip


def _add_attempts(clinic: Clinic, tmp_path: Path) -> None:
    store = clinic.store
    p = store.add_patient("P09", Consents(clinical=True, research=True, share_audio=True))
    s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1.0", level=1)
    wav = store.patient_recordings_dir(p.id) / "w.wav"
    src = next(store.patient_recordings_dir(store.get_patient_by_code("P01").id).glob("*.wav"))
    wav.write_bytes(src.read_bytes())
    for i, words in enumerate((WORDS, None)):
        js = analysis() | {"words": words, "words_note": None if words else "no word model for language 'de'"}
        store.record_attempt(
            s.id,
            attempt_from_analysis(
                js, item_index=i, phrase_id="thank-you", level=1, step_id="unison", step_index=2,
                cue="unison", audio_path=str(wav),
            ),
        )  # fmt: skip


def test_words_table_counts_tiers_and_codebook(clinic: Clinic, tmp_path: Path) -> None:
    _add_attempts(clinic, tmp_path)
    out = tmp_path / "export"
    report = export_dataset(clinic.store, out, patients=["P09"], with_audio=True)
    assert report.rows["words"] == 2
    words = pd.read_csv(out / "words.tsv", **TSV)
    assert list(words.columns) == [
        "participant_id", "session_id", "attempt_id", "word_index", "text", "status", "onset_s",
        "offset_s", "confidence", "gop", "first_syllable_index", "last_syllable_index",
    ]  # fmt: skip
    [label] = pd.read_csv(out / "participants.tsv", **TSV).participant_id.tolist()  # a research id
    assert label.startswith("sub-") and "P09" not in label
    assert words.attempt_id.tolist() == [f"{label}_ses-01_att-001"] * 2
    assert words.text.tolist() == ["thank", "you"] and words.status.tolist() == ["said", "unclear"]
    assert words.onset_s.tolist() == [0.48, 1.5] and words.gop.tolist() == [-1.9, -4.1]
    assert words.first_syllable_index.tolist() == [0, 1] == words.last_syllable_index.tolist()
    assert pq.read_table(out / "words.parquet").to_pandas().status.tolist() == ["said", "unclear"]
    dictionary = json.loads((out / "words.json").read_text())
    assert set(dictionary["status"]["Levels"]) == {"said", "unclear", "missing"}
    attempts = pd.read_csv(out / "attempts.tsv", **TSV).set_index("attempt_id")
    assert attempts.loc[f"{label}_ses-01_att-001", ["words_targeted", "words_said"]].tolist() == [2, 1]
    assert attempts.loc[f"{label}_ses-01_att-002", ["words_targeted", "words_said"]].isna().all()
    base = out / "audio" / label / "ses-01"
    tg = textgrid.openTextgrid(str(base / f"{label}_ses-01_att-001.TextGrid"), includeEmptyIntervals=False)
    assert tg.tierNames[-2:] == ("words", "word_status")
    assert [(e.start, e.end, e.label) for e in tg.getTier("words").entries] == [
        (0.48, 1.32, "thank"), (1.5, 2.31, "you")
    ]  # fmt: skip
    assert [e.label for e in tg.getTier("word_status").entries] == ["said", "unclear"]
    tg2 = textgrid.openTextgrid(str(base / f"{label}_ses-01_att-002.TextGrid"), includeEmptyIntervals=False)
    assert "words" not in tg2.tierNames  # no word check: no tier
    sidecar = json.loads((base / f"{label}_ses-01_att-001.json").read_text())
    assert [w["status"] for w in sidecar["words"]] == ["said", "unclear"]
    book = (out / "CODEBOOK.md").read_text()
    assert "## words.tsv (2 rows)" in book and "`unclear`" in book and "`word_status`" in book
