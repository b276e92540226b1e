"""Generated bad protocol files: a shipped protocol with a number, a flag, a text or the structure replaced by
a bad value, and random text; each is refused with one-line located issues, never a traceback or a hang."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from fuzz_tally import FUZZ, Tally
from hypothesis import given, settings
from hypothesis import strategies as st

from mit_trainer.core.display import control_characters
from mit_trainer.core.protocol import ProtocolIssue
from mit_trainer.core.protocol_files import shipped_protocol_paths, validate_protocol_file
from mit_trainer.core.protocol_validate import validate_text

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')

SHIPPED = {p.name: p.read_text(encoding="utf-8") for p in shipped_protocol_paths()}
#: Numeric fields and their ranges in the validator: every value below is outside every one of them.
NUMERIC_KEYS = (
    "interval_semitones", "tempo_bpm", "n_pitches", "items_per_session", "repeat_block_hours",
    "drop_after_failures", "probe_items", "criterion_percent", "consecutive_sessions", "stay_window", "level",
    "delay_s", "tries", "first",
)  # fmt: skip
BAD_NUMBERS = [".nan", ".inf", "-.inf", "1e308", "-1", "-0.5", "1e6", "abc", "[1]", "{a: 1}", "''", "'3'",
               "!!binary aGk=", "!!python/name:os.system"]  # fmt: skip
BOOL_KEYS = ("melody", "lengthen_stressed", "confirm_auto_scores", "scored", "probe")
BAD_BOOLS = ["maybe", "'true'", "2", "[true]", "{a: 1}", ".nan"]
TEXT_KEYS = ("name", "prompt", "id")
BAD_TEXTS = ['"\\e[2J"', '"x\\x07y"', '"rtl\\u202e"', "[a]", "{a: b}", "''", '" "']
ENUM_KEYS = ("cue", "taps", "analysis_mode", "probe_block")
BAD_ENUMS = ["shout", "'HUM'", "[hum]", "7", '"\\e"']

_LINE = re.compile(r"^(\s*(?:- )?)([a-z_]+): (.+)$", re.MULTILINE)


def _slots(text: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of each replaceable value in ``text``."""
    keys = set(NUMERIC_KEYS) | set(BOOL_KEYS) | set(TEXT_KEYS) | set(ENUM_KEYS)
    return [(m.start(3), m.end(3), m.group(2)) for m in _LINE.finditer(text) if m.group(2) in keys]


SLOTS = {name: _slots(text) for name, text in SHIPPED.items()}


def _bad_for(key: str) -> list[str]:
    if key in NUMERIC_KEYS:
        return BAD_NUMBERS
    if key in BOOL_KEYS:
        return BAD_BOOLS
    if key in TEXT_KEYS:
        return BAD_TEXTS
    return BAD_ENUMS


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(SHIPPED)))
    text = SHIPPED[name]
    start, end, key = draw(st.sampled_from(SLOTS[name]))
    value = draw(st.sampled_from(_bad_for(key)))
    return text[:start] + value + text[end:], f"{name}:{key}={value}"


STRUCTURAL = [
    "x-bomb: &a [1, 2]\nx-more: [*a, *a]\n",
    "x-deep: " + "[" * 500 + "]" * 500 + "\n",
    "x-deep: " + "{a: " * 40 + "1" + "}" * 40 + "\n",
    "stimulus: {tempo_bpm: 60, tempo_bpm: 61}\n",
    "unknown_key: 1\n",
    "levels: []\n",
    "levels: 7\n",
    "x-obj: !!python/object/apply:os.system [ls]\n",
]


def _check(issues: list[ProtocolIssue]) -> None:
    for issue in issues:
        shown = str(issue)
        assert "\n" not in shown and not control_characters(shown), shown


def test_the_shipped_files_have_slots_and_are_valid() -> None:
    for name, text in SHIPPED.items():
        proto, issues = validate_text(text, name)
        assert proto is not None and issues == [] and len(SLOTS[name]) > 20


@settings(FUZZ, max_examples=500)
@given(case=mutated())
def test_bad_values_are_refused(tally: Tally, case: tuple[str, str]) -> None:
    text, what = case
    proto, issues = tally.run("protocol file", lambda: validate_text(text, "fuzz.yaml"))
    _check(issues)
    if proto is not None:
        tally.garbage_accepted("protocol file", what)
    assert issues
    tally.refused_ok("protocol file")


@settings(FUZZ, max_examples=100)
@given(name=st.sampled_from(sorted(SHIPPED)), extra=st.sampled_from(STRUCTURAL), at_end=st.booleans())
def test_bad_structure_is_refused(tally: Tally, name: str, extra: str, at_end: bool) -> None:
    text = SHIPPED[name] + extra if at_end else extra + SHIPPED[name]
    proto, issues = tally.run("protocol file", lambda: validate_text(text, "fuzz.yaml"))
    _check(issues)
    if proto is not None:
        tally.garbage_accepted("protocol file", extra)
    tally.refused_ok("protocol file")


@settings(FUZZ, max_examples=150)
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_random_files_are_refused(tally: Tally, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        proto, issues = tally.run("protocol file", lambda: validate_protocol_file(path))
    _check(issues)
    if proto is not None:
        tally.garbage_accepted("protocol file", data)
    tally.refused_ok("protocol file")
