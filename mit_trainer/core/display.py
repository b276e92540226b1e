"""Text from files and the command line made safe to show: control characters escaped, one line.

A phrase file may hold ``"\\e[2J"`` (a quoted escape clears a terminal) or a right-to-left override; every
message and listing that shows such text passes it through :func:`printable`, which writes those characters as
``\\x1b``-style escapes and keeps everything else (accents, other scripts) as it is.
"""

from __future__ import annotations

import unicodedata

#: Invisible characters that reorder or hide text (bidirectional overrides and isolates).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _unsafe(ch: str) -> bool:
    return ch in _BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")


def control_characters(text: str) -> list[str]:
    """The distinct unsafe characters of ``text`` as ``U+001B``-style names, in order of appearance."""
    return list(dict.fromkeys(f"U+{ord(ch):04X}" for ch in text if _unsafe(ch)))


def printable(text: object) -> str:
    """``str(text)`` with control, line-separator and bidirectional-override characters escaped."""
    s = str(text)
    if not any(_unsafe(ch) for ch in s):
        return s
    out = []
    for ch in s:
        if not _unsafe(ch):
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)
