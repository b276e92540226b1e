"""Today's plan: the planner's proposal, the therapist's own list, and the plan as the session shows it.

The planner (:func:`~mit_trainer.app.session_rules.plan_session`) proposes the items from the protocol's
rules and the patient's history; the therapist sees that list before the session starts and may change
it (which phrases, their order, how many, trained items and untrained probes) before and during the
session. A change is logged; the protocol's anti-perseveration rules become warnings, not refusals,
since the therapist decides.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from mit_trainer.core.engine_events import ItemKind
from mit_trainer.core.records import Phrase, PhraseSet
from mit_trainer.core.selection import PlannedItem


class PlanError(ValueError):
    """A plan that names phrases the set does not have, or none at all."""


@dataclass(frozen=True)
class PlanRow:
    """One item of the plan as the therapist sees it."""

    index: int
    phrase_id: str
    text: str
    trained: bool
    status: str  # "done", "current" or "upcoming"


def planned_items(
    phrase_set: PhraseSet, phrase_ids: Sequence[str], *, level: int | None = None
) -> list[PlannedItem]:
    """The items for ``phrase_ids`` (in that order), each trained or an untrained probe as its phrase says."""
    by_id = {p.id: p for p in phrase_set.phrases}
    unknown = [pid for pid in phrase_ids if pid not in by_id]
    if unknown:
        raise PlanError(f"not in the phrase set {phrase_set.name!r}: {', '.join(unknown)}")
    wrong_level = [pid for pid in phrase_ids if level is not None and by_id[pid].level != level]
    if wrong_level:
        raise PlanError(f"not level {level} phrases: {', '.join(wrong_level)}")
    return [PlannedItem.of(by_id[pid]) for pid in phrase_ids]


def plan_warnings(phrases: Sequence[Phrase]) -> list[str]:
    """The protocol's selection rules the list breaks (advice for the therapist, who decides)."""
    out = []
    for a, b in itertools.pairwise(phrases):
        if tuple(a.pattern) == tuple(b.pattern) and a.n_syllables == b.n_syllables:
            out.append(f"'{a.text}' and '{b.text}' follow each other with the same melody and length")
    seen: set[str] = set()
    for p in phrases:
        if p.id in seen:
            out.append(f"'{p.text}' is in the list twice")
        seen.add(p.id)
    return out


def plan_rows(
    phrase_set: PhraseSet, plan: Sequence[PlannedItem], n_started: int, running: bool
) -> list[PlanRow]:
    by_id = {p.id: p for p in phrase_set.phrases}
    rows = []
    for i, item in enumerate(plan):
        if i < n_started - 1 or (i == n_started - 1 and not running):
            status = "done"
        elif i == n_started - 1:
            status = "current"
        else:
            status = "upcoming"
        phrase = by_id.get(item.phrase_id)
        text = phrase.text if phrase is not None else item.phrase_id
        rows.append(PlanRow(i, item.phrase_id, text, item.kind is ItemKind.TRAINED, status))
    return rows
