"""Generated bad phrase-set files: each is refused with located one-line issues, never a traceback or a hang;
random text and bytes either fail the same way or give a set that satisfies every rule (no garbage accepted).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
from fuzz_tally import FUZZ, Tally
from hypothesis import given, settings
from hypothesis import strategies as st

from mit_trainer.core.display import control_characters
from mit_trainer.core.limits import (
    BEATS_RANGE,
    INTERVAL_SEMITONES_RANGE,
    LOW_HZ_RANGE,
    MAX_ID_CHARS,
    MAX_SYLLABLES,
    MAX_TEXT_CHARS,
    TEMPO_BPM_RANGE,
)
from mit_trainer.core.phrases import PhraseIssue, parse_phrase_set, validate_phrase_file
from mit_trainer.core.records import PhraseSet

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')

#: A valid set with a slot ``{name}`` for every field a mutation replaces (the defaults below fill them).
TEMPLATE = """\
format: {format}
name: {name}
language: {language}
defaults: {{tempo_bpm: {tempo_bpm}, interval_semitones: {interval_semitones}, low_hz: {low_hz}}}
{top_extra}
phrases:
  - id: {id}
    text: {text}
    level: {level}
    syllables: {syllables}
    pattern: {pattern}
    beats: [1, {beat}]
    probe: {probe}
    category: social
    trained: {trained}
    x-note: {x_note}
  - id: good-morning
    text: Good morning
    level: 1
"""
VALID = {
    "format": "mit-phrases/1", "name": "Fuzz", "language": "en", "tempo_bpm": "60", "interval_semitones": "3",
    "low_hz": "130.8", "top_extra": "x-top: 1", "id": "thank-you", "text": "Thank you", "level": "1",
    "syllables": "[thank, you]", "pattern": "[H, L]", "beat": "2", "probe": "What do you say?",
    "trained": "true", "x_note": "fine",
}  # fmt: skip

NOT_A_NUMBER = [".nan", ".inf", "-.inf", "abc", "[60]", "{a: 1}", "true", "null", "''", "!!binary aGk="]
CONTROL_TEXT = [
    '"\\e[2Jhi"',
    '"bell\\a"',
    '"rtl\\u202eyes"',
    '"nul\\0"',
    '"tab\\x1b[31m"',
    '"line\\u2028two"',
]


def _outside(lo: float, hi: float) -> list[str]:
    return [repr(lo - 1), repr(hi + 1), repr(lo * 0.999), repr(hi * 1.001), "1e6", "1e308", "-1", "0"]


BAD = {
    "format": ["mit-phrases/2", "''", "[x]", "null", "mit-phrases/1x", *CONTROL_TEXT[:2]],
    "language": ["EN!", "''", "[en]", "e", "'e n'", *CONTROL_TEXT[:2]],
    "name": ["[a, b]", "{a: 1}", *CONTROL_TEXT, "'" + "n" * (MAX_TEXT_CHARS + 1) + "'"],
    "tempo_bpm": [*NOT_A_NUMBER, *_outside(*TEMPO_BPM_RANGE)],
    "interval_semitones": [*NOT_A_NUMBER, *_outside(*INTERVAL_SEMITONES_RANGE)],
    "low_hz": [*NOT_A_NUMBER, *_outside(*LOW_HZ_RANGE)],
    "id": [
        "Bad_Id",
        "'a b'",
        "-a",
        "a--b",
        "[a]",
        "{a: 1}",
        "''",
        "null",
        "café",
        "a" * (MAX_ID_CHARS + 1),
        *CONTROL_TEXT,
    ],
    "text": ["[a, b]", "{a: b}", "''", "null", "'" + "word " * 120 + "'", *CONTROL_TEXT],
    "level": ["0", "4", "-1", "1.5", ".nan", "'1'", "true", "[1]", "null", "1e6", "abc"],
    "syllables": [
        "[]",
        "[a, [b]]",
        "{a: 1}",
        "[thank]",
        '[thank, ""]',
        "[thank, null]",
        "[" + "la, " * MAX_SYLLABLES + "la]",
        "thank you",
    ],
    "pattern": [
        "[H, X]",
        "[h, l]",
        "HX",
        "[]",
        "{a: 1}",
        "'" + "H" * (MAX_SYLLABLES + 1) + "'",
        "[H]",
        "[H, L, L]",
        "[[H], L]",
    ],
    "beat": [*NOT_A_NUMBER, repr(BEATS_RANGE[0] / 2), repr(BEATS_RANGE[1] + 0.5), "1e6", "-2", "0"],
    "probe": ["[a]", "{a: b}", *CONTROL_TEXT, "'" + "q" * (MAX_TEXT_CHARS + 1) + "'"],
    "trained": ["maybe", "1", "[true]", "null", "'true'", "2"],
    "x_note": ["!!python/object/apply:os.system [ls]", "!!python/name:os.system", "[" * 40 + "]" * 40],
    "top_extra": [
        "x-a: &a [1, 2]\nx-b: [*a, *a]",
        "x-a: &a {k: v}\nx-b: {<<: *a}",
        "x-deep: " + "{a: " * 40 + "1" + "}" * 40,
        "x-deep: " + "[" * 500 + "]" * 500,
        "colour: blue",
        "phrases: []",
        "x-bomb: !!python/object/new:list []",
    ],
}


def _text(**changes: str) -> str:
    return TEMPLATE.format(**{**VALID, **changes})


def _one_line_and_clean(issues: list[PhraseIssue]) -> None:
    for issue in issues:
        shown = str(issue)
        assert "\n" not in shown and not control_characters(shown), shown


def test_the_template_is_valid() -> None:
    ps, issues = parse_phrase_set(_text(), source="t.yaml")
    assert ps is not None and [i for i in issues if i.severity == "error"] == []
    assert [p.id for p in ps.phrases] == ["thank-you", "good-morning"]


SLOT_AND_VALUE = st.sampled_from(sorted(BAD)).flatmap(
    lambda k: st.tuples(st.just(k), st.sampled_from(BAD[k]))
)


@settings(FUZZ, max_examples=900)
@given(mutations=st.lists(SLOT_AND_VALUE, min_size=1, max_size=3, unique_by=lambda m: m[0]))
def test_bad_fields_are_refused(tally: Tally, mutations: list[tuple[str, str]]) -> None:
    text = _text(**dict(mutations))
    ps, issues = tally.run("phrase file", lambda: parse_phrase_set(text, source="fuzz.yaml"))
    _one_line_and_clean(issues)
    if ps is not None:
        tally.garbage_accepted("phrase file", mutations)
    assert any(i.severity == "error" for i in issues)
    tally.refused_ok("phrase file")


def _check_valid_set(ps: PhraseSet) -> None:
    """Every rule an accepted set must satisfy, checked on the values (the oracle for random input)."""
    for key, bounds in (
        ("tempo_bpm", TEMPO_BPM_RANGE),
        ("interval_semitones", INTERVAL_SEMITONES_RANGE),
        ("low_hz", LOW_HZ_RANGE),
    ):
        if key in ps.defaults:
            v = ps.defaults[key]
            assert math.isfinite(v) and bounds[0] <= v <= bounds[1]
    for p in ps.phrases:
        assert 0 < len(p.id) <= MAX_ID_CHARS and not control_characters(p.id + p.text + (p.probe or ""))
        assert p.level in (1, 2, 3) and 0 < len(p.syllables) <= MAX_SYLLABLES
        assert len(p.pattern) == len(p.beats) == len(p.syllables) and set(p.pattern) <= {"H", "L"}
        assert all(BEATS_RANGE[0] <= b <= BEATS_RANGE[1] for b in p.beats)


YAMLISH = st.text(alphabet=st.sampled_from(list("ab01-:[]{},&*!|>'\"#\n .e\\\x1b\t?%@")), max_size=300)


@settings(FUZZ, max_examples=300)
@given(text=st.one_of(YAMLISH, st.text(max_size=200)))
def test_random_text_is_refused_or_valid(tally: Tally, text: str) -> None:
    ps, issues = tally.run("phrase file", lambda: parse_phrase_set(text, source="fuzz.yaml"))
    _one_line_and_clean(issues)
    if ps is None:
        tally.refused_ok("phrase file")
    else:
        _check_valid_set(ps)
        tally.accepted_ok("phrase file")


@settings(FUZZ, max_examples=150)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.builds(lambda b: _text().encode()[: len(b)] + b, st.binary(min_size=1, max_size=40)),
        st.sampled_from(["koi8-r", "cp1252", "utf-16", "shift_jis"]).map(
            lambda enc: _text(text="Спасибо ёж", syllables="[a, b]").encode(enc, errors="replace")
        ),
    )
)
def test_random_bytes_in_a_file_are_refused_or_valid(tally: Tally, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        ps, issues = tally.run("phrase file", lambda: validate_phrase_file(path))
    _one_line_and_clean(issues)
    if ps is None:
        tally.refused_ok("phrase file")
    else:
        _check_valid_set(ps)
        tally.accepted_ok("phrase file")
