"""The fuzz suite's bookkeeping: every generated input runs under a 10 s alarm and is counted by kind; the
totals (cases, refusals, tracebacks, hangs, garbage accepted, slowest case) are printed in pytest's terminal
summary. Budgets are fixed (Hypothesis ``derandomize=True``), so CI runs the same cases every time."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

#: A case slower than this counts as a hang.
HANG_S = 10.0
T = TypeVar("T")

#: The suite's Hypothesis settings: the same cases on every run, no example database, our own hang limit.
FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Hang(Exception):
    """A case ran longer than :data:`HANG_S`."""


class Tally:
    """Counts per kind of input: cases, refused (as expected), accepted (valid controls), and failures."""

    def __init__(self) -> None:
        self.cases: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.tracebacks = 0
        self.hangs = 0
        self.garbage = 0
        self.slowest_s = 0.0

    def run(self, kind: str, case: Callable[[], T]) -> T:
        """Run one case under the alarm; an unexpected exception is counted as a traceback and re-raised."""
        self.cases[kind] += 1
        started = time.perf_counter()
        try:
            with _alarm(HANG_S):
                return case()
        except Hang:
            self.hangs += 1
            raise
        except (AssertionError, SystemExit):
            raise
        except Exception:
            self.tracebacks += 1
            raise
        finally:
            self.slowest_s = max(self.slowest_s, time.perf_counter() - started)

    def refused_ok(self, kind: str) -> None:
        self.refused[kind] += 1

    def accepted_ok(self, kind: str) -> None:
        self.accepted[kind] += 1

    def garbage_accepted(self, kind: str, what: Any) -> None:
        self.garbage += 1
        raise AssertionError(f"{kind}: garbage accepted: {what!r}"[:500])


TALLY = Tally()


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def fire(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
