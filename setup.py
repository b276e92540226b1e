"""Build step only: the wheel carries the shipped phrase sets and the icons inside the package.

``phrases/`` and ``assets/`` sit at the top of the repository (the agreed layout), outside the package,
so a plain wheel would install the trainer without them. ``build_py`` copies them to
``mit_trainer/data/phrases`` and ``mit_trainer/data/assets``, where the code looks when it does not run
from a source checkout (``core.phrases.shipped_phrases_dir``, ``gui.icons.icons_dir``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {"phrases": "data/phrases", "assets": "data/assets"}


class BuildWithData(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        for source, target in SHIPPED.items():
            src = ROOT / source
            if src.is_dir():
                dest = Path(self.build_lib) / "mit_trainer" / target
                shutil.copytree(src, dest, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithData})
