"""The shipped phrase sets: valid, in range, enough phrases per level, matched untrained twins."""

from __future__ import annotations

from collections import Counter

import pytest

from mit_trainer.core.phrases import CATEGORIES, load_phrase_sets, matched_twin_issues, shipped_phrases_dir
from mit_trainer.core.records import LEVEL_SYLLABLE_RANGE, Phrase
from mit_trainer.core.syllabify import derive_english


@pytest.fixture(scope="module")
def phrases() -> list[Phrase]:
    sets = load_phrase_sets(shipped_phrases_dir())
    assert {ps.path.name for ps in sets if ps.path} == {
        "level1.yaml",
        "level2.yaml",
        "level3.yaml",
        "untrained.yaml",
    }
    return [p for ps in sets for p in ps.phrases]


def test_ids_unique_across_sets(phrases: list[Phrase]) -> None:
    assert [i for i, n in Counter(p.id for p in phrases).items() if n > 1] == []


def test_every_phrase_in_range_with_explicit_matching_lengths(phrases: list[Phrase]) -> None:
    for p in phrases:
        lo, hi = LEVEL_SYLLABLE_RANGE[p.level]
        assert lo <= p.n_syllables <= hi, p.id
        assert len(p.pattern) == len(p.beats) == p.n_syllables, p.id
        assert "H" in p.pattern, p.id
        assert p.category in CATEGORIES, p.id


@pytest.mark.parametrize("level", [1, 2, 3])
def test_at_least_25_trained_per_level_covering_categories(phrases: list[Phrase], level: int) -> None:
    trained = [p for p in phrases if p.trained and p.level == level]
    assert len(trained) >= 25
    assert {p.category for p in trained} == set(CATEGORIES)
    if level >= 2:
        assert all(p.probe for p in trained)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_untrained_twins_match_count_and_pattern(phrases: list[Phrase], level: int) -> None:
    trained = {p.id: p for p in phrases if p.trained}
    untrained = [p for p in phrases if not p.trained and p.level == level]
    assert len(untrained) >= 10
    for p in untrained:
        twin = trained[p.extras["x-matches"]]
        assert (twin.level, twin.n_syllables, twin.pattern) == (p.level, p.n_syllables, p.pattern), p.id
        assert twin.text != p.text


def test_matched_twin_checker_accepts_shipped_and_catches_a_mismatch() -> None:
    sets = load_phrase_sets(shipped_phrases_dir())
    assert matched_twin_issues(sets) == []
    untrained = next(ps for ps in sets if ps.path and ps.path.name == "untrained.yaml")
    broken = untrained.phrases[0].__class__(**{**untrained.phrases[0].__dict__, "pattern": ("L", "H")})
    others = [ps for ps in sets if ps is not untrained]
    issues = matched_twin_issues([untrained.__class__(name="x", language="en", phrases=(broken,))], others)
    assert len(issues) == 1 and "its twin 'thank-you'" in issues[0].message


def test_hand_patterns_agree_with_the_documented_rule(phrases: list[Phrase]) -> None:
    """The shipped patterns were written by hand; the derivation rule must reproduce every one."""
    for p in phrases:
        d = derive_english(p.text)
        assert (len(d.syllables), d.pattern) == (p.n_syllables, p.pattern), p.id
