"""Signals for the echo (model in the microphone) tests and benchmark, with their truth from the generators.

The patient is a voice the trainer did not make: Festival's singing mode (diphone voices kal / ked,
DESIGN.md §4), given the phrase's notes; the leak is the trainer's own rendered model
(:func:`mit_trainer.analysis.stimulus.render_stimulus`) through a loudspeaker-to-microphone path (a delay,
a direct sound and an exponentially decaying reverberant tail with a chosen RT60), plus pink room noise.
Levels are RMS over the signal's active part, in dB.
"""

from __future__ import annotations

import functools
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from scipy.signal import fftconvolve

from mit_trainer.analysis.stimulus import Stimulus, render_stimulus
from mit_trainer.core.records import Phrase

SR = 16_000
HAVE_FESTIVAL = shutil.which("text2wave") is not None
_NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _note_name(midi: int) -> str:
    return f"{_NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def midi_of(hz: float) -> int:
    return round(69 + 12 * math.log2(hz / 440.0))


@functools.lru_cache(maxsize=64)
def festival_sing(
    syllables: tuple[str, ...],
    pattern: tuple[str, ...],
    beats: tuple[float, ...],
    *,
    low_midi: int,
    interval_st: int = 3,
    bpm: float = 60.0,
    voice: str = "kal",
) -> tuple[np.ndarray, tuple[float, ...]]:
    """Festival singing of the syllables on their notes (L = ``low_midi``, H = ``interval_st`` above).

    Returns (samples at :data:`SR`, the sung f0 per syllable in Hz). Festival sings an octave below the
    written note and divides BPM by 50 (DESIGN.md §4); both are compensated here.
    """
    notes = [low_midi + (interval_st if p == "H" else 0) for p in pattern]
    body = "\n".join(
        f'<PITCH NOTE="{_note_name(m + 12)}"><DURATION BEATS="{b:g}">{s}</DURATION></PITCH>'
        for s, m, b in zip(syllables, notes, beats, strict=True)
    )
    xml = (
        '<?xml version="1.0"?>\n<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" '
        f'"Singing.v0_1.dtd" []>\n<SINGING BPM="{bpm * 50.0 / 60.0:g}">\n{body}\n</SINGING>\n'
    )
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "s.xml", Path(tmp) / "s.wav"
        src.write_text(xml)
        cmd = ["text2wave", "-mode", "singing", str(src), "-o", str(out)]
        if voice != "kal":
            cmd[1:1] = ["-eval", f"(voice_{voice}_diphone)"]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        x, sr = sf.read(str(out), dtype="float64")
    if sr != SR:
        x = soxr.resample(x, sr, SR)
    f0s = tuple(440.0 * 2 ** ((m - 69) / 12) for m in notes)
    return np.asarray(x, dtype=np.float64), f0s


def model(phrase: Phrase, *, low_hz: float = 130.81, tempo_bpm: float = 60.0) -> Stimulus:
    """The trainer's own intoned model of ``phrase`` at :data:`SR`."""
    return render_stimulus(
        phrase, sample_rate_hz=SR, low_hz=low_hz, interval_semitones=3.0, tempo_bpm=tempo_bpm
    )


def rms_db(x: np.ndarray) -> float:
    """RMS (dBFS) of the loud part (frames within 30 dB of the loudest), so pauses do not count."""
    n = 320
    fr = x[: x.size // n * n].reshape(-1, n)
    e = np.mean(fr * fr, axis=1)
    act = e >= e.max() * 1e-3
    return float(10 * np.log10(np.mean(e[act]) + 1e-30))


def scaled(x: np.ndarray, level_db: float) -> np.ndarray:
    return x * 10 ** ((level_db - rms_db(x)) / 20)


def pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n, 1 / SR), 20.0)
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return x / (np.sqrt(np.mean(x * x)) + 1e-30)


def room_path(
    rng: np.random.Generator,
    *,
    delay_s: float,
    rt60_s: float,
    direct: float = 1.0,
    reflections: int = 6,
    drr_db: float = 0.0,
) -> np.ndarray:
    """Loudspeaker-to-microphone impulse response: delay, direct sound, early reflections, diffuse tail
    (exponential decay reaching -60 dB at ``rt60_s``, its energy ``drr_db`` below the direct sound's)."""
    d = round(delay_s * SR)
    n = d + round(1.2 * rt60_s * SR) + 1
    h = np.zeros(n)
    h[d] = direct
    for _ in range(reflections):  # early reflections within 3-25 ms
        k = d + round(rng.uniform(0.003, 0.025) * SR)
        h[k] += rng.uniform(-0.6, 0.6)
    t = np.arange(n - d - 1) / SR
    tail = rng.standard_normal(t.size) * np.exp(-6.9 * t / rt60_s)
    tail *= direct * 10 ** (-drr_db / 20) / np.sqrt(np.sum(tail * tail))
    h[d + 1 :] += tail
    return h


@dataclass(frozen=True)
class Trial:
    """One recording: what the microphone heard and what the trainer played."""

    recording: np.ndarray
    played: np.ndarray  # the model as played, its first sample at ``played_offset_s`` on the recording
    played_offset_s: float
    delay_s: float  # the true loudspeaker-to-microphone delay (excluding the path's reverberation)


def leak_trial(
    rng: np.random.Generator,
    played: np.ndarray,
    *,
    leak_db: float,
    patient: np.ndarray | None = None,
    patient_start_s: float = 0.0,
    patient_db: float = -20.0,
    played_offset_s: float = 0.3,
    delay_s: float | None = None,
    rt60_s: float = 0.6,
    noise_db: float = -70.0,
    tail_s: float = 1.0,
    reflections: int = 6,
    drr_db: float = 0.0,
) -> Trial:
    """Mix: the played model through a room path at ``leak_db`` re its own level as played, the patient
    (if any) at ``patient_db`` dBFS starting at ``patient_start_s``, and pink noise at ``noise_db`` dBFS."""
    delay = rng.uniform(0.02, 0.3) if delay_s is None else delay_s
    h = room_path(rng, delay_s=delay, rt60_s=rt60_s, reflections=reflections, drr_db=drr_db)
    wet = fftconvolve(played, h)
    wet = scaled(wet, rms_db(played) + leak_db)
    end = played_offset_s + played.size / SR
    if patient is not None:
        end = max(end, patient_start_s + patient.size / SR)
    n = round((end + tail_s) * SR)
    y = np.zeros(n)
    o = round(played_offset_s * SR)
    a, b = max(0, o), min(n, o + wet.size)
    y[a:b] += wet[a - o : b - o]
    if patient is not None:
        p = scaled(patient, patient_db)
        s = round(patient_start_s * SR)
        m = min(n - s, p.size)
        y[s : s + m] += p[:m]
    y += 10 ** (noise_db / 20) * pink_noise(rng, n)
    return Trial(y, played, played_offset_s, delay)
