"""The recorded-model use case: record after a count-in, check, keep or refuse, play at another tempo.

The "therapists" are Festival singing the phrase (truth: the notes and beats Festival was given), one
who sings it right and one who sings the pattern upside down.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import text

from mit_trainer.app.demo import combined_phrase_set
from mit_trainer.app.recorded_model import (
    COUNT_IN_BEATS,
    TAKE_LEAD_S,
    KeepRefused,
    ModelTarget,
    RecordedModelError,
    RecordedModels,
    count_in,
    recorded_models_for_phrase,
    recording_length_s,
)
from mit_trainer.app.recorded_playback import choose_model, load_model_audio, model_stimulus
from mit_trainer.app.session import TrainingSession, VoiceSettings
from mit_trainer.audio.devices import AudioSettings
from mit_trainer.audio.engine import AudioEngine
from mit_trainer.audio.fake import FakeAudioDevice
from mit_trainer.core.protocol_files import load_protocol
from mit_trainer.core.records import Phrase, PhraseSet
from mit_trainer.storage import PatientSettings, RecordedModelInput, Store, open_store
from tests.app.festival_singer import Sung, sing
from tests.storage.helpers_storage import analysis_json

SR = 16000


def cents(a: float, b: float) -> float:
    return 1200.0 * math.log2(a / b)


@pytest.fixture(scope="module")
def phrases() -> PhraseSet:
    return combined_phrase_set()


@pytest.fixture(scope="module")
def thank_you(phrases: PhraseSet) -> Phrase:
    return next(p for p in phrases.phrases if p.id == "thank-you")


@pytest.fixture(scope="module")
def right(thank_you: Phrase) -> Sung:
    return sing(thank_you)


@pytest.fixture(scope="module")
def wrong(thank_you: Phrase) -> Sung:
    return sing(thank_you, invert=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "db.sqlite3")
    yield s
    s.close()


def _take_file(models: RecordedModels, sung: Sung, *, count_in_s: float) -> Path:
    """A WAV as the engine would record it: the count-in (silence at the microphone), then the singing."""
    path = models.new_take_path()
    x = np.concatenate([np.zeros(round(count_in_s * sung.sample_rate_hz), np.float32), sung.samples])
    sf.write(path, x, sung.sample_rate_hz, subtype="PCM_16")
    return path


def test_count_in_clicks_on_every_beat() -> None:
    x = count_in(tempo_bpm=75.0, sample_rate_hz=SR)
    beat = round(0.8 * SR)
    assert x.size == COUNT_IN_BEATS * beat
    loud = np.flatnonzero(np.abs(x) > 0.05)
    starts = [int(loud[0])] + [int(b) for a, b in itertools.pairwise(loud) if b - a > SR // 10]
    assert starts == [k * beat for k in range(COUNT_IN_BEATS)]
    with pytest.raises(ValueError, match="tempo must be positive"):
        count_in(tempo_bpm=0.0, sample_rate_hz=SR)


def test_a_take_that_matches_is_kept_with_its_sung_low_note(
    store: Store, phrases: PhraseSet, thank_you: Phrase, right: Sung
) -> None:
    models = RecordedModels(store)
    target = ModelTarget(thank_you, phrases.name, tempo_bpm=60.0)
    path = _take_file(models, right, count_in_s=target.count_in_s)
    take = models.analyse_file(path, target, count_in_end_s=target.count_in_s)
    # the file now starts TAKE_LEAD_S before the count-in ended
    assert sf.info(str(path)).duration == pytest.approx(TAKE_LEAD_S + right.samples.size / SR, abs=1e-3)
    assert take.passed and take.phrase_start_s == pytest.approx(TAKE_LEAD_S)
    checks = take.checks()
    assert [(c.text, c.target, c.produced) for c in checks] == [("thank", "H", "H"), ("you", "L", "L")]
    assert [round(c.target_onset_s, 3) for c in checks] == [0.25, 1.25]  # beats [1, 2] at 60 BPM
    assert checks[0].onset_s == pytest.approx(checks[0].target_onset_s, abs=0.1)
    model = models.keep(take, therapist_id=store.add_therapist("Ann").id)
    assert model.accepted and model.insisted_reason is None and model.verdict == "pass"
    assert abs(cents(model.low_hz or 0.0, right.sounding_hz[1])) < 20  # "you" is the L note
    assert model.tempo_bpm == 60.0 and model.mode == "sung" and model.sample_rate_hz == SR
    assert recorded_models_for_phrase(store, "thank-you") == [model]
    assert recorded_models_for_phrase(store, "thank-you", phrase_set="another set") == []


def test_a_take_that_does_not_match_needs_a_reason(
    store: Store, phrases: PhraseSet, thank_you: Phrase, wrong: Sung
) -> None:
    models = RecordedModels(store)
    target = ModelTarget(thank_you, phrases.name)
    take = models.analyse_file(_take_file(models, wrong, count_in_s=4.0), target, count_in_end_s=4.0)
    assert take.verdict == "fail"
    assert take.checks()[0].produced == "L"  # "thank" was sung on the low note
    with pytest.raises(KeepRefused, match="keep it anyway with a reason"):
        models.keep(take, therapist_id=None)
    with pytest.raises(KeepRefused):
        models.keep(take, therapist_id=None, reason="   ")
    assert store.list_recorded_models() == []
    kept = models.keep(take, therapist_id=None, reason="my patient copes better with a falling start")
    assert not kept.accepted and kept.insisted_reason == "my patient copes better with a falling start"


def test_try_again_discards_the_take(
    store: Store, phrases: PhraseSet, thank_you: Phrase, wrong: Sung
) -> None:
    models = RecordedModels(store)
    path = _take_file(models, wrong, count_in_s=4.0)
    take = models.analyse_file(path, ModelTarget(thank_you, phrases.name), count_in_end_s=4.0)
    models.discard(take)
    assert not path.exists() and store.list_recorded_models() == []


def test_unusable_recordings_are_refused_in_one_line(
    store: Store, phrases: PhraseSet, thank_you: Phrase
) -> None:
    models = RecordedModels(store)
    bad = models.new_take_path()
    bad.write_bytes(b"not a wav")
    with pytest.raises(RecordedModelError, match="cannot read the recording"):
        models.analyse_file(bad, ModelTarget(thank_you, phrases.name))
    short = models.new_take_path()
    sf.write(short, np.zeros(SR), SR)
    with pytest.raises(RecordedModelError, match="before the count-in ended"):
        models.analyse_file(short, ModelTarget(thank_you, phrases.name), count_in_end_s=4.0)


@pytest.mark.slow
@pytest.mark.slow
def test_a_kept_model_plays_at_another_tempo_with_its_pitch(
    store: Store, phrases: PhraseSet, thank_you: Phrase, right: Sung
) -> None:
    models = RecordedModels(store)
    target = ModelTarget(thank_you, phrases.name, tempo_bpm=60.0)
    take = models.analyse_file(_take_file(models, right, count_in_s=4.0), target, count_in_end_s=4.0)
    model = models.keep(take, therapist_id=None)
    samples, rate = load_model_audio(store, model)
    same = model_stimulus(model, samples, rate, phrase=thank_you, tempo_bpm=60.0, sample_rate_hz=SR)
    slow = model_stimulus(
        model, samples, rate, phrase=thank_you, tempo_bpm=40.0, sample_rate_hz=22050, taps="mix", fade=None
    )
    assert slow.sample_rate_hz == 22050 and slow.tempo_bpm == 40.0 and slow.tap_mode == "mix"
    # the phrase lasts 1.5 times as long, syllable by syllable
    span_same = same.syllables[-1].offset_s - same.syllables[0].onset_s
    span_slow = slow.syllables[-1].offset_s - slow.syllables[0].onset_s
    assert span_slow == pytest.approx(1.5 * span_same, rel=0.02)
    assert slow.syllables[1].onset_s - slow.syllables[0].onset_s == pytest.approx(
        1.5 * (same.syllables[1].onset_s - same.syllables[0].onset_s), abs=0.01
    )
    assert slow.tap_times_s == tuple(s.onset_s for s in slow.syllables)
    # each syllable's middle half sounds at the note Festival was given (librosa yin, independent tracker)
    for syl, truth_hz in zip(slow.syllables, right.sounding_hz, strict=True):
        a = round((syl.onset_s + 0.25 * (syl.offset_s - syl.onset_s)) * 22050)
        b = round((syl.offset_s - 0.25 * (syl.offset_s - syl.onset_s)) * 22050)
        f0 = librosa.yin(slow.samples[a:b].astype(float), fmin=60, fmax=400, sr=22050, frame_length=2048)
        assert abs(cents(float(np.median(f0)), truth_hz)) < 20, syl
    # the taps were mixed in at the onsets: a click's 1150 Hz partial starts there
    assert np.max(np.abs(slow.samples)) > np.max(np.abs(same.samples)) * 0.5
    with pytest.raises(RecordedModelError, match="too far"):
        model_stimulus(model, samples, rate, phrase=thank_you, tempo_bpm=10.0, sample_rate_hz=SR)


def test_an_altered_model_file_is_refused(
    store: Store, phrases: PhraseSet, thank_you: Phrase, right: Sung
) -> None:
    models = RecordedModels(store)
    take = models.analyse_file(
        _take_file(models, right, count_in_s=4.0), ModelTarget(thank_you, phrases.name), count_in_end_s=4.0
    )
    model = models.keep(take, therapist_id=None)
    with store.resolve_audio(model.audio_path).open("ab") as fh:
        fh.write(b"\0\0")
    with pytest.raises(RecordedModelError, match="changed since it was kept"):
        load_model_audio(store, model)


def test_the_session_uses_this_therapists_model_then_anyones(store: Store) -> None:
    ann, ben = store.add_therapist("Ann").id, store.add_therapist("Ben").id
    models = []
    for i, (who, mode) in enumerate([(ann, "sung"), (ben, "sung"), (ann, "sprechgesang")]):
        path = store.recorded_models_dir() / f"{i}.wav"
        sf.write(path, np.zeros(SR), SR)
        models.append(
            store.add_recorded_model(
                RecordedModelInput(
                    "S", "thank-you", who, 60.0, 120.0, 3.0, mode, path, SR, 1.0, analysis_json(), "pass"
                )
            )
        )
    listed = store.list_recorded_models()
    assert choose_model(listed, mode="intone", therapist_id=ann) == models[0]
    assert choose_model(listed, mode="intone", therapist_id=ben) == models[1]
    assert choose_model(listed, mode="intone", therapist_id=None) == models[1]  # the newest
    assert choose_model(listed, mode="sprechgesang", therapist_id=ben) == models[2]
    assert choose_model(listed, mode="hum", therapist_id=ann) is None


def test_a_model_sung_to_an_earlier_version_of_the_phrase_is_not_played(
    store: Store, phrases: PhraseSet, thank_you: Phrase, right: Sung
) -> None:
    models = RecordedModels(store)
    take = models.analyse_file(
        _take_file(models, right, count_in_s=4.0), ModelTarget(thank_you, phrases.name), count_in_end_s=4.0
    )
    kept = models.keep(take, therapist_id=None)
    assert kept.analysis["phrase"] == {
        "syllables": ["thank", "you"],
        "pattern": ["H", "L"],
        "beats": [1.0, 2.0],
    }
    listed = store.list_recorded_models()
    assert choose_model(listed, mode="intone", therapist_id=None, phrase=thank_you) == kept
    for edited in (replace(thank_you, beats=(1.0, 1.0)), replace(thank_you, pattern=("L", "H"))):
        assert choose_model(listed, mode="intone", therapist_id=None, phrase=edited) is None
    with store._tx() as orm:  # a tampered row pointing outside the recordings folder
        orm.execute(text("UPDATE recorded_models SET audio_path = '../../etc/hostname'"))
    with pytest.raises(RecordedModelError, match="outside the recordings folder"):
        load_model_audio(store, store.list_recorded_models()[0])


def test_recording_through_the_fake_audio_device(
    store: Store, phrases: PhraseSet, thank_you: Phrase, right: Sung
) -> None:
    """The count-in is played, the therapist comes in on the beat after it, the take passes."""
    target = ModelTarget(thank_you, phrases.name, tempo_bpm=60.0)
    pre_s, late_s = 0.5, 0.05
    # the microphone: silence until the count-in has played (it starts at pre_s + the output round trip)
    dev = FakeAudioDevice(None, sample_rate_hz=SR, block_size=256)
    engine = AudioEngine(dev, watchdog=False)
    engine.open(AudioSettings())
    try:
        dev.advance(pre_s)
        models = RecordedModels(store)
        rec = models.start(engine, target)
        sing_at_s = rec.start_index / SR + target.count_in_s + late_s
        dev.feed(np.concatenate([np.zeros(round(sing_at_s * SR), np.float32), right.samples]))
        dev.advance(recording_length_s(target))
        result = rec.stop()
    finally:
        engine.close()
    played = dev.played_audio()
    assert np.max(np.abs(played)) > 0.3  # the count-in was played
    take = models.analyse_recording(result, target)
    assert take.passed
    # on the take's clock the singing starts TAKE_LEAD_S + late_s - the output round trip after the cut
    assert result.offset_s is not None
    expected = sing_at_s - rec.start_index / SR - (result.offset_s + target.count_in_s - TAKE_LEAD_S)
    assert take.checks()[0].onset_s == pytest.approx(expected, abs=0.08)
    kept = models.keep(take, therapist_id=None)
    assert store.resolve_audio(kept.audio_path) == take.path and take.path.exists()


def test_a_session_plays_the_recorded_model_when_the_setting_says_so(
    store: Store, phrases: PhraseSet, thank_you: Phrase, right: Sung, wrong: Sung
) -> None:
    one = replace(phrases, phrases=(thank_you,))
    ann = store.add_therapist("Ann").id
    for code in ("P01", "P02", "P03"):  # one patient per session (an item is not repeated within 24 h)
        store.add_patient(code, settings=PatientSettings(low_note_hz=180.0))
    models = RecordedModels(store)
    take = models.analyse_file(
        _take_file(models, right, count_in_s=4.0), ModelTarget(thank_you, one.name), count_in_end_s=4.0
    )
    model = models.keep(take, therapist_id=ann)

    def start(source: str, patient: str) -> TrainingSession:
        voice = VoiceSettings(low_note_hz=180.0, sample_rate_hz=SR, model_source=source)
        return TrainingSession.start(
            store, patient_code=patient, protocol=load_protocol("HE1989"), phrase_set=one, level=1,
            therapist_id=ann, voice=voice, items_per_session=1, probe_items=0, seed=1,
        )  # fmt: skip

    session = start("recorded", "P01")
    assert session.current_step().cue.value == "hum"
    assert session.render_model().low_hz == 180.0  # humming: always the synthesized model
    session.model_played()
    assert session.current_step().cue.value == "unison"
    stim = session.render_model()
    assert stim.low_hz == pytest.approx(model.low_hz) and stim.mode == "intone"
    analysed = [s["onset_s"] for s in model.analysis["syllables"]]
    lead = analysed[0] - stim.syllables[0].onset_s
    assert [s.onset_s for s in stim.syllables] == pytest.approx([a - lead for a in analysed], abs=1e-3)
    audio, _ = load_model_audio(store, model)
    first = round(lead * SR)
    n = min(stim.samples.size, audio.size - first)
    assert np.corrcoef(stim.samples[:n], audio[first : first + n])[0, 1] > 0.9  # the recording (+ taps)
    session.model_played()
    out = session.submit_audio(right.samples, sample_rate_hz=SR, model_offset_s=0.0)
    [attempt] = store.attempts_for_session(session.session_id)
    assert attempt.analysis is not None
    assert attempt.analysis["stimulus"]["recorded_model_id"] == model.id and out.analysis is not None
    # a model kept during the session is played once the session forgets what it rendered
    retake = models.analyse_file(
        _take_file(models, wrong, count_in_s=4.0), ModelTarget(thank_you, one.name), count_in_end_s=4.0
    )
    second = models.keep(retake, therapist_id=ann, reason="a second take")
    assert session.render_model() is stim  # rendered once per step
    session.forget_rendered_model()
    again = session.render_model()
    onsets = [s["onset_s"] for s in second.analysis["syllables"]]
    lead2 = onsets[0] - again.syllables[0].onset_s
    assert [s.onset_s for s in again.syllables] == pytest.approx([o - lead2 for o in onsets], abs=1e-3)
    assert again.syllables[1].onset_s != pytest.approx(stim.syllables[1].onset_s, abs=0.05)
    # unison with fading: the recorded voice fades out over the step's span of the model's own syllables
    session.score("correct")
    while session.view().awaiting == "model" and session.current_step().cue.value != "unison-fade":
        session.model_played()
    step = session.current_step()
    assert step.cue.value == "unison-fade" and step.fade is not None
    faded = session.render_model()
    first, last = faded.syllables[0].onset_s, faded.syllables[-1].offset_s
    end_s = first + step.fade.end * (last - first)
    start_s = first + step.fade.start * (last - first)
    tail = faded.samples[round((end_s + 0.05) * SR) :]
    clicks = [round(t * SR) for t in faded.tap_times_s if t > end_s]
    quiet = np.delete(
        tail, [i - round((end_s + 0.05) * SR) + k for i in clicks for k in range(round(0.04 * SR))]
    )
    assert np.sqrt(np.mean(quiet**2)) < 1e-4 < np.sqrt(np.mean(faded.samples[: round(start_s * SR)] ** 2))
    session.model_played()
    session.submit_audio(right.samples, sample_rate_hz=SR, model_offset_s=0.0)
    fade_row = store.attempts_for_session(session.session_id)[-1]
    assert fade_row.step_id == "unison-fade"
    assert fade_row.fade_start_s == pytest.approx(start_s, abs=1e-3)
    assert fade_row.fade_end_s == pytest.approx(end_s, abs=1e-3)
    # the same session with the setting "synthesized", and with the model's file gone: the synthesized one
    synth = start("synthesized", "P02")
    synth.model_played()
    assert synth.render_model().low_hz == 180.0
    store.delete_recorded_model(second.id)
    store.resolve_audio(model.audio_path).unlink()
    fallback = start("recorded", "P03")
    fallback.model_played()
    assert fallback.render_model().low_hz == 180.0
    kinds = [e.kind for e in store.list_events(session_id=fallback.session_id)]
    assert "recorded_model_unusable" in kinds
