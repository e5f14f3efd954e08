"""A damaged database is not opened; the message points to the newest backup; restore fixes it."""

from __future__ import annotations

import shutil

import pytest

from ersoko_desktop.db.backup import backup_sqlite
from ersoko_desktop.safety.startup import DatabaseDamagedError, open_safely


def _damage(path) -> None:
    with open(path, "r+b") as f:
        f.seek(4096 * 30)
        f.write(b"\xff" * 4096 * 3)


@pytest.fixture
def demo_file(demo_db_template, tmp_path):
    path = tmp_path / "Мои документы" / "база школы.sqlite"
    path.parent.mkdir()
    shutil.copy(demo_db_template, path)
    return path


def test_open_safely_refuses_damage_and_names_the_backup(demo_file):
    backup = backup_sqlite(demo_file, "daily")
    _damage(demo_file)
    before = demo_file.read_bytes()
    with pytest.raises(DatabaseDamagedError) as info:
        open_safely(str(demo_file))
    assert info.value.latest is not None and info.value.latest.path == backup
    assert "повреждена" in str(info.value) and str(backup) in str(info.value)
    assert demo_file.read_bytes() == before  # nothing written to the damaged file
    # the lock was released: a second attempt gets the same message, not "already open"
    with pytest.raises(DatabaseDamagedError):
        open_safely(str(demo_file))


def test_cli_init_reports_damage_and_backup_restore_repairs(demo_file, cli):
    out = cli("init", db=demo_file)
    assert out.returncode == 0, out.stderr  # makes the day's backup
    _damage(demo_file)
    out = cli("init", db=demo_file)
    assert out.returncode == 2
    assert "повреждена" in out.stderr and "backup restore" in out.stderr
    assert "Traceback" not in out.stderr

    out = cli("backup", "restore", db=demo_file)
    assert out.returncode == 0, out.stderr
    assert "восстановлена" in out.stderr
    out = cli("org", "list", "--format", "json", db=demo_file)
    assert out.returncode == 0, out.stderr
    assert len(__import__("json").loads(out.stdout)) == 25


def test_cli_backup_list_json(demo_file, cli):
    assert cli("backup", "create", db=demo_file).returncode == 0
    out = cli("backup", "list", "--format", "json", db=demo_file)
    rows = __import__("json").loads(out.stdout)
    assert [r["reason"] for r in rows] == ["manual"]
    assert __import__("pathlib").Path(rows[0]["path"]).stat().st_size == rows[0]["size"] > 0
