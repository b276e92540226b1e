"""Phrase-set files (format ``mit-phrases/1``, DESIGN.md §3): parsing, validation, canonical saving.

Therapists write these YAML files by hand, so validation reports *every* problem at once, each with
file, line and field (:class:`PhraseIssue`). The YAML is read with PyYAML's safe composer, whose nodes
carry line numbers; plain scalars in text fields are taken as written, so ``text: No`` is the word
"No", not the boolean false. Missing ``syllables``/``pattern`` are derived from English text by
:mod:`mit_trainer.core.syllabify` (the H/L rule is documented there); other languages must give them.

The canonical text (:func:`dump_phrase_set`) has a fixed key order and explicit syllables, pattern,
beats and trained flag; loading it gives an equal :class:`PhraseSet`, and its SHA-256 identifies the
set in session logs (:func:`phrase_set_sha256`). Comments are not kept by canonical saving.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from mit_trainer.core.bounded_input import InputRefused, read_text_file
from mit_trainer.core.phrase_validation import CATEGORIES, FORMAT, PhraseIssue, read_phrase_set
from mit_trainer.core.records import PhraseSet

__all__ = [
    "CATEGORIES",
    "FORMAT",
    "PhraseIssue",
    "PhraseSetError",
    "dump_phrase_set",
    "load_phrase_set",
    "load_phrase_sets",
    "matched_twin_issues",
    "parse_phrase_set",
    "phrase_set_sha256",
    "save_phrase_set",
    "shipped_phrases_dir",
    "validate_phrase_file",
    "yaml_flow",
    "yaml_scalar",
]


class PhraseSetError(ValueError):
    """A phrase-set file has errors; ``issues`` lists all of them (warnings included)."""

    def __init__(self, issues: list[PhraseIssue]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.severity == "error"]
        shown = "; ".join(str(i) for i in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"{len(errors)} error(s): {shown}{more}")


def phrase_set_sha256(ps: PhraseSet) -> str:
    """SHA-256 (hex) of the canonical text of ``ps``."""
    return hashlib.sha256(dump_phrase_set(ps).encode("utf-8")).hexdigest()


def parse_phrase_set(text: str, *, source: str = "<string>") -> tuple[PhraseSet | None, list[PhraseIssue]]:
    """Parse and validate the text of a phrase-set file.

    Returns the set (None when there is any error) and every issue found, sorted by line.
    """
    ps, issues = read_phrase_set(text, source=source)
    issues.sort(key=lambda i: i.line or 0)
    if ps is None or any(i.severity == "error" for i in issues):
        return None, issues
    return dataclasses.replace(ps, sha256=phrase_set_sha256(ps)), issues


def validate_phrase_file(path: str | os.PathLike[str]) -> tuple[PhraseSet | None, list[PhraseIssue]]:
    """Read and validate one file; unreadable files give a single error issue."""
    p = Path(path)
    try:
        text = read_text_file(p, what="phrase-set file")
    except InputRefused as exc:
        message = "is a folder, not a phrase-set file" if str(exc) == "is a folder, not a file" else str(exc)
        return None, [PhraseIssue(str(p), exc.line, None, message)]
    ps, issues = parse_phrase_set(text, source=str(p))
    if ps is not None:
        ps = dataclasses.replace(ps, path=p)
    return ps, issues


def load_phrase_set(path: str | os.PathLike[str]) -> PhraseSet:
    """Load one file; raises :class:`PhraseSetError` if it has any error (warnings are allowed)."""
    ps, issues = validate_phrase_file(path)
    if ps is None:
        raise PhraseSetError(issues)
    return ps


def phrase_files(path_or_dir: str | os.PathLike[str]) -> list[Path]:
    """The phrase-set files named by a path: the file itself, or a folder's ``*.yaml``/``*.yml``, sorted."""
    p = Path(path_or_dir)
    try:
        if p.is_dir():
            return sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml") and q.is_file())
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise PhraseSetError(
            [PhraseIssue(str(p), None, None, f"cannot list this folder: {reason}")]
        ) from None
    return [p]


def load_phrase_sets(path_or_dir: str | os.PathLike[str]) -> list[PhraseSet]:
    """Load a file or every ``*.yaml`` file of a folder; all errors of all files in one exception."""
    files = phrase_files(path_or_dir)
    if not files:
        raise PhraseSetError([PhraseIssue(str(path_or_dir), None, None, "no *.yaml phrase-set files here")])
    sets: list[PhraseSet] = []
    issues: list[PhraseIssue] = []
    for f in files:
        ps, found = validate_phrase_file(f)
        issues.extend(found)
        if ps is not None:
            sets.append(ps)
    if any(i.severity == "error" for i in issues):
        raise PhraseSetError(issues)
    return sets


def save_phrase_set(ps: PhraseSet, path: str | os.PathLike[str], *, comments_from: str | None = None) -> Path:
    """Write the canonical text atomically (temporary file in the same folder, then rename), with the
    whole-line comments of ``comments_from`` (the file's text as it was) carried over."""
    target = Path(path)
    text = dump_phrase_set(ps)
    if comments_from is not None:
        from mit_trainer.core.phrase_comments import carry_comments

        text = carry_comments(comments_from, text)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def shipped_phrases_dir() -> Path:
    """The shipped ``phrases/`` folder (env var ``MIT_TRAINER_PHRASES`` overrides)."""
    override = os.environ.get("MIT_TRAINER_PHRASES")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parents[1]
    repo = package.parent / "phrases"
    if repo.is_dir():
        return repo
    return package / "data" / "phrases"


def matched_twin_issues(sets: Iterable[PhraseSet], reference: Iterable[PhraseSet] = ()) -> list[PhraseIssue]:
    """Check ``x-matches`` of phrases in ``sets``: the trained twin exists (in ``sets`` or ``reference``)
    and has the same syllable count and H/L pattern. Returns warnings."""
    all_sets = list(sets)
    by_id = {p.id: p for ps in [*all_sets, *reference] for p in ps.phrases if p.trained}
    issues: list[PhraseIssue] = []
    for ps in all_sets:
        src = str(ps.path) if ps.path else ps.name
        for p in ps.phrases:
            twin_id = p.extras.get("x-matches")
            if twin_id is None:
                continue
            twin = by_id.get(str(twin_id))
            if twin is None:
                close = difflib.get_close_matches(str(twin_id), list(by_id), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                msg = f"no trained phrase '{twin_id}' among the sets checked{hint}"
            elif (twin.n_syllables, twin.pattern) != (p.n_syllables, p.pattern):
                msg = (
                    f"'{p.id}' is {p.n_syllables} syllables {''.join(p.pattern)} but its twin '{twin.id}' is "
                    f"{twin.n_syllables} syllables {''.join(twin.pattern)}"
                )
            else:
                continue
            issues.append(PhraseIssue(src, p.line, f"{p.id}.x-matches", msg, "warning"))
    return issues


# --- canonical text -------------------------------------------------------------------------------

_UNSAFE_ANYWHERE = re.compile(r"[,\[\]{}\n\t\r]|: |:$| #|\s$")
_STR_TAG = "tag:yaml.org,2002:str"
_UNSAFE_START = re.compile(r"^[-?:,\[\]{}#&*!|>'\"%@`\s]")


@functools.cache
def _resolver() -> yaml.resolver.Resolver:
    """PyYAML's implicit-tag resolver (tells whether a plain scalar would read back as text)."""
    return yaml.resolver.Resolver()


def yaml_scalar(value: Any) -> str:
    """One YAML scalar: plain when that reads back as the same string, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return _number(value)
    text = str(value)
    if (
        text
        and not _UNSAFE_ANYWHERE.search(text)
        and not _UNSAFE_START.match(text)
        and _resolver().resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def yaml_flow(value: Any) -> str:
    """A value in YAML flow style ([a, b], {k: v}), scalars quoted only when needed."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_scalar(str(k))}: {yaml_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_flow(v) for v in value) + "]"
    return yaml_scalar(value)


def dump_phrase_set(ps: PhraseSet) -> str:
    """The canonical YAML text of ``ps``: fixed key order, explicit syllables, pattern, beats, trained."""
    lines = [f"format: {FORMAT}", f"name: {yaml_scalar(ps.name)}", f"language: {yaml_scalar(ps.language)}"]
    if ps.defaults:
        lines.append(f"defaults: {yaml_flow(ps.defaults)}")
    lines.extend(f"{yaml_scalar(k)}: {yaml_flow(v)}" for k, v in ps.extras.items())
    lines.append("phrases:" if ps.phrases else "phrases: []")
    for p in ps.phrases:
        lines.append(f"  - id: {yaml_scalar(p.id)}")
        fields: list[tuple[str, Any]] = [
            ("text", p.text),
            ("level", p.level),
            ("syllables", list(p.syllables)),
            ("pattern", list(p.pattern)),
            ("beats", list(p.beats)),
        ]
        if p.probe is not None:
            fields.append(("probe", p.probe))
        if p.category is not None:
            fields.append(("category", p.category))
        fields.append(("trained", p.trained))
        fields.extend(p.extras.items())
        lines.extend(f"    {yaml_scalar(k)}: {yaml_flow(v)}" for k, v in fields)
    return "\n".join(lines) + "\n"
