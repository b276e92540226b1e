"""Keep a phrase-set file's comments when the editor writes it again, and derive ids from text.

The editor saves the canonical text (:func:`~mit_trainer.core.phrases.dump_phrase_set`), which has no
comments; therapists annotate their files by hand, so whole-line comments are carried over from the
file as it was: the header (before the first key), each block of comment lines standing just before a
phrase (it stays with that phrase, found by id), and the comments at the end. Comments at the end of a
line of data are not kept (they belong to a value the editor may have changed).
"""

from __future__ import annotations

import re
import unicodedata

_ITEM = re.compile(r"^\s*-\s+id:\s*['\"]?([^'\"#\s]+)")
_ID_CHARS = re.compile(r"[^a-z0-9]+")
MAX_ID_LENGTH = 48


def _comment_blocks(text: str) -> tuple[list[str], dict[str, list[str]], list[str]]:
    lines = text.splitlines()
    header: list[str] = []
    i = 0
    while i < len(lines) and (lines[i].lstrip().startswith("#") or not lines[i].strip()):
        header.append(lines[i])
        i += 1
    while header and not header[-1].strip():
        header.pop()
    by_id: dict[str, list[str]] = {}
    pending: list[str] = []
    for line in lines[i:]:
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(line)
            continue
        m = _ITEM.match(line)
        if m and pending:
            by_id[m.group(1)] = pending
        if stripped:
            pending = []
    return header, by_id, pending


def carry_comments(original: str, canonical: str) -> str:
    """``canonical`` with the whole-line comments of ``original`` put back where they belong."""
    header, by_id, trailing = _comment_blocks(original)
    out = list(header)
    for line in canonical.splitlines():
        m = _ITEM.match(line)
        if m and m.group(1) in by_id:
            out.extend(by_id[m.group(1)])
        out.append(line)
    out.extend(trailing)
    return "\n".join(out) + "\n"


def id_from_text(text: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A phrase id from its text (``Thank you!`` -> ``thank-you``), made unique among ``taken``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = _ID_CHARS.sub("-", ascii_text.lower()).strip("-")[:MAX_ID_LENGTH].strip("-") or "phrase"
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    return candidate
