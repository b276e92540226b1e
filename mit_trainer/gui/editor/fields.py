"""Text-field parsing and file import for the phrase-set editor (no Qt).

Syllables and beats are typed as plain text; import validates a phrase-set file with the project's
own parser and copies it into the user's phrase folder without overwriting an existing set.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mit_trainer.core.phrases import validate_phrase_file


def split_syllables(text: str) -> tuple[str, ...]:
    """Syllables typed as ``thank you`` or ``good-bye`` or ``to·day``."""
    for sep in ("-", "·", "|"):
        text = text.replace(sep, " ")
    return tuple(s for s in text.split() if s)


def derive_syllables(text: str, language: str) -> tuple[tuple[str, ...], tuple[str, ...]] | str:
    """(syllables, H/L pattern) derived from ``text``, or a one-line note saying why not."""
    from mit_trainer.core.syllabify import UnknownWordsError
    from mit_trainer.core.syllabify_lang import derivable, derive_text

    if not derivable(language):
        return "Syllables are not derived for this language: type them (separated by spaces or '-')."
    try:
        d = derive_text(text, language)
    except UnknownWordsError as exc:
        return f"Type the syllables yourself: {exc}."
    except ValueError as exc:
        return f"Cannot derive syllables: {exc}."
    return d.syllables, d.pattern


def parse_beats(text: str, n: int) -> tuple[float, ...] | None:
    """Beats typed as ``2 1 1``; empty means one beat each; None when unreadable."""
    if not text.strip():
        return tuple(1.0 for _ in range(n))
    try:
        return tuple(float(b) for b in text.replace(",", " ").split())
    except ValueError:
        return None


def import_phrase_file(path: Path, folder: Path) -> tuple[Path | None, list[str]]:
    """Copy a valid phrase-set file into ``folder``; returns (new path or None, messages)."""
    ps, issues = validate_phrase_file(path)
    messages = [str(i) for i in issues]
    if ps is None or any(i.severity == "error" for i in issues):
        return None, messages
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 2
    while target.exists():
        target = folder / f"{path.stem}-{n}{path.suffix}"
        n += 1
    shutil.copyfile(path, target)
    return target, messages
