"""Reading hand-written YAML files within bounds: regular files only, a size limit, strict UTF-8, no aliases,
limited nesting.

Phrase-set and protocol files come from therapists and from whoever can write to a shared folder, so the
reader never blocks on a FIFO or device (``/dev/zero``), never reads more than :data:`MAX_YAML_BYTES`, and
refuses YAML aliases (``*name``: a few lines of them expand to billions of nodes, the "billion laughs") and
nesting deeper than :data:`MAX_YAML_DEPTH` (which would exhaust the stack) before any document is built.
Each refusal is a :class:`InputRefused` whose text is one line a user can act on.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from mit_trainer.core.limits import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_EVENTS


class InputRefused(ValueError):
    """A file or document that is refused; ``line`` is 1-based when known, ``str()`` is one line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def read_regular_bytes(path: str | os.PathLike[str], *, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; :class:`InputRefused` otherwise.

    The file is opened non-blocking (a FIFO swapped in after the check cannot hang the read) and checked
    again on the open descriptor.
    """
    p = Path(path)
    try:
        st = os.stat(p)
        if not stat.S_ISREG(st.st_mode):
            raise InputRefused(_kind(st.st_mode))
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputRefused("no such file") from None
    except NotADirectoryError:
        raise InputRefused("no such file (a part of the path is not a folder)") from None
    except PermissionError:
        raise InputRefused("permission denied") from None
    except OSError as exc:
        raise InputRefused(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputRefused(_kind(st.st_mode))
        if st.st_size > max_bytes:
            raise InputRefused(f"too large for a {what}: {st.st_size} bytes (the limit is {max_bytes})")
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 16, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise InputRefused(f"too large for a {what}: more than {max_bytes} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise InputRefused(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def decode_utf8(raw: bytes) -> str:
    """Strict UTF-8 (a leading byte-order mark is dropped); :class:`InputRefused` names the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputRefused(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", line) from None


def read_text_file(path: str | os.PathLike[str], *, what: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """A bounded, strictly decoded UTF-8 text file (see :func:`read_regular_bytes`)."""
    return decode_utf8(read_regular_bytes(path, max_bytes=max_bytes, what=what))


_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def check_yaml_shape(text: str, loader: type[yaml.SafeLoader], *, max_depth: int = MAX_YAML_DEPTH) -> None:
    """Scan the YAML events of ``text`` and refuse aliases, deep nesting and too many events.

    Raises :class:`InputRefused` for those, and lets ``yaml.YAMLError`` through for syntax errors (the
    callers report those with their line). Runs in time and memory linear in the text and stops at the
    first refusal, so it is safe on any input of bounded size.
    """
    if len(text) > MAX_YAML_BYTES:
        raise InputRefused(f"too large: {len(text)} characters (the limit is {MAX_YAML_BYTES})")
    depth = 0
    for n, event in enumerate(yaml.parse(text, Loader=loader), 1):
        if isinstance(event, yaml.AliasEvent):
            raise InputRefused(
                f"YAML aliases (*{event.anchor}) are not allowed; write the value out", _line(event)
            )
        if isinstance(event, _OPEN):
            depth += 1
            if depth > max_depth:
                raise InputRefused(f"nested more than {max_depth} levels deep", _line(event))
        elif isinstance(event, _CLOSE):
            depth -= 1
        if n > MAX_YAML_EVENTS:
            raise InputRefused(f"more than {MAX_YAML_EVENTS} YAML values", _line(event))


def _line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return int(mark.line) + 1 if mark is not None else None
