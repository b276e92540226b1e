"""argparse types for every numeric command-line option: strict syntax, finite, within the protocol's ranges.

``int("1_0")`` is 10 and ``float("nan")`` is a number, so options are parsed by a pattern first: an integer is
optional minus and ASCII digits; a number is a plain decimal with an optional exponent. Each factory returns a
type whose refusal argparse prints as one line naming the option (``argument --tempo: must be ...``). The
ranges come from :mod:`mit_trainer.core.limits`, shared with the phrase-set files.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from mit_trainer.core.display import printable
from mit_trainer.core.limits import (
    CLINICAL_INTERVAL_SEMITONES_RANGE,
    CLINICAL_TEMPO_BPM_RANGE,
    INTERVAL_SEMITONES_RANGE,
    LOW_HZ_RANGE,
    SAMPLE_RATE_HZ_RANGE,
    TEMPO_BPM_RANGE,
)

_INT = re.compile(r"-?[0-9]{1,19}")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?")
#: Longest recording `record --seconds` accepts (4 hours; the WAV is written as it arrives).
MAX_RECORD_SECONDS = 4 * 3600.0
#: Seeds are 32-bit unsigned (numpy's legacy seeding refuses anything else).
SEED_RANGE = (0, 2**32 - 1)


def _shown(text: str) -> str:
    return printable(text if len(text) <= 40 else text[:37] + "...")


def is_plain_number(text: str) -> bool:
    """True for a plain decimal number (``62.5``, ``-3``, ``1e3``); False for ``1_0``, ``0x10``, ``nan``..."""
    return _NUMBER.fullmatch(text.strip()) is not None


def integer(lo: int, hi: int, *, unit: str = "") -> Callable[[str], int]:
    """A whole number from ``lo`` to ``hi`` in plain digits (no ``1_0``, ``1e3``, ``0x10`` or spaces)."""

    def parse(text: str) -> int:
        if not _INT.fullmatch(text):
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {lo} to {hi}{unit}, not {_shown(text)!r}"
            )
        value = int(text)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be from {lo} to {hi}{unit}, not {value}")
        return value

    parse.__name__ = "integer"
    return parse


def number(lo: float, hi: float, *, low_open: bool = False, unit: str = "") -> Callable[[str], float]:
    """A finite decimal number in ``[lo, hi]`` (``(lo, hi]`` with ``low_open``); no nan, inf or ``1_0``."""
    bounds = f"{'above' if low_open else 'from'} {lo:g} {'up ' if low_open else ''}to {hi:g}{unit}"

    def parse(text: str) -> float:
        value = float(text) if _NUMBER.fullmatch(text.strip()) else math.nan
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a number {bounds}, not {_shown(text)!r}")
        if value > hi or value < lo or (low_open and value == lo):
            raise argparse.ArgumentTypeError(f"must be {bounds}, not {value:g}")
        return value

    parse.__name__ = "number"
    return parse


def output_file(text: str) -> Path:
    """A file to write: refused when the path exists and is not a regular file (writing to a FIFO blocks
    until someone reads it; a device or folder is never meant)."""
    path = Path(text)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot use {_shown(text)!r}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe, device or socket)"
        raise argparse.ArgumentTypeError(f"{_shown(text)!r} is {kind}")
    return path


tempo_bpm = number(*TEMPO_BPM_RANGE, unit=" BPM")
interval_semitones = number(*INTERVAL_SEMITONES_RANGE, unit=" semitones")
low_hz = number(*LOW_HZ_RANGE, unit=" Hz")
#: What a model for a patient may be asked for (PROTOCOL.md §3), not what any audio may have.
clinical_tempo_bpm = number(*CLINICAL_TEMPO_BPM_RANGE, unit=" BPM")
clinical_interval_semitones = number(*CLINICAL_INTERVAL_SEMITONES_RANGE, unit=" semitones")
sample_rate_hz = integer(*SAMPLE_RATE_HZ_RANGE, unit=" Hz")
record_seconds = number(0.0, MAX_RECORD_SECONDS, low_open=True, unit=" s")
fraction = number(0.0, 1.0)
seed = integer(*SEED_RANGE)
channel = integer(1, 64)
