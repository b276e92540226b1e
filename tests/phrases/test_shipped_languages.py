"""The shipped German, Dutch, Spanish and French sets: valid, in range, matched twins, reviewed stress."""

from __future__ import annotations

from collections import Counter

import pytest

from mit_trainer.core.phrases import CATEGORIES, load_phrase_sets, matched_twin_issues, shipped_phrases_dir
from mit_trainer.core.records import LEVEL_SYLLABLE_RANGE, Phrase, PhraseSet
from mit_trainer.core.syllabify_lang import derive

LANGS = ["de", "nl", "es", "fr"]
#: Phrases whose hand-checked pattern differs from the derivation, because espeak-ng's stress is wrong.
ESPEAK_WRONG = {
    "de-mein-freund-wohnt-in-paris": "espeak-ng stresses Paris on the first syllable; Duden: Pa-RIS",
    "nl-koffie": "espeak-ng: kof-FIE; Van Dale: KOF-fie",
    "nl-ik-wil-koffie": "espeak-ng: kof-FIE; Van Dale: KOF-fie",
    "nl-mag-ik-een-kop-koffie": "espeak-ng: kof-FIE; Van Dale: KOF-fie",
    "nl-goedemorgen": "espeak-ng: GOE-de-mor-gen; Van Dale: goe-de-MOR-gen",
    "nl-goedemiddag": "espeak-ng: GOE-de-mid-dag; Van Dale: goe-de-MID-dag",
    "nl-goedenavond": "espeak-ng: GOE-den-a-vond; Van Dale: goe-den-A-vond",
    "nl-welterusten": "espeak-ng: WEL-te-rus-ten; Van Dale: wel-te-RUS-ten",
}


def _sets(lang: str) -> list[PhraseSet]:
    return load_phrase_sets(shipped_phrases_dir() / lang)


@pytest.mark.parametrize("lang", LANGS)
def test_files_headers_and_language(lang: str) -> None:
    sets = _sets(lang)
    assert sorted(ps.path.name for ps in sets if ps.path) == [
        "level1.yaml",
        "level2.yaml",
        "level3.yaml",
        "untrained.yaml",
    ]
    for ps in sets:
        assert ps.language == lang
        assert ps.path is not None
        assert "NOT YET REVIEWED by a native-speaking" in ps.path.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("level", [1, 2, 3])
def test_at_least_20_trained_per_level_in_range_with_probes_and_categories(lang: str, level: int) -> None:
    phrases = [p for ps in _sets(lang) for p in ps.phrases]
    trained = [p for p in phrases if p.trained and p.level == level]
    assert len(trained) >= 20
    assert {p.category for p in trained} == set(CATEGORIES)
    lo, hi = LEVEL_SYLLABLE_RANGE[level]
    for p in (p for p in phrases if p.level == level):
        assert lo <= p.n_syllables <= hi, p.id
        assert p.probe, p.id
        assert "H" in p.pattern, p.id


@pytest.mark.parametrize("lang", LANGS)
def test_untrained_twins_match_and_ids_unique(lang: str) -> None:
    sets = _sets(lang)
    phrases = [p for ps in sets for p in ps.phrases]
    assert [i for i, n in Counter(p.id for p in phrases).items() if n > 1] == []
    assert matched_twin_issues(sets) == []
    trained = {p.id: p for p in phrases if p.trained}
    for level in (1, 2, 3):
        untrained = [p for p in phrases if not p.trained and p.level == level]
        assert len(untrained) >= 5
        for p in untrained:
            twin = trained[p.extras["x-matches"]]
            assert (twin.level, twin.pattern) == (p.level, p.pattern) and twin.text != p.text, p.id


def _all(lang: str) -> list[Phrase]:
    return [p for ps in _sets(lang) for p in ps.phrases]


@pytest.mark.parametrize("lang", LANGS)
def test_hand_checked_patterns_agree_with_the_derivation(lang: str) -> None:
    """Every shipped pattern was checked by hand; the derivation reproduces all but the listed ones."""
    disagree = {}
    for p in _all(lang):
        d = derive(p.text, lang)
        if (len(d.syllables), d.pattern) != (p.n_syllables, p.pattern):
            disagree[p.id] = "".join(d.pattern)
    assert sorted(disagree) == sorted(k for k in ESPEAK_WRONG if k.startswith(f"{lang}-"))


def test_english_sets_are_not_mixed_with_other_languages() -> None:
    assert {ps.language for ps in load_phrase_sets(shipped_phrases_dir())} == {"en"}
