"""Field rules of one phrase in a phrase-set file: syllables, pattern, beats, derivation, optional fields.

Each parser returns the value, ``None`` when the field is absent, or ``False`` after reporting an
error; the caller (:mod:`mit_trainer.core.phrase_validation`) combines them into a ``Phrase``.
"""

from __future__ import annotations

import re
from typing import Literal

import yaml

from mit_trainer.core.limits import BEATS_RANGE, MAX_SYLLABLES
from mit_trainer.core.phrase_nodes import (
    CATEGORIES,
    NULL_TAG,
    Report,
    fmt_range,
    in_range,
    kind_of,
    shown,
    text_of,
    value_of,
)
from mit_trainer.core.syllabify import UnknownWordsError
from mit_trainer.core.syllabify_lang import LANGUAGES, derivable, derive_text

DERIVED_LANGUAGES = ", ".join(["en", *LANGUAGES])


def show_syllables(syllables: tuple[str, ...]) -> str:
    return "[" + ", ".join(syllables) + "]"


def letters(s: str) -> str:
    return "".join(ch for ch in s.casefold() if ch.isalpha())


def parse_syllables(node: yaml.Node | None, where: str, r: Report) -> tuple[str, ...] | Literal[False] | None:
    if node is None:
        return None
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        r.error(node, f"{where}.syllables", "must be a non-empty list such as [thank, you]")
        return False
    if len(node.value) > MAX_SYLLABLES:
        r.error(node, f"{where}.syllables", f"{len(node.value)} syllables; at most {MAX_SYLLABLES}")
        return False
    out = []
    for k, item in enumerate(node.value, 1):
        s = text_of(item, f"{where}.syllables", r) if isinstance(item, yaml.ScalarNode) else None
        if not s:
            r.error(item, f"{where}.syllables", f"syllable {k} is empty or not text")
            return False
        out.append(s)
    return tuple(out)


def parse_pattern(node: yaml.Node | None, where: str, r: Report) -> tuple[str, ...] | Literal[False] | None:
    if node is None:
        return None
    if isinstance(node, yaml.ScalarNode) and node.tag != NULL_TAG:
        values = [(node, v) for v in re.split(r"[\s,-]+", str(node.value).strip()) if v]
        if len(values) == 1 and len(values[0][1]) > 1:  # compact form "HLL"
            values = [(node, ch) for ch in values[0][1]]
    elif isinstance(node, yaml.SequenceNode) and node.value:
        values = [
            (item, str(item.value) if isinstance(item, yaml.ScalarNode) else kind_of(item))
            for item in node.value
        ]
    else:
        r.error(node, f"{where}.pattern", "must be a list of H and L such as [H, L]")
        return False
    if len(values) > MAX_SYLLABLES:
        r.error(node, f"{where}.pattern", f"{len(values)} values; at most {MAX_SYLLABLES}")
        return False
    bad = [(k, n, v) for k, (n, v) in enumerate(values, 1) if v not in ("H", "L")][:5]
    for k, item, v in bad:
        r.error(item, f"{where}.pattern", f"value {k} is '{v[:20]}'; use H (high, stressed) or L (low)")
    return False if bad else tuple(v for _, v in values)


def parse_beats(node: yaml.Node | None, where: str, r: Report) -> tuple[float, ...] | Literal[False] | None:
    if node is None:
        return None
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        r.error(node, f"{where}.beats", "must be a list of positive numbers such as [1, 1, 2]")
        return False
    if len(node.value) > MAX_SYLLABLES:
        r.error(node, f"{where}.beats", f"{len(node.value)} values; at most {MAX_SYLLABLES}")
        return False
    out: list[float] = []
    good = True
    for k, item in enumerate(node.value, 1):
        value = value_of(item, f"{where}.beats", r)
        if not in_range(value, BEATS_RANGE):
            r.error(
                item,
                f"{where}.beats",
                f"value {k} is {shown(item)}; beats must be positive numbers from {fmt_range(BEATS_RANGE)}",
            )
            good = False
        else:
            out.append(float(value))
    return tuple(out) if good else False


def derive_missing(
    text: str,
    language: str,
    syllables: tuple[str, ...] | None,
    pattern: tuple[str, ...] | None,
    text_node: yaml.Node,
    where: str,
    r: Report,
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    missing = " and ".join(k for k, v in (("syllables", syllables), ("pattern", pattern)) if v is None)
    if not derivable(language):
        r.error(
            text_node,
            f"{where}.{missing.split()[0]}",
            f"language '{language}': give {missing} explicitly (derivation covers {DERIVED_LANGUAGES})",
        )
        return None
    try:
        d = derive_text(text, language)
    except UnknownWordsError as exc:
        r.error(
            text_node,
            f"{where}.syllables",
            f"cannot derive {missing}: {exc}; give 'syllables' and 'pattern' explicitly",
        )
        return None
    except ValueError as exc:
        r.error(text_node, f"{where}.text", f"cannot derive {missing}: {exc}")
        return None
    if syllables is not None and len(syllables) != len(d.pattern):
        r.error(
            text_node,
            f"{where}.pattern",
            f"cannot derive the pattern: the pronunciation gives '{text}' {len(d.pattern)} syllables "
            f"but 'syllables' lists {len(syllables)}; give 'pattern' explicitly",
        )
        return None
    return (syllables if syllables is not None else d.syllables), (
        pattern if pattern is not None else d.pattern
    )


def parse_optional_fields(
    items: dict[str, tuple[yaml.Node, yaml.Node]], where: str, r: Report
) -> tuple[str | None, str | None, bool, bool]:
    good = True
    probe = text_of(items["probe"][1], f"{where}.probe", r) if "probe" in items else None
    category = text_of(items["category"][1], f"{where}.category", r) if "category" in items else None
    if category and category not in CATEGORIES:
        r.warning(
            items["category"][1], f"{where}.category", f"'{category}' is not one of {', '.join(CATEGORIES)}"
        )
    trained = True
    if "trained" in items:
        value = value_of(items["trained"][1], f"{where}.trained", r)
        if not isinstance(value, bool):
            r.error(items["trained"][1], f"{where}.trained", "must be true or false")
            good = False
        else:
            trained = value
    return probe or None, category or None, trained, good
