"""What the integrity check costs when the store opens: ``PRAGMA quick_check`` against the full check.

Builds SQLite databases of growing size (attempts with a 5 s pitch track of analysis JSON each, copied
by SQL until the file reaches the size asked), then times, side by side in one run and with the file
in the page cache (a second open; a cold disk adds its read time to both checks alike):
- ``open (no check)``: engine, pragmas and the schema revision (what opening cost before);
- ``quick_check``: what :func:`mit_trainer.storage.open_store` now adds on every open;
- ``integrity_check``: the full check of ``mit-trainer db check`` (indexes against rows too);
- ``open_store``: the whole open as the trainer does it.

Run: ``.venv/bin/python benchmarks/bench_store_open.py [--sizes-mb 5,50,200] [--dir PATH]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mit_trainer.storage import Consents, attempt_from_analysis, open_store
from mit_trainer.storage import engine as db


def _analysis() -> dict[str, object]:
    times = [round(0.01 * k, 2) for k in range(500)]
    f0 = [None if (t % 1.0) > 0.8 else 200.0 + 20 * math.sin(t) for t in times]
    return {"pitch": {"hop_s": 0.01, "times_s": times, "f0_hz": f0, "confidence": [0.9] * len(times)}}


def build(path: Path, size_mb: float) -> int:
    with open_store(path) as store:
        p = store.add_patient("B01", Consents(clinical=True))
        s = store.start_session(p.id, protocol_id="HE1989", protocol_version="1", level=1)
        for i in range(20):
            a = attempt_from_analysis(
                _analysis(), item_index=i, phrase_id="thank-you", level=1, step_id="unison", step_index=2
            )
            store.record_attempt(s.id, a)
        store.end_session(s.id)
    con = sqlite3.connect(path)
    cols = [r[1] for r in con.execute("PRAGMA table_info(attempts)") if r[1] != "id"]
    names = ", ".join(cols)
    while path.stat().st_size < size_mb * 1e6:
        con.execute(f"INSERT INTO attempts ({names}) SELECT {names} FROM attempts LIMIT 4000")
        con.commit()
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    n = int(con.execute("SELECT count(*) FROM attempts").fetchone()[0])
    con.close()
    return n


def timed(fn: Callable[[], object], repeats: int = 3) -> float:
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) * 1000.0


def pragma(path: Path, name: str) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert con.execute(f"PRAGMA {name}").fetchone()[0] == "ok"
    con.close()


def open_without_check(path: Path) -> None:
    engine = db.create_store_engine(db.resolve_target(path))
    db.current_revision(engine)
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes-mb", default="5,50,200")
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        rows = []
        for size in (float(x) for x in args.sizes_mb.split(",")):
            path = Path(tmp) / f"db-{size:g}.sqlite3"
            n = build(path, size)
            pragma(path, "quick_check")  # warm the page cache
            rows.append(
                (
                    path.stat().st_size / 1e6,
                    n,
                    timed(lambda p=path: open_without_check(p)),
                    timed(lambda p=path: pragma(p, "quick_check")),
                    timed(lambda p=path: pragma(p, "integrity_check")),
                    timed(lambda p=path: open_store(p).close()),
                )
            )
    print("| file MB | attempts | open (no check) ms | quick_check ms | integrity_check ms | open_store ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for mb, n, plain, quick, full, whole in rows:
        print(f"| {mb:.0f} | {n} | {plain:.0f} | {quick:.0f} | {full:.0f} | {whole:.0f} |")
    print(json.dumps({"note": "median of 3, warm page cache"}))


if __name__ == "__main__":
    main()
