"""The session runs the word check with every analysed attempt and stores it (Festival singing of the
session's own phrase, sung into the response step)."""

from __future__ import annotations

from pathlib import Path

from voices import festival_sing

from mit_trainer.app.demo import combined_phrase_set
from mit_trainer.app.session import TrainingSession, VoiceSettings
from mit_trainer.core.protocol_files import load_protocol
from mit_trainer.storage import Consents, PatientSettings, open_store


def test_stored_attempt_carries_the_word_tier(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    try:
        store.add_patient("P01", Consents(clinical=True, research=True, share_audio=True),
                          settings=PatientSettings(low_note_hz=120.0))  # fmt: skip
        phrases = combined_phrase_set()
        assert phrases.language == "en"
        session = TrainingSession.start(
            store, patient_code="P01", protocol=load_protocol("HE1989"), phrase_set=phrases, level=1,
            voice=VoiceSettings(low_note_hz=120.0, sample_rate_hz=16000), items_per_session=1,
            probe_items=0, seed=1,
        )  # fmt: skip
        while session.view().awaiting == "model":
            session.model_played()
        phrase = session.view().phrase
        assert phrase is not None
        x, sr = festival_sing(phrase.syllables, phrase.pattern, phrase.beats, voice="kal")
        out = session.submit_audio(x, sample_rate_hz=sr, model_offset_s=0.0)
        assert out.analysis is not None and out.analysis.words is not None
        assert [w.text for w in out.analysis.words] == phrase.text.lower().replace(",", "").split()
        stored = store.get_attempt(out.attempt_id)
        assert stored.analysis_version == "mit-analysis/1.2"
        assert [w["status"] for w in stored.analysis["words"]] == [w.status for w in out.analysis.words]
    finally:
        store.close()
