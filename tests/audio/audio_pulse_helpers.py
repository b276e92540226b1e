"""Helpers for the end-to-end audio tests: test voices and the patient player subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from mit_trainer.audio.pulseserver import PrivatePulseServer

HERE = Path(__file__).parent


def synth_voice(seconds: float, *, rate: int, f0_hz: float, seed: int = 0) -> np.ndarray:
    """A voice-like test signal: harmonics with vibrato, syllable envelope, a little breath noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = f0_hz * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t)) * np.where(t < seconds / 2, 1.0, 1.19)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = sum(np.sin(k * phase) / k for k in range(1, 8))
    env = np.clip(np.sin(np.pi * (t % (seconds / 2)) / (seconds / 2)) * 3, 0, 1)
    x = x * env + 0.02 * rng.standard_normal(t.size)
    return (0.25 * x / np.max(np.abs(x))).astype(np.float32)


def play_patient(pulse: PrivatePulseServer, wav: Path, *, lead_in_s: float = 0.5) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(pulse.env)
    env["PULSE_SINK"] = "patient"
    return subprocess.Popen(
        [sys.executable, str(HERE / "patient_player.py"), str(wav), str(lead_in_s)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def patient_result(proc: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, "patient player failed"
    return json.loads(out.strip().splitlines()[-1])


def write_wav(path: Path, x: np.ndarray, rate: int) -> Path:
    sf.write(path, x, rate, subtype="FLOAT")
    return path
