"""A simulated patient with aphasia: synthetic sung or spoken responses with realistic imperfections.

Used by ``mit-trainer demo``, the GUI's demo mode and the tests, so that the whole pipeline (stimulus,
response audio, analysis, engine, store) runs without a microphone. The patient has a voice (male or
female, their own comfortable pitch, which need not be the model's key), and a *skill* in [0, 1] that
grows over sessions. Lower skill means, each with a probability or size that scales with ``1 - skill``:
late starts, no response at all, missing syllables, a flattened melody (a smaller interval, down to
monotone), pitch scatter, drifting rhythm (syllable lengths off the target beats, tempo drifting), and
taps that wander from the syllable onsets or are left out. Every response comes with its ground truth
(:class:`ResponseTruth`) so a simulated therapist can judge it the way a clinician would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mit_trainer.analysis.stimulus import Stimulus, syllable_vowel
from mit_trainer.analysis.voice import VoiceParams, synthesize_voice
from mit_trainer.core.records import Phrase


@dataclass(frozen=True)
class PatientProfile:
    """Who the simulated patient is and how they improve."""

    female: bool = False
    comfortable_hz: float = 120.0  # their own low note when they sing alone
    initial_skill: float = 0.45
    skill_gain_per_session: float = 0.08
    max_skill: float = 0.97

    def skill(self, session_index: int) -> float:
        return float(min(self.max_skill, self.initial_skill + self.skill_gain_per_session * session_index))


@dataclass(frozen=True)
class ResponseTruth:
    """What the simulated patient actually produced."""

    responded: bool
    produced: tuple[int, ...]  # indices of the target syllables produced, in order
    onsets_s: tuple[float, ...]  # onset of each produced syllable on the response's clock
    offsets_s: tuple[float, ...]
    interval_semitones: float  # the H-L interval actually sung (0 = monotone)
    mode: str  # "sung", "sprechgesang" or "spoken"
    rhythm_error: float  # mean absolute relative duration error

    @property
    def intelligible(self) -> bool:
        """A clinician's criterion: an intelligible production of the whole target (PROTOCOL.md §2)."""
        return self.responded and len(self.produced) > 0

    def complete(self, n_syllables: int) -> bool:
        return self.responded and len(self.produced) == n_syllables


@dataclass(frozen=True)
class SimulatedResponse:
    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    taps_s: tuple[float, ...]
    truth: ResponseTruth


class SimulatedPatient:
    """Produces responses to models; deterministic for a given seed."""

    def __init__(self, profile: PatientProfile, *, seed: int = 0) -> None:
        self.profile = profile
        self._rng = np.random.default_rng(seed)
        base = VoiceParams.female() if profile.female else VoiceParams.male()
        self._voice = base.replace(vibrato_depth_cents=12.0, flutter_cents=8.0, jitter_percent=0.6)

    def respond(
        self,
        phrase: Phrase,
        *,
        session_index: int,
        mode: str,
        sample_rate_hz: int,
        stimulus: Stimulus | None = None,
        unison: bool = False,
        tempo_bpm: float = 60.0,
        interval_semitones: float = 3.0,
    ) -> SimulatedResponse:
        """One response to ``phrase``.

        In unison (``unison=True`` with the ``stimulus``) the response starts with the model, on the
        recording clock where the model's first sample is at 0, and follows its timing; otherwise it is a
        repetition that starts after a latency, on a clock that starts when the patient is cued.
        """
        rng = self._rng
        skill = self.profile.skill(session_index)
        lack = 1.0 - skill
        n = phrase.n_syllables
        sr = sample_rate_hz
        if rng.random() < 0.12 * lack:
            dur = 2.5 + n * 0.5
            noise = self._room_noise(int(dur * sr), sr)
            return SimulatedResponse(noise, sr, (), ResponseTruth(False, (), (), (), 0.0, mode, 0.0))
        produced = list(range(n))
        if n > 1 and rng.random() < 0.55 * lack:
            del produced[int(rng.integers(0, n))]
        sung = mode == "sung"
        interval = interval_semitones * float(np.clip(skill + lack * rng.uniform(-0.6, 0.2), 0.0, 1.2))
        if not sung:
            interval = interval_semitones * 0.5
        beat_s = 60.0 / tempo_bpm
        if unison and stimulus is not None:
            starts = [stimulus.syllables[i].onset_s for i in range(n)]
            ends = [stimulus.syllables[i].offset_s for i in range(n)]
            lag = float(rng.uniform(0.03, 0.08 + 0.25 * lack))
            drift = 1.0 + float(rng.normal(0.0, 0.06 * lack))
            t0 = starts[0]
            onsets = [t0 + lag + (starts[i] - t0) * drift for i in range(n)]
            durs = [(ends[i] - starts[i]) * drift for i in range(n)]
        else:
            tempo_scale = float(rng.uniform(0.85, 1.2)) if mode != "spoken" else float(rng.uniform(1.6, 2.2))
            latency = float(rng.uniform(0.4, 0.9) + rng.exponential(1.5 * lack))
            durs_beats = np.asarray(phrase.beats, dtype=float) * np.exp(rng.normal(0.0, 0.35 * lack, n))
            durs = list(durs_beats * beat_s / tempo_scale)
            onsets = [latency + float(np.sum(durs[:i])) for i in range(n)]
        rhythm_err = float(
            np.mean(
                np.abs(np.asarray(durs) / np.mean(durs) - np.asarray(phrase.beats) / np.mean(phrase.beats))
            )
        )
        sel_on = [onsets[i] for i in produced]
        sel_off = [onsets[i] + durs[i] * (0.97 if mode != "spoken" else 0.8) for i in produced]
        total = (sel_off[-1] if sel_off else 1.0) + 0.8
        n_samp = int(total * sr)
        key = self.profile.comfortable_hz * 2.0 ** (rng.normal(0.0, 0.3) / 12.0)
        f0 = np.full(n_samp, np.nan)
        amp = np.zeros(n_samp)
        vowels = []
        scatter = 15.0 + 60.0 * lack
        for k, i in enumerate(produced):
            a, b = int(sel_on[k] * sr), min(n_samp, int(sel_off[k] * sr))
            high = phrase.pattern[i] == "H"
            note = key * 2.0 ** (((interval if high else 0.0) + rng.normal(0.0, scatter / 100.0)) / 12.0)
            t = np.arange(b - a) / sr
            if mode == "sung":
                seg = np.full(b - a, note)
            else:  # speech-like glide: a rise-fall on stressed syllables, a fall on the others
                shape = np.sin(np.pi * np.clip(t / max(t[-1], 1e-3), 0, 1)) if high else -t / max(t[-1], 1e-3)
                seg = note * 2.0 ** ((1.5 * shape) / 12.0)
            f0[a:b] = seg
            env = np.minimum(1.0, np.minimum(t / 0.03, (t[-1] - t) / 0.05 + 0.02))
            amp[a:b] = np.clip(env, 0.0, 1.0) * (1.0 if high else 0.8)
            vowels.append((sel_on[k], syllable_vowel(phrase.syllables[i])))
            # legato: bridge short gaps between sung syllables with a glide, as patients do in MIT
            if mode == "sung" and k + 1 < len(produced):
                nxt = int(sel_on[k + 1] * sr)
                if 0 < nxt - b < int(0.12 * sr):
                    f0[b:nxt] = note
                    amp[b:nxt] = 0.35
        if not vowels:
            vowels = [(0.0, "a")]
        voice = synthesize_voice(
            f0,
            sample_rate_hz=sr,
            vowels=vowels,
            params=self._voice,
            amplitude=amp,
            peak=float(rng.uniform(0.25, 0.6)),
            rng=int(rng.integers(0, 2**31)),
        )
        out = (voice + self._room_noise(n_samp, sr)).astype(np.float32)
        taps = []
        for k in range(len(produced)):
            if rng.random() < 0.2 * lack:
                continue
            taps.append(max(0.0, sel_on[k] + float(rng.normal(-0.03, 0.03 + 0.08 * lack))))
        truth = ResponseTruth(
            True, tuple(produced), tuple(sel_on), tuple(sel_off), interval, mode, rhythm_err
        )
        return SimulatedResponse(out, sr, tuple(taps), truth)

    def _room_noise(self, n: int, sr: int) -> npt.NDArray[np.float32]:
        """Quiet room noise (about -55 dBFS, low-pass tilted)."""
        white = self._rng.normal(0.0, 1.0, n)
        tilted = np.cumsum(white) * 0.02
        tilted -= np.convolve(tilted, np.ones(64) / 64, mode="same")
        x = white * 0.3 + tilted
        x *= 10 ** (-55 / 20) / max(float(np.std(x)), 1e-9)
        return x.astype(np.float32)
