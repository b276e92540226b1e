"""Audio device descriptions, device choice by name, and the remembered audio settings file.

:class:`AudioSettings` is what the user chooses (device names, not indices, because indices change when a
device is plugged in); it is saved as a small JSON file in the user's config folder
(``$MIT_TRAINER_HOME/config`` when that is set, otherwise platformdirs' config dir, which honours
``XDG_CONFIG_HOME``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from mit_trainer.audio.errors import AudioError, DeviceNotFoundError

SETTINGS_FILENAME = "audio-settings.json"


@dataclass(frozen=True)
class DeviceInfo:
    """One audio device as the host audio system reports it."""

    index: int
    name: str
    host_api: str
    max_input_channels: int
    max_output_channels: int
    default_sample_rate_hz: float
    default_low_input_latency_s: float
    default_low_output_latency_s: float
    is_default_input: bool = False
    is_default_output: bool = False

    @property
    def can_record(self) -> bool:
        return self.max_input_channels > 0

    @property
    def can_play(self) -> bool:
        return self.max_output_channels > 0


@dataclass(frozen=True)
class AudioSettings:
    """The audio choices a clinic makes once (and the trainer remembers).

    ``input_device``/``output_device``: a device name or a unique part of it; ``None`` = system default.
    ``sample_rate_hz``: ``None`` = the input device's native (default) rate; analysis resamples later.
    ``block_size``: frames per callback, 0 = let the host choose. ``latency_s``: suggested host latency.
    ``watchdog_timeout_s``: how long without audio from the microphone counts as a lost device.
    ``input_channel``: which input of the device is the microphone (0-based; an audio interface with the
    microphone plugged into input 2 uses 1). The mono model plays on both channels of a stereo output.
    """

    input_device: str | None = None
    output_device: str | None = None
    sample_rate_hz: int | None = None
    block_size: int = 0
    latency_s: float = 0.05
    recording_subtype: str = "PCM_24"
    flush_interval_s: float = 0.25
    watchdog_timeout_s: float = 0.5
    ring_seconds: float = 20.0
    input_channel: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> AudioSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_devices(self, *, input_device: str | None, output_device: str | None) -> AudioSettings:
        return replace(self, input_device=input_device, output_device=output_device)


def default_settings_path() -> Path:
    """Where the audio settings live: ``$MIT_TRAINER_HOME/config`` or the platform's user config dir."""
    home = os.environ.get("MIT_TRAINER_HOME")
    if home:
        return Path(home) / "config" / SETTINGS_FILENAME
    import platformdirs

    return Path(platformdirs.user_config_dir("mit-trainer", appauthor=False)) / SETTINGS_FILENAME


def load_settings(path: Path | None = None) -> AudioSettings:
    """Read the saved settings (defaults when the file is missing); a corrupt file raises AudioError."""
    path = path or default_settings_path()
    if not path.exists():
        return AudioSettings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return AudioSettings.from_json_dict(data)
    except (ValueError, TypeError) as exc:
        raise AudioError(
            f"The audio settings file {path} is unreadable ({exc}); delete it to reset."
        ) from exc


def save_settings(settings: AudioSettings, path: Path | None = None) -> Path:
    """Write the settings atomically (temp file + rename) and return the path."""
    path = path or default_settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(settings.to_json_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def find_device(
    devices: list[DeviceInfo], name: str | None, *, kind: Literal["input", "output"]
) -> DeviceInfo | None:
    """The device whose name equals or contains ``name`` (case-insensitive) and can do ``kind``.

    ``None`` as name means the system default (``None`` returned when there is no default). An exact
    name wins over a partial match; an ambiguous partial match or no match raises
    :class:`DeviceNotFoundError` naming the candidates.
    """
    usable = [d for d in devices if (d.can_record if kind == "input" else d.can_play)]
    if name is None:
        for d in usable:
            if d.is_default_input if kind == "input" else d.is_default_output:
                return d
        return usable[0] if usable else None
    needle = name.strip().lower()
    exact = [d for d in usable if d.name.lower() == needle]
    if exact:
        return exact[0]
    partial = [d for d in usable if needle in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(repr(d.name) for d in usable) or "none"
    if not partial:
        raise DeviceNotFoundError(f"No {kind} device matches {name!r}; available: {names}.")
    matches = ", ".join(repr(d.name) for d in partial)
    raise DeviceNotFoundError(f"{name!r} matches several {kind} devices ({matches}); be more specific.")
