"""The real engine on the fake device: recording, timing, taps, resampling, device loss and reopening."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mit_trainer.audio import (
    AudioEngine,
    AudioError,
    AudioEvent,
    AudioSettings,
    FakeAudioDevice,
    measure_round_trip,
)
from mit_trainer.audio.fake import STREAM_EPOCH_S

SR = 16000
BS = 256


def voice(seconds: float, f_hz: float = 200.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * f_hz * t)).astype(np.float32)


def make(mic: np.ndarray | None = None, **kw: object) -> tuple[FakeAudioDevice, AudioEngine]:
    dev = FakeAudioDevice(mic, sample_rate_hz=SR, block_size=BS, **kw)  # type: ignore[arg-type]
    eng = AudioEngine(dev, watchdog=False)
    eng.open(AudioSettings())
    return dev, eng


def test_recording_holds_exactly_the_microphone_signal(tmp_path: Path) -> None:
    mic = voice(3.0)
    dev, eng = make(mic)
    dev.advance(BS * 10 / SR)  # 10 blocks before the attempt
    attempt = eng.start_attempt(None, stimulus_rate_hz=None, record_path=tmp_path / "a.wav")
    dev.advance(BS * 100 / SR)
    result = attempt.stop()
    y, rate = sf.read(tmp_path / "a.wav", dtype="float32")
    assert rate == SR and y.size == 100 * BS
    np.testing.assert_allclose(y, mic[10 * BS : 110 * BS], atol=2e-7 * 64)
    assert result.duration_s == pytest.approx(100 * BS / SR)
    assert result.offset_s is None and not result.interrupted
    # first recorded sample: input index 10*BS, ADC time = epoch + index/rate - input latency
    assert result.capture_start_stream_s == pytest.approx(STREAM_EPOCH_S + 10 * BS / SR - dev.input_latency_s)
    assert result.levels.peak_dbfs == pytest.approx(20 * np.log10(0.3), abs=0.05)
    eng.close()


def test_model_offset_and_taps_are_on_the_stream_clock(tmp_path: Path) -> None:
    dev, eng = make(echo_gain=1.0)
    dev.advance(BS * 4 / SR)
    model = np.zeros(SR // 2, np.float32)
    model[1000] = 0.9
    attempt = eng.start_attempt(model, stimulus_rate_hz=SR, record_path=tmp_path / "b.wav")
    dev.advance(BS * 20 / SR)
    tap_time = eng.mark_tap()
    dev.advance(BS * 40 / SR)
    result = attempt.stop()
    y, _ = sf.read(tmp_path / "b.wav", dtype="float32")
    click_at_s = int(np.argmax(np.abs(y))) / SR
    assert result.offset_s is not None
    assert click_at_s == pytest.approx(result.offset_s + 1000 / SR, abs=1 / SR)
    expected_rt = dev.input_latency_s + dev.output_latency_s + BS / SR
    assert result.offset_s == pytest.approx(expected_rt, abs=1e-9)
    assert result.taps_s == (pytest.approx(tap_time - result.capture_start_stream_s),)
    assert result.taps_s[0] == pytest.approx(20 * BS / SR + dev.input_latency_s, abs=1e-9)
    np.testing.assert_allclose(dev.played_audio()[4 * BS : 4 * BS + model.size], model)
    eng.close()


def test_stimulus_is_resampled_to_the_device_rate(tmp_path: Path) -> None:
    dev, eng = make()
    rate = 22050
    t = np.arange(rate) / rate
    model = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    attempt = eng.start_attempt(model, stimulus_rate_hz=rate, record_path=tmp_path / "c.wav")
    dev.advance(1.2)
    result = attempt.stop()
    played = dev.played_audio()
    nz = np.flatnonzero(np.abs(played) > 1e-3)
    assert (nz[-1] - nz[0] + 1) == pytest.approx(SR, abs=8)
    spectrum = np.abs(np.fft.rfft(played[nz[0] : nz[0] + SR]))
    assert np.argmax(spectrum) * SR / SR == pytest.approx(440, abs=1)
    assert result.stimulus_duration_s == pytest.approx(1.0, abs=0.001)
    eng.close()


def test_live_audio_and_level(tmp_path: Path) -> None:
    mic = voice(2.0, amp=0.5)
    dev, eng = make(mic)
    dev.advance(BS * 8 / SR)
    first = eng.read_new_audio()
    assert first.size == 8 * BS
    dev.advance(BS * 3 / SR)
    np.testing.assert_array_equal(eng.read_new_audio(), mic[8 * BS : 11 * BS])
    assert eng.read_new_audio().size == 0
    level = eng.input_level(window_s=0.05)
    assert level.rms_dbfs == pytest.approx(20 * np.log10(0.5) - 3.01, abs=0.2)
    assert not level.clipping
    eng.close()


def test_lost_microphone_is_reported_and_recording_kept(tmp_path: Path) -> None:
    mic = voice(5.0)
    events: list[AudioEvent] = []
    dev = FakeAudioDevice(mic, sample_rate_hz=SR, block_size=BS)
    eng = AudioEngine(dev, watchdog=False, event_listener=events.append)
    eng.open(AudioSettings(watchdog_timeout_s=0.5))
    attempt = eng.start_attempt(None, stimulus_rate_hz=None, record_path=tmp_path / "d.wav")
    dev.advance(1.0)
    dev.disconnect()
    lost_at = dev.monotonic_s()
    detected_at = None
    while detected_at is None and dev.monotonic_s() - lost_at < 2.0:
        dev.advance(0.1)  # the watchdog's period
        if eng.check_health() is not None:
            detected_at = dev.monotonic_s()
    assert detected_at is not None and detected_at - lost_at <= 1.0
    assert eng.device_lost and attempt.interrupted
    assert [e.kind for e in eng.events()] == ["device_lost"] and "microphone" in events[0].message
    result = attempt.stop()
    assert result.interrupted and "saved" in (result.interruption_reason or "")
    y, _ = sf.read(tmp_path / "d.wav", dtype="float32")
    assert y.size == pytest.approx(SR, abs=BS)
    with pytest.raises(AudioError):
        eng.start_attempt(None, stimulus_rate_hz=None, record_path=tmp_path / "e.wav")
    dev.reconnect()
    eng.reopen()
    assert not eng.device_lost
    assert [e.kind for e in eng.events()] == ["reopened"]
    attempt = eng.start_attempt(None, stimulus_rate_hz=None, record_path=tmp_path / "e.wav")
    dev.advance(0.5)
    assert attempt.stop().duration_s == pytest.approx(0.5, abs=BS / SR)
    eng.close()


def test_round_trip_measurement_on_fake_echo() -> None:
    dev, eng = make(echo_gain=0.5)
    report = measure_round_trip(eng, sleep=dev.advance)
    assert report.detected
    assert report.round_trip_s == pytest.approx(
        dev.input_latency_s + dev.output_latency_s + BS / SR, abs=1 / SR
    )
    assert abs(report.clock_error_s or 1.0) < 1e-6
    eng.close()


def test_realtime_fake_with_watchdog_thread(tmp_path: Path) -> None:
    mic = voice(3.0)
    events: list[AudioEvent] = []
    dev = FakeAudioDevice(mic, sample_rate_hz=SR, block_size=BS, realtime=True)
    eng = AudioEngine(dev, event_listener=events.append)
    eng.open(AudioSettings(watchdog_timeout_s=1.0))  # generous: a loaded CI box may starve the fake
    attempt = eng.start_attempt(None, stimulus_rate_hz=None, record_path=tmp_path / "f.wav")
    time.sleep(0.5)
    assert not events
    dev.disconnect()
    deadline = time.monotonic() + 5.0
    while not events and time.monotonic() < deadline:
        time.sleep(0.02)
    assert events and events[0].kind == "device_lost"
    result = attempt.stop()
    assert result.interrupted and result.duration_s > 0.3
    eng.close()


def test_start_attempt_errors() -> None:
    _dev, eng = make()
    with pytest.raises(ValueError):
        eng.start_attempt(np.zeros(10), stimulus_rate_hz=None, record_path=Path("/tmp/x.wav"))
    eng.close()
    with pytest.raises(AudioError):
        eng.start_attempt(None, stimulus_rate_hz=None, record_path=Path("/tmp/x.wav"))


def test_play_without_recording() -> None:
    dev, eng = make()
    tone = np.full(SR // 4, 0.25, np.float32)
    eng.play(tone, stimulus_rate_hz=SR)
    assert eng.is_playing
    dev.advance(0.5)
    assert not eng.is_playing
    played = dev.played_audio()
    assert np.count_nonzero(played == np.float32(0.25)) == tone.size
    eng.play(tone, stimulus_rate_hz=SR)
    dev.advance(0.05)
    eng.stop_playback()
    dev.advance(0.3)
    assert np.count_nonzero(dev.played_audio() == np.float32(0.25)) < tone.size * 1.5
    eng.close()


def test_flagged_input_overflow_is_filled_so_time_stays_continuous(tmp_path: Path) -> None:
    mic = voice(5.0, f_hz=130.0)
    dev, eng = make(mic, echo_gain=0.0)
    dev.advance(BS * 150 / SR)  # gaps are only filled once a stream is past its start-up (2 s)
    attempt = eng.start_attempt(None, stimulus_rate_hz=None, record_path=tmp_path / "gap.wav")
    dev.advance(BS * 40 / SR)
    dev.drop_input(BS * 10 / SR)  # the next ten blocks never arrive
    dev.advance(BS * 60 / SR)  # 60 blocks of time: 10 lost, 50 delivered
    result = attempt.stop()
    y, _ = sf.read(tmp_path / "gap.wav", dtype="float32")
    assert y.size == 100 * BS  # 100 blocks of real time, the 10 lost ones as silence
    assert result.xruns.input_overflows == 1 and result.xruns.samples_padded == 10 * BS
    assert not y[40 * BS : 50 * BS].any()
    np.testing.assert_allclose(y[50 * BS :], mic[200 * BS : 250 * BS], atol=1e-6)  # aligned with real time
    eng.close()
