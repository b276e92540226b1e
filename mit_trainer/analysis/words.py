"""Word check: did the speaker say the phrase's words? (PocketSphinx forced alignment, advisory).

The phrase text is force-aligned to the recording with PocketSphinx (its PyPI wheel ships the US
English acoustic model and the CMU dictionary). PocketSphinx scores every frame relative to the best
senone of that frame, so a word's acoustic score per frame is a goodness-of-pronunciation measure
(GOP, natural log per 10 ms frame; 0 = the aligned phones are the best explanation of every frame).
Each word is then

- ``said``: its span holds voice and its GOP reaches the mode's threshold;
- ``unclear``: voice is there but the words do not fit it (a substitution, "la la la", a mumble), or
  the aligner could not fit the phrase at all while there is voice;
- ``missing``: the aligner put the word on silence (an omission), or the recording has no voice.

``confidence`` is a logistic of the GOP, 0.5 at the ``said`` threshold (a ranking, not a calibrated
probability). The audio is resampled to 16 kHz, padded with 0.5 s of faint noise on both sides
(without padding PocketSphinx often returns nothing) and decoded in one pass. The result advises
the therapist; it never changes the verdict. Only English has a model: :func:`word_checker_for`
returns None for other languages.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

WORD_STATUSES = ("said", "unclear", "missing")
#: Languages with a shipped acoustic model and dictionary (the PocketSphinx wheel's US English).
WORD_MODEL_LANGUAGES = ("en",)
WORD_MODEL_NAME = "pocketsphinx-en-us"
_RATE_HZ = 16000
_FRAME_S = 0.01
#: PocketSphinx's integer scores are log base 1.0001 shifted right by 10 bits: 1 unit = 0.1024 nats.
_NATS_PER_UNIT = 1024 * math.log(1.0001)
#: Decoder options, measured on espeak-ng speech (benchmarks/RESULTS-words.md): with the default language
#: weight (6.5) the aligner's silence and word-transition penalties let it give up on a phrase's last
#: words; dither keeps the quiet padding from becoming digital silence.
DECODER_OPTIONS: dict[str, Any] = {"lw": 1.0, "wip": 1.0, "silprob": 1.0, "dither": True}
_FILLERS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"})


@dataclass(frozen=True)
class WordCheckSettings:
    """Thresholds of the word check (GOP in nats per 10 ms frame; levels in dB)."""

    #: A word is ``said`` when its GOP reaches this, per analysis mode (sung vowels are stretched and
    #: sung on a pitch the model never heard, so singing gets more room).
    said_min_gop: dict[str, float] = field(
        default_factory=lambda: {"sung": -3.0, "sprechgesang": -3.25, "spoken": -3.5}
    )
    #: Width of the logistic that turns GOP into ``confidence``.
    confidence_scale_gop: float = 0.75
    #: A frame holds voice when its level is at most this far below the recording's peak ...
    active_below_peak_db: float = 30.0
    #: ... and the recording's peak is this far above its quietest frames (else it is noise only).
    min_dynamic_range_db: float = 10.0
    #: Recordings whose peak is below this hold no voice (dBFS).
    min_peak_dbfs: float = -55.0
    #: A word whose span holds voice in less than this fraction of its frames is ``missing``.
    min_active_fraction: float = 0.3
    #: Quiet padding on both sides before decoding (s).
    pad_s: float = 0.5
    #: The recording is cut to its voice, this much before the first and after the last active frame.
    trim_margin_s: float = 0.2


@dataclass(frozen=True)
class WordResult:
    """One word of the phrase and whether it was heard (times on the recording's clock)."""

    index: int
    text: str
    status: str  # "said" | "unclear" | "missing"
    onset_s: float | None
    offset_s: float | None
    confidence: float | None
    gop: float | None = None  # nats per frame; None where the aligner placed nothing
    syllables: tuple[int, ...] = ()  # indices of the phrase syllables this word spans

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None, nd: int) -> float | None:
            return None if v is None or not math.isfinite(v) else round(float(v), nd)

        return {
            "index": self.index,
            "text": self.text,
            "status": self.status,
            "onset_s": r(self.onset_s, 3),
            "offset_s": r(self.offset_s, 3),
            "confidence": r(self.confidence, 3),
            "gop": r(self.gop, 3),
            "syllables": list(self.syllables),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> WordResult:
        status = str(d["status"])
        if status not in WORD_STATUSES:
            raise ValueError(f"unknown word status {status!r}")
        return cls(
            int(d["index"]),
            str(d["text"]),
            status,
            d.get("onset_s"),
            d.get("offset_s"),
            d.get("confidence"),
            d.get("gop"),
            tuple(int(i) for i in d.get("syllables", ())),
        )


def phrase_words(text: str) -> list[str]:
    """The words of a phrase text, lower case, punctuation other than inner apostrophes removed."""
    cleaned = re.sub(r"[^\w'\s-]", " ", text.lower().replace("\u2019", "'"))
    words = [w.strip("'-") for w in re.split(r"[\s-]+", cleaned)]
    return [w for w in words if w]


def word_syllables(words: Sequence[str], syllables: Sequence[str]) -> list[tuple[int, ...]]:
    """Which syllables (indices) spell each word, matching letters in order; () where they do not."""
    letters = [re.sub(r"[^a-z]", "", s.lower()) for s in syllables]
    out: list[tuple[int, ...]] = []
    j = 0
    for w in words:
        need = re.sub(r"[^a-z]", "", w.lower())
        got, idx = "", []
        while j < len(letters) and len(got) < len(need):
            got += letters[j]
            idx.append(j)
            j += 1
        out.append(tuple(idx) if got == need and idx else ())
    if any(not t for t in out):  # spelling differs (numbers, contractions): share syllables in order
        n, m = len(words), len(syllables)
        out = [tuple(range(i * m // n, max(i * m // n + 1, (i + 1) * m // n))) for i in range(n)] if m else []
    return out


def _to_pcm16k(x: np.ndarray, sample_rate_hz: float, pad_s: float) -> tuple[bytes, float]:
    """Peak-normalised 16 kHz int16 with faint-noise padding; also the gain applied."""
    if round(sample_rate_hz) != _RATE_HZ:
        import soxr

        x = soxr.resample(x, float(sample_rate_hz), _RATE_HZ)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    gain = 0.5 / peak if peak > 1e-4 else 1.0
    pad = np.random.default_rng(0).normal(0.0, 5e-4, round(pad_s * _RATE_HZ))
    y = np.concatenate([pad, x * gain, pad])
    return (np.clip(y, -1.0, 1.0) * 32767.0).astype("<i2").tobytes(), gain


def _frame_db(x: np.ndarray, sample_rate_hz: float) -> np.ndarray:
    hop = max(1, round(_FRAME_S * sample_rate_hz))
    n = x.size // hop
    if n == 0:
        return np.zeros(0)
    frames = x[: n * hop].reshape(n, hop)
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


class WordChecker:
    """Forced alignment of a phrase's words with PocketSphinx (one decoder, guarded by a lock)."""

    def __init__(self, settings: WordCheckSettings | None = None) -> None:
        from pocketsphinx import Decoder, get_model_path

        self.settings = settings or WordCheckSettings()
        base = get_model_path()
        self._decoder = Decoder(
            hmm=f"{base}/en-us/en-us",
            dict=f"{base}/en-us/cmudict-en-us.dict",
            lm=None,
            loglevel="FATAL",
            **DECODER_OPTIONS,
        )
        self._lock = threading.Lock()
        self.name = WORD_MODEL_NAME

    def known(self, word: str) -> bool:
        """True when the dictionary has a pronunciation for ``word``."""
        with self._lock:
            return self._decoder.lookup_word(word) is not None

    def check(
        self,
        samples: npt.ArrayLike,
        *,
        sample_rate_hz: float,
        text: str,
        syllables: Sequence[str] = (),
        mode: str = "sung",
    ) -> tuple[WordResult, ...]:
        """Per-word result for ``text`` said/sung in ``samples`` (mono float) at ``sample_rate_hz``."""
        s = self.settings
        x = np.asarray(samples, dtype=np.float64).ravel()
        words = phrase_words(text)
        spans = word_syllables(words, syllables) if syllables else [()] * len(words)
        db = _frame_db(x, sample_rate_hz)
        peak_db = float(db.max()) if db.size else -120.0
        floor_db = float(np.percentile(db, 5)) if db.size else -120.0
        voice = peak_db >= s.min_peak_dbfs and peak_db - floor_db >= s.min_dynamic_range_db
        active = db > peak_db - s.active_below_peak_db if voice else np.zeros_like(db, dtype=bool)
        if not words:
            return ()
        if not active.any():
            return tuple(
                WordResult(i, w, "missing", None, None, 0.0, None, spans[i]) for i, w in enumerate(words)
            )
        known = [self.known(w) for w in words]
        on_f = int(np.argmax(active))
        off_f = active.size - int(np.argmax(active[::-1]))
        margin = round(s.trim_margin_s / _FRAME_S)
        a0, a1 = max(0, on_f - margin), min(active.size, off_f + margin)
        hop = round(_FRAME_S * sample_rate_hz)
        aligned = self._align(
            x[a0 * hop : a1 * hop], sample_rate_hz, [w for w, k in zip(words, known, strict=True) if k]
        )
        if aligned is not None:
            aligned = [(on + a0 * _FRAME_S, off + a0 * _FRAME_S, g) for on, off, g in aligned]
        threshold = s.said_min_gop.get(mode, s.said_min_gop["sung"])
        out: list[WordResult] = []
        k = 0
        for i, w in enumerate(words):
            if not known[i]:
                out.append(WordResult(i, w, "unclear", None, None, None, None, spans[i]))
                continue
            if aligned is None:
                out.append(WordResult(i, w, "unclear", None, None, 0.0, None, spans[i]))
                continue
            on, off, gop = aligned[k]
            k += 1
            a, b = round(on / _FRAME_S), max(round(on / _FRAME_S) + 1, round(off / _FRAME_S))
            frac = float(active[a:b].mean()) if a < active.size else 0.0
            conf = 1.0 / (1.0 + math.exp(-(gop - threshold) / s.confidence_scale_gop)) if gop > -1e9 else 0.0
            if frac < s.min_active_fraction:
                status = "missing"
            elif gop >= threshold:
                status = "said"
            else:
                status = "unclear"
            out.append(WordResult(i, w, status, on, off, conf, gop if gop > -1e9 else None, spans[i]))
        return tuple(out)

    def _align(
        self, x: np.ndarray, sample_rate_hz: float, words: Sequence[str]
    ) -> list[tuple[float, float, float]] | None:
        """(onset s, offset s, GOP) per word on the recording's clock; None when no alignment exists."""
        if not words:
            return []
        raw, _ = _to_pcm16k(x, sample_rate_hz, self.settings.pad_s)
        pad = self.settings.pad_s
        dur = x.size / float(sample_rate_hz)
        with self._lock:
            d = self._decoder
            try:
                d.set_align_text(" ".join(words))
                d.start_utt()
                d.process_raw(raw, full_utt=True)
                d.end_utt()
            except RuntimeError:
                return None
            if d.hyp() is None:
                return None
            segs = [(sg.word, sg.start_frame, sg.end_frame, sg.ascore) for sg in d.seg()]
        out: list[tuple[float, float, float]] = []
        for word, f0, f1, ascore in segs:
            if word in _FILLERS:
                continue
            n = max(1, f1 - f0 + 1)
            gop = math.log(ascore) / n if ascore > 0.0 else -math.inf
            on = min(max(0.0, f0 * _FRAME_S - pad), dur)
            off = min(max(0.0, (f1 + 1) * _FRAME_S - pad), dur)
            out.append((on, off, gop))
        return out if len(out) == len(words) else None


@lru_cache(maxsize=2)
def _shared(language: str) -> WordChecker:
    return WordChecker()


def model_language(language: str | None) -> str | None:
    """The model language for a phrase set's language tag (``en``, ``en-GB``, ...), or None."""
    if not language:
        return None
    base = language.lower().replace("_", "-").split("-")[0]
    return base if base in WORD_MODEL_LANGUAGES else None


def word_checker_for(language: str | None) -> WordChecker | None:
    """The shared word checker for ``language``, or None when no model is shipped for it."""
    lang = model_language(language)
    if lang is None:
        return None
    try:
        return _shared(lang)
    except (ImportError, RuntimeError, OSError):
        return None
