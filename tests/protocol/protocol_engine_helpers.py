"""Helpers for the engine tests: a compact event notation and drivers that walk an item to a step."""

from __future__ import annotations

from mit_trainer.core.engine import advance
from mit_trainer.core.engine_events import (
    AttemptScored,
    Continue,
    EndItem,
    Event,
    ItemKind,
    ModelPlayed,
    Outcome,
    Phase,
    Repeat,
    Skip,
)
from mit_trainer.core.engine_item import ItemState
from mit_trainer.core.engine_rules import start_item
from mit_trainer.core.protocol import LevelDef

NOTATION: dict[str, Event] = {
    "M": ModelPlayed(),
    "K": Continue(),
    "C": AttemptScored(Outcome.CORRECT),
    "X": AttemptScored(Outcome.INCORRECT),
    "N": AttemptScored(Outcome.NO_RESPONSE),
    "S": Skip(),
    "R": Repeat(),
    "E": EndItem(),
}


def new_item(level: LevelDef, kind: ItemKind = ItemKind.TRAINED, confirm_auto: bool = False) -> ItemState:
    return start_item(0, "phrase", kind, level, confirm_auto=confirm_auto).new_state


def run(state: ItemState, script: str) -> ItemState:
    """Apply events written as letters (spaces ignored), e.g. ``"M MC MX"``."""
    for ch in script.replace(" ", ""):
        state = advance(state, NOTATION[ch]).new_state
    return state


def respond(state: ItemState, outcome: Outcome) -> ItemState:
    """Play the model if needed, then score the attempt."""
    if state.phase is Phase.MODEL:
        state = advance(state, ModelPlayed()).new_state
    return advance(state, AttemptScored(outcome)).new_state


def pass_current(state: ItemState) -> ItemState:
    """Get through the current step successfully (listen-only steps: the model was played)."""
    if not state.step.scored:
        return advance(state, ModelPlayed()).new_state
    return respond(state, Outcome.CORRECT)


def item_at(level: LevelDef, step_id: str, kind: ItemKind = ItemKind.TRAINED) -> ItemState:
    """A fresh item walked to the first try of ``step_id`` with every earlier step passed."""
    state = new_item(level, kind)
    while state.step_id != step_id:
        assert not state.ended, f"item ended before reaching {step_id}"
        state = pass_current(state)
    return state
