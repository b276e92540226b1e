"""English syllables and H/L patterns derived with the CMU dictionary and pyphen."""

from __future__ import annotations

import pytest

from mit_trainer.core.phrases import parse_phrase_set
from mit_trainer.core.syllabify import UnknownWordsError, derive_english, split_word


@pytest.mark.parametrize(
    ("text", "syllables", "pattern"),
    [
        ("Thank you", ["thank", "you"], "HL"),
        ("Good morning", ["good", "morn", "ing"], "HHL"),
        ("Hello", ["hel", "lo"], "LH"),
        ("I want water", ["I", "want", "wa", "ter"], "LHHL"),
        ("I love you", ["I", "love", "you"], "LHL"),
        ("Call my daughter", ["call", "my", "daugh", "ter"], "HLHL"),
        ("I need a drink.", ["I", "need", "a", "drink"], "LHLH"),
        ("What's that?", ["what's", "that"], "LH"),
        ("How are you", ["how", "are", "you"], "HLL"),  # no content word: the question word
        ("You and me", ["you", "and", "me"], "LLH"),  # nothing else: the last stressed word
        ("I don't understand", ["I", "don't", "un", "der", "stand"], "LHLLH"),
        ("See you tomorrow", ["see", "you", "to", "mor", "row"], "HLLHL"),
    ],
)
def test_derive(text: str, syllables: list[str], pattern: str) -> None:
    d = derive_english(text)
    assert list(d.syllables) == syllables
    assert "".join(d.pattern) == pattern


def test_unknown_words_are_all_named() -> None:
    with pytest.raises(UnknownWordsError) as exc:
        derive_english("Zorblax likes Quxxy")
    assert exc.value.words == ["Zorblax", "Quxxy"]


def test_digits_and_abbreviations_need_explicit_syllables() -> None:
    with pytest.raises(UnknownWordsError):
        derive_english("Call 911")
    with pytest.raises(UnknownWordsError):
        derive_english("Turn on the TV")


@pytest.mark.parametrize(
    ("word", "n", "pieces"),
    [
        ("medicine", 3, ["me", "di", "cine"]),  # pyphen gives one piece: split between vowel groups
        ("every", 3, ["ev", "e", "ry"]),
        ("appointment", 2, ["appoint", "ment"]),  # pyphen gives three: merge the shortest pair
        ("water", 2, ["wa", "ter"]),
        ("fire", 2, ["fi", "re"]),
        ("thank", 1, ["thank"]),
    ],
)
def test_split_word_matches_dictionary_count(word: str, n: int, pieces: list[str]) -> None:
    assert split_word(word, n) == pieces


def test_missing_fields_are_derived_in_a_file() -> None:
    text = (
        "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n"
        "  - id: a\n    text: Thank you\n    level: 1\n"
        "  - id: b\n    text: Good morning\n    level: 1\n    syllables: [good, mor, ning]\n"
        "  - id: c\n    text: I love you\n    level: 1\n    pattern: [L, H, H]\n"
    )
    ps, issues = parse_phrase_set(text)
    assert ps is not None, [str(i) for i in issues]
    assert ps.get("a").syllables == ("thank", "you") and ps.get("a").pattern == ("H", "L")
    assert ps.get("b").syllables == ("good", "mor", "ning") and ps.get("b").pattern == ("H", "H", "L")
    assert ps.get("c").syllables == ("I", "love", "you") and ps.get("c").pattern == ("L", "H", "H")


def test_unknown_word_is_an_error_on_the_text_line() -> None:
    text = (
        "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n"
        "  - id: a\n    text: Hello Zorblax\n    level: 2\n"
    )
    ps, issues = parse_phrase_set(text, source="t.yaml")
    assert ps is None
    assert [(i.line, i.field, i.severity) for i in issues] == [(6, "a.syllables", "error")]
    assert "'Zorblax'" in issues[0].message and "syllables' and 'pattern' explicitly" in issues[0].message


def test_syllables_given_but_count_differs_from_dictionary() -> None:
    text = (
        "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n"
        "  - id: a\n    text: Thank you\n    level: 1\n    syllables: [thank, y, ou]\n"
    )
    ps, issues = parse_phrase_set(text, source="t.yaml")
    assert ps is None
    assert [(i.line, i.field) for i in issues] == [(6, "a.pattern")]
    assert "give 'pattern' explicitly" in issues[0].message


def test_pattern_given_with_wrong_count_against_derived_syllables() -> None:
    text = (
        "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n"
        "  - id: a\n    text: Thank you\n    level: 1\n    pattern: [H, L, L]\n"
    )
    _, issues = parse_phrase_set(text, source="t.yaml")
    assert [(i.line, i.field) for i in issues] == [(8, "a.pattern")]
    assert "3 values but there are 2 syllables [thank, you]" in issues[0].message
