"""Device choice by name and the remembered settings file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mit_trainer.audio.devices import (
    AudioSettings,
    DeviceInfo,
    default_settings_path,
    find_device,
    load_settings,
    save_settings,
)
from mit_trainer.audio.errors import AudioError, DeviceNotFoundError


def dev(i: int, name: str, ins: int, outs: int, *, di: bool = False, do: bool = False) -> DeviceInfo:
    return DeviceInfo(i, name, "ALSA", ins, outs, 48000.0, 0.01, 0.01, di, do)


DEVICES = [
    dev(0, "HDA Intel PCH: ALC892 Analog", 2, 2),
    dev(1, "USB Audio CODEC", 1, 0, di=True),
    dev(2, "USB Headset", 1, 2, do=True),
    dev(3, "pulse", 32, 32),
]


def test_exact_name_beats_partial_and_case_is_ignored() -> None:
    assert find_device(DEVICES, "PULSE", kind="input").index == 3  # type: ignore[union-attr]
    assert find_device(DEVICES, "codec", kind="input").index == 1  # type: ignore[union-attr]


def test_kind_filters_devices() -> None:
    assert find_device(DEVICES, "usb", kind="output").index == 2  # type: ignore[union-attr]
    with pytest.raises(DeviceNotFoundError, match="several"):
        find_device(DEVICES, "usb", kind="input")
    with pytest.raises(DeviceNotFoundError, match="No output device matches 'codec'"):
        find_device(DEVICES, "codec", kind="output")


def test_default_device_when_no_name() -> None:
    assert find_device(DEVICES, None, kind="input").index == 1  # type: ignore[union-attr]
    assert find_device(DEVICES, None, kind="output").index == 2  # type: ignore[union-attr]
    assert find_device([], None, kind="input") is None


def test_settings_round_trip_under_mit_trainer_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIT_TRAINER_HOME", str(tmp_path / "home"))
    assert default_settings_path() == tmp_path / "home" / "config" / "audio-settings.json"
    assert load_settings() == AudioSettings()
    s = AudioSettings(input_device="USB", output_device="Headset", sample_rate_hz=44100, latency_s=0.1)
    path = save_settings(s)
    assert load_settings() == s
    data = json.loads(path.read_text())
    data["future_key"] = 1  # a newer version's key does not break an older trainer
    path.write_text(json.dumps(data))
    assert load_settings() == s


def test_settings_follow_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIT_TRAINER_HOME")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_settings_path().is_relative_to(tmp_path / "xdg")


def test_corrupt_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    p.write_text("{not json")
    with pytest.raises(AudioError, match="delete it to reset"):
        load_settings(p)
