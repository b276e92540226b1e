"""TrainingSession: the engine, analysis and store working together, checked against known outcomes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mit_trainer.app.demo import combined_phrase_set
from mit_trainer.app.session import SessionError, TrainingSession, VoiceSettings
from mit_trainer.app.simulated_patient import PatientProfile, SimulatedPatient
from mit_trainer.core.engine_events import Outcome
from mit_trainer.core.protocol import Cue
from mit_trainer.core.protocol_files import load_protocol
from mit_trainer.storage import Consents, PatientSettings, open_store


@pytest.fixture(scope="module")
def phrases():
    return combined_phrase_set()


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(tmp_path / "db.sqlite3")
    s.add_patient(
        "P01",
        Consents(clinical=True, research=True, share_audio=True),
        settings=PatientSettings(low_note_hz=120.0),
    )
    yield s
    s.close()


def _start(store, phrases, *, level: int, protocol: str = "HE1989", seed: int = 1) -> TrainingSession:
    return TrainingSession.start(
        store,
        patient_code="P01",
        protocol=load_protocol(protocol),
        phrase_set=phrases,
        level=level,
        voice=VoiceSettings(low_note_hz=120.0, sample_rate_hz=16000),
        items_per_session=1,
        probe_items=0,
        seed=seed,
    )


def _play_models(session: TrainingSession) -> None:
    while session.view().awaiting == "model":
        session.model_played()


def test_level1_item_with_recordings_earns_four_points_and_stores_every_attempt(store, phrases):
    session = _start(store, phrases, level=1)
    patient = SimulatedPatient(PatientProfile(initial_skill=0.97, comfortable_hz=120.0), seed=3)
    suggestions = []
    while session.view().awaiting != "done":
        _play_models(session)
        view = session.view()
        if view.awaiting == "done":
            break
        assert view.awaiting == "response"
        step = view.step
        stim = session.render_model() if step.cue is not Cue.NONE else None
        unison = session.is_unison()
        resp = patient.respond(
            view.phrase,
            session_index=0,
            mode=step.analysis_mode.value,
            sample_rate_hz=16000,
            stimulus=stim,
            unison=unison,
            tempo_bpm=60.0,
        )
        path = session.next_recording_path()
        sf.write(str(path), resp.samples, 16000, subtype="PCM_16")
        out = session.submit_audio(
            resp.samples,
            sample_rate_hz=16000,
            audio_path=path,
            model_offset_s=0.0 if unison or stim is None else -stim.duration_s,
            stimulus=stim,
            taps_s=resp.taps_s,
        )
        assert out.awaiting_confirmation  # the automatic score only advises
        suggestions.append(out.suggested)
        session.score("correct")
    end = session.end(fatigue_after=3, notes="ok")
    assert end.totals.points == end.totals.possible == 4  # HE1989 Level I maximum
    assert end.summary.points_earned == 4
    attempts = store.attempts_for_session(session.session_id)
    assert [a.step_id for a in attempts] == [
        "unison",
        "unison-fade",
        "immediate-repetition",
        "probe-response",
    ]
    assert all(a.audio_sha256 and a.analysis is not None for a in attempts)
    assert all(a.therapist_scores and a.final_outcome == "pass" for a in attempts)
    # a complete, well-intoned synthetic response is advised as correct on every step
    assert suggestions == [Outcome.CORRECT] * 4


def test_level2_backup_then_success_gives_one_point_and_store_agrees(store, phrases):
    session = _start(store, phrases, level=2)
    outcomes = iter(["correct", "incorrect", "correct", "correct", "correct"])
    steps = []
    while session.view().awaiting != "done":
        _play_models(session)
        view = session.view()
        if view.awaiting == "done":
            break
        steps.append((view.step.id, view.backup_role))
        session.score(next(outcomes))  # scored live by the therapist, without a recording
    assert steps == [
        ("unison-fade", "none"),
        ("delayed-repetition", "none"),
        ("unison-fade", "support"),
        ("delayed-repetition", "retry"),
        ("probe-response", "none"),
    ]
    end = session.end()
    assert (end.totals.points, end.totals.possible) == (1 + 1 + 2, 5)
    assert end.summary.points_earned == 4
    stored = store.attempts_for_session(session.session_id)
    assert [a.final_points for a in stored] == [1, 0, 0, 1, 2]
    assert [a.backup for a in stored] == [False, False, True, True, False]


def test_override_needs_a_reason_keeps_the_automatic_score_and_updates_points(store, phrases):
    session = _start(store, phrases, level=1)
    _play_models(session)
    silence = np.zeros(16000 * 3, dtype=np.float32)
    out = session.submit_audio(silence, sample_rate_hz=16000, model_offset_s=0.0)
    assert out.suggested is Outcome.NO_RESPONSE
    session.score("correct")  # the therapist heard it (e.g. a quiet voice the microphone missed)
    with pytest.raises(SessionError, match="reason"):
        session.override(0, out.attempt_no, "incorrect", reason="  ")
    session.override(0, out.attempt_no, "incorrect", reason="listened again: it was the model")
    attempt = store.get_attempt(out.attempt_id)
    assert attempt.auto_verdict == "no_response"  # never overwritten
    assert [s.outcome for s in attempt.therapist_scores] == ["pass", "fail"]
    assert attempt.therapist_scores[-1].reason == "listened again: it was the model"
    session.end()
    total = sum((a.final_points or 0) for a in store.attempts_for_session(session.session_id))
    assert total == session.state.totals().points + session.state.totals().untrained_points


def test_events_out_of_turn_are_clear_errors_and_leave_the_state(store, phrases):
    session = _start(store, phrases, level=1)
    with pytest.raises(SessionError, match="no response is expected"):
        session.submit_audio(np.zeros(1600, dtype=np.float32), sample_rate_hz=16000)
    with pytest.raises(SessionError, match="unknown score"):
        session.score("brilliant")
    before = session.view()
    with pytest.raises(SessionError):
        session.score("correct")  # nothing waits for a score during the humming model
    assert session.view().panel == before.panel


def test_rhythm_only_protocol_renders_a_monotone_model(store, phrases):
    session = _start(store, phrases, level=1, protocol="rhythm-only")
    stim = session.render_model()
    notes = {round(s.f0_hz, 1) for s in stim.syllables}
    assert len(notes) == 1
    assert stim.tap_times_s  # rhythm (taps) kept


def test_fatigue_and_notes_are_kept_when_the_session_ended_with_its_last_item(store, phrases):
    session = _start(store, phrases, level=2)
    while session.view().awaiting != "done":
        _play_models(session)
        if session.view().awaiting != "done":
            session.score("correct")
    assert session.view().awaiting == "done"  # the engine closed the session after the last item
    end = session.end(fatigue_after=6, notes="tired after item 1")
    record = store.get_session(session.session_id)
    assert (record.fatigue_after, record.notes) == (6, "tired after item 1")
    assert end.summary.points_earned == record.points_earned == 5


def test_startup_repairs_a_recording_cut_off_by_a_crash(tmp_path):
    import struct

    from mit_trainer.app.startup import open_trainer_store

    db = tmp_path / "db.sqlite3"
    with open_trainer_store(db).store as s:
        folder = s.recordings_dir / "abc"
    folder.mkdir(parents=True)
    wav = folder / "cut.wav"
    sf.write(str(wav), np.zeros(16000, dtype=np.float32), 16000, subtype="PCM_16")
    data = bytearray(wav.read_bytes())
    data[4:8] = struct.pack("<I", 36)  # a header written before any sample arrived
    data[40:44] = struct.pack("<I", 0)
    wav.write_bytes(bytes(data) + b"\x01\x00" * 8000)  # and half a second more on disk after it
    (folder / "cut.wav.incomplete").write_text("")
    started = open_trainer_store(db)
    try:
        assert started.repaired_recordings == (wav,)
        samples, rate = sf.read(str(wav))
        assert rate == 16000 and len(samples) == 16000 + 8000
        assert not (folder / "cut.wav.incomplete").exists()
    finally:
        started.store.close()


def test_model_voice_setting_changes_the_model_and_rejects_unknown_voices(store, phrases):
    session = _start(store, phrases, level=1)
    male = session.render_model()
    session.voice = VoiceSettings(low_note_hz=120.0, sample_rate_hz=16000, model_voice="female")
    female = session.render_model()
    assert [s.beat_s for s in male.syllables] == [s.beat_s for s in female.syllables]
    assert not np.allclose(male.samples, female.samples)  # same notes and timing, another timbre
    session.voice = VoiceSettings(low_note_hz=120.0, sample_rate_hz=16000, model_voice="robot")
    with pytest.raises(SessionError, match="model voice"):
        session.render_model()
