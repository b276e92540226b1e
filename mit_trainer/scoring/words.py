"""The word tier of an attempt's analysis: run the word check when a model exists, else say why.

Kept apart from :mod:`mit_trainer.scoring.attempt` so the melody/rhythm scoring stays independent:
the word tier never changes the scores or the verdict (it advises the therapist).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mit_trainer.analysis.words import WordResult, word_checker_for
from mit_trainer.core.records import Phrase
from mit_trainer.scoring.results import AttemptAnalysis


def word_tier(
    samples: np.ndarray,
    *,
    sample_rate_hz: float,
    phrase: Phrase,
    mode: str,
    language: str | None,
    enabled: bool | None,
) -> tuple[tuple[WordResult, ...] | None, str | None]:
    """(words, note): the per-word results, or None and a one-line reason.

    ``enabled`` None means on when a model exists for ``language``; False switches the check off;
    True asks for it (and notes when no model exists).
    """
    if enabled is False:
        return None, "word check switched off"
    checker = word_checker_for(language)
    if checker is None:
        return None, f"no word model for language {language or 'unknown'!r}; words not checked"
    words = checker.check(
        samples, sample_rate_hz=sample_rate_hz, text=phrase.text, syllables=phrase.syllables, mode=mode
    )
    unknown = [w.text for w in words if w.confidence is None]
    note = f"not in the dictionary: {', '.join(unknown)}" if unknown else None
    return words, note


def with_words(
    res: AttemptAnalysis,
    samples: np.ndarray,
    *,
    sample_rate_hz: float,
    phrase: Phrase,
    language: str | None,
    enabled: bool | None,
) -> AttemptAnalysis:
    """``res`` with its word tier filled in."""
    words, note = word_tier(
        samples, sample_rate_hz=sample_rate_hz, phrase=phrase, mode=res.mode, language=language,
        enabled=enabled,
    )  # fmt: skip
    return dataclasses.replace(res, words=words, words_note=note)
