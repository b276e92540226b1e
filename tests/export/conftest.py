"""Fixtures of the export tests; they live in export_fixtures.py (each test folder has a conftest,
so ``from conftest import`` would pick whichever folder's loaded first)."""

from export_fixtures import clinic  # noqa: F401
