"""Backups: a round trip restores exactly the saved state; rotation keeps N per reason."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from ersoko_desktop.db import open_database, sqlite_path
from ersoko_desktop.db.backup import (
    backup_sqlite,
    daily_backup,
    integrity_errors,
    latest_backup,
    list_backups,
    restore_backup,
    rotate,
)
from ersoko_desktop.errors import DatabaseError


def _count(db_file: Path, sql: str) -> int:
    conn = sqlite3.connect(db_file)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_backup_then_restore_brings_back_the_saved_rows(demo_engine, ersoko_home):
    db_file = sqlite_path(str(demo_engine.url))
    results_before = _count(db_file, "select count(*) from participant_result")
    s03 = _count(db_file, "select count(*) from participant_result r join organization o on o.id = r.school_id "
                          "where o.code = 'DEMO-S03'")
    assert results_before > s03 > 0

    backup = backup_sqlite(db_file, "manual")
    assert backup.parent == ersoko_home / "backups"
    assert integrity_errors(backup) == []

    with demo_engine.begin() as conn:  # a change made after the backup, still in the WAL
        conn.exec_driver_sql("delete from participant_result where school_id = "
                             "(select id from organization where code = 'DEMO-S03')")
    assert _count(db_file, "select count(*) from participant_result") == results_before - s03

    demo_engine.dispose()
    safety = restore_backup(backup, db_file)

    assert _count(db_file, "select count(*) from participant_result") == results_before
    assert integrity_errors(db_file) == []
    # the state we replaced is kept and can itself be restored
    assert safety is not None and safety.name.startswith("demo-before-restore-")
    assert _count(safety, "select count(*) from participant_result") == results_before - s03
    eng = open_database(str(db_file))  # the restored file opens and migrates like any other
    with eng.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from organization").scalar() == 25
    eng.dispose()


def test_backup_is_a_single_self_contained_file(demo_engine, tmp_path):
    db_file = sqlite_path(str(demo_engine.url))
    backup = backup_sqlite(db_file, "manual", tmp_path / "b")
    assert not Path(str(backup) + "-wal").exists()
    conn = sqlite3.connect(backup)
    assert conn.execute("pragma journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert list((tmp_path / "b").glob("*.partial")) == []


def test_rotation_keeps_the_newest_n_of_each_reason(db_path, engine, tmp_path):
    folder = tmp_path / "b"
    made = [backup_sqlite(db_path, "before-import", folder, keep=None) for _ in range(7)]
    daily = backup_sqlite(db_path, "daily", folder, keep=None)
    removed = rotate(db_path, "before-import", keep=3, directory=folder)
    assert sorted(removed) == sorted(made[:4])
    left = list_backups(db_path, folder)
    assert {b.path for b in left} == set(made[4:]) | {daily}
    assert [b.path for b in list_backups(db_path, folder, reason="before-import")] == made[:3:-1]
    # backup_sqlite rotates by itself with keep=
    backup_sqlite(db_path, "before-import", folder, keep=2)
    assert len(list_backups(db_path, folder, reason="before-import")) == 2
    assert len(list_backups(db_path, folder, reason="daily")) == 1


def test_daily_backup_once_per_day(db_path, engine, tmp_path):
    folder = tmp_path / "b"
    today = dt.date.today()
    first = daily_backup(db_path, today=today, directory=folder)
    assert first is not None and first.exists()
    assert daily_backup(db_path, today=today, directory=folder) is None
    tomorrow = daily_backup(db_path, today=today + dt.timedelta(days=1), directory=folder)
    assert tomorrow is not None
    assert latest_backup(db_path, folder).path == tomorrow


def test_restore_refuses_a_damaged_backup_and_leaves_the_database(demo_engine, tmp_path):
    db_file = sqlite_path(str(demo_engine.url))
    demo_engine.dispose()
    bad = tmp_path / "demo-manual-20250101-120000-000000.sqlite"
    bad.write_bytes(db_file.read_bytes())
    _damage(bad)
    assert integrity_errors(bad)
    before = db_file.read_bytes()
    with pytest.raises(DatabaseError, match="повреждена"):
        restore_backup(bad, db_file)
    assert db_file.read_bytes() == before


def _damage(path: Path) -> None:
    with open(path, "r+b") as f:
        f.seek(4096 * 30)
        f.write(b"\xff" * 4096 * 3)
