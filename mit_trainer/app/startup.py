"""What the trainer does when it starts: open the store and repair recordings cut off by a crash.

A recording interrupted by a crash, a power cut or SIGKILL keeps an ``.incomplete`` marker beside its WAV;
its samples are on disk (flushed every 0.25 s) but the header may be stale. Repairing it on the next start
makes every recording readable again before anything else looks at the recordings folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from mit_trainer.audio.recording import repair_incomplete_recordings
from mit_trainer.storage import Store, open_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Startup:
    store: Store
    repaired_recordings: tuple[Path, ...]


def open_trainer_store(url_or_path: str | Path | None) -> Startup:
    """Open (and migrate) the store, then repair any recording a crash left incomplete."""
    store = open_store(url_or_path)
    repaired: list[Path] = []
    if store.recordings_dir.exists():
        repaired = repair_incomplete_recordings(store.recordings_dir)
        for path in repaired:
            log.warning("repaired a recording cut off by a crash: %s", path.name)
    return Startup(store, tuple(repaired))
