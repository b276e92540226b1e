"""Progress series and the PDF session report, from a store with known sessions and attempts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from mit_trainer.gui.progress.data import progress_series
from mit_trainer.gui.progress.report import report_html, write_session_report


def _store_with_two_sessions(tmp_path: Path) -> tuple[Any, Any]:
    from mit_trainer.storage import open_store

    store = open_store(tmp_path / "p.sqlite3")
    return store, _two_sessions(store)


def _two_sessions(store: Any) -> Any:
    from mit_trainer.storage import AttemptInput, AutoScores, Syllable, Tap

    patient = store.add_patient("P400")
    for n, (fatigue, outcomes) in enumerate([(6, ["pass", "fail"]), (3, ["pass", "pass"])]):
        rec = store.start_session(
            patient.id, protocol_id="HE1989", protocol_version="1", level=1, fatigue_before=fatigue
        )
        for i, verdict in enumerate(outcomes):
            a = store.record_attempt(
                rec.id,
                AttemptInput(
                    item_index=i, phrase_id=f"ph-{i}", level=1, step_id="unison", step_index=2, cue="unison",
                    scores=AutoScores(rhythm=0.8 + 0.1 * n), auto_verdict=verdict,
                    points_awarded=1 if verdict == "pass" else 0,
                    syllables=(Syllable(0, "thank", "H", 0.5, 1.2, 150.0, "H", 40.0 + 20 * n),),
                    taps=(Tap(0.55, 0, 50.0 - 20 * n),),
                ),
            )  # fmt: skip
            if n == 0 and i == 1:  # the therapist heard it as correct: an override with a reason
                store.add_therapist_score(a.id, outcome="pass", points=1, reason="intelligible despite noise")
        store.end_session(rec.id, fatigue_after=fatigue + 1, notes=f"note {n}: good focus", points_possible=2)
    return patient


def test_progress_series_has_the_known_values(tmp_path: Path) -> None:
    store, patient = _store_with_two_sessions(tmp_path)
    first, second = progress_series(store, patient.id)
    assert (first.points_pct, second.points_pct) == (100.0, 100.0)  # the override made session 1 full marks
    assert first.step_success_pct == {"unison": 100.0}
    assert first.pitch_error_cents == pytest.approx(40.0) and second.pitch_error_cents == pytest.approx(60.0)
    assert first.tap_asynchrony_ms == pytest.approx(50.0) and second.tap_asynchrony_ms == pytest.approx(30.0)
    assert first.rhythm_score == pytest.approx(0.8) and second.rhythm_score == pytest.approx(0.9)
    assert (first.fatigue_before, first.fatigue_after, second.fatigue_before) == (6.0, 7.0, 3.0)
    assert first.n_overrides == 1 and second.n_overrides == 0
    assert not math.isnan(second.points_pct)


def test_report_marks_overrides_and_keeps_notes(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    store, _patient = _store_with_two_sessions(tmp_path)
    sid = store.list_sessions()[0].id
    html = report_html(store, sid, patient_code="P400", image_keys=["points"])
    assert "<b>override</b>: intelligible despite noise" in html
    assert html.count("<b>override</b>") == 1
    assert "note 0: good focus" in html and "P400" in html and "chart://points" in html
    image = QImage(200, 100, QImage.Format.Format_RGB32)
    image.fill(0xFFFFFF)
    pdf = write_session_report(store, sid, tmp_path / "r.pdf", patient_code="P400", images={"points": image})
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and b"/Image" in data and len(data) > 5000


def test_report_of_an_unfinished_session_says_so(tmp_path: Path) -> None:
    from mit_trainer.storage import AttemptInput, AutoScores, open_store

    store = open_store(tmp_path / "u.sqlite3")
    patient = store.add_patient("P401")
    rec = store.start_session(patient.id, protocol_id="HE1989", protocol_version="1", level=1)
    store.record_attempt(
        rec.id,
        AttemptInput(item_index=0, phrase_id="ph-0", level=1, step_id="unison", step_index=2, cue="unison",
                     scores=AutoScores(rhythm=0.9), auto_verdict="pass", points_awarded=1),
    )  # fmt: skip
    html = report_html(store, rec.id, patient_code="P401", image_keys=[])
    assert "Points <b>1 so far</b> (the session was not finished)" in html
    assert "Points <b>1 of" not in html


def _unlocked_with_two_sessions(rig: Any) -> tuple[Any, Any]:
    """The rig's store with two sessions, a therapist signed in; (window, progress panel)."""
    store, window = rig.services.store, rig.window
    _two_sessions(store)
    store.add_therapist("T")
    window.unlock_as(store.list_therapists()[0])
    return window, window.pages["progress"]


def test_progress_panel_draws_known_values_and_writes_the_report(
    qtbot: Any, rig: Any, tmp_path: Path
) -> None:
    """Loaded off the GUI thread, drawn one chart per event-loop turn, then grabbed for the PDF."""
    window, panel = _unlocked_with_two_sessions(rig)
    window.show_page("progress")  # the page at once, its charts one per event-loop turn
    assert panel.isVisible() and not any(p.isVisible() for p in panel.plots.values())
    qtbot.waitUntil(lambda: all(p.isVisible() for p in panel.plots.values()), timeout=5000)
    panel.reload_patients()
    qtbot.waitUntil(lambda: len(panel.points) == 2 and not panel.charts_pending(), timeout=15000)
    curves = panel.plots["points"].getPlotItem().listDataItems()
    assert list(curves[0].getData()[1]) == [100.0, 100.0]
    pitch = {c.name(): list(c.getData()[1]) for c in panel.plots["pitch"].getPlotItem().listDataItems()}
    assert pitch["pitch error (cents)"] == pytest.approx([40.0, 60.0])
    assert pitch["rhythm × 100"] == pytest.approx([80.0, 90.0])
    taps = {c.name(): list(c.getData()[1]) for c in panel.plots["taps"].getPlotItem().listDataItems()}
    assert taps["tap asynchrony (ms)"] == pytest.approx([50.0, 30.0])
    assert taps["fatigue after × 10"] == pytest.approx([70.0, 40.0])
    qtbot.wait(50)  # laid out
    for plot in panel.plots.values():  # every legend sits under its chart's data, never over it
        item = plot.getPlotItem()
        names = [label.text for _sample, label in item.legend.items]
        assert names == [c.name() for c in item.listDataItems() if c.name()]
        assert item.legend.sceneBoundingRect().top() >= item.vb.sceneBoundingRect().bottom()
    assert "tap asynchrony (ms)" in [
        label.text for _s, label in panel.plots["taps"].getPlotItem().legend.items
    ]
    written: list[Path] = []
    panel.write_report(panel.selected_session_id(), tmp_path / "report.pdf", written.append)
    assert panel.report_work.pending()  # the charts are grabbed one per turn, not all at once
    qtbot.waitUntil(lambda: bool(written), timeout=20000)
    data = written[0].read_bytes()
    assert data[:5] == b"%PDF-" and data.count(b"/Subtype /Image") >= len(panel.plots)


def test_quick_repeated_loads_read_twice_and_draw_once(
    qtbot: Any, rig: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Choosing a patient, showing the page and "Refresh" in quick succession: the reads' Python work
    competes with the GUI thread, so requests during a read fold into one more read, drawn once."""
    from mit_trainer.gui.progress import progress_panel

    store, window = rig.services.store, rig.window
    _two_sessions(store)
    panel = window.pages["progress"]
    panel.reload_patients()
    qtbot.waitUntil(lambda: len(panel.points) == 2 and not panel.charts_pending(), timeout=15000)
    reads: list[int] = []
    drawn: list[int] = []
    real_series, real_show = progress_panel.progress_series, panel.show_points

    def counted_series(store: Any, pid: int) -> Any:
        reads.append(pid)
        return real_series(store, pid)

    monkeypatch.setattr(progress_panel, "progress_series", counted_series)
    monkeypatch.setattr(panel, "show_points", lambda pts: (drawn.append(len(pts)), real_show(pts)))
    for _ in range(3):
        panel.load()
    qtbot.waitUntil(lambda: len(drawn) == 1 and not panel._loading, timeout=15000)
    qtbot.wait(100)
    assert len(reads) == 2 and drawn == [2]
    qtbot.waitUntil(lambda: not panel.charts_pending(), timeout=15000)  # (a busy machine draws slowly)


def test_a_read_asked_for_while_the_charts_appear_starts_after_them(
    qtbot: Any, rig: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart's first paint and the read's Python work would compete for the GIL: one after the other."""
    from mit_trainer.gui.progress import progress_panel

    window, panel = _unlocked_with_two_sessions(rig)
    events: list[str] = []
    real_series, real_revealed = progress_panel.progress_series, panel._revealed

    def series(*args: Any) -> Any:
        events.append("read")  # on the database worker
        return real_series(*args)

    def revealed() -> None:
        events.append("charts up")
        real_revealed()

    monkeypatch.setattr(progress_panel, "progress_series", series)
    monkeypatch.setattr(panel, "_revealed", revealed)
    window.show_page("progress")  # the charts start to appear; showing the page reads the patients
    assert panel.revealing()
    qtbot.waitUntil(lambda: len(panel.points) == 2 and not panel.charts_pending(), timeout=15000)
    assert events[:2] == ["charts up", "read"]
