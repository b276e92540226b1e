"""What the trainer does when it starts: open the store and recover what a crash left behind.

A recording interrupted by a crash, a power cut or SIGKILL keeps an ``.incomplete`` marker beside its WAV;
its samples are on disk (flushed every 0.25 s) but the header may be stale. Repairing it on the next start
makes every recording readable again before anything else looks at the recordings folder. Then the
store closes the sessions the crash left open, marks them interrupted and lists the recordings that never
got their attempt row (:mod:`mit_trainer.storage.recovery`); :attr:`Startup.message` says so once.
The GUI and every command that opens the store (``patients``, ``sessions``, ``export``, ``demo``) run it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from mit_trainer.storage import Store, open_store
from mit_trainer.storage.recovery import RecoveryReport

log = logging.getLogger(__name__)
#: Suffix of the marker a recording keeps until it is finished (``audio.recording.INCOMPLETE_SUFFIX``).
_INCOMPLETE = ".incomplete"


@dataclass(frozen=True)
class Startup:
    store: Store
    repaired_recordings: tuple[Path, ...]
    recovery: RecoveryReport = field(default_factory=RecoveryReport)

    @property
    def message(self) -> str:
        """One line for the user about what was recovered, or empty."""
        text = self.recovery.message()
        if self.repaired_recordings:
            repaired = f"{len(self.repaired_recordings)} recording(s) cut off by a crash repaired"
            text = f"{text}; {repaired}" if text else f"recovered after a crash: {repaired}"
        return text


def open_trainer_store(url_or_path: str | Path | None) -> Startup:
    """Open (and migrate) the store, then recover what a crash left (see :func:`recover`)."""
    return recover(open_store(url_or_path))


def recover(store: Store) -> Startup:
    """Repair recordings a crash cut off, then close and mark the sessions it left open."""
    repaired = _repair(store.recordings_dir)
    for path in repaired:
        log.info("repaired a recording cut off by a crash: %s", path.name)  # said in Startup.message
    report = store.recover_after_crash()  # the caller says it (CLI: stderr; GUI: the lock screen)
    return Startup(store, tuple(repaired), report)


def _repair(folder: Path) -> list[Path]:
    if not folder.is_dir() or next(folder.rglob("*" + _INCOMPLETE), None) is None:
        return []
    from mit_trainer.audio.recording import repair_incomplete_recordings  # numpy, soundfile: only if needed

    return repair_incomplete_recordings(folder)
