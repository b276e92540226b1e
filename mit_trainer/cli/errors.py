"""The one exception type the command line turns into a one-line message and exit status."""

from __future__ import annotations


class CliError(Exception):
    """A problem the user can fix; printed as ``mit-trainer: error: <message>``."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status
