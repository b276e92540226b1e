"""Item selection for one session (PROTOCOL.md §2, "Item selection"), deterministic for a given seed.

Rules, all settings from the protocol's ``session`` block: no phrase repeated within ``repeat_block_hours``;
a trained phrase is dropped after ``drop_after_failures`` consecutive failed items; phrases practised less
come first (ties broken by the seeded random generator); never two consecutive items with the same stress
pattern *and* syllable count; ``items_per_session`` trained items plus a block of ``probe_items`` untrained
phrases (generalisation probes: scored, not trained, reported separately) at the start or end.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mit_trainer.core.engine_events import ItemKind
from mit_trainer.core.protocol import SessionRules
from mit_trainer.core.records import Phrase

Signature = tuple[tuple[str, ...], int]


@dataclass(frozen=True)
class PracticeRecord:
    """One past item: which phrase, when, and whether it passed (None: neither, e.g. ended early)."""

    phrase_id: str
    time: datetime
    passed: bool | None
    kind: ItemKind = ItemKind.TRAINED


@dataclass(frozen=True)
class PlannedItem:
    """One item of a session plan."""

    phrase_id: str
    kind: ItemKind
    n_syllables: int
    pattern: tuple[str, ...]

    @property
    def signature(self) -> Signature:
        return (self.pattern, self.n_syllables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "phrase_id": self.phrase_id,
            "kind": self.kind.value,
            "n_syllables": self.n_syllables,
            "pattern": list(self.pattern),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PlannedItem:
        return cls(d["phrase_id"], ItemKind(d["kind"]), int(d["n_syllables"]), tuple(d["pattern"]))

    @classmethod
    def of(cls, phrase: Phrase, kind: ItemKind | None = None) -> PlannedItem:
        k = kind if kind is not None else (ItemKind.TRAINED if phrase.trained else ItemKind.UNTRAINED)
        return cls(phrase.id, k, phrase.n_syllables, tuple(phrase.pattern))


@dataclass(frozen=True)
class SessionPlan:
    """The selected items in order, and what was left out and why."""

    items: tuple[PlannedItem, ...]
    dropped: tuple[str, ...]  # trained phrases with too many consecutive failures
    blocked: tuple[str, ...]  # phrases practised within the repeat block
    shortfall_trained: int  # trained items asked for but not available under the rules
    shortfall_untrained: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [i.to_dict() for i in self.items],
            "dropped": list(self.dropped),
            "blocked": list(self.blocked),
            "shortfall_trained": self.shortfall_trained,
            "shortfall_untrained": self.shortfall_untrained,
            "seed": self.seed,
        }


def consecutive_failures(history: Sequence[PracticeRecord], phrase_id: str) -> int:
    """Failed items in a row at the end of a phrase's history (records with ``passed=None`` are ignored)."""
    n = 0
    for rec in sorted((r for r in history if r.phrase_id == phrase_id), key=lambda r: r.time, reverse=True):
        if rec.passed is None:
            continue
        if rec.passed:
            break
        n += 1
    return n


def _feasible(counts: Counter[Signature], n: int, prev: Signature | None) -> bool:
    """Can ``n`` items with these signature counts be ordered with no two equal neighbours, not starting
    with ``prev``? True iff no signature exceeds ceil(n/2) and ``prev`` does not exceed floor(n/2)."""
    if any(c > (n + 1) // 2 for c in counts.values()):
        return False
    return prev is None or counts.get(prev, 0) <= n // 2


def _choose(ranked: list[PlannedItem], k: int, prev: Signature | None) -> list[PlannedItem]:
    """The best-ranked ``k`` items (or fewer) that can be ordered without equal neighbours."""
    while True:
        chosen: list[PlannedItem] = []
        counts: Counter[Signature] = Counter()
        for item in ranked:
            if len(chosen) == k:
                break
            cap = k // 2 if item.signature == prev else (k + 1) // 2
            if counts[item.signature] < cap:
                chosen.append(item)
                counts[item.signature] += 1
        if len(chosen) == k:
            return chosen
        k = len(chosen)


def _arrange(chosen: list[PlannedItem], prev: Signature | None) -> list[PlannedItem]:
    """Order ``chosen`` by rank, skipping forward only as far as needed to avoid equal neighbours."""
    remaining = list(chosen)
    counts = Counter(i.signature for i in remaining)
    out: list[PlannedItem] = []
    while remaining:
        for idx, cand in enumerate(remaining):
            if cand.signature == prev:
                continue
            counts[cand.signature] -= 1
            if _feasible(counts, len(remaining) - 1, cand.signature):
                out.append(remaining.pop(idx))
                prev = cand.signature
                break
            counts[cand.signature] += 1
        else:  # cannot happen for a feasible choice; stop rather than break the rule
            break
    return out


def _rank(items: list[PlannedItem], practised: Counter[str], rng: random.Random) -> list[PlannedItem]:
    ordered = sorted(items, key=lambda i: i.phrase_id)
    ties = {i.phrase_id: rng.random() for i in ordered}
    return sorted(ordered, key=lambda i: (practised[i.phrase_id], ties[i.phrase_id]))


def select_items(
    phrases: Sequence[Phrase],
    history: Sequence[PracticeRecord],
    *,
    level: int,
    now: datetime,
    rules: SessionRules,
    seed: int,
) -> SessionPlan:
    """Plan a session at ``level`` from the phrase set and the patient's practice history."""
    rng = random.Random(seed)
    at_level = [p for p in phrases if p.level == level]
    block_start = now - timedelta(hours=rules.repeat_block_hours)
    last: dict[str, datetime] = {}
    practised: Counter[str] = Counter()
    for rec in history:
        practised[rec.phrase_id] += 1
        if rec.phrase_id not in last or rec.time > last[rec.phrase_id]:
            last[rec.phrase_id] = rec.time
    blocked = sorted(p.id for p in at_level if p.id in last and last[p.id] > block_start)
    dropped = sorted(
        p.id
        for p in at_level
        if p.trained and consecutive_failures(history, p.id) >= rules.drop_after_failures
    )
    excluded = set(blocked) | set(dropped)
    trained = [PlannedItem.of(p, ItemKind.TRAINED) for p in at_level if p.trained and p.id not in excluded]
    untrained = [
        PlannedItem.of(p, ItemKind.UNTRAINED) for p in at_level if not p.trained and p.id not in blocked
    ]
    trained_ranked = _rank(trained, practised, rng)
    untrained_ranked = _rank(untrained, practised, rng)

    def block(ranked: list[PlannedItem], k: int, prev: Signature | None) -> list[PlannedItem]:
        return _arrange(_choose(ranked, min(k, len(ranked)), prev), prev)

    if rules.probe_block == "start":
        first = block(untrained_ranked, rules.probe_items, None)
        second = block(trained_ranked, rules.items_per_session, first[-1].signature if first else None)
        probes, main = first, second
        items = first + second
    else:
        main = block(trained_ranked, rules.items_per_session, None)
        probes = block(untrained_ranked, rules.probe_items, main[-1].signature if main else None)
        items = main + probes
    return SessionPlan(
        items=tuple(items),
        dropped=tuple(dropped),
        blocked=tuple(blocked),
        shortfall_trained=rules.items_per_session - len(main),
        shortfall_untrained=rules.probe_items - len(probes),
        seed=seed,
    )
