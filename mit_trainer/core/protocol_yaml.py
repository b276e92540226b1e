"""Reading protocol YAML with line numbers, and the checker that collects located issues.

:func:`load_with_lines` reads YAML into plain values whose mappings (:class:`LineDict`) remember their own
line and each key's line, and reports syntax errors and duplicate keys as issues. :class:`Checker` holds the
issues found so far and the typed field readers (text, number with range, boolean, enum choice) that
the protocol rules in :mod:`mit_trainer.core.protocol_validate` are written with.
"""

from __future__ import annotations

from typing import Any

import yaml

from mit_trainer.core.bounded_input import InputRefused, check_yaml_shape
from mit_trainer.core.display import control_characters
from mit_trainer.core.phrase_nodes import yaml_problem
from mit_trainer.core.protocol import ProtocolIssue


class LineDict(dict[Any, Any]):
    """A mapping read from YAML that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    duplicates: list[tuple[int, str]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        value = loader.construct_object(value_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            key = str(key)
        if key in out:
            loader.duplicates.append((key_node.start_mark.line + 1, str(key)))
        out[key] = value
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Checker:
    """Collects issues while converting the YAML document into a Protocol."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.issues: list[ProtocolIssue] = []

    def add(self, line: int | None, fld: str | None, message: str) -> None:
        self.issues.append(ProtocolIssue(self.path, line, fld, message))

    @staticmethod
    def line_of(m: LineDict, key: str) -> int:
        return m.key_lines.get(key, m.line) if isinstance(m, LineDict) else 0

    def mapping(self, value: Any, line: int, fld: str) -> LineDict | None:
        if value is None:
            return None
        if not isinstance(value, LineDict):
            self.add(line, fld, f"expected a mapping, got {kind_of(value)}")
            return None
        return value

    def unknown_keys(self, m: LineDict, allowed: set[str], prefix: str) -> None:
        for key in m:
            if isinstance(key, str) and key.startswith("x-"):
                continue
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.add(self.line_of(m, key), f"{prefix}{key}", f"unknown key (allowed: {hint}; or x-...)")

    def text(self, m: LineDict, key: str, prefix: str, required: bool = True) -> str | None:
        v = m.get(key)
        if v is None:
            if required:
                self.add(m.line, f"{prefix}{key}", "missing (a non-empty text is required)")
            return None
        if not isinstance(v, str) or not v.strip():
            self.add(self.line_of(m, key), f"{prefix}{key}", f"expected non-empty text, got {kind_of(v)}")
            return None
        bad = [c for c in control_characters(v) if c not in ("U+000A", "U+0009")]
        if bad:
            self.add(
                self.line_of(m, key), f"{prefix}{key}", f"contains control characters ({', '.join(bad[:3])})"
            )
            return None
        return v.strip()

    def number(
        self, m: LineDict, key: str, prefix: str, default: float | None, lo: float, hi: float, integer: bool
    ) -> float | None:
        v = m.get(key)
        fld = f"{prefix}{key}"
        if v is None:
            if default is None:
                self.add(m.line, fld, "missing")
            return default
        ok_type = isinstance(v, int) if integer else isinstance(v, int | float)
        if isinstance(v, bool) or not ok_type:
            self.add(
                self.line_of(m, key),
                fld,
                f"expected {'an integer' if integer else 'a number'}, got {short_repr(v)}",
            )
            return default
        if not lo <= v <= hi:
            self.add(self.line_of(m, key), fld, f"{v} is out of range [{fmt_number(lo)}, {fmt_number(hi)}]")
            return default
        return float(v) if not integer else v

    def boolean(self, m: LineDict, key: str, prefix: str, default: bool | None) -> bool | None:
        v = m.get(key)
        if v is None:
            if default is None:
                self.add(m.line, f"{prefix}{key}", "missing (true or false)")
            return default
        if not isinstance(v, bool):
            self.add(self.line_of(m, key), f"{prefix}{key}", f"expected true or false, got {short_repr(v)}")
            return default
        return v

    def choice(self, m: LineDict, key: str, prefix: str, enum: Any, required: bool = True) -> Any:
        v = m.get(key)
        if v is None:
            if required:
                self.add(m.line, f"{prefix}{key}", f"missing (one of {enum_names(enum)})")
            return None
        try:
            return enum(v)
        except ValueError:
            self.add(
                self.line_of(m, key), f"{prefix}{key}", f"{short_repr(v)} is not one of {enum_names(enum)}"
            )
            return None


def kind_of(v: Any) -> str:
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    return short_repr(v)


def short_repr(v: Any) -> str:
    """``repr(v)``, cut to 60 characters (a value of a megabyte stays a one-line message)."""
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def enum_names(enum: Any) -> str:
    return ", ".join(e.value for e in enum)


def load_with_lines(text: str, chk: Checker) -> LineDict | None:
    """The YAML document as a LineDict, or None (with the problem added to ``chk``)."""
    try:
        check_yaml_shape(text, _BaseLoader)
    except InputRefused as exc:
        chk.add(exc.line, None, str(exc))
        return None
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        chk.add(line, None, f"YAML syntax error: {problem}")
        return None
    loader = _LineLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        chk.add(line, None, f"YAML syntax error: {problem}")
        return None
    finally:
        loader.dispose()
    for line, key in loader.duplicates:
        chk.add(line, key, "duplicate key")
    if not isinstance(data, LineDict):
        chk.add(1, None, f"expected a mapping at the top of the file, got {kind_of(data)}")
        return None
    return data
