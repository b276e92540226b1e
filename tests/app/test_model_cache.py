"""The session's model cache: voice choice, one render per request, rendering ahead, fallback."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mit_trainer.analysis.espeak import EspeakError
from mit_trainer.analysis.stimulus import Stimulus, render_stimulus
from mit_trainer.app import model_cache
from mit_trainer.app.demo import combined_phrase_set
from mit_trainer.app.model_cache import ModelCache, ModelRequest, render_request, resolve_voice
from mit_trainer.app.session import SessionError, TrainingSession, VoiceSettings
from mit_trainer.core.protocol_files import load_protocol
from mit_trainer.core.records import Phrase
from mit_trainer.storage import Consents, PatientSettings, open_store

PHRASE = Phrase("thank-you", "Thank you", 1, ("thank", "you"), ("H", "L"), (1.0, 2.0))


def _req(**kw: object) -> ModelRequest:
    base = {"phrase": PHRASE, "voice": "formant-male", "low_hz": 130.0, "interval_semitones": 3.0,
            "tempo_bpm": 60.0, "mode": "intone", "sample_rate_hz": 16000}  # fmt: skip
    return ModelRequest(**{**base, **kw})  # type: ignore[arg-type]


class CountingRender:
    """Renders the formant voice (fast) and records which requests were rendered on which thread."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[tuple[ModelRequest, str]] = []
        self.gate = gate

    def __call__(self, req: ModelRequest) -> Stimulus:
        self.calls.append((req, threading.current_thread().name))
        if self.gate is not None:
            assert self.gate.wait(10.0)
        return render_request(req)


def test_auto_voice_follows_the_low_note_and_unknown_voices_are_refused() -> None:
    assert resolve_voice("auto", 120.0) == "male" and resolve_voice("auto", 196.0) == "female"
    assert (
        resolve_voice("female", 100.0) == "female" and resolve_voice("formant-male", 300.0) == "formant-male"
    )
    with pytest.raises(ValueError, match="unknown model voice 'robot'; use one of: auto, male, female"):
        resolve_voice("robot", 120.0)


def test_a_request_is_rendered_once_and_the_oldest_dropped() -> None:
    render = CountingRender()
    cache = ModelCache(max_items=2, render=render)
    a, b, c = _req(), _req(tempo_bpm=70.0), _req(mode="hum")
    first = cache.get(a)
    assert cache.get(a) is first and len(render.calls) == 1
    cache.get(b)
    cache.get(c)  # a is the least recently used: dropped
    assert a not in cache and b in cache and c in cache and len(cache) == 2
    cache.get(a)
    assert [r for r, _ in render.calls] == [a, b, c, a]


def test_prefetch_renders_in_the_background_and_get_waits_for_it() -> None:
    gate = threading.Event()
    render = CountingRender(gate)
    cache = ModelCache(render=render)
    try:
        a, b = _req(), _req(low_hz=150.0)
        assert cache.prefetch([a, b, a]) == 2
        assert cache.prefetch([a]) == 0  # under way: not queued twice
        got: list[Stimulus] = []
        waiter = threading.Thread(target=lambda: got.append(cache.get(a)))
        waiter.start()
        gate.set()
        waiter.join(10.0)
        assert got and got[0] is cache.get(a)
        cache.get(b)
        assert len(render.calls) == 2
        assert all(name.startswith("model-prefetch") for _, name in render.calls)
    finally:
        cache.close()
    assert cache.prefetch([_req(tempo_bpm=50.0)]) == 0  # closed: nothing more ahead
    cache.get(_req(tempo_bpm=50.0))  # still renders on demand, in the caller's thread
    assert render.calls[-1][1] == threading.current_thread().name


def test_a_failed_render_is_reported_and_not_cached() -> None:
    def broken(req: ModelRequest) -> Stimulus:
        raise ValueError("tempo_bpm must be between 20 and 200")

    cache = ModelCache(render=broken)
    with pytest.raises(ValueError, match="tempo_bpm"):
        cache.get(_req())
    assert len(cache) == 0
    with pytest.raises(ValueError, match="max_items"):
        ModelCache(max_items=0)


def test_words_fall_back_to_the_formant_voice_when_espeak_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_espeak(phrase: Phrase, **kw: object) -> Stimulus:
        if isinstance(kw["voice"], str):
            raise EspeakError("espeak-ng has no voice 'en-us+f3'")
        return render_stimulus(phrase, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(model_cache, "render_stimulus", no_espeak)
    stim = render_request(_req(voice="female", low_hz=196.0))
    ref = render_request(_req(voice="formant-female", low_hz=196.0))
    assert stim.voice_name == "" and np.array_equal(stim.samples, ref.samples)


def test_monotone_request_keeps_the_phrase_targets_on_one_pitch() -> None:
    stim = render_request(_req(monotone=True, interval_semitones=0.0, mode="sprechgesang"))
    assert [s.target for s in stim.syllables] == ["H", "L"]
    assert {s.f0_hz for s in stim.syllables} == {130.0} and stim.interval_semitones == 0.0


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(tmp_path / "db.sqlite3")
    s.add_patient("P01", Consents(clinical=True, research=True), settings=PatientSettings(low_note_hz=120.0))
    yield s
    s.close()


def test_session_renders_each_model_once_and_the_next_items_ahead(store) -> None:
    session = TrainingSession.start(
        store,
        patient_code="P01",
        protocol=load_protocol("HE1989"),
        phrase_set=combined_phrase_set(),
        level=1,
        voice=VoiceSettings(low_note_hz=120.0, sample_rate_hz=16000, model_voice="formant-male"),
        items_per_session=3,
        probe_items=0,
        seed=5,
    )
    render = CountingRender()
    session.models = ModelCache(render=render)
    try:
        stim = session.render_model()
        assert stim is not None and session.render_model() is stim and len(render.calls) == 1
        session.prefetch_items = 1
        queued = session.prefetch_models()
        state = session.state
        item = state.current_item
        assert item is not None
        later = [s for s in item.sequence[item.seq_pos + 1 :] if s.cue.value != "none"]
        nxt = state.plan[len(state.items)]
        assert queued >= 1
        wanted = [session.model_request(session.current_phrase(), step) for step in later]  # type: ignore[arg-type]
        nxt_phrase = next(p for p in session.phrase_set.phrases if p.id == nxt.phrase_id)
        wanted += [session.model_request(nxt_phrase, step) for step in state.level.sequence]
        wanted = [r for r in dict.fromkeys(wanted) if r is not None]
        for req in wanted:
            assert req is not None
            session.models.get(req)  # waits for the background render, or finds it done
        ahead = render.calls[1:]
        assert {r for r, _ in ahead} == set(wanted) and len(ahead) == len(set(wanted))
        assert all(name.startswith("model-prefetch") for _, name in ahead)
        # the gain is applied to the cached model, which is not rendered again
        session.voice = replace(session.voice, model_gain=0.5)
        half = session.render_model()
        assert half is not None and np.allclose(half.samples, stim.samples * 0.5)
        assert sum(1 for r, _ in render.calls if r == render.calls[0][0]) == 1
        session.voice = replace(session.voice, model_voice="robot")
        with pytest.raises(SessionError, match="unknown model voice"):
            session.render_model()
    finally:
        session.models.close()


def test_the_patients_own_voice_wins_and_is_stored(store) -> None:
    pid = store.get_patient_by_code("P01").id
    assert store.get_patient_settings(pid).model_voice is None
    store.update_patient_settings(pid, model_voice="formant-female")
    assert store.get_patient_settings(pid).model_voice == "formant-female"
    kw = {"patient_code": "P01", "protocol": load_protocol("HE1989"), "phrase_set": combined_phrase_set(),
          "level": 1, "items_per_session": 1, "probe_items": 0, "seed": 5}  # fmt: skip
    session = TrainingSession.start(
        store, voice=VoiceSettings(model_voice="male", sample_rate_hz=16000), **kw
    )
    assert session.voice.model_voice == "formant-female"
    assert session.stimulus_parameters()["voice"] == "formant-female"
    session.end()
    store.update_patient_settings(pid, model_voice="robot")
    with pytest.raises(SessionError, match="unknown model voice 'robot'"):
        TrainingSession.start(store, voice=VoiceSettings(sample_rate_hz=16000), **kw)


def test_the_settings_list_every_word_voice() -> None:
    from mit_trainer.analysis.stimulus import VOICE_NAMES
    from mit_trainer.app.voices import MODEL_VOICE_LABELS, MODEL_VOICES

    assert set(VOICE_NAMES) <= set(MODEL_VOICES) and set(MODEL_VOICE_LABELS) == set(MODEL_VOICES)
