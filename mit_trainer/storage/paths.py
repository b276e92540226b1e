"""Where MIT Trainer keeps its data by default: the database file and the recordings folder.

The folder is ``platformdirs.user_data_dir("mit-trainer")`` unless the environment variable
``MIT_TRAINER_HOME`` names another one (tests, portable installs, a clinic's shared drive).
Nothing here creates folders at import time; callers create them when they write.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from mit_trainer.core import defaults

#: File name of the default SQLite database inside the data folder.
DB_FILENAME = defaults.DB_FILENAME
#: Name of the recordings folder, kept beside the database file.
RECORDINGS_DIRNAME = "recordings"
#: Name of the folder of ``mit-trainer db backup`` copies, kept beside the database file.
BACKUPS_DIRNAME = "backups"
#: Environment variable that overrides the data folder.
HOME_ENV = "MIT_TRAINER_HOME"


def data_dir() -> Path:
    """The per-user data folder (``$MIT_TRAINER_HOME`` when set)."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("mit-trainer", appauthor=False))


def default_db_path() -> Path:
    """The default SQLite database file: ``<data folder>/mit-trainer.sqlite3``."""
    return data_dir() / DB_FILENAME


def recordings_dir_for(db_path: Path | None) -> Path:
    """The recordings folder beside ``db_path``; for a server database, the one in the data folder."""
    base = db_path.parent if db_path is not None else data_dir()
    return base / RECORDINGS_DIRNAME
