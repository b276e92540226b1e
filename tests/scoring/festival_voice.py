"""Voices the trainer did not make, with the generator's own truth, for the analysis tests.

:func:`festival_sing` sings a phrase with Debian's Festival (``festival`` in singing mode, a diphone voice),
one syllable per token on the phrase's notes and beats, with a chosen note-to-note glide (Festival's stock
glide is 10 % of each note on each side; here it is given in seconds), and returns the audio with the syllable
onsets from Festival's own phone labels (the start of each syllable's first phone). :func:`espeak_speak`
speaks a text with espeak-ng. Perturbations (level, babble, taps, silence) are plain numpy helpers. Nothing
here uses the trainer's analysis: truth comes from the generators.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from mit_trainer.core.records import Phrase

HAVE_FESTIVAL = shutil.which("festival") is not None
HAVE_ESPEAK = shutil.which("espeak-ng") is not None

_SCRIPT = """
(voice_{voice}_diphone)
(require 'singing-mode)
(define (singing_f0_targets utt syl)
  (let ((start (item.feat syl 'syllable_start))
        (end (item.feat syl 'syllable_end))
        (freqs (mapcar parse-number (syl->freq syl)))
        (durs (syl->durations syl)))
    (let ((total-durs (apply + durs)) (total-time (- end start)) (time start))
      (apply append
        (mapcar (lambda (d f)
                  (let ((range (* (/ d total-durs) total-time)) (old-time time))
                    (set! time (+ time range))
                    (let ((g (if (> {half_glide} (* 0.45 range)) (* 0.45 range) {half_glide})))
                      (list (list (+ old-time g) f) (list (- time g) f)))))
                durs freqs)))))
(define (mit_save utt)
  (utt.save.wave utt "{wav}" 'riff)
  (mapcar (lambda (seg)
     (format t "SEG %s %f %f\\n" (item.name seg) (item.feat seg "segment_start")
             (item.feat seg "R:SylStructure.parent.R:Syllable.syllable_start")))
     (utt.relation.items utt 'Segment))
  utt)
(set! tts_hooks (list utt.synth mit_save))
(tts_file "{xml}" 'singing)
"""


@dataclass(frozen=True)
class Sung:
    """A generated attempt: audio, its rate, and per syllable the onset (s) and the note sung (Hz)."""

    samples: np.ndarray
    sample_rate_hz: int
    onsets_s: tuple[float, ...]
    notes_hz: tuple[float, ...]
    first_phones: tuple[str, ...]


def festival_sing(
    syllables: Sequence[str],
    notes_hz: Sequence[float],
    beats: Sequence[float],
    *,
    tempo_bpm: float = 60.0,
    voice: str = "kal",
    glide_s: float = 0.2,
) -> Sung:
    """Sing ``syllables`` on ``notes_hz`` for ``beats`` at ``tempo_bpm``; truth from Festival's labels.

    Festival's singing mode takes BPM/50 beats per second (DESIGN.md §4), so BPM is scaled by 50/60.
    Raises RuntimeError when Festival does not make exactly one syllable per token.
    """
    bpm = tempo_bpm * 50.0 / 60.0
    notes = "\n".join(
        f'<PITCH FREQ="{f:.2f}"><DURATION BEATS="{b:g}">{s}</DURATION></PITCH>'
        for s, f, b in zip(syllables, notes_hz, beats, strict=True)
    )
    xml = (
        '<?xml version="1.0"?>\n<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" '
        f'"Singing.v0_1.dtd" []>\n<SINGING BPM="{bpm:.3f}">\n{notes}\n</SINGING>\n'
    )
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "in.xml").write_text(xml)
        half = f"{glide_s / 2:.4f}"
        script = _SCRIPT.format(voice=voice, half_glide=half, wav=d / "out.wav", xml=d / "in.xml")
        (d / "s.scm").write_text(script)
        out = subprocess.run(
            ["festival", "-b", str(d / "s.scm")], capture_output=True, text=True, timeout=60, check=True
        )
        x, sr = soundfile.read(str(d / "out.wav"), dtype="float64")
    starts: list[float] = []
    phones: list[str] = []
    last_syl = None
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) != 4 or parts[0] != "SEG" or parts[1] == "pau":
            continue
        syl_start = float(parts[3])
        if syl_start != last_syl:
            starts.append(float(parts[2]))
            phones.append(parts[1])
            last_syl = syl_start
    if len(starts) != len(syllables):
        raise RuntimeError(f"festival made {len(starts)} syllables of {len(syllables)}: {list(syllables)}")
    return Sung(x, int(sr), tuple(starts), tuple(float(f) for f in notes_hz), tuple(phones))


def phrase_notes(phrase: Phrase, low_hz: float, interval_st: float = 3.0) -> list[float]:
    high = low_hz * 2.0 ** (interval_st / 12.0)
    return [high if p == "H" else low_hz for p in phrase.pattern]


def sing_phrase(
    phrase: Phrase,
    *,
    low_hz: float = 110.0,
    tempo_bpm: float = 60.0,
    voice: str = "kal",
    glide_s: float = 0.2,
    interval_st: float = 3.0,
    pattern: Sequence[str] | None = None,
) -> Sung:
    """Sing ``phrase`` on its H/L pattern (or ``pattern``) from ``low_hz``."""
    pat = pattern or phrase.pattern
    high = low_hz * 2.0 ** (interval_st / 12.0)
    notes = [high if p == "H" else low_hz for p in pat]
    return festival_sing(
        phrase.syllables, notes, phrase.beats, tempo_bpm=tempo_bpm, voice=voice, glide_s=glide_s
    )


def espeak_speak(text: str, *, words_per_min: int = 140, voice: str = "en-us") -> tuple[np.ndarray, int]:
    """``text`` spoken by espeak-ng (``-s`` words per minute); returns samples and rate."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(words_per_min), "-w", str(wav), text],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip
        x, sr = soundfile.read(str(wav), dtype="float64")
    return x, int(sr)


# --- perturbations -----------------------------------------------------------------------------------------


def at_peak_dbfs(x: np.ndarray, peak_dbfs: float) -> np.ndarray:
    return x / max(float(np.max(np.abs(x))), 1e-12) * 10.0 ** (peak_dbfs / 20.0)


def pad(x: np.ndarray, sr: int, lead_s: float, tail_s: float = 0.5) -> np.ndarray:
    return np.concatenate((np.zeros(round(lead_s * sr)), x, np.zeros(round(tail_s * sr))))


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.size)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    y = np.fft.irfft(spec, n)
    return y / np.std(y)


def add_at_snr(x: np.ndarray, other: np.ndarray, snr_db: float) -> np.ndarray:
    """``x`` plus ``other`` scaled so that the RMS of ``x``'s active part is ``snr_db`` above ``other``'s."""
    other = np.resize(other, x.size)
    env = np.abs(x)
    active = x[env > 0.05 * env.max()] if env.max() > 0 else x
    rms_x = float(np.sqrt(np.mean(active**2)))
    o_act = other[np.abs(other) > 0.05 * np.abs(other).max()] if np.abs(other).max() > 0 else other
    rms_o = float(np.sqrt(np.mean(o_act**2))) or 1.0
    return x + other * (rms_x / rms_o) * 10.0 ** (-snr_db / 20.0)
