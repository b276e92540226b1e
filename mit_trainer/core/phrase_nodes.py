"""YAML node helpers for phrase-set validation: issues with line numbers, safe values, text fields.

PyYAML's composer gives nodes with ``start_mark`` lines; these helpers turn nodes into values while
recording a :class:`PhraseIssue` (file, 1-based line, field, message, severity) for every problem.
Text fields take plain scalars as written, so ``text: No`` is the word "No", not a boolean.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from mit_trainer.core.display import control_characters, printable
from mit_trainer.core.limits import MAX_TEXT_CHARS

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
        return printable(f"{where}: {self.severity}: {what}")


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


def yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """The 1-based line (when known) and a one-line description of a YAML syntax or reader error."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    if isinstance(exc, yaml.reader.ReaderError):
        ch = exc.character
        shown_ch = f"#x{ch:04x}" if isinstance(ch, int) else printable(repr(ch))
        return None, f"unacceptable character {shown_ch} at position {exc.position}"
    line = int(mark.line) + 1 if mark is not None else None
    return line, " ".join(str(problem or exc or "cannot parse").split())


def text_of(node: yaml.Node, fld: str, r: Report, *, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """A text field: any scalar, as written; None (after reporting) for null or a collection, or for text
    that is too long or holds control characters (which would reach a terminal or a label)."""
    if not isinstance(node, yaml.ScalarNode):
        r.error(node, fld, f"must be text, not a {kind_of(node)}")
        return None
    if node.tag == NULL_TAG:
        return None
    text = str(node.value).strip()
    if len(text) > max_chars:
        r.error(node, fld, f"too long: {len(text)} characters (at most {max_chars})")
        return None
    bad = control_characters(text)
    if bad:
        r.error(node, fld, f"contains control characters ({', '.join(bad[:3])}); remove them")
        return None
    return text


def kind_of(node: yaml.Node) -> str:
    return (
        "list"
        if isinstance(node, yaml.SequenceNode)
        else "mapping"
        if isinstance(node, yaml.MappingNode)
        else "value"
    )


def shown(node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        return f"a {kind_of(node)}"
    value = str(node.value)
    return f"'{value[:40]}...'" if len(value) > 40 else f"'{value}'"


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
    """A finite int or float (not a bool, NaN or infinity)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def in_range(value: Any, bounds: tuple[float, float]) -> bool:
    """A finite number within the closed interval ``bounds``."""
    return is_number(value) and bounds[0] <= value <= bounds[1]


def fmt_range(bounds: tuple[float, float]) -> str:
    return "-".join(f"{b:g}" for b in bounds)
