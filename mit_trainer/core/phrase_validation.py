"""Validation of ``mit-phrases/1`` YAML text: every problem, with line and field, in one pass.

Works on PyYAML's composed node tree (safe loader; nodes carry ``start_mark`` lines) so that each
issue points at the line of the offending value, or of its phrase when a field is missing. Text-like
plain scalars are taken as written (``text: No`` is the word, not a boolean). The public entry point
is :func:`mit_trainer.core.phrases.parse_phrase_set`; this module holds the rules.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

import yaml

from mit_trainer.core.bounded_input import InputRefused, check_yaml_shape
from mit_trainer.core.limits import (
    CLINICAL_INTERVAL_SEMITONES_RANGE,
    CLINICAL_TEMPO_BPM_RANGE,
    LOW_HZ_RANGE,
    MAX_ID_CHARS,
)
from mit_trainer.core.phrase_fields import (
    derive_missing,
    letters,
    parse_beats,
    parse_optional_fields,
    parse_pattern,
    parse_syllables,
    show_syllables,
)
from mit_trainer.core.phrase_nodes import (
    CATEGORIES,
    FORMAT,
    NULL_TAG,
    PhraseIssue,
    Report,
    in_range,
    kind_of,
    line_of,
    mapping_items,
    report_unknown_keys,
    safe_loader,
    shown,
    text_of,
    value_of,
    yaml_problem,
)
from mit_trainer.core.records import LEVEL_SYLLABLE_RANGE, Phrase, PhraseSet

__all__ = ["CATEGORIES", "FORMAT", "PhraseIssue", "read_phrase_set"]

TOP_KEYS = ("format", "name", "language", "defaults", "phrases")
PHRASE_KEYS = ("id", "text", "level", "syllables", "pattern", "beats", "probe", "category", "trained")
DEFAULT_KEYS = ("tempo_bpm", "interval_semitones", "low_hz")
DEFAULT_RANGES = {
    "tempo_bpm": CLINICAL_TEMPO_BPM_RANGE,
    "interval_semitones": CLINICAL_INTERVAL_SEMITONES_RANGE,
    "low_hz": LOW_HZ_RANGE,
}
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def read_phrase_set(text: str, *, source: str) -> tuple[PhraseSet | None, list[PhraseIssue]]:
    """Validate ``text``; returns a set built from the valid parts (None if unusable) and all issues."""
    r = Report(source)
    try:
        check_yaml_shape(text, safe_loader())
        root = yaml.compose(text, Loader=safe_loader())
    except InputRefused as exc:
        r.error(exc.line, None, str(exc))
        return None, r.issues
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        r.error(line, None, f"bad YAML: {problem}")
        return None, r.issues
    if root is None:
        r.error(1, None, f"the file is empty; it needs 'format: {FORMAT}', name, language and phrases")
        return None, r.issues
    if not isinstance(root, yaml.MappingNode):
        r.error(root, None, "the top level must be a mapping of format, name, language and phrases")
        return None, r.issues
    top = mapping_items(root, "", r)
    report_unknown_keys(top, TOP_KEYS, "", r)

    if "format" not in top:
        r.error(1, "format", f"missing format version; add 'format: {FORMAT}'")
    else:
        node = top["format"][1]
        fmt = text_of(node, "format", r)
        if fmt != FORMAT:
            r.error(node, "format", f"unknown format version '{fmt}'; this version reads {FORMAT}")

    name = text_of(top["name"][1], "name", r) if "name" in top else None
    if not name:
        name = PurePath(source).stem if source != "<string>" else "Untitled"
        r.warning(top["name"][1] if "name" in top else 1, "name", f"missing; using '{name}'")

    language = "en"
    if "language" in top:
        node = top["language"][1]
        lang = text_of(node, "language", r)
        if lang and _LANGUAGE.match(lang):
            language = lang
        else:
            r.error(node, "language", f"'{lang or ''}' is not a language code such as en, fr, ja or pt-BR")
    else:
        r.warning(1, "language", "missing; assuming en")

    defaults = _defaults(top["defaults"][1], r) if "defaults" in top else {}
    extras = {k: value_of(v, k, r) for k, (_, v) in top.items() if k.startswith("x-")}

    phrases: list[Phrase] = []
    if "phrases" not in top:
        r.error(1, "phrases", "missing; add a list of phrases")
    elif not isinstance(top["phrases"][1], yaml.SequenceNode):
        node = top["phrases"][1]
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
            r.warning(node, "phrases", "the list is empty")
        else:
            r.error(node, "phrases", f"must be a list of phrases, not a {kind_of(node)}")
    else:
        seen: dict[str, int | None] = {}
        items = top["phrases"][1].value
        if not items:
            r.warning(top["phrases"][1], "phrases", "the list is empty")
        for index, node in enumerate(items):
            phrase = _phrase(node, index, language, seen, r)
            if phrase is not None:
                phrases.append(phrase)
        _same_text_warnings(phrases, r)
    ps = PhraseSet(name=name, language=language, phrases=tuple(phrases), defaults=defaults, extras=extras)
    return ps, r.issues


def _same_text_warnings(phrases: list[Phrase], r: Report) -> None:
    """Two phrases with the same words (ignoring case and punctuation) are probably a copy-paste slip."""
    first: dict[str, Phrase] = {}
    for p in phrases:
        key = " ".join(letters(w) for w in p.text.split())
        if key in first:
            r.warning(p.line, f"{p.id}.text", f"same words as '{first[key].id}' (line {first[key].line})")
        else:
            first[key] = p


def _defaults(node: yaml.Node, r: Report) -> dict[str, Any]:
    if not isinstance(node, yaml.MappingNode):
        r.error(node, "defaults", f"must be a mapping such as {{tempo_bpm: 60}}, not a {kind_of(node)}")
        return {}
    items = mapping_items(node, "defaults", r)
    report_unknown_keys(items, DEFAULT_KEYS, "defaults", r)
    out: dict[str, Any] = {}
    for key, (_, vnode) in items.items():
        value = value_of(vnode, f"defaults.{key}", r)
        if key.startswith("x-"):
            out[key] = value
        elif key not in DEFAULT_RANGES:
            continue
        elif not in_range(value, DEFAULT_RANGES[key]):
            lo, hi = DEFAULT_RANGES[key]
            r.error(vnode, f"defaults.{key}", f"must be a number from {lo:g} to {hi:g}, not {shown(vnode)}")
        else:
            out[key] = value
    return out


def _phrase(
    node: yaml.Node, index: int, language: str, seen: dict[str, int | None], r: Report
) -> Phrase | None:
    where = f"phrases[{index}]"
    if not isinstance(node, yaml.MappingNode):
        r.error(node, where, f"each phrase must be a mapping with id, text and level, not a {kind_of(node)}")
        return None
    items = mapping_items(node, where, r)
    ok = True  # the phrase can be used (its fields are checked even when its id is not)
    id_ok = True
    pid: str | None = None
    if "id" not in items:
        r.error(node, where, "missing id")
        id_ok = False
    else:
        n_before = len(r.issues)
        pid = text_of(items["id"][1], f"{where}.id", r, max_chars=MAX_ID_CHARS)
        if len(r.issues) > n_before:
            id_ok = False
        elif not pid or not _ID.match(pid):
            r.error(
                items["id"][1],
                f"{where}.id",
                f"bad id '{pid or ''}': use lowercase letters, digits and '-' (e.g. thank-you)",
            )
            id_ok = False
        elif pid in seen:
            r.error(items["id"][1], f"{pid}.id", f"duplicate id (first on line {seen[pid]})")
            id_ok = False
        else:
            seen[pid] = line_of(items["id"][1])
    if pid and id_ok:
        where = pid
    report_unknown_keys(items, PHRASE_KEYS, where, r)

    def node_of(key: str) -> yaml.Node | None:
        return items[key][1] if key in items else None

    n_before = len(r.issues)
    text = text_of(items["text"][1], f"{where}.text", r) if "text" in items else None
    if not text:
        if len(r.issues) == n_before:
            r.error(node_of("text") or node, f"{where}.text", "missing or empty text")
        ok = False

    level = 0
    if "level" not in items:
        r.error(node, f"{where}.level", "missing level (1, 2 or 3)")
        ok = False
    else:
        value = value_of(items["level"][1], f"{where}.level", r)
        if isinstance(value, bool) or not isinstance(value, int) or value not in LEVEL_SYLLABLE_RANGE:
            r.error(
                items["level"][1],
                f"{where}.level",
                f"must be the number 1, 2 or 3 (no quotes), not {shown(items['level'][1])}",
            )
            ok = False
        else:
            level = value

    syllables = parse_syllables(node_of("syllables"), where, r)
    pattern = parse_pattern(node_of("pattern"), where, r)
    beats = parse_beats(node_of("beats"), where, r)
    ok = ok and syllables is not False and pattern is not False and beats is not False
    if text and syllables is not False and pattern is not False and (syllables is None or pattern is None):
        derived = derive_missing(text, language, syllables, pattern, node_of("text") or node, where, r)
        if derived is None:
            ok = False
        else:
            syllables, pattern = derived
    if not ok or not isinstance(syllables, tuple) or not isinstance(pattern, tuple):
        parse_optional_fields(items, where, r)
        return None

    n = len(syllables)
    if len(pattern) != n:
        r.error(
            node_of("pattern"),
            f"{where}.pattern",
            f"has {len(pattern)} values but there are {n} syllables {show_syllables(syllables)}",
        )
        ok = False
    if isinstance(beats, tuple) and len(beats) != n:
        r.error(
            node_of("beats"),
            f"{where}.beats",
            f"has {len(beats)} values but there are {n} syllables {show_syllables(syllables)}",
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
        and letters("".join(syllables)) != letters(text or "")
    ):
        r.warning(
            node_of("syllables"),
            f"{where}.syllables",
            f"{show_syllables(syllables)} does not spell the text '{text}'",
        )
    if "H" not in pattern and n > 0 and len(pattern) == n:
        r.error(
            node_of("pattern") or node_of("text") or node,
            f"{where}.pattern",
            f"no stressed syllable: at least one of {show_syllables(syllables)} must be H (the high note)",
        )
        ok = False
    probe, category, trained, good = parse_optional_fields(items, where, r)
    if not ok or not good or not id_ok:
        return None
    extras = {k: value_of(v, f"{where}.{k}", r) for k, (_, v) in items.items() if k.startswith("x-")}
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
        line=line_of(node),
    )
