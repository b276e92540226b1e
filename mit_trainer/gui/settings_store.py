"""Workstation settings of the desktop trainer (theme, devices, auto-lock, defaults), kept as JSON.

Per-patient settings (low note, interval, tempo, tap side, font scale, protocol) live in the store;
these are the settings of this computer. The file is ``gui-settings.json`` in the user config folder
(``$MIT_TRAINER_HOME`` when set). Unknown keys are ignored and bad values fall back to defaults, so an
old or hand-edited file never stops the trainer from starting.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GuiSettings:
    theme: str = "light"  # "light" | "high-contrast"
    font_scale: float = 1.0
    auto_lock_min: float = 5.0
    input_device: str | None = None
    output_device: str | None = None
    model_volume: float = 0.8  # 0..1
    model_voice: str = "auto"  # app.voices.MODEL_VOICES: "auto" (from the low note), "male", "female"...
    model_source: str = "synthesized"  # "synthesized" | "recorded" (the therapist's, else synthesized)
    interval_semitones: float = 3.0  # default for new patients
    tempo_bpm: float = 60.0
    default_protocol: str = "HE1989"
    data_folder: str | None = None  # None: the store's default folder
    patient_screen: int = -1  # index into QGuiApplication.screens(); -1: any screen but the therapist's
    patient_full_screen: bool = False
    cue_tone: bool = False
    tap_side: str = "left"
    tap_pad_mm: float = 45.0
    tap_key: str = "F12"  # a tap from any window of the trainer (a USB foot pedal sends a key); "" = none


def settings_path() -> Path:
    home = os.environ.get("MIT_TRAINER_HOME")
    base = Path(home) if home else Path(platformdirs.user_config_dir("mit-trainer", appauthor=False))
    return base / "gui-settings.json"


def load_settings(path: Path | None = None) -> GuiSettings:
    p = path or settings_path()
    try:
        raw: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return GuiSettings()
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable settings %s: %s", p, exc)
        return GuiSettings()
    defaults = GuiSettings()
    values = {}
    for f in dataclasses.fields(GuiSettings):
        if f.name in raw:
            value, default = raw[f.name], getattr(defaults, f.name)
            if (
                default is None
                or value is None
                or isinstance(value, type(default))
                or (isinstance(default, float) and isinstance(value, int))
            ):
                values[f.name] = value
    return dataclasses.replace(defaults, **values)


def save_settings(settings: GuiSettings, path: Path | None = None) -> Path:
    p = path or settings_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(dataclasses.asdict(settings), indent=2), encoding="utf-8")
    os.replace(tmp, p)
    return p
