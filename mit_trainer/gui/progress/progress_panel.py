"""Progress charts per patient over sessions, and the PDF session report.

Four pyqtgraph charts: points % per session (coloured by level), success per step, pitch error and
rhythm score, tap asynchrony and fatigue. The data come from :func:`progress_series` on the database
executor; the PDF is written on a worker thread from images of the charts grabbed here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mit_trainer.gui.progress.data import SessionPoint, progress_series
from mit_trainer.gui.tasks import StagedWork

LEVEL_SYMBOLS = {1: "o", 2: "s", 3: "t"}
STEP_COLOURS = ("#1f5f99", "#1e6b3a", "#8a4b00", "#5b3f99", "#00707a", "#7a2e5b")


def _series(plot: pg.PlotWidget, x: np.ndarray, y: list[float], **kw: Any) -> None:
    """Plot the finite points of ``y`` (nothing when there are none)."""
    ys = np.asarray(y, dtype=float)
    ok = np.isfinite(ys)
    if ok.any():
        plot.plot(x[ok], ys[ok], **kw)


def _plot(title: str, left: str) -> pg.PlotWidget:
    p = pg.PlotWidget(title=title)
    p.setMenuEnabled(False)
    p.setMouseEnabled(x=False, y=False)
    p.hideButtons()
    p.setLabel("left", left)
    p.setLabel("bottom", "session")
    # The legend is a row under the chart, not a box over it: over the data it hid points and lines.
    legend = pg.LegendItem(colCount=2)  # no offset: laid out in the plot's grid, not anchored on the data
    p.plotItem.layout.addItem(legend, 5, 1)
    p.plotItem.legend = legend  # series plotted with a name get their entry there
    p.setMinimumHeight(180)
    p.setAccessibleName(title)
    return p


class ProgressPanel(QWidget):
    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Progress")
        self.s = services
        self.points: list[SessionPoint] = []
        self._loading = self._load_again = False  # a read of the sessions is running / wanted after it
        self._load_after_reveal = False  # a read asked for while the charts appear: starts after them
        # The charts appear and are drawn one step per event-loop turn (a chart, or a series); one list
        # of steps, so two charts never change in the same turn.
        self.drawing = StagedWork(self)
        self.report_work = StagedWork(self)  # the report's chart images, one per turn
        self.patient_box = QComboBox()
        self.patient_box.setAccessibleName("Patient")
        self.patient_box.currentIndexChanged.connect(lambda _i: self.load())
        refresh = QPushButton("&Refresh")
        refresh.setAccessibleName("Refresh")
        refresh.clicked.connect(self.reload_patients)
        self.sessions = QListWidget()
        self.sessions.setAccessibleName("Sessions")
        self.report_button = QPushButton("&PDF report of the session…")
        self.report_button.setAccessibleName("PDF report of the selected session")
        self.report_button.clicked.connect(self._ask_report)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setAccessibleName("Progress message")
        self.plots = {
            "points": _plot("Points per session", "% of possible"),
            "steps": _plot("Success per step", "% correct"),
            "pitch": _plot("Pitch error and rhythm", "cents | rhythm × 100"),
            "taps": _plot("Tap asynchrony and fatigue", "ms | fatigue × 10"),
        }
        grid = QGridLayout()
        self.slots: list[QStackedWidget] = []  # each chart over a blank page of the same size
        for i, p in enumerate(self.plots.values()):
            slot = QStackedWidget()
            slot.addWidget(QWidget())
            slot.addWidget(p)
            self.slots.append(slot)
            grid.addWidget(slot, i // 2, i % 2)
        top = QHBoxLayout()
        top.addWidget(QLabel("Patient"))
        top.addWidget(self.patient_box, 1)
        top.addWidget(refresh)
        side = QVBoxLayout()
        side.addWidget(QLabel("Sessions"))
        side.addWidget(self.sessions, 1)
        side.addWidget(self.report_button)
        body = QHBoxLayout()
        body.addLayout(grid, 4)
        body.addLayout(side, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addWidget(self.info)
        outer.addLayout(body, 1)
        self.apply_theme(services.theme)

    def apply_theme(self, theme: Any) -> None:
        for p in self.plots.values():
            p.setBackground(theme.panel)
            for axis in ("left", "bottom"):
                p.getAxis(axis).setPen(pg.mkPen(theme.text))
                p.getAxis(axis).setTextPen(pg.mkPen(theme.text))
            p.setTitle(p.plotItem.titleLabel.text, color=theme.text)
            p.plotItem.legend.setLabelTextColor(theme.text)

    def showEvent(self, event: Any) -> None:
        if self.patient_box.count() == 0:
            self.reload_patients()
        # pyqtgraph paints its axes in Python (20-50 ms a chart): the page appears at once and its charts
        # one per event-loop turn. Each chart swaps in for a blank page of its slot, so the layout never
        # changes and only that chart is painted (showing hidden charts relaid and repainted all four).
        for slot in self.slots:
            slot.setCurrentIndex(0)
        self.drawing.run([*self._reveal_steps(), *self.drawing.remaining()])
        super().showEvent(event)

    def _reveal_steps(self) -> list[Any]:
        """One step per chart still behind its blank page, then any read of the sessions asked for
        meanwhile: a first chart paint is Python work, and so is the read on the database worker; one
        after the other, neither waits for the GIL (together: 45-55 ms turns)."""
        steps: list[Any] = [
            lambda s=slot: s.setCurrentIndex(1) for slot in self.slots if slot.currentIndex() == 0
        ]
        return [*steps, self._revealed]  # (always last: a list replacing this one keeps a deferred read)

    def revealing(self) -> bool:
        """Charts are still appearing (one per event-loop turn)."""
        return any(slot.currentIndex() == 0 for slot in self.slots) and self.drawing.pending()

    def _revealed(self) -> None:
        if self._load_after_reveal:
            self._load_after_reveal = False
            self.load()

    def reload_patients(self) -> None:
        store = self.s.store
        if store is None:
            return

        def fill(patients: list[Any]) -> None:
            current = self.patient_box.currentData()
            self.patient_box.blockSignals(True)
            self.patient_box.clear()
            for p in patients:
                self.patient_box.addItem(p.code, p.id)
            self.patient_box.blockSignals(False)
            idx = self.patient_box.findData(current)
            self.patient_box.setCurrentIndex(max(0, idx))
            self.load()

        self.s.tasks.run_in_background(store.list_patients, fill)

    def load(self) -> None:
        """Read the chosen patient's sessions on the database worker and draw them.

        Requests while a read is running are folded into one more read when it returns (a patient
        chosen, the page shown and "Refresh" in quick succession read once or twice, not three times,
        and a stale result is never drawn): the reads' Python work competes with the GUI thread.
        """
        pid, store = self.patient_box.currentData(), self.s.store
        if pid is None or store is None:
            return
        if self.revealing():
            self._load_after_reveal = True
            return
        if self._loading:
            self._load_again = True
            return
        self._loading, self._load_again = True, False

        def settle() -> bool:
            """The read is over; True when another was asked for meanwhile (and is now started)."""
            self._loading = False
            if self._load_again:
                self.load()
                return True
            return False

        def done(points: list[SessionPoint]) -> None:
            if not settle():
                self.show_points(points)

        def failed(exc: BaseException) -> None:
            if not settle():
                self.info.setText(f"Cannot load the progress of this patient: {exc}")

        self.s.tasks.run_in_background(lambda: progress_series(store, pid), done, failed)

    # --- drawing --------------------------------------------------------------------------------------
    def show_points(self, points: list[SessionPoint]) -> None:
        self.points = points
        self.sessions.clear()
        for sp in points:
            pct = "–" if math.isnan(sp.points_pct) else f"{sp.points_pct:.0f} %"
            item = QListWidgetItem(f"#{sp.number}  {sp.started}  L{sp.level}  {pct}")
            item.setData(Qt.ItemDataRole.UserRole, sp.session_id)
            self.sessions.addItem(item)
        if points:
            self.sessions.setCurrentRow(len(points) - 1)
        self.info.setText("" if points else "No sessions yet for this patient.")
        self.drawing.run([*self._reveal_steps(), *self._chart_steps(points)])

    def charts_pending(self) -> bool:
        """Charts are still being drawn or shown (one per event-loop turn)."""
        return self.drawing.pending()

    def _chart_steps(self, points: list[SessionPoint]) -> list[Any]:
        """One step per series: pyqtgraph builds a series with symbols and its legend entry (2-10 ms
        here) and repaints that chart (2-20 ms) before the next step."""
        x = np.array([sp.number for sp in points], dtype=float)
        ticks = [[(float(n), str(int(n))) for n in x]]
        theme = self.s.theme
        steps: list[Any] = []

        x_range = (float(x.min()) - 0.25, float(x.max()) + 0.25) if x.size else (0.0, 1.0)

        def fresh(
            key: str,
            y_range: tuple[float, float] | None = None,
            line_y: float | None = None,
            values: Sequence[Sequence[float]] = (),
        ) -> None:
            """Clear the chart and fix its ranges for all its series (``y_range`` or from ``values``):
            adding a series then never changes the axes, which pyqtgraph would relayout and repaint."""
            if y_range is None:
                ys = np.asarray([v for vs in values for v in vs], dtype=float)
                ys = ys[np.isfinite(ys)]
                lo, hi = (float(ys.min()), float(ys.max())) if ys.size else (0.0, 1.0)
                pad = max(0.08 * (hi - lo), 1.0)
                y_range = (lo - pad, hi + pad)
            yr = y_range

            def step() -> None:
                p = self.plots[key]
                p.clear()
                p.disableAutoRange()
                p.getAxis("bottom").setTicks(ticks)
                if line_y is not None:
                    p.addLine(y=line_y, pen=pg.mkPen(theme.muted_text, style=Qt.PenStyle.DashLine))
                p.setRange(xRange=x_range, yRange=yr, padding=0.0)

            steps.append(step)

        def series(key: str, xs: np.ndarray, ys: list[float], **kw: Any) -> None:
            steps.append(lambda: _series(self.plots[key], xs, ys, **kw))

        fresh("points", (0, 105), line_y=90)
        series("points", x, [sp.points_pct for sp in points], pen=pg.mkPen(theme.target, width=2))
        for level, symbol in LEVEL_SYMBOLS.items():
            sel = [i for i, sp in enumerate(points) if sp.level == level]
            if sel:
                series(
                    "points",
                    x[sel],
                    [points[i].points_pct for i in sel],
                    pen=None,
                    symbol=symbol,
                    symbolSize=11,
                    symbolBrush=theme.target,
                    name=f"Level {level}",
                )
        fresh("steps", (0, 105))
        for i, step_id in enumerate(sorted({k for sp in points for k in sp.step_success_pct})):
            colour = STEP_COLOURS[i % len(STEP_COLOURS)]
            series(
                "steps",
                x,
                [sp.step_success_pct.get(step_id, np.nan) for sp in points],
                pen=pg.mkPen(colour, width=2),
                symbol="o",
                symbolBrush=colour,
                name=step_id,
            )
        for key, lines in (
            (
                "pitch",
                (
                    ([sp.pitch_error_cents for sp in points], "pitch error (cents)", theme.trace, "o"),
                    ([100 * sp.rhythm_score for sp in points], "rhythm × 100", theme.target, "s"),
                ),
            ),
            (
                "taps",
                (
                    ([sp.tap_asynchrony_ms for sp in points], "tap asynchrony (ms)", theme.trace, "o"),
                    ([10 * sp.fatigue_before for sp in points], "fatigue before × 10", theme.target, "t"),
                    ([10 * sp.fatigue_after for sp in points], "fatigue after × 10", theme.muted_text, "s"),
                ),
            ),
        ):
            fresh(key, values=[values for values, *_ in lines])
            for values, name, colour, symbol in lines:
                pen = pg.mkPen(colour, width=2)
                series(key, x, values, pen=pen, symbol=symbol, symbolBrush=colour, name=name)
        return steps

    # --- report ---------------------------------------------------------------------------------------
    def selected_session_id(self) -> int | None:
        item = self.sessions.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _ask_report(self) -> None:
        sid = self.selected_session_id()
        if sid is None:
            self.info.setText("Choose a session first.")
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the session report", f"session-{sid}.pdf", "PDF (*.pdf)"
        )
        if name:
            self.write_report(sid, Path(name))

    def write_report(self, session_id: int, path: Path, on_done: Any = None) -> None:
        """Grab the charts here (GUI thread, one chart per event-loop turn), write the PDF on the database
        executor. Waits for charts still being drawn."""
        from mit_trainer.gui.progress.report import write_session_report

        store = self.s.store
        patient = self.patient_box.currentText()
        images: dict[str, Any] = {}

        def done(p: Path) -> None:
            self.info.setText(f"Report written: {p}")
            if on_done is not None:
                on_done(p)

        def grab(key: str) -> Any:
            return lambda: images.__setitem__(key, self.plots[key].grab().toImage())

        def write() -> None:
            self.s.tasks.run_in_background(
                lambda: write_session_report(store, session_id, path, patient_code=patient, images=images),
                done,
                lambda e: self.info.setText(f"Cannot write the report: {e}"),
            )

        steps = [grab(key) for key in self.plots] + [write]
        if self.drawing.pending():  # the charts of a new load are still being drawn: grab them after
            self.drawing.finished.connect(
                lambda: self.report_work.run(steps), Qt.ConnectionType.SingleShotConnection
            )
        else:
            self.report_work.run(steps)
