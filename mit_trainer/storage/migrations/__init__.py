"""Alembic migrations of the session store, run programmatically by :mod:`mit_trainer.storage.engine`."""
