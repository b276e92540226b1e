"""A labelled corpus of synthetic MIT attempts with known notes and syllable times.

Each item is a patient's attempt at a random phrase, rendered with
:func:`mit_trainer.analysis.voice.synthesize_voice` (male or female range, the
patient's own key and tempo between 40 and 90 BPM, vibrato, flutter and jitter,
consonant-like onsets: voiced ones as an energy dip, unvoiced ones as a voicing
gap with a noise burst), then put in a room (exponentially decaying noise impulse
response) and in pink noise at 10-20 dB SNR. Error kinds: inverted contour,
monotone, missing syllables, wrong rhythm, spoken instead of sung (gliding speech
pitch at speech rate), silence and noise only. The exact f0 per 10 ms frame and the
onset of every produced syllable are kept as ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

from mit_trainer.analysis.voice import VoiceParams, synthesize_voice
from mit_trainer.core.records import FloatArray, Phrase

KINDS = ("correct", "inverted", "monotone", "missing", "rhythm", "spoken", "silence", "noise")
EXPECTED_VERDICT = {k: "fail" for k in KINDS} | {
    "correct": "pass",
    "silence": "no_response",
    "noise": "no_response",
}
TRUTH_HOP_S = 0.01
_CV = [
    ("m", "a"),
    ("n", "o"),
    ("l", "i"),
    ("t", "e"),
    ("k", "a"),
    ("s", "u"),
    ("", "o"),
    ("p", "i"),
    ("w", "e"),
]
_VOICED_CONS = {"m", "n", "l", "w"}


@dataclass(frozen=True)
class CorpusItem:
    """One synthetic attempt and its ground truth."""

    item_id: str
    kind: str
    phrase: Phrase
    samples: np.ndarray  # float32, mono
    sample_rate_hz: int
    voice: str  # "male" / "female"
    tempo_bpm: float  # the patient's own tempo
    low_hz: float  # the patient's own low note
    interval_semitones: float  # the model's interval (the target)
    snr_db: float | None
    onsets_s: tuple[float, ...]  # produced syllables (all kinds that produce any)
    truth_f0_hz: FloatArray  # per TRUTH_HOP_S frame, NaN where not voiced
    sung_frames: np.ndarray  # bool per frame: voiced nucleus of a sung syllable (edges excluded)

    @property
    def duration_s(self) -> float:
        return self.samples.size / self.sample_rate_hz


def random_phrase(rng: np.random.Generator, n: int, idx: int) -> Phrase:
    """A phrase of ``n`` CV syllables with at least one H and one L, and mostly one-beat syllables."""
    sylls = [rng.integers(len(_CV)) for _ in range(n)]
    pattern = ["L"] * n
    for k in rng.choice(n, size=max(1, n // 3), replace=False):
        pattern[int(k)] = "H"
    if all(p == "H" for p in pattern):
        pattern[0] = "L"
    beats = [2.0 if rng.random() < 0.15 else 1.0 for _ in range(n)]
    text = tuple(_CV[s][0] + _CV[s][1] for s in sylls)
    level = 1 if n <= 3 else 2 if n <= 6 else 3
    return Phrase(f"syn-{idx}", " ".join(text), level, text, tuple(pattern), tuple(beats))


def _pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.size, dtype=float)
    spec /= np.sqrt(np.maximum(f, 1.0))
    x = np.fft.irfft(spec, n)
    return x / (np.std(x) + 1e-12)


def _room(x: np.ndarray, rng: np.random.Generator, sr: int) -> np.ndarray:
    rt60 = rng.uniform(0.2, 0.5)
    t = np.arange(int(rt60 * sr)) / sr
    ir = rng.standard_normal(t.size) * np.exp(-6.9 * t / rt60)
    ir[: int(0.005 * sr)] = 0.0
    wet = fftconvolve(x, ir)[: x.size]
    drr_db = rng.uniform(6.0, 15.0)
    wet *= np.std(x) / (np.std(wet) + 1e-12) * 10 ** (-drr_db / 20)
    return x + wet


@dataclass
class _Note:
    onset_s: float
    dur_s: float
    st: float  # semitones above the low note
    cons: str
    vowel: str
    glide_st: float = 0.0  # speech: pitch change across the syllable


def _notes(
    kind: str,
    phrase: Phrase,
    rng: np.random.Generator,
    beat_s: float,
    interval: float,
    drop: tuple[int, ...] | None = None,
) -> list[_Note]:
    n = phrase.n_syllables
    pattern = list(phrase.pattern)
    if kind == "inverted":
        pattern = ["L" if p == "H" else "H" for p in pattern]
    iv = interval + rng.normal(0.0, 0.3)
    beats = np.array(phrase.beats, dtype=float)
    if kind == "rhythm":
        factors = np.ones(n)
        changed = rng.choice(n - 1, size=max(1, (n - 1 + 1) // 2), replace=False)
        factors[changed] = rng.choice([0.45, 2.2], size=changed.size)
        beats = beats * factors
    if kind == "spoken":
        beats = beats * 0 + 1.0
        beat_s = rng.uniform(0.22, 0.32)
    durs = beats * beat_s * np.exp(rng.normal(0.0, 0.05, n))
    keep = np.ones(n, dtype=bool)
    if kind == "missing" and drop is not None:
        keep[list(drop)] = False
    elif kind == "missing":
        keep[rng.choice(np.arange(1, n), size=max(1, n // 4), replace=False)] = False
    contract = kind == "missing" and drop is None and rng.random() < 0.5
    notes: list[_Note] = []
    t = 0.0
    for i in range(n):
        cons, vowel = phrase.syllables[i][:-1], phrase.syllables[i][-1]
        if keep[i]:
            st = 0.0 if kind == "monotone" else (iv if pattern[i] == "H" else 0.0) + rng.normal(0.0, 0.12)
            glide = 0.0
            if kind == "spoken":
                st = 2.0 - 3.0 * i / max(n - 1, 1) + (2.5 if pattern[i] == "H" else 0.0)
                glide = rng.uniform(-3.0, 3.0)
            notes.append(_Note(t, float(durs[i]), st, cons, vowel, glide))
        if keep[i] or not contract:
            t += float(durs[i])
    return notes


def _render(notes: list[_Note], rng: np.random.Generator, sr: int, low_hz: float, kind: str, female: bool):
    lead = rng.uniform(0.3, 0.8)
    last = notes[-1]
    total = lead + last.onset_s + last.dur_s * 0.9 + 0.6
    n = int(total * sr)
    t = np.arange(n) / sr
    st = np.full(n, np.nan)
    amp = np.zeros(n)
    vowel_idx = np.zeros(n, dtype=np.int64)
    burst = np.zeros(n)
    vowels = "aeiou@m"
    nucleus = np.zeros(n, dtype=bool)
    onsets: list[float] = []
    prev_end = 0.0
    spoken = kind == "spoken"
    for k, note in enumerate(notes):
        a = lead + note.onset_s
        nxt = notes[k + 1].onset_s + lead if k + 1 < len(notes) else a + note.dur_s * 0.9
        gap_after = (nxt - a - note.dur_s) > 0.05 or (spoken and rng.random() < 0.3)
        end = a + note.dur_s * (0.8 if spoken else 1.0) if gap_after else nxt
        if k == len(notes) - 1:
            end = a + note.dur_s * 0.9
        i0, i1 = int(a * sr), min(n, int(end * sr))
        cons_s = rng.uniform(0.04, 0.08) if note.cons else rng.uniform(0.03, 0.05)
        after_pause = k == 0 or (onsets and a - prev_end > 0.05)
        # a stop after a pause is heard from its burst; otherwise the syllable starts with its consonant
        onsets.append(a + cons_s - 0.015 if after_pause and note.cons in ("t", "k", "p") else a)
        seg = slice(i0, i1)
        frac = (t[seg] - a) / max(end - a, 1e-3)
        st[seg] = note.st + note.glide_st * (frac - 0.5)
        amp[seg] = 1.0 if not spoken else np.sin(np.pi * np.clip(frac, 0, 1)) ** 0.5
        vowel_idx[seg] = vowels.index(note.vowel)
        c1 = i0 + int(cons_s * sr)
        if k > 0 and (not note.cons or note.cons in _VOICED_CONS):  # nasal/liquid or glottal onset
            dip = np.clip(1.6 * np.sin(np.linspace(0, np.pi, c1 - i0)), 0, 1) * (1 - 10 ** (-20 / 20))
            amp[i0:c1] *= 1 - dip
            if note.cons:
                vowel_idx[i0:c1] = vowels.index("m")
        elif note.cons and note.cons not in _VOICED_CONS:
            st[i0:c1] = np.nan
            amp[i0:c1] = 0.0
            burst[i0:c1] = 0.12 if note.cons == "s" else 0.0
            burst[max(i0, c1 - int(0.015 * sr)) : c1] = 0.2
        nucleus[c1 + int(0.03 * sr) : max(c1, i1 - int(0.03 * sr))] = True
        prev_end = end
    # legato glides: smooth the note steps over ~60 ms where voicing is continuous
    good = ~np.isnan(st)
    filled = np.interp(np.arange(n), np.flatnonzero(good), st[good])
    w = int(0.06 * sr)
    sm = np.convolve(filled, np.hanning(w) / np.hanning(w).sum(), mode="same")
    st = np.where(good, sm, np.nan)
    if not spoken:  # vibrato once notes settle, and slow flutter
        depth = rng.uniform(0.0, 0.4)
        st = st + depth * np.sin(2 * np.pi * rng.uniform(4.8, 6.0) * t + rng.uniform(0, 6.3))
    flutter = np.convolve(rng.standard_normal(n), np.ones(int(0.2 * sr)) / int(0.2 * sr), mode="same")
    st = st + flutter * 0.1 * np.sqrt(0.2 * sr)
    f0 = low_hz * 2.0 ** (st / 12.0)
    params = (VoiceParams.female if female else VoiceParams.male)(jitter_percent=float(rng.uniform(0.3, 1.0)))
    voice = synthesize_voice(f0, sample_rate_hz=sr, vowels=vowel_idx, params=params, amplitude=amp, peak=None,
                             rng=int(rng.integers(1 << 30)))  # fmt: skip
    v = np.asarray(voice, dtype=np.float64)
    v = v + burst * rng.standard_normal(n) * np.std(v)
    return v, f0, nucleus & ~np.isnan(f0), onsets


def make_item(
    rng: np.random.Generator, kind: str, idx: int, *, sample_rate_hz: int, snr_db: float | None = None
) -> CorpusItem:
    """One random corpus item of ``kind`` (see :data:`KINDS`); ``snr_db`` default random in 10-20 dB."""
    n = int(rng.integers(3 if kind == "rhythm" else 2, 10))
    phrase = random_phrase(rng, n, idx)
    female = bool(rng.random() < 0.5)
    low_hz = float(rng.uniform(170, 260) if female else rng.uniform(90, 140))
    tempo = float(rng.uniform(40, 90))
    interval = float(rng.choice([2.0, 3.0, 3.0, 4.0, 5.0]))
    snr = float(rng.uniform(10, 20)) if snr_db is None else snr_db
    return render_attempt(
        phrase, kind=kind, rng=rng, sample_rate_hz=sample_rate_hz, low_hz=low_hz, tempo_bpm=tempo,
        interval_semitones=interval, snr_db=snr, female=female, item_id=f"{kind}-{idx}",
    )  # fmt: skip


def render_attempt(
    phrase: Phrase,
    *,
    kind: str,
    rng: np.random.Generator,
    sample_rate_hz: int,
    low_hz: float,
    tempo_bpm: float,
    interval_semitones: float,
    snr_db: float,
    female: bool,
    drop: tuple[int, ...] | None = None,
    item_id: str = "attempt",
) -> CorpusItem:
    """A patient's attempt of ``kind`` at ``phrase`` in their own key (``low_hz``) and tempo.

    ``drop`` (kind ``missing``) names the syllables left out; their time stays silent.
    """
    sr = sample_rate_hz
    tempo, interval, snr = tempo_bpm, interval_semitones, snr_db

    def frames(n_s: int) -> int:
        return int(n_s / (sr * TRUTH_HOP_S)) + 1

    if kind in ("silence", "noise"):
        n_s = int(rng.uniform(2.0, 6.0) * sr)
        x = rng.standard_normal(n_s) * 10 ** (-75 / 20)
        if kind == "noise":
            x = _pink_noise(rng, n_s) * 10 ** (rng.uniform(-45, -30) / 20)
            b0 = int(rng.uniform(0.2, 0.6) * n_s)  # a breath
            bl = int(0.4 * sr)
            x[b0 : b0 + bl] += rng.standard_normal(min(bl, n_s - b0)) * np.hanning(bl)[: n_s - b0] * 0.02
        nf = frames(n_s)
        return CorpusItem(item_id, kind, phrase, x.astype(np.float32), sr, "none", tempo, low_hz,
                          interval, None, (), np.full(nf, np.nan), np.zeros(nf, dtype=bool))  # fmt: skip
    notes = _notes(kind, phrase, rng, 60.0 / tempo, interval, drop)
    v, f0, nucleus, onsets = _render(notes, rng, sr, low_hz, kind, female)
    v = _room(v, rng, sr)
    noise = _pink_noise(rng, v.size)
    sig_rms = float(np.sqrt(np.mean(v[int(onsets[0] * sr) : int((onsets[-1] + 0.3) * sr)] ** 2)))
    x = v + noise * sig_rms * 10 ** (-snr / 20)
    x *= 10 ** (rng.uniform(-20, -8) / 20) / (np.max(np.abs(x)) + 1e-12)
    ft = (np.arange(frames(x.size)) * TRUTH_HOP_S * sr).astype(int).clip(0, x.size - 1)
    voiced_truth = nucleus[ft]
    truth = f0[ft]
    return CorpusItem(item_id, kind, phrase, x.astype(np.float32), sr, "female" if female else "male",
                      tempo, low_hz, interval, snr, tuple(onsets), truth, voiced_truth)  # fmt: skip


def make_corpus(
    seed: int, *, per_kind: int, sample_rate_hz: int = 16000, kinds: tuple[str, ...] = KINDS
) -> list[CorpusItem]:
    """``per_kind`` items of each kind, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    return [make_item(rng, k, i, sample_rate_hz=sample_rate_hz) for i in range(per_kind) for k in kinds]
