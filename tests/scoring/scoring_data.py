"""The phrase and rate the scoring tests share (a module of its own: every test folder has a conftest)."""

from __future__ import annotations

from mit_trainer.core.records import Phrase

SR = 16000
PHRASE = Phrase(
    id="i-want-tea",
    text="ma no li te su",
    level=2,
    syllables=("ma", "no", "li", "te", "su"),
    pattern=("L", "H", "L", "H", "L"),
    beats=(1.0, 1.0, 2.0, 1.0, 1.0),
)
