"""Generated command-line values for every numeric option: non-finite, out of range, badly written (``1_0``,
``0x10``, Unicode digits, junk). Each is refused while parsing with one line naming the option and exit status
2; values inside the range are accepted exactly (the controls that show the checks are not simply "refuse
all"). Run in-process through the real parsers."""

from __future__ import annotations

import argparse
import functools
import math
from dataclasses import dataclass

import pytest
from fuzz_tally import FUZZ, Tally
from hypothesis import given, settings
from hypothesis import strategies as st

from mit_trainer.cli.main import build_parser, main
from mit_trainer.core.display import control_characters

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')


@dataclass(frozen=True)
class Option:
    argv: tuple[str, ...]
    flag: str
    lo: float
    hi: float
    integer: bool = False
    low_open: bool = False
    after: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


SYNTH = ("synth", "--phrases", "p.yaml", "--phrase", "a", "-o", "o.wav")
OPTIONS = (
    Option(("analyze", "a.wav", "--phrases", "p.yaml"), "--tempo", 20, 200),
    Option(("analyze", "a.wav", "--phrases", "p.yaml"), "--interval", 1, 12),
    Option(SYNTH, "--low-hz", 50, 1000),
    Option(SYNTH, "--interval", 2, 7),  # the protocol's clinical range (PROTOCOL.md §3)
    Option(SYNTH, "--tempo", 40, 90),
    Option(SYNTH, "--stress-lengthening", 0.5, 3),
    Option(SYNTH, "--fade", 0, 1, after=("1",)),
    Option(SYNTH, "--sample-rate", 8000, 192000, integer=True),
    Option(SYNTH, "--seed", 0, 2**32 - 1, integer=True),
    Option(("record", "-o", "a.wav"), "--seconds", 0, 4 * 3600, low_open=True),
    Option(("record", "-o", "a.wav"), "--rate", 8000, 192000, integer=True),
    Option(("record", "-o", "a.wav"), "--channel", 1, 64, integer=True),
    Option(("demo",), "--sessions", 1, 1000, integer=True),
    Option(("demo",), "--items", 1, 100, integer=True),
    Option(("demo",), "--probes", 0, 50, integer=True),
    Option(("demo",), "--seed", 0, 2**32 - 1, integer=True),
    Option(("bench",), "--seed", 0, 2**32 - 1, integer=True),
    Option(("bench",), "--per-kind", 1, 10000, integer=True),
    Option(("audio", "choose"), "--input-channel", 1, 64, integer=True),
    Option(("phrases", "list", "p.yaml"), "--level", 1, 3, integer=True),
)
NUMBER_CHARS = set("0123456789.eE+-")


def _outside(o: Option) -> st.SearchStrategy[str]:
    above = st.floats(min_value=o.hi, exclude_min=True, allow_nan=False, allow_infinity=False)
    below = st.floats(max_value=o.lo, exclude_max=not o.low_open, allow_nan=False, allow_infinity=False)
    floats = st.one_of(above, below).map(repr)
    if not o.integer:
        return floats
    ints = st.one_of(st.integers(min_value=int(o.hi) + 1), st.integers(max_value=int(o.lo) - 1)).map(str)
    return st.one_of(ints, floats)


def _badly_written(o: Option) -> st.SearchStrategy[str]:
    inside = st.integers(math.ceil(o.lo), int(o.hi)).map(str)
    styles = [
        st.sampled_from(["nan", "NaN", "inf", "-inf", "+inf", "Infinity", "1e999", "", " ", "0x10", "1,5"]),
        inside.filter(lambda s: len(s) > 1).map(lambda s: s[0] + "_" + s[1:]),
        inside.map(lambda s: s.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))),
        inside.map(lambda s: s + "abc"),
        st.text(min_size=1, max_size=12).filter(lambda s: any(c not in NUMBER_CHARS for c in s.strip())),
    ]
    if o.integer:
        styles.append(inside.map(lambda s: s + ".5"))
        styles.append(inside.map(lambda s: s + "e0"))
    return st.one_of(*styles)


BAD = st.sampled_from(OPTIONS).flatmap(
    lambda o: st.tuples(st.just(o), st.one_of(_outside(o), _badly_written(o)))
)


@functools.cache
def _parser(command: str) -> argparse.ArgumentParser:
    return build_parser(command)


def _parse(o: Option, value: str) -> object:
    parser = _parser(o.argv[0])
    return parser.parse_args([*o.argv, o.flag, value, *o.after])


@settings(FUZZ, max_examples=900)
@given(case=BAD)
def test_bad_values_are_refused_in_one_line(
    tally: Tally, capsys: pytest.CaptureFixture[str], case: tuple[Option, str]
) -> None:
    o, value = case
    capsys.readouterr()

    def run() -> object:
        try:
            return _parse(o, value)
        except SystemExit as exc:
            return exc.code

    result = tally.run("cli value", run)
    err = capsys.readouterr().err.splitlines()
    if result != 2:
        tally.garbage_accepted("cli value", (o.argv[0], o.flag, value, result))
    assert len(err) == 1 and err[0].startswith("mit-trainer ") and not control_characters(err[0]), err
    tally.refused_ok("cli value")


def _inside(o: Option) -> st.SearchStrategy[str]:
    if o.integer:
        return st.integers(int(o.lo), int(o.hi)).map(str)
    floats = st.floats(min_value=o.lo, max_value=o.hi, exclude_min=o.low_open, allow_nan=False)
    return floats.map(repr)


GOOD = st.sampled_from(OPTIONS).flatmap(lambda o: st.tuples(st.just(o), _inside(o)))


@settings(FUZZ, max_examples=150)
@given(case=GOOD)
def test_values_inside_the_ranges_are_accepted_exactly(tally: Tally, case: tuple[Option, str]) -> None:
    o, value = case
    args = tally.run("cli value", lambda: _parse(o, value))
    got = getattr(args, o.dest)
    got = got[0] if isinstance(got, list) else got
    assert got == (int(value) if o.integer else float(value))
    tally.accepted_ok("cli value")


@pytest.mark.parametrize(
    "argv",
    [
        ["record", "-o", "a.wav", "--seconds", "1_0"],
        ["record", "-o", "a.wav", "--seconds", "nan"],
        ["record", "-o", "a.wav", "--seconds", "inf"],
        ["record", "-o", "a.wav", "--seconds", "1e308"],
        ["record", "-o", "a.wav", "--rate", "-1"],
        ["record", "-o", "a.wav", "--rate", "0"],
        ["demo", "--seed", "-1"],
        ["demo", "--tracker", "bogus"],
        ["analyze", "a.wav", "--phrases", "p.yaml", "--phrase", "a", "--interval", "nan", "--json"],
        ["analyze", "a.wav", "--phrases", "p.yaml", "--tempo", "-1"],
        ["analyze", "a.wav", "--phrases", "p.yaml", "--tempo", "0"],
        ["analyze", "a.wav", "--phrases", "p.yaml", "--tempo", "inf"],
        ["analyze", "a.wav", "--phrases", "p.yaml", "--interval", "-1"],
        ["analyze", "a.wav", "--phrases", "p.yaml", "--interval", "0"],
        ["demo", "\x1b[2J"],
    ],
)
def test_issue_14_values_through_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err.splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "\x1b" not in err[0], err
