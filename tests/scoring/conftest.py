"""Synthetic attempts with known truth for the scoring tests (voice synthesiser + pitch tracker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scoring_data import PHRASE, SR

from mit_trainer.analysis.corpus import CorpusItem, render_attempt
from mit_trainer.analysis.pitch import DEFAULT_TRACKER, get_tracker
from mit_trainer.core.records import Phrase


@pytest.fixture(scope="session")
def tracker() -> Any:
    return get_tracker(DEFAULT_TRACKER)


@pytest.fixture(scope="session")
def attempt() -> Callable[..., CorpusItem]:
    """``attempt(kind, seed=..., **overrides)``: one rendered attempt at :data:`PHRASE` (cached)."""
    cache: dict[tuple[Any, ...], CorpusItem] = {}

    def make(kind: str = "correct", *, seed: int = 3, phrase: Phrase = PHRASE, **kw: Any) -> CorpusItem:
        args = {
            "low_hz": 120.0,
            "tempo_bpm": 60.0,
            "interval_semitones": 3.0,
            "snr_db": 15.0,
            "female": False,
        }
        args.update(kw)
        key = (kind, seed, phrase.id, tuple(sorted(args.items())))
        if key not in cache:
            cache[key] = render_attempt(
                phrase, kind=kind, rng=np.random.default_rng(seed), sample_rate_hz=SR, **args
            )
        return cache[key]

    return make
