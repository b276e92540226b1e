"""Audio the trainer did not make (espeak-ng, Festival), rendered once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from voices import have_espeak, have_festival


@pytest.fixture(scope="session", autouse=True)
def _need_generators() -> None:
    if not (have_festival() and have_espeak()):
        pytest.skip("Festival (text2wave) and espeak-ng are needed for the word-check tests")
