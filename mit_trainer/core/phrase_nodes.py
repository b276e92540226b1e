"""YAML node helpers for phrase-set validation: issues with line numbers, safe values, text fields.

PyYAML's composer gives nodes with ``start_mark`` lines; these helpers turn nodes into values while
recording a :class:`PhraseIssue` (file, 1-based line, field, message, severity) for every problem.
Text fields take plain scalars as written, so ``text: No`` is the word "No", not a boolean.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

import yaml

FORMAT = "mit-phrases/1"
#: Standard categories (PROTOCOL.md §4); others are accepted with a warning.
CATEGORIES = ("social", "needs", "family", "requests", "questions", "feelings")
NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class PhraseIssue:
    """One problem found in a phrase-set file; ``line`` is 1-based."""

    file: str
    line: int | None
    field: str | None
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = self.message if self.field is None else f"{self.field}: {self.message}"
        return f"{where}: {self.severity}: {what}"


class Report:
    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[PhraseIssue] = []

    def error(self, node: yaml.Node | int | None, fld: str | None, message: str) -> None:
        self.issues.append(PhraseIssue(self.source, line_of(node), fld, message, "error"))

    def warning(self, node: yaml.Node | int | None, fld: str | None, message: str) -> None:
        self.issues.append(PhraseIssue(self.source, line_of(node), fld, message, "warning"))


def line_of(node: yaml.Node | int | None) -> int | None:
    if node is None or isinstance(node, int):
        return node
    return int(node.start_mark.line) + 1


def value_of(node: yaml.Node, fld: str, r: Report) -> Any:
    """The Python value of a node (safe constructor: plain YAML types only; other tags are errors)."""
    try:
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        r.error(node, fld, f"unsupported YAML value: {problem}")
        return None


def safe_loader() -> type[yaml.SafeLoader]:
    """libyaml's safe loader when PyYAML was built with it (about 10x faster), else the Python one."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[no-any-return]


def text_of(node: yaml.Node, fld: str, r: Report) -> str | None:
    """A text field: any scalar, as written; None (after reporting) for null or a collection."""
    if not isinstance(node, yaml.ScalarNode):
        r.error(node, fld, f"must be text, not a {kind_of(node)}")
        return None
    if node.tag == NULL_TAG:
        return None
    return str(node.value).strip()


def kind_of(node: yaml.Node) -> str:
    return (
        "list"
        if isinstance(node, yaml.SequenceNode)
        else "mapping"
        if isinstance(node, yaml.MappingNode)
        else "value"
    )


def shown(node: yaml.Node) -> str:
    return f"'{node.value}'" if isinstance(node, yaml.ScalarNode) else f"a {kind_of(node)}"


def mapping_items(node: yaml.MappingNode, where: str, r: Report) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            r.error(key_node, where, "keys must be plain names")
            continue
        key = str(key_node.value)
        if key in out:
            r.error(key_node, join_field(where, key), f"duplicate key (first on line {line_of(out[key][0])})")
            continue
        out[key] = (key_node, value_node)
    return out


def join_field(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def report_unknown_keys(
    items: dict[str, tuple[yaml.Node, yaml.Node]], allowed: tuple[str, ...], where: str, r: Report
) -> None:
    for key, (key_node, _) in items.items():
        if key in allowed or key.startswith("x-"):
            continue
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        r.error(
            key_node,
            join_field(where, key),
            f"unknown key; {hint}allowed: {', '.join(allowed)} (extras must start with 'x-')",
        )


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value
