"""The fuzz suite's fixture and the totals printed in pytest's terminal summary (see fuzz_tally.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pitch"))  # audio_cases.py, shared

from fuzz_tally import HANG_S, TALLY, Tally


@pytest.fixture
def tally() -> Tally:
    return TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    t = TALLY
    total = sum(t.cases.values())
    if not total:
        return
    bad = sum(t.refused.values())
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(t.cases.items()))
    terminalreporter.write_sep("=", "fuzz summary")
    terminalreporter.write_line(f"fuzz: {total} generated inputs ({kinds})")
    terminalreporter.write_line(
        f"fuzz: {bad} bad inputs refused in one line, {sum(t.accepted.values())} valid controls accepted; "
        f"{t.tracebacks} tracebacks, {t.hangs} hangs over {HANG_S:.0f} s, {t.garbage} garbage accepted; "
        f"slowest case {t.slowest_s:.2f} s"
    )
