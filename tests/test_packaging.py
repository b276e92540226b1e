"""The wheel carries the shipped phrase sets and the icons, and an installed trainer finds them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')

ROOT = Path(__file__).resolve().parents[1]


def _source_copy(dest: Path) -> Path:
    """The files a build reads, copied (a build in the checkout would reuse its ``build/`` folder)."""
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("mit_trainer", "phrases", "assets"):
        shutil.copytree(ROOT / name, dest / name, ignore=skip)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


def test_wheel_carries_phrases_and_icons_and_installed_code_finds_them(tmp_path: Path) -> None:
    src = _source_copy(tmp_path / "src")
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels),
         "."],
        capture_output=True, text=True, timeout=300, cwd=src,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    wheel = next(wheels.glob("mit_trainer-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in sorted((ROOT / "phrases").glob("*.yaml")):
        assert f"mit_trainer/data/phrases/{f.name}" in names
    for f in sorted((ROOT / "phrases").glob("*/*.yaml")):  # one folder per other language
        assert f"mit_trainer/data/phrases/{f.parent.name}/{f.name}" in names
    for f in sorted((ROOT / "assets" / "icons").glob("*.svg")):
        assert f"mit_trainer/data/assets/icons/{f.name}" in names
    site = tmp_path / "site"
    inst = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert inst.returncode == 0, inst.stderr
    # -S: no site-packages .pth files, so the editable install of this checkout cannot shadow the wheel.
    probe = (
        "from mit_trainer.core.phrases import shipped_phrases_dir, load_phrase_sets;"
        "from mit_trainer.gui.icons import icons_dir;"
        "d = shipped_phrases_dir(); print(d); print(icons_dir());"
        "print(sorted(p.name for p in d.glob('*.yaml')));"
        "print(sum(len(s.phrases) for s in load_phrase_sets(d)))"
    )
    env = {"PYTHONPATH": f"{site}:{sysconfig.get_paths()['purelib']}:{sysconfig.get_paths()['platlib']}"}
    run = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    phrases_dir, icons, listed, n_phrases = run.stdout.splitlines()
    assert phrases_dir == str(site / "mit_trainer" / "data" / "phrases")
    assert icons == str(site / "mit_trainer" / "data" / "assets" / "icons")
    assert listed == str(sorted(f.name for f in (ROOT / "phrases").glob("*.yaml")))
    from mit_trainer.core.phrases import load_phrase_sets

    assert int(n_phrases) == sum(len(s.phrases) for s in load_phrase_sets(ROOT / "phrases")) > 0
