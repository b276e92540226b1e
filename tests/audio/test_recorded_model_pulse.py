"""A therapist's recorded model over the real PortAudio path (private PulseAudio server, null sinks).

The trainer plays the count-in into sink ``speaker`` and records ``patient.monitor``; the "therapist"
(Festival singing the phrase, played by a separate process into sink ``patient``) comes in after the
count-in. The take must pass, be kept, and its first syllable be found where the singing reached the
sink on the shared stream clock.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from audio_pulse_helpers import patient_result, play_patient, write_wav

from mit_trainer.app.recorded_model import ModelTarget, RecordedModels, recording_length_s
from mit_trainer.app.recorded_playback import load_model_audio
from mit_trainer.audio import AudioEngine, AudioSettings
from mit_trainer.audio.pulseserver import PrivatePulseServer
from mit_trainer.core.records import Phrase
from mit_trainer.storage import open_store
from tests.app.festival_singer import sing

pytestmark = pytest.mark.pulseaudio
DEVICES = AudioSettings(input_device="pulse", output_device="pulse", latency_s=0.1)
PHRASE = Phrase(
    id="thank-you",
    text="Thank you",
    level=1,
    syllables=("thank", "you"),
    pattern=("H", "L"),
    beats=(1.0, 2.0),
)


def test_record_and_keep_a_model_through_pulseaudio(source: PrivatePulseServer, tmp_path: Path) -> None:
    sung = sing(PHRASE)
    wav = write_wav(tmp_path / "therapist.wav", sung.samples, sung.sample_rate_hz)
    target = ModelTarget(PHRASE, "Everyday phrases", tempo_bpm=60.0)
    store = open_store(tmp_path / "db.sqlite3")
    engine = AudioEngine()
    engine.open(DEVICES)
    try:
        models = RecordedModels(store)
        rec = models.start(engine, target)
        player = play_patient(source, wav, lead_in_s=target.count_in_s + 0.1)
        truth = patient_result(player)
        deadline = time.monotonic() + 30.0
        while rec.elapsed_s < recording_length_s(target) + 0.5 and time.monotonic() < deadline:
            time.sleep(0.05)
        result = rec.stop()
    finally:
        engine.close()
    assert (
        not result.interrupted and result.offset_s is not None and result.capture_start_stream_s is not None
    )
    take = models.analyse_recording(result, target)
    assert take.passed, take.analysis.measures
    # where the singing starts on the take's clock: the stream clock, minus the part cut before the take
    cut_s = result.offset_s + target.count_in_s - 0.25
    expected_s = truth["voice_start_stream_s"] - result.capture_start_stream_s - cut_s
    assert take.checks()[0].onset_s == pytest.approx(expected_s, abs=0.08)
    model = models.keep(take, therapist_id=None)
    samples, rate = load_model_audio(store, model)
    assert rate == result.sample_rate_hz and samples.size == pytest.approx(take.duration_s * rate, abs=1)
    assert store.list_recorded_models() == [model] and model.accepted
    store.close()
