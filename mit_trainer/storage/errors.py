"""Exceptions raised by the session store; each carries one line a user can act on."""

from __future__ import annotations


class StoreError(Exception):
    """Base class: a problem with the store the caller can report in one line."""


class BadDatabaseUrl(StoreError):
    """The database argument is neither a file path nor a supported URL."""


class DatabaseUnreachable(StoreError):
    """The database server or file could not be opened."""


class UnknownPatient(StoreError):
    """No patient with that code or id."""


class DuplicatePatientCode(StoreError):
    """A patient with that pseudonymous code already exists."""


class UnknownRecord(StoreError):
    """No therapist, session or attempt with that id."""


class InvalidValue(StoreError):
    """A value breaks a rule of the store (range, allowed levels, format)."""


class UnsafePath(StoreError):
    """A path or folder name read from the database would leave its root folder (``..``, an absolute
    path, a symbolic link out): it is reported and never read, written, exported or deleted."""


class UnreadableValue(StoreError):
    """A stored value cannot be read (a date that is not a date, JSON that is not JSON)."""


class DamagedDatabase(StoreError):
    """The database file fails SQLite's integrity check: it is open read-only."""
