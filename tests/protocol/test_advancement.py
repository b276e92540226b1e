"""Advancement rule: propose after N consecutive sessions at criterion; stay while improving; else review."""

from __future__ import annotations

import pytest

from mit_trainer.core.advancement import Proposal, ProposalKind, evaluate_advancement
from mit_trainer.core.protocol import AdvancementRule

RULE = AdvancementRule(criterion_percent=90, consecutive_sessions=5, stay_window=3)

TABLE = [
    # percentages oldest first, level, expected kind, expected streak
    ([95, 95, 95, 95], 1, ProposalKind.CONTINUE, 4),
    ([95, 95, 95, 95, 95], 1, ProposalKind.ADVANCE, 5),
    ([90, 90, 90, 90, 90], 2, ProposalKind.ADVANCE, 5),
    ([95, 95, 85, 95, 95, 95, 95], 1, ProposalKind.STAY, 4),
    ([95, 95, 85, 95, 95, 95, 95, 95], 1, ProposalKind.ADVANCE, 5),
    ([95, 95, 95, 95, 89.9], 1, ProposalKind.CONTINUE, 0),
    ([95] * 5, 3, ProposalKind.TOP_LEVEL_MET, 5),
    ([50, 50, 50, 60, 60, 60], 1, ProposalKind.STAY, 0),
    ([60, 60, 60, 50, 50, 50], 1, ProposalKind.REVIEW, 0),
    ([60, 60, 60, 60, 60, 60], 1, ProposalKind.REVIEW, 0),
    ([10, 70, 70, 70, 40, 40, 41], 1, ProposalKind.REVIEW, 0),
    ([None, 95, None, 95, 95, 95, 95], 1, ProposalKind.ADVANCE, 5),
    ([], 1, ProposalKind.CONTINUE, 0),
]


@pytest.mark.parametrize(("percents", "level", "kind", "streak"), TABLE)
def test_rule_table(percents: list[float | None], level: int, kind: ProposalKind, streak: int) -> None:
    p = evaluate_advancement(percents, level=level, max_level=3, rule=RULE)
    assert (p.kind, p.streak) == (kind, streak)
    assert p.to_level == (level + 1 if kind is ProposalKind.ADVANCE else None)
    assert p.requires_decision == (
        kind in (ProposalKind.ADVANCE, ProposalKind.TOP_LEVEL_MET, ProposalKind.REVIEW)
    )
    assert Proposal.from_dict(p.to_dict()) == p


def test_means_and_rule_parameters_from_the_protocol() -> None:
    p = evaluate_advancement([40, 50, 60, 70, 80, 85], level=1, max_level=3, rule=RULE)
    assert (p.mean_before_percent, p.mean_recent_percent) == (50.0, pytest.approx(235 / 3))
    assert p.kind is ProposalKind.STAY and "beats" in p.reason
    strict = AdvancementRule(criterion_percent=80, consecutive_sessions=2, stay_window=2)
    q = evaluate_advancement([40, 85, 81], level=1, max_level=3, rule=strict)
    assert (q.kind, q.to_level, q.streak) == (ProposalKind.ADVANCE, 2, 2)
