"""The one error the corpus generator raises when a generator is missing or fails (one line, for the user)."""

from __future__ import annotations


class GenerationError(RuntimeError):
    """A voice generator (Festival, espeak-ng) is missing, failed, or did not produce what was asked."""
