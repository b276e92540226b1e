"""``mit-trainer audio`` and ``mit-trainer record`` with the sound system replaced (fake device, stubs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mit_trainer.audio import AudioEngine, AudioUnavailableError, DeviceInfo, FakeAudioDevice, load_settings
from mit_trainer.cli import audio_cmd, record_cmd
from mit_trainer.cli.main import main

DEVS = [
    DeviceInfo(0, "USB Audio CODEC", "ALSA", 1, 0, 48000.0, 0.01, 0.01, True, False),
    DeviceInfo(1, "HDA Intel PCH", "ALSA", 2, 2, 44100.0, 0.01, 0.01, False, True),
]


def test_devices_table_marks_defaults(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(audio_cmd, "list_devices", lambda: DEVS)
    assert main(["audio", "devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["index", "name", "api", "in", "out", "rate", "Hz", "default"]
    assert lines[1].split()[-2:] == ["48000", "input"] and lines[2].split()[-2:] == ["44100", "output"]


def test_no_portaudio_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom() -> list[DeviceInfo]:
        raise AudioUnavailableError("PortAudio is not installed, so no sound can be recorded.")

    monkeypatch.setattr(audio_cmd, "list_devices", boom)
    assert main(["audio", "devices"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["mit-trainer: error: PortAudio is not installed, so no sound can be recorded."]


def test_choose_remembers_full_device_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio_cmd, "list_devices", lambda: DEVS)
    assert main(["audio", "choose", "--input", "usb", "--output", "hda", "--input-channel", "2"]) == 0
    s = load_settings()
    assert (s.input_device, s.output_device, s.input_channel) == ("USB Audio CODEC", "HDA Intel PCH", 1)
    assert main(["audio", "choose", "--input", "nothing-like-this"]) == 1
    assert main(["audio", "choose", "--system-default"]) == 0
    assert load_settings().input_device is None


def test_record_writes_what_the_microphone_hears(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rate = 16000
    mic = (0.3 * np.sin(2 * np.pi * 200 * np.arange(rate * 3) / rate)).astype(np.float32)
    monkeypatch.setattr(
        record_cmd,
        "AudioEngine",
        lambda: AudioEngine(FakeAudioDevice(mic, sample_rate_hz=rate, realtime=True)),
    )
    out = tmp_path / "r.wav"
    assert main(["record", "-o", str(out), "--seconds", "0.5"]) == 0
    y, r = sf.read(out, dtype="float32")
    assert r == rate and y.size == pytest.approx(rate * 0.5, abs=600)
    spectrum = np.abs(np.fft.rfft(y[: rate // 4]))
    assert np.argmax(spectrum) * 4 == pytest.approx(200, abs=4)  # the fake microphone's 200 Hz tone
    assert np.sqrt(np.mean(y**2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.02)
    assert main(["record", "-o", str(out), "--seconds", "0.5"]) == 1  # never overwrites by accident


def test_record_rejects_bad_arguments(tmp_path: Path) -> None:
    base = ["record", "-o", str(tmp_path / "a.wav")]
    assert main([*base, "--seconds", "1", "-o", "x.mp3"]) == 1
    for argv in (["--seconds", "0"], ["--seconds", "1", "--channel", "0"]):
        with pytest.raises(SystemExit) as exc:
            main(base + argv)
        assert exc.value.code == 2
