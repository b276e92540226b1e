"""Session-store benchmark: the cost of one ``record_attempt`` commit and of the research export.

Each attempt is realistic: 6 syllables, 6 taps, an analysis JSON with a 5 s pitch track on a 10 ms
hop (1500 numbers). Rows, side by side in one run:
- SQLite synchronous=FULL (the shipped choice: the WAL is fsynced at every commit, so a power cut
  loses nothing committed) and synchronous=NORMAL (crash-safe for the process, but the last commits
  may vanish on power loss), on the folder given (default: a temporary folder);
- PostgreSQL, when ``--pg URL`` is given.
Columns: median and 95th-percentile milliseconds per committed attempt, database bytes per attempt,
and the time to export them (TSV + Parquet, no audio).

Run: ``.venv/bin/python benchmarks/bench_store.py [--n 200] [--dir PATH] [--pg postgresql+psycopg://...]``.
An attempt is recorded every few seconds in a session, so anything under ~50 ms is invisible.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from mit_trainer.app.export import export_dataset
from mit_trainer.storage import Consents, Tap, attempt_from_analysis, open_store


def _analysis(n_syl: int = 6) -> dict[str, Any]:
    times = [round(0.01 * k, 2) for k in range(500)]
    f0 = [None if (t % 1.0) > 0.8 else 200.0 + 20 * math.sin(t) for t in times]
    return {
        "mode": "sung",
        "tracker": "swift-f0",
        "duration_s": 5.0,
        "pitch": {"hop_s": 0.01, "times_s": times, "f0_hz": f0, "confidence": [0.9] * len(times)},
        "syllables": [
            {
                "index": i,
                "text": f"syl{i}",
                "target": "HL"[i % 2],
                "onset_s": 0.5 + 0.7 * i,
                "offset_s": 1.0 + 0.7 * i,
                "f0_hz": 210.0,
                "produced": "HL"[i % 2],
            }
            for i in range(n_syl)
        ],
        "scores": {"contour": 0.9, "rhythm": 0.8, "completeness": 1.0, "voicing": 0.9, "overall": 0.88},
        "verdict": "pass",
    }


def _run(name: str, db: str | Path, n: int, out_root: Path, synchronous: str | None) -> list[str]:
    store = open_store(db, recordings_dir=out_root / f"rec-{name}")
    if synchronous is not None:
        event.listen(store.engine, "connect", lambda c, _r: c.execute(f"PRAGMA synchronous={synchronous}"))
        store.engine.dispose()
    code = f"B{int(time.time() * 1000) % 10**9}"
    p = store.add_patient(code, Consents(research=True))
    s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1", level=2)
    analysis = _analysis()
    taps = tuple(Tap(0.5 + 0.7 * i, i, 10.0) for i in range(6))
    times_ms = []
    for i in range(n):
        a = attempt_from_analysis(
            analysis,
            item_index=i,
            phrase_id="p",
            level=2,
            step_id="s",
            step_index=1,
            points_awarded=1,
            taps=taps,
        )
        t0 = time.perf_counter()
        store.record_attempt(s.id, a)
        times_ms.append(1000 * (time.perf_counter() - t0))
    size = "n/a"
    if store.db_path is not None:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            page = conn.execute(text("PRAGMA page_size")).scalar_one()
        size = f"{pages * page / n / 1024:.1f} KiB"
    t0 = time.perf_counter()
    export_dataset(store, out_root / f"export-{name}", patients=[code])
    export_s = time.perf_counter() - t0
    store.close()
    q = statistics.quantiles(times_ms, n=20)
    return [name, f"{statistics.median(times_ms):.1f}", f"{q[18]:.1f}", size, f"{export_s:.2f}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="attempts per backend")
    ap.add_argument("--dir", type=Path, help="folder for the SQLite files (default: temporary)")
    ap.add_argument("--pg", help="also a PostgreSQL database (postgresql+psycopg://...)")
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench-store-"))
    rows = [
        _run("sqlite FULL", root / "full.sqlite3", args.n, root, None),
        _run("sqlite NORMAL", root / "normal.sqlite3", args.n, root, "NORMAL"),
    ]
    if args.pg:
        rows.append(_run("postgresql", args.pg, args.n, root, None))
    print(f"{args.n} attempts each; load average {os.getloadavg()[0]:.1f}; files in {root}")
    headers = ["backend", "median ms", "p95 ms", "db size/attempt", f"export {args.n} s"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
