"""Validation of ``mit-phrases/1`` YAML text: every problem, with line and field, in one pass.

Works on PyYAML's composed node tree (safe loader; nodes carry ``start_mark`` lines) so that each
issue points at the line of the offending value, or of its phrase when a field is missing. Text-like
plain scalars are taken as written (``text: No`` is the word, not a boolean). The public entry point
is :func:`mit_trainer.core.phrases.parse_phrase_set`; this module holds the rules.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

import yaml

from mit_trainer.core.records import LEVEL_SYLLABLE_RANGE, Phrase, PhraseSet
from mit_trainer.core.syllabify import UnknownWordsError, derive_english

FORMAT = "mit-phrases/1"
#: Standard categories (PROTOCOL.md §4); others are accepted with a warning.
CATEGORIES = ("social", "needs", "family", "requests", "questions", "feelings")
TOP_KEYS = ("format", "name", "language", "defaults", "phrases")
PHRASE_KEYS = ("id", "text", "level", "syllables", "pattern", "beats", "probe", "category", "trained")
DEFAULT_KEYS = ("tempo_bpm", "interval_semitones", "low_hz")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_NULL = "tag:yaml.org,2002:null"


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


class _Report:
    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[PhraseIssue] = []

    def error(self, node: yaml.Node | int | None, fld: str | None, message: str) -> None:
        self.issues.append(PhraseIssue(self.source, _line(node), fld, message, "error"))

    def warning(self, node: yaml.Node | int | None, fld: str | None, message: str) -> None:
        self.issues.append(PhraseIssue(self.source, _line(node), fld, message, "warning"))


def _line(node: yaml.Node | int | None) -> int | None:
    if node is None or isinstance(node, int):
        return node
    return int(node.start_mark.line) + 1


def _value(node: yaml.Node, fld: str, r: _Report) -> Any:
    """The Python value of a node (safe constructor: plain YAML types only; other tags are errors)."""
    try:
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        r.error(node, fld, f"unsupported YAML value: {problem}")
        return None


def _loader() -> type[yaml.SafeLoader]:
    """libyaml's safe loader when PyYAML was built with it (about 10x faster), else the Python one."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[no-any-return]


def _text(node: yaml.Node, fld: str, r: _Report) -> str | None:
    """A text field: any scalar, as written; None (after reporting) for null or a collection."""
    if not isinstance(node, yaml.ScalarNode):
        r.error(node, fld, f"must be text, not a {_kind(node)}")
        return None
    if node.tag == _NULL:
        return None
    return str(node.value).strip()


def _kind(node: yaml.Node) -> str:
    return (
        "list"
        if isinstance(node, yaml.SequenceNode)
        else "mapping"
        if isinstance(node, yaml.MappingNode)
        else "value"
    )


def _shown(node: yaml.Node) -> str:
    return f"'{node.value}'" if isinstance(node, yaml.ScalarNode) else f"a {_kind(node)}"


def _mapping(node: yaml.MappingNode, where: str, r: _Report) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            r.error(key_node, where, "keys must be plain names")
            continue
        key = str(key_node.value)
        if key in out:
            r.error(key_node, _join(where, key), f"duplicate key (first on line {_line(out[key][0])})")
            continue
        out[key] = (key_node, value_node)
    return out


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _unknown_keys(
    items: dict[str, tuple[yaml.Node, yaml.Node]], allowed: tuple[str, ...], where: str, r: _Report
) -> None:
    for key, (key_node, _) in items.items():
        if key in allowed or key.startswith("x-"):
            continue
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        r.error(
            key_node,
            _join(where, key),
            f"unknown key; {hint}allowed: {', '.join(allowed)} (extras must start with 'x-')",
        )


def read_phrase_set(text: str, *, source: str) -> tuple[PhraseSet | None, list[PhraseIssue]]:
    """Validate ``text``; returns a set built from the valid parts (None if unusable) and all issues."""
    r = _Report(source)
    try:
        root = yaml.compose(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        r.error(mark.line + 1 if mark else None, None, f"bad YAML: {problem}")
        return None, r.issues
    except yaml.YAMLError as exc:
        r.error(None, None, f"bad YAML: {exc}")
        return None, r.issues
    if root is None:
        r.error(1, None, f"the file is empty; it needs 'format: {FORMAT}', name, language and phrases")
        return None, r.issues
    if not isinstance(root, yaml.MappingNode):
        r.error(root, None, "the top level must be a mapping of format, name, language and phrases")
        return None, r.issues
    top = _mapping(root, "", r)
    _unknown_keys(top, TOP_KEYS, "", r)

    if "format" not in top:
        r.error(1, "format", f"missing format version; add 'format: {FORMAT}'")
    else:
        node = top["format"][1]
        fmt = _text(node, "format", r)
        if fmt != FORMAT:
            r.error(node, "format", f"unknown format version '{fmt}'; this version reads {FORMAT}")

    name = _text(top["name"][1], "name", r) if "name" in top else None
    if not name:
        name = PurePath(source).stem if source != "<string>" else "Untitled"
        r.warning(top["name"][1] if "name" in top else 1, "name", f"missing; using '{name}'")

    language = "en"
    if "language" in top:
        node = top["language"][1]
        lang = _text(node, "language", r)
        if lang and _LANGUAGE.match(lang):
            language = lang
        else:
            r.error(node, "language", f"'{lang or ''}' is not a language code such as en, fr, ja or pt-BR")
    else:
        r.warning(1, "language", "missing; assuming en")

    defaults = _defaults(top["defaults"][1], r) if "defaults" in top else {}
    extras = {k: _value(v, k, r) for k, (_, v) in top.items() if k.startswith("x-")}

    phrases: list[Phrase] = []
    if "phrases" not in top:
        r.error(1, "phrases", "missing; add a list of phrases")
    elif not isinstance(top["phrases"][1], yaml.SequenceNode):
        node = top["phrases"][1]
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            r.warning(node, "phrases", "the list is empty")
        else:
            r.error(node, "phrases", f"must be a list of phrases, not a {_kind(node)}")
    else:
        seen: dict[str, int | None] = {}
        items = top["phrases"][1].value
        if not items:
            r.warning(top["phrases"][1], "phrases", "the list is empty")
        for index, node in enumerate(items):
            phrase = _phrase(node, index, language, seen, r)
            if phrase is not None:
                phrases.append(phrase)
    ps = PhraseSet(name=name, language=language, phrases=tuple(phrases), defaults=defaults, extras=extras)
    return ps, r.issues


def _defaults(node: yaml.Node, r: _Report) -> dict[str, Any]:
    if not isinstance(node, yaml.MappingNode):
        r.error(node, "defaults", f"must be a mapping such as {{tempo_bpm: 60}}, not a {_kind(node)}")
        return {}
    items = _mapping(node, "defaults", r)
    _unknown_keys(items, DEFAULT_KEYS, "defaults", r)
    out: dict[str, Any] = {}
    for key, (_, vnode) in items.items():
        value = _value(vnode, f"defaults.{key}", r)
        if key.startswith("x-"):
            out[key] = value
        elif not _is_number(value) or value <= 0:
            r.error(vnode, f"defaults.{key}", f"must be a positive number, not {_shown(vnode)}")
        else:
            out[key] = value
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _phrase(
    node: yaml.Node, index: int, language: str, seen: dict[str, int | None], r: _Report
) -> Phrase | None:
    where = f"phrases[{index}]"
    if not isinstance(node, yaml.MappingNode):
        r.error(node, where, f"each phrase must be a mapping with id, text and level, not a {_kind(node)}")
        return None
    items = _mapping(node, where, r)
    ok = True
    pid: str | None = None
    if "id" not in items:
        r.error(node, where, "missing id")
        ok = False
    else:
        pid = _text(items["id"][1], f"{where}.id", r)
        if not pid or not _ID.match(pid):
            r.error(
                items["id"][1],
                f"{where}.id",
                f"bad id '{pid or ''}': use lowercase letters, digits and '-' (e.g. thank-you)",
            )
            ok = False
        elif pid in seen:
            r.error(items["id"][1], f"{pid}.id", f"duplicate id (first on line {seen[pid]})")
            ok = False
        else:
            seen[pid] = _line(items["id"][1])
    if pid and ok:
        where = pid
    _unknown_keys(items, PHRASE_KEYS, where, r)

    def node_of(key: str) -> yaml.Node | None:
        return items[key][1] if key in items else None

    text = _text(items["text"][1], f"{where}.text", r) if "text" in items else None
    if not text:
        if "text" not in items or isinstance(items["text"][1], yaml.ScalarNode):
            r.error(node_of("text") or node, f"{where}.text", "missing or empty text")
        ok = False

    level = 0
    if "level" not in items:
        r.error(node, f"{where}.level", "missing level (1, 2 or 3)")
        ok = False
    else:
        value = _value(items["level"][1], f"{where}.level", r)
        if isinstance(value, bool) or not isinstance(value, int) or value not in LEVEL_SYLLABLE_RANGE:
            r.error(
                items["level"][1],
                f"{where}.level",
                f"must be the number 1, 2 or 3 (no quotes), not {_shown(items['level'][1])}",
            )
            ok = False
        else:
            level = value

    syllables = _syllables(node_of("syllables"), where, r)
    pattern = _pattern(node_of("pattern"), where, r)
    beats = _beats(node_of("beats"), where, r)
    ok = ok and syllables is not False and pattern is not False and beats is not False
    if text and syllables is not False and pattern is not False and (syllables is None or pattern is None):
        derived = _derive(text, language, syllables, pattern, node_of("text") or node, where, r)
        if derived is None:
            ok = False
        else:
            syllables, pattern = derived
    if not ok or not isinstance(syllables, tuple) or not isinstance(pattern, tuple):
        _optional_fields(items, where, r)
        return None

    n = len(syllables)
    if len(pattern) != n:
        r.error(
            node_of("pattern"),
            f"{where}.pattern",
            f"has {len(pattern)} values but there are {n} syllables {_show(syllables)}",
        )
        ok = False
    if isinstance(beats, tuple) and len(beats) != n:
        r.error(
            node_of("beats"),
            f"{where}.beats",
            f"has {len(beats)} values but there are {n} syllables {_show(syllables)}",
        )
        ok = False
    lo, hi = LEVEL_SYLLABLE_RANGE[level]
    if ok and not lo <= n <= hi:
        r.warning(
            node_of("syllables") or node_of("level"),
            f"{where}.syllables",
            f"{n} syllables is outside level {level}'s range of {lo}-{hi}",
        )
    if (
        ok
        and "syllables" in items
        and language.startswith("en")
        and _letters("".join(syllables)) != _letters(text or "")
    ):
        r.warning(
            node_of("syllables"), f"{where}.syllables", f"{_show(syllables)} does not spell the text '{text}'"
        )
    probe, category, trained, good = _optional_fields(items, where, r)
    if not ok or not good:
        return None
    extras = {k: _value(v, f"{where}.{k}", r) for k, (_, v) in items.items() if k.startswith("x-")}
    return Phrase(
        id=str(pid),
        text=str(text),
        level=level,
        syllables=syllables,
        pattern=pattern,
        beats=beats if isinstance(beats, tuple) else (1.0,) * n,
        probe=probe,
        category=category,
        trained=trained,
        extras=extras,
        line=_line(node),
    )


def _show(syllables: tuple[str, ...]) -> str:
    return "[" + ", ".join(syllables) + "]"


def _letters(s: str) -> str:
    return "".join(ch for ch in s.casefold() if ch.isalpha())


def _syllables(node: yaml.Node | None, where: str, r: _Report) -> tuple[str, ...] | Literal[False] | None:
    if node is None:
        return None
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        r.error(node, f"{where}.syllables", "must be a non-empty list such as [thank, you]")
        return False
    out = []
    for k, item in enumerate(node.value, 1):
        s = _text(item, f"{where}.syllables", r) if isinstance(item, yaml.ScalarNode) else None
        if not s:
            r.error(item, f"{where}.syllables", f"syllable {k} is empty or not text")
            return False
        out.append(s)
    return tuple(out)


def _pattern(node: yaml.Node | None, where: str, r: _Report) -> tuple[str, ...] | Literal[False] | None:
    if node is None:
        return None
    if isinstance(node, yaml.ScalarNode) and node.tag != _NULL:
        values = [(node, v) for v in re.split(r"[\s,-]+", str(node.value).strip()) if v]
        if len(values) == 1 and len(values[0][1]) > 1:  # compact form "HLL"
            values = [(node, ch) for ch in values[0][1]]
    elif isinstance(node, yaml.SequenceNode) and node.value:
        values = [
            (item, str(item.value) if isinstance(item, yaml.ScalarNode) else _kind(item))
            for item in node.value
        ]
    else:
        r.error(node, f"{where}.pattern", "must be a list of H and L such as [H, L]")
        return False
    bad = [(k, n, v) for k, (n, v) in enumerate(values, 1) if v not in ("H", "L")]
    for k, item, v in bad:
        r.error(item, f"{where}.pattern", f"value {k} is '{v}'; use H (high, stressed) or L (low)")
    return False if bad else tuple(v for _, v in values)


def _beats(node: yaml.Node | None, where: str, r: _Report) -> tuple[float, ...] | Literal[False] | None:
    if node is None:
        return None
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        r.error(node, f"{where}.beats", "must be a list of positive numbers such as [1, 1, 2]")
        return False
    out: list[float] = []
    good = True
    for k, item in enumerate(node.value, 1):
        value = _value(item, f"{where}.beats", r)
        if not _is_number(value) or value <= 0:
            r.error(item, f"{where}.beats", f"value {k} is {_shown(item)}; beats must be positive numbers")
            good = False
        else:
            out.append(float(value))
    return tuple(out) if good else False


def _derive(
    text: str,
    language: str,
    syllables: tuple[str, ...] | None,
    pattern: tuple[str, ...] | None,
    text_node: yaml.Node,
    where: str,
    r: _Report,
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    missing = " and ".join(k for k, v in (("syllables", syllables), ("pattern", pattern)) if v is None)
    if not language.startswith("en"):
        r.error(
            text_node,
            f"{where}.{missing.split()[0]}",
            f"language '{language}': give {missing} explicitly (derivation is English only)",
        )
        return None
    try:
        d = derive_english(text)
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
            f"cannot derive the pattern: the dictionary gives '{text}' {len(d.pattern)} syllables "
            f"but 'syllables' lists {len(syllables)}; give 'pattern' explicitly",
        )
        return None
    return (syllables if syllables is not None else d.syllables), (
        pattern if pattern is not None else d.pattern
    )


def _optional_fields(
    items: dict[str, tuple[yaml.Node, yaml.Node]], where: str, r: _Report
) -> tuple[str | None, str | None, bool, bool]:
    good = True
    probe = _text(items["probe"][1], f"{where}.probe", r) if "probe" in items else None
    category = _text(items["category"][1], f"{where}.category", r) if "category" in items else None
    if category and category not in CATEGORIES:
        r.warning(
            items["category"][1], f"{where}.category", f"'{category}' is not one of {', '.join(CATEGORIES)}"
        )
    trained = True
    if "trained" in items:
        value = _value(items["trained"][1], f"{where}.trained", r)
        if not isinstance(value, bool):
            r.error(items["trained"][1], f"{where}.trained", "must be true or false")
            good = False
        else:
            trained = value
    return probe or None, category or None, trained, good
