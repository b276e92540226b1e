"""The main window appears in one short event-loop turn: what building it posted is handled before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QWidget

from mit_trainer.gui.app import prepare_to_show

_POLISHED = Qt.WidgetAttribute.WA_WState_Polished
DEFERRED = (QEvent.Type.PolishRequest, QEvent.Type.LayoutRequest, QEvent.Type.MetaCall)


class _Count(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in DEFERRED:
            self.n += 1
        return False


def _deferred_events_after_show(
    qtbot: Any, make_rig: Any, tmp_path: Path, *, prepared: bool
) -> tuple[int, list[QWidget]]:
    app = QApplication.instance()
    r = make_rig(tmp_path)
    try:
        if prepared:
            prepare_to_show(app, r.window)
        unpolished = [w for w in r.window.findChildren(QWidget) if not w.testAttribute(_POLISHED)]
        count = _Count()
        app.installEventFilter(count)
        try:
            r.window.show()
            app.processEvents()  # the first turn after show()
        finally:
            app.removeEventFilter(count)
        qtbot.waitUntil(lambda: r.services.store is not None, timeout=30000)
        return count.n, unpolished
    finally:
        r.close()


def test_first_turn_after_show_handles_only_a_few_deferred_events(
    qtbot: Any, unshown_rig: Any, tmp_path: Path
) -> None:
    shown_raw, _ = _deferred_events_after_show(qtbot, unshown_rig, tmp_path / "raw", prepared=False)
    shown_prepared, unpolished = _deferred_events_after_show(
        qtbot, unshown_rig, tmp_path / "prepared", prepared=True
    )
    assert unpolished == []  # every widget, on every page and hidden ones too, was polished before show
    assert shown_raw > 300  # what building the pages posts: polish and layout requests, queued calls
    assert shown_prepared < 30, shown_prepared


class _Painted(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def paintEvent(self, event: Any) -> None:
        self.paints += 1


def test_start_up_work_waits_for_the_first_paint(qtbot: Any) -> None:
    from mit_trainer.gui.app import AfterFirstPaint

    w = _Painted()
    qtbot.addWidget(w)
    ran: list[int] = []
    gate = AfterFirstPaint(w, lambda: ran.append(w.paints), fallback_ms=60_000)
    QApplication.processEvents()
    assert ran == [] and not gate.done()  # built, not shown: nothing yet
    w.show()
    qtbot.waitUntil(gate.done, timeout=5000)
    assert ran == [1]  # after the window painted once
    w.update()
    qtbot.wait(50)
    assert ran == [1]  # and only once


def test_start_up_work_runs_anyway_if_the_window_is_never_shown(qtbot: Any) -> None:
    from mit_trainer.gui.app import AfterFirstPaint

    w = _Painted()
    qtbot.addWidget(w)
    ran: list[int] = []
    gate = AfterFirstPaint(w, lambda: ran.append(w.paints), fallback_ms=30)
    qtbot.waitUntil(gate.done, timeout=5000)
    assert ran == [0]


def test_start_up_jobs_run_one_after_another(
    qtbot: Any, unshown_rig: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """The imports (prewarm) start once the store has opened: two workers running Python at once
    beside the GUI thread kept it waiting for the interpreter lock."""
    import threading

    from mit_trainer.gui import wiring

    real_open = wiring.open_store
    log: list[str] = []
    release = threading.Event()

    def slow_open(db: Any) -> Any:
        log.append("open begins")
        release.wait(10)
        store = real_open(db)
        log.append("open ends")
        return store

    monkeypatch.setattr(wiring, "open_store", slow_open)
    monkeypatch.setattr(wiring, "prewarm", lambda: log.append("prewarm"))
    r = unshown_rig(tmp_path)
    try:
        r.window.show()
        qtbot.waitUntil(lambda: log == ["open begins"], timeout=5000)
        qtbot.wait(200)
        assert log == ["open begins"]  # no prewarm while the store is opening
        release.set()
        qtbot.waitUntil(lambda: "prewarm" in log, timeout=30000)
        assert log == ["open begins", "open ends", "prewarm"]
    finally:
        release.set()
        r.close()


def test_the_inference_runtime_is_loaded_before_the_window_shows(tmp_path: Path) -> None:
    """onnxruntime's import holds the GIL ~30 ms in one piece: before the window, not on a worker after."""
    import subprocess
    import sys

    code = (
        "import sys, mit_trainer.gui.app as a\n"
        "def stop(app, *windows):\n"
        "    print('onnxruntime' in sys.modules, flush=True)\n"
        "    raise SystemExit(0)\n"
        "a.prepare_to_show = stop\n"
        "a.run(db=sys.argv[1])\n"
    )
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "MIT_TRAINER_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "t.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
