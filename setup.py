"""Build step only: the wheel carries the shipped phrase sets and the icons inside the package.

``phrases/`` and ``assets/`` sit at the top of the repository (the agreed layout), outside the package,
so a plain wheel would install the trainer without them. ``build_py`` copies them to
``mit_trainer/data/phrases`` and ``mit_trainer/data/assets``, where the code looks when it does not run
from a source checkout (``core.phrases.shipped_phrases_dir``, ``gui.icons.icons_dir``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {"phrases": "data/phrases", "assets": "data/assets"}


def _lrelease() -> str | None:
    """PySide6's lrelease (it compiles the patient screen's translations), if this environment has it."""
    here = Path(sys.executable).parent / "pyside6-lrelease"
    return str(here) if here.is_file() else shutil.which("pyside6-lrelease")


class BuildWithData(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        for source, target in SHIPPED.items():
            src = ROOT / source
            if src.is_dir():
                dest = Path(self.build_lib) / "mit_trainer" / target
                shutil.copytree(src, dest, dirs_exist_ok=True)
        tool = _lrelease()
        i18n = Path(self.build_lib) / "mit_trainer" / "data" / "assets" / "i18n"
        for ts in sorted(i18n.glob("*.ts")) if tool else ():
            subprocess.run([tool, "-silent", str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)


setup(cmdclass={"build_py": BuildWithData})
