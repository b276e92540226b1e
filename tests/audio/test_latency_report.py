"""`audio test` never reports an impossible round trip (issue 16, item 7)."""

from __future__ import annotations

import pytest

from mit_trainer.audio.latency import plausible_round_trip


def test_a_real_round_trip_is_kept() -> None:
    assert plausible_round_trip(0.082, 0) == (0.082, None)


@pytest.mark.parametrize("rt_s", [-0.3267, 0.0, 7.5])
def test_an_impossible_round_trip_says_why_instead(rt_s: float) -> None:
    value, why = plausible_round_trip(rt_s, 3)
    assert value is None
    assert why is not None and "inconsistent" in why and "3 glitches" in why and "again" in why


def test_no_timestamp_says_so() -> None:
    value, why = plausible_round_trip(None, 0)
    assert value is None and why is not None and "did not report" in why
