"""How long the GUI thread is held: the scripted demo per phase, and a theme change, side by side.

Part 1 runs ``mit-trainer gui --demo --screenshot-dir`` (the real trainer, the simulated patient on the
fake device, analysis, database and report on workers) once per Qt platform: ``offscreen`` and, when
``xvfb-run`` is installed, a real X11 window (``xcb`` on Xvfb). The demo's stall monitor (a 10 ms
timer on the GUI thread; screenshots excluded) prints per phase the median, p99 and longest gap and
how many gaps exceeded 50 ms. Target (issue 6): no gap over 50 ms.

Part 2 restyles the full main window (every page built and shown once) for a theme change, four ways:
the style sheet on the application or on each of our pages and windows (one step each), with or
without an application-wide Python event filter (what the idle auto-lock used to install). It prints
the median and longest of 6 changes.

Part 3 starts the trainer in a new process three times and prints when its window first painted and
when it was usable (database open, therapists listed on the lock screen). Target: usable within 3 s.

Run: ``.venv/bin/python benchmarks/bench_gui_responsiveness.py [--runs 1] [--skip-demo]``
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROW = re.compile(r"^\s{2}(\S.*?)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$")


def demo_table(platform: str) -> dict[str, tuple[float, int, int, int, int]]:
    """phase -> (seconds, p50, p99, longest, gaps over 50 ms) from one demo run on ``platform``."""
    with tempfile.TemporaryDirectory() as shots:
        cmd = [sys.executable, "-m", "mit_trainer.cli.main", "gui", "--demo", "--screenshot-dir", shots]
        env = dict(os.environ, QT_QPA_PLATFORM=platform)
        if platform == "xcb":
            cmd = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", *cmd]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"the demo failed on {platform}:\n{out.stderr[-2000:]}")
    rows = {}
    for line in out.stdout.splitlines():
        m = ROW.match(line)
        if m:
            name, secs, *ms = m.groups()
            rows[name] = (float(secs), *(int(v) for v in ms))
    return rows


def part1(runs: int) -> None:
    platforms = ["offscreen"] + (["xcb"] if shutil.which("xvfb-run") else [])
    tables = {(p, r): demo_table(p) for p in platforms for r in range(runs)}
    phases = list(next(iter(tables.values())))
    head = "".join(f" | {p + (f' #{r + 1}' if runs > 1 else ''):>27s}" for p, r in tables)
    print("GUI-thread gaps in the scripted demo, ms: p50 / p99 / longest (gaps > 50 ms)\n")
    print(f"{'phase':22s}{head}")
    for phase in phases:
        cells = ""
        for key in tables:
            _s, p50, p99, longest, over = tables[key].get(phase, (0, 0, 0, 0, 0))
            cells += f" | {p50:5d} / {p99:4d} / {longest:5d} ({over:3d})"
        print(f"{phase:22s}{cells}")
    print()


def part2(repeats: int = 6) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from mit_trainer.gui.app import build
    from mit_trainer.gui.settings_store import GuiSettings
    from mit_trainer.gui.theme import THEMES, style_sheet, theme_steps

    class EveryEvent(QObject):
        """Sees every event of the application in Python, as the old idle lock's filter did."""

        def __init__(self) -> None:
            super().__init__()
            self.inputs = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove):
                self.inputs += 1
            return False

    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp())
    services, window = build(app, db=str(tmp / "b.sqlite3"), settings=GuiSettings())
    window.resize(1280, 800)
    window.show()
    services.patient_window.show()
    deadline = time.perf_counter() + 60  # start-up work (database, imports) finished: the change alone
    while (services.store is None or services.tasks.busy()) and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)
    services.tasks.wait_idle()
    for name in window.pages:
        window.show_page(name)
        app.processEvents()
    print(f"Theme change with {len(app.allWidgets())} widgets (main window: every page shown once)\n")
    print(f"{'style sheet on':18s} {'event filter':22s} {'whole change':>14s} {'longest step':>14s}")
    filt = EveryEvent()
    for where in ("application", "our pages"):
        for filtered in (True, False):
            if filtered:
                app.installEventFilter(filt)
            totals, longest = [], []
            for i in range(repeats):
                theme = THEMES["high-contrast" if i % 2 == 0 else "light"]
                steps = (
                    [lambda t=theme: app.setStyleSheet(style_sheet(t))]
                    if where == "application"
                    else theme_steps(app, theme, widgets=services.themed_widgets)
                )
                t0 = time.perf_counter()
                worst = 0.0
                for step in steps:
                    s0 = time.perf_counter()
                    step()
                    app.processEvents()
                    worst = max(worst, time.perf_counter() - s0)
                totals.append(time.perf_counter() - t0)
                longest.append(worst)
            if filtered:
                app.removeEventFilter(filt)
            app.setStyleSheet("")
            label = "app-wide (Python)" if filtered else "windows only"
            tot, lon = np.asarray(totals) * 1000, np.asarray(longest) * 1000
            print(
                f"{where:18s} {label:22s} {np.median(tot):6.0f} / {tot.max():4.0f}  "
                f"{np.median(lon):6.0f} / {lon.max():4.0f}"
            )
    print("(median / max of", repeats, "changes, ms; 'longest step' = longest single event-loop turn)")
    services.shutdown()


def launch_child(db: str, launched: float) -> None:
    """In a fresh process: start the trainer as ``mit-trainer gui`` does and print, in seconds after
    ``launched`` (the parent's clock before it started this process), when the window first painted
    and when it was usable (the database open and the therapists listed on the lock screen)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from mit_trainer.gui.app import AfterFirstPaint, build, prepare_to_show

    services, window = build(app, db=db)
    window.resize(1280, 800)
    window.lock()
    prepare_to_show(app, window, services.patient_window)
    marks: dict[str, float] = {}
    AfterFirstPaint(window, lambda: marks.setdefault("painted", time.time() - launched))
    window.show()

    def poll() -> None:
        if services.store is not None and window.lock_screen.therapist_box.count() > 0:
            marks.setdefault("usable", time.time() - launched)
            app.quit()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(5)
    app.exec()
    print(f"{marks.get('painted', float('nan')):.3f} {marks.get('usable', float('nan')):.3f}", flush=True)
    services.shutdown()


def part3(runs: int = 3) -> None:
    """Launch to usable: a new process each time, on a database with one therapist."""
    tmp = Path(tempfile.mkdtemp())
    db = str(tmp / "launch.sqlite3")
    from mit_trainer.storage import open_store

    store = open_store(db)
    store.add_therapist("T")
    store.close()
    print("\nLaunch to usable (new process; database open, therapists listed), seconds\n")
    print(f"{'run':>4s} {'window painted':>15s} {'usable':>8s}")
    for r in range(runs):
        launched = time.time()
        out = subprocess.run(
            [sys.executable, __file__, "--launch-child", db, repr(launched)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        painted, usable = out.stdout.split()[-2:] if out.returncode == 0 else ("failed", "failed")
        print(f"{r + 1:4d} {painted:>15s} {usable:>8s}")
    print("(target, issue 6: usable within 3 s of launch)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1, help="demo runs per platform")
    ap.add_argument("--skip-demo", action="store_true", help="only the theme change and the launch")
    ap.add_argument("--launch-child", nargs=2, metavar=("DB", "LAUNCHED"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.launch_child:
        launch_child(args.launch_child[0], float(args.launch_child[1]))
        return
    if not args.skip_demo:
        part1(args.runs)
    part2()
    part3()


if __name__ == "__main__":
    main()
