"""The PDF session report (QPdfWriter): session facts, points, every attempt, overrides marked, charts, notes.

The chart images are grabbed on the GUI thread by the progress panel; :func:`write_session_report` only
uses QTextDocument, QImage and QPdfWriter, which Qt allows on a worker thread, and reads the store.
Overridden attempts are marked with "override" and the therapist's reason.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QUrl
from PySide6.QtGui import QImage, QImageWriter, QPageLayout, QPageSize, QPdfWriter, QTextDocument


def _value(x: object) -> str:
    return "–" if x is None else html.escape(str(x))


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}"


def report_html(store: Any, session_id: int, *, patient_code: str, image_keys: list[str]) -> str:
    summary = store.session_summary(session_id)
    rec = summary.session
    attempts = store.attempts_for_session(session_id)
    frac = summary.score_fraction
    rows = []
    for a in attempts:
        ts = a.latest_therapist_score
        override = ts is not None and ts.reason
        mark = f"<b>override</b>: {html.escape(ts.reason or '')}" if override else ""
        rows.append(
            "<tr>"
            f"<td>{a.item_index + 1}</td><td>{html.escape(a.phrase_id)}</td><td>{html.escape(a.step_id)}</td>"
            f"<td>{a.try_number}{' (backup)' if a.backup else ''}</td>"
            f"<td>{_pct(a.scores.overall)}</td><td>{html.escape(a.auto_verdict or '–')}</td>"
            f"<td>{html.escape(ts.outcome if ts else '–')}</td><td>{_value(a.final_points)}</td>"
            f"<td>{mark}</td></tr>"
        )
    steps = "".join(
        f"<tr><td>{html.escape(s.step_id)}</td><td>{s.n_attempts}</td><td>{s.points}</td></tr>"
        for s in summary.steps
    )
    charts = "".join(f'<p><img src="chart://{k}" width="620"></p>' for k in image_keys)
    notes = html.escape(rec.notes or "(none)").replace("\n", "<br>")
    duration = f"{rec.duration_s / 60:.0f} min" if rec.duration_s is not None else "–"
    if summary.points_possible:
        pct = "" if frac is None else f" ({100 * frac:.0f} %)"
        points = f"Points <b>{summary.points_earned} of {summary.points_possible}</b>{pct}"
    else:  # the session was not ended (interrupted, or still running): no total to divide by
        points = f"Points <b>{summary.points_earned} so far</b> (the session was not finished)"
    return f"""
    <h1>MIT Trainer session report</h1>
    <p>Patient <b>{html.escape(patient_code)}</b>, session {rec.number} on {rec.started_at:%Y-%m-%d %H:%M}
    UTC ({duration}). Protocol {html.escape(rec.protocol_id)} {html.escape(rec.protocol_version)},
    level {rec.level}, phrase set {html.escape(rec.phrase_set_name or "–")}.</p>
    <p>{points}; {summary.n_items} items,
    {summary.n_attempts} attempts,
    {summary.n_overrides} scored by the therapist. Fatigue before {_value(rec.fatigue_before)},
    after {_value(rec.fatigue_after)} (0-10). Advancement: {html.escape(rec.advancement_decision)}.</p>
    <h2>Per step</h2>
    <table border="1" cellpadding="3" cellspacing="0">
    <tr><th>step</th><th>attempts</th><th>points</th></tr>{steps}</table>
    <h2>Attempts</h2>
    <table border="1" cellpadding="3" cellspacing="0">
    <tr><th>item</th><th>phrase</th><th>step</th><th>try</th><th>auto %</th><th>auto verdict</th>
    <th>therapist</th><th>points</th><th>note</th></tr>{"".join(rows)}</table>
    <p><i>Automatic scores advise; the therapist's score is final. Overrides keep the automatic score.</i></p>
    <h2>Progress</h2>{charts}
    <h2>Notes</h2><p>{notes}</p>
    """


def write_session_report(
    store: Any, session_id: int, path: Path, *, patient_code: str, images: dict[str, QImage]
) -> Path:
    doc = QTextDocument()
    for key, image in images.items():
        buf = QByteArray()
        dev = QBuffer(buf)
        dev.open(QIODevice.OpenModeFlag.WriteOnly)
        QImageWriter(dev, QByteArray(b"PNG")).write(image)
        dev.close()
        doc.addResource(
            QTextDocument.ResourceType.ImageResource, QUrl(f"chart://{key}"), QImage.fromData(buf)
        )
    doc.setHtml(report_html(store, session_id, patient_code=patient_code, image_keys=list(images)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(15, 15, 15, 15)
        )
    )
    writer.setResolution(150)
    writer.setTitle(f"MIT Trainer session report {patient_code}")
    doc.print_(writer)
    del writer  # finishes the file
    return path
