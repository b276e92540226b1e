"""Item selection: 24 h block, drop after 4 failures, fewer-practised first, no equal neighbours, probes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from mit_trainer.core.engine_events import ItemKind
from mit_trainer.core.protocol import SessionRules
from mit_trainer.core.records import Phrase
from mit_trainer.core.selection import PracticeRecord, consecutive_failures, select_items

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
RULES = SessionRules(items_per_session=4, repeat_block_hours=24, drop_after_failures=4, probe_items=0)


def ph(pid: str, pattern: str, level: int = 1, trained: bool = True) -> Phrase:
    pat = tuple(pattern)
    return Phrase(
        pid, pid, level, tuple(f"s{i}" for i in range(len(pat))), pat, (1.0,) * len(pat), trained=trained
    )


def rec(pid: str, hours_ago: float, passed: bool | None = True) -> PracticeRecord:
    return PracticeRecord(pid, NOW - timedelta(hours=hours_ago), passed)


def ids(plan_items: tuple) -> list[str]:
    return [i.phrase_id for i in plan_items]


PHRASES = [ph("a", "HL"), ph("b", "LH"), ph("c", "HLL"), ph("d", "LHL"), ph("e", "HL"), ph("f", "LH")]


def test_no_repeat_within_the_block() -> None:
    history = [rec("a", 23.9), rec("b", 24.1), rec("c", 1), rec("d", 100)]
    plan = select_items(PHRASES, history, level=1, now=NOW, rules=RULES, seed=1)
    assert set(plan.blocked) == {"a", "c"}
    assert "a" not in ids(plan.items) and "c" not in ids(plan.items)
    assert set(ids(plan.items)) == {"b", "d", "e", "f"}
    shorter = replace(RULES, repeat_block_hours=0.5)
    assert select_items(PHRASES, history, level=1, now=NOW, rules=shorter, seed=1).blocked == ()


def test_drop_after_four_consecutive_failures() -> None:
    fails = [rec("a", 200 - i, passed=False) for i in range(4)]
    three = [rec("b", 200 - i, passed=False) for i in range(3)]
    reset = [
        rec("c", 300, False),
        rec("c", 299, False),
        rec("c", 298, True),
        rec("c", 297, False),
        rec("c", 296, False),
    ]
    ignored = [
        *[rec("d", 200 - i, passed=False) for i in range(3)],
        rec("d", 150, None),
        rec("d", 149, False),
    ]
    history = fails + three + reset + ignored
    assert [consecutive_failures(history, p) for p in "abcd"] == [4, 3, 2, 4]
    plan = select_items(PHRASES, history, level=1, now=NOW, rules=replace(RULES, items_per_session=6), seed=3)
    assert plan.dropped == ("a", "d")
    assert set(ids(plan.items)) == {"b", "c", "e", "f"}
    assert plan.shortfall_trained == 2
    lenient = replace(RULES, drop_after_failures=5, items_per_session=6)
    assert select_items(PHRASES, history, level=1, now=NOW, rules=lenient, seed=3).dropped == ()


def test_fewer_practised_items_are_favoured() -> None:
    history = [rec("a", 100 + i) for i in range(5)] + [rec("b", 100 + i) for i in range(3)] + [rec("c", 100)]
    for seed in range(10):
        plan = select_items(
            PHRASES, history, level=1, now=NOW, rules=replace(RULES, items_per_session=3), seed=seed
        )
        # d, e, f never practised; c once: the three never-practised ones come first.
        assert set(ids(plan.items)) == {"d", "e", "f"}
    plan = select_items(PHRASES, history, level=1, now=NOW, rules=replace(RULES, items_per_session=5), seed=0)
    assert set(ids(plan.items)) == {"c", "d", "e", "f", "b"}


def test_never_two_neighbours_with_the_same_pattern_and_count() -> None:
    phrases = [ph(f"p{i}", "HL" if i % 3 else "LHL") for i in range(12)]
    orders = set()
    for seed in range(25):
        plan = select_items(
            phrases, [], level=1, now=NOW, rules=replace(RULES, items_per_session=10), seed=seed
        )
        sigs = [i.signature for i in plan.items]
        assert len(sigs) == 9, seed  # only 4 LHL phrases: HL x5 and LHL x4 alternate, no 10th possible
        assert all(x != y for x, y in pairwise(sigs)), seed
        assert plan.shortfall_trained == 1
        orders.add(tuple(ids(plan.items)))
    assert len(orders) > 20  # the seed really varies the choice


def test_same_pattern_but_other_count_is_a_different_item_kind() -> None:
    phrases = [ph("x", "HL"), ph("y", "HL"), ph("z", "HLL"), ph("w", "HLL")]
    plan = select_items(phrases, [], level=1, now=NOW, rules=RULES, seed=0)
    sigs = [i.signature for i in plan.items]
    assert len(sigs) == 4 and all(x != y for x, y in pairwise(sigs))


def test_items_per_session_level_filter_and_determinism() -> None:
    phrases = [ph(f"p{i:02d}", ["HL", "LH", "HLL", "LHL"][i % 4]) for i in range(30)]
    phrases += [ph("long", "LHLH", level=2)]
    rules = replace(RULES, items_per_session=12)
    a = select_items(phrases, [], level=1, now=NOW, rules=rules, seed=42)
    b = select_items(list(reversed(phrases)), [], level=1, now=NOW, rules=rules, seed=42)
    c = select_items(phrases, [], level=1, now=NOW, rules=rules, seed=43)
    assert len(a.items) == 12 and a.shortfall_trained == 0
    assert a == b  # input order does not matter
    assert ids(a.items) != ids(c.items)
    assert "long" not in ids(a.items)
    assert all(i.kind is ItemKind.TRAINED for i in a.items)


@pytest.mark.parametrize("where", ["start", "end"])
def test_untrained_probe_block(where: str) -> None:
    phrases = [
        *PHRASES,
        ph("u1", "HL", trained=False),
        ph("u2", "LHL", trained=False),
        ph("u3", "HL", trained=False),
    ]
    rules = replace(RULES, probe_items=2, probe_block=where)
    history = [PracticeRecord("u3", NOW - timedelta(days=10), None, ItemKind.UNTRAINED)] + [
        rec("a", 100, passed=False) for _ in range(4)
    ]
    plan = select_items(phrases, history, level=1, now=NOW, rules=rules, seed=5)
    kinds = [i.kind for i in plan.items]
    probes = [i for i in plan.items if i.kind is ItemKind.UNTRAINED]
    assert {p.phrase_id for p in probes} == {"u1", "u2"}  # u3 was probed before
    block = kinds[:2] if where == "start" else kinds[-2:]
    assert block == [ItemKind.UNTRAINED] * 2
    assert len(plan.items) == 6 and plan.shortfall_untrained == 0
    assert plan.dropped == ("a",)  # drops apply to trained phrases only
    sigs = [i.signature for i in plan.items]
    assert all(x != y for x, y in pairwise(sigs))
    assert plan.to_dict()["items"][0]["kind"] in ("trained", "untrained")
