"""A damaged SQLite file: found on open, opened read-only with a way to recover; db backup and check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mit_trainer.cli.main import main
from mit_trainer.storage import DamagedDatabase, open_store


def _database(tmp_path: Path, n: int = 300) -> Path:
    db = tmp_path / "clinic" / "db.sqlite3"
    with open_store(db) as store:
        for i in range(n):
            store.add_patient(f"P{i:04d}")
    return db  # closed: the WAL is checkpointed into the file


def _damage_an_index_page(db: Path) -> int:
    """Overwrite the cell pointers of one leaf page of a patients index (the rows stay readable)."""
    con = sqlite3.connect(db)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    page = con.execute(
        "SELECT max(pageno) FROM dbstat WHERE name = 'sqlite_autoindex_patients_2' AND pagetype = 'leaf'"
    ).fetchone()[0]
    con.close()
    raw = bytearray(db.read_bytes())
    start = (page - 1) * page_size + 8
    raw[start : start + 40] = b"\xff" * 40
    db.write_bytes(bytes(raw))
    return int(page)


def test_a_damaged_file_opens_read_only_and_says_how_to_recover(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _database(tmp_path)
    page = _damage_an_index_page(db)
    with open_store(db) as store:
        assert store.damaged is not None
        assert f"On tree page {page} cell" in store.damaged and "read-only" in store.damaged
        assert ".recover" in store.damaged and str(db.parent / "backups") in store.damaged
        assert len(store.list_patients()) == 300  # reading still works
        with pytest.raises(DamagedDatabase, match="damaged"):
            store.add_patient("NEW1")
        assert "NEW1" not in [p.code for p in store.list_patients()]
    before = db.read_bytes()
    # The command line: reads warn once, writes are refused with one line, exit 1.
    assert main(["patients", "list", "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert "P0299" in out and len(err.splitlines()) == 1 and "is damaged" in err
    assert main(["patients", "add", "NEW2", "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("mit-trainer: error: database") == 1 and "read-only" in err
    assert main(["db", "check", "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert f"On tree page {page}" in out and "copy the last backup" in err
    assert db.read_bytes() == before  # nothing was written into the damaged file


def test_backup_makes_a_checked_timestamped_copy_and_check_says_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _database(tmp_path, n=5)
    with open_store(db) as store:  # another connection stays open and writing: the online API copes
        store.add_patient("LIVE1")
        assert main(["db", "backup", "--db", str(db)]) == 0
        store.add_patient("LIVE2")
    out = capsys.readouterr().out
    copies = sorted((db.parent / "backups").glob("mit-trainer-*.sqlite3"))
    assert len(copies) == 1 and out.strip() == f"backed up {db} to {copies[0]}"
    with open_store(copies[0]) as copy:
        codes = [p.code for p in copy.list_patients()]
    assert "LIVE1" in codes and "LIVE2" not in codes and len(codes) == 6
    assert main(["db", "check", "--db", str(copies[0])]) == 0
    assert capsys.readouterr().out.strip() == f"{copies[0]}: ok"
    # the backup of a damaged file is refused if the copy is damaged too, and says so in one line
    _damage_an_index_page(_database(tmp_path / "b"))
    assert main(["db", "backup", "--db", str(tmp_path / "b" / "clinic" / "db.sqlite3")]) == 1
    assert "fails its check" in capsys.readouterr().err
    assert main(["db", "backup", "--db", str(db), "--to", str(db)]) == 1  # a file is no folder
    assert capsys.readouterr().err.startswith("mit-trainer: error: backup of")
