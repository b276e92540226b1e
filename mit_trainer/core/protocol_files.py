"""Protocol files: find the shipped ones, read and validate a file, load one by id or path.

Kept apart from :mod:`mit_trainer.core.protocol` (the definitions) because reading a file needs the
validator, which itself builds those definitions.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from mit_trainer.core.bounded_input import InputRefused, decode_utf8, read_regular_bytes
from mit_trainer.core.limits import MAX_YAML_BYTES
from mit_trainer.core.protocol import Protocol, ProtocolError, ProtocolIssue
from mit_trainer.core.protocol_validate import validate_text


def _shipped_dir() -> Path:
    return Path(str(resources.files("mit_trainer").joinpath("data", "protocols")))


def shipped_protocol_paths() -> list[Path]:
    """The protocol files shipped with the trainer, sorted by file name."""
    folder = _shipped_dir()
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def validate_protocol_file(path: str | Path) -> tuple[Protocol | None, list[ProtocolIssue]]:
    """Read and validate one protocol file; every problem is reported, none raised."""
    p = Path(path)
    try:
        raw = read_regular_bytes(p, max_bytes=MAX_YAML_BYTES, what="protocol file")
        text = decode_utf8(raw)
    except InputRefused as exc:
        message = "is a folder, not a protocol file" if str(exc) == "is a folder, not a file" else str(exc)
        return None, [ProtocolIssue(str(p), exc.line, None, message)]
    proto, issues = validate_text(text, str(p))
    if proto is None:
        return None, issues
    digest = hashlib.sha256(raw).hexdigest()
    return _with_origin(proto, p, digest), issues


def _with_origin(proto: Protocol, path: Path, digest: str) -> Protocol:
    from dataclasses import replace

    return replace(proto, path=path, sha256=digest)


def shipped_protocols() -> list[Protocol]:
    """Every shipped protocol, loaded and validated (a broken shipped file raises ProtocolError)."""
    out = []
    for path in shipped_protocol_paths():
        proto, issues = validate_protocol_file(path)
        if proto is None or issues:
            raise ProtocolError(issues)
        out.append(proto)
    return out


def load_protocol(path_or_id: str | Path) -> Protocol:
    """Load a protocol from a file path, or a shipped protocol by its id (case-insensitive)."""
    p = Path(path_or_id)
    if isinstance(path_or_id, Path) or p.suffix in (".yaml", ".yml") or p.is_file():
        proto, issues = validate_protocol_file(p)
        if proto is None or issues:
            raise ProtocolError(issues)
        return proto
    wanted = str(path_or_id).casefold()
    shipped = shipped_protocols()
    for proto in shipped:
        if proto.id.casefold() == wanted:
            return proto
    known = ", ".join(pr.id for pr in shipped)
    raise ProtocolError(f"unknown protocol {path_or_id!r} (shipped: {known}; or give a .yaml file)")
