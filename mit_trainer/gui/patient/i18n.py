"""The patient's screen in the patient's language (Qt's translation system).

Translations live as Qt ``.ts`` files in ``assets/i18n/patient_<lang>.ts`` (context ``patient``) and are
compiled to ``.qm`` at build time (``scripts/setup.sh``, ``setup.py``) with PySide6's ``lrelease``. Only
the patient's screen is translated; the therapist's screens stay English for now. A language without a
translation (or a missing compiled file) shows English and says so once in the log.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import platformdirs
from PySide6.QtCore import QTranslator

from mit_trainer.gui.icons import icons_dir

log = logging.getLogger(__name__)
CONTEXT = "patient"


def i18n_dir() -> Path:
    """``assets/i18n`` of the source tree, or the copy a wheel carries."""
    return icons_dir().parent / "i18n"


def available_languages() -> list[str]:
    """Languages with a translation source (``en`` is the original)."""
    return ["en", *sorted(p.stem.removeprefix("patient_") for p in i18n_dir().glob("patient_*.ts"))]


def _lrelease() -> Path | None:
    here = Path(sys.executable).parent
    for name in ("pyside6-lrelease", "lrelease"):
        if (here / name).is_file():
            return here / name
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def _compiled(lang: str) -> Path:
    """The compiled translation: built next to its source, or (a source checkout that was never set up)
    compiled now into the user cache with PySide6's lrelease."""
    qm = i18n_dir() / f"patient_{lang}.qm"
    ts = i18n_dir() / f"patient_{lang}.ts"
    if qm.is_file() or not ts.is_file():
        return qm
    tool = _lrelease()
    if tool is None:
        return qm
    cached = Path(platformdirs.user_cache_dir("mit-trainer", appauthor=False)) / "i18n" / qm.name
    cached.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run([str(tool), "-silent", str(ts), "-qm", str(cached)], check=True, timeout=60)
    return cached


@functools.cache
def _translator(lang: str) -> QTranslator | None:
    qm = _compiled(lang)
    translator = QTranslator()
    if not qm.is_file() or not translator.load(str(qm)):
        if (i18n_dir() / f"patient_{lang}.ts").is_file():
            log.warning("the patient's screen in %r is not compiled (%s missing): showing English", lang, qm)
        return None
    return translator


class PatientTexts:
    """``texts(source)``: the patient's screen text in ``language`` (an ISO code such as ``de`` or ``fr``)."""

    def __init__(self, language: str = "en") -> None:
        self.language = (language or "en").split("-")[0].split("_")[0].lower()
        self._tr = None if self.language == "en" else _translator(self.language)

    @property
    def translated(self) -> bool:
        return self._tr is not None

    def __call__(self, source: str) -> str:
        if self._tr is None:
            return source
        return self._tr.translate(CONTEXT, source) or source
