"""The real ``ersoko`` entry point: init, demo, org import/list, exit codes, JSON purity."""

from __future__ import annotations

import json
import sqlite3

from ersoko_desktop.db.migrate import head_revision


def test_init_creates_migrated_db_and_is_repeatable(cli, tmp_path):
    db = tmp_path / "a.sqlite"
    first = cli("init", db=db)
    assert first.returncode == 0, first.stderr
    assert "обновлена до схемы" in first.stderr
    second = cli("init", db=db)
    assert second.returncode == 0 and "в актуальном состоянии" in second.stderr
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    con.close()


def test_db_from_environment_variable(cli, tmp_path):
    db = tmp_path / "env.sqlite"
    out = cli("init", env={"ERSOKO_DB": str(db)})
    assert out.returncode == 0, out.stderr
    assert db.exists()


def test_default_db_lives_in_user_data_dir(cli, ersoko_home):
    out = cli("init")
    assert out.returncode == 0, out.stderr
    assert (ersoko_home / "ersoko.sqlite").exists()


def test_init_demo_then_org_list_json(cli, tmp_path):
    db = tmp_path / "demo.sqlite"
    out = cli("init", "--demo", db=db)
    assert out.returncode == 0, out.stderr
    listed = cli("org", "list", "--format", "json", db=db)
    assert listed.returncode == 0, listed.stderr
    orgs = json.loads(listed.stdout)
    kinds = [o["kind"] for o in orgs]
    assert kinds.count("region") == 1 and kinds.count("municipality") == 2 and kinds.count("school") >= 20
    school = next(o for o in orgs if o["code"] == "DEMO-S01")
    assert school["parent_code"] == "DEMO-M1"
    assert set(school) == {"code", "name", "kind", "parent_code"}


def test_init_org_unknown_code_exits_2_with_russian_message(cli, tmp_path):
    out = cli("init", "--org", "NOPE", db=tmp_path / "x.sqlite")
    assert out.returncode == 2
    assert "«NOPE» не найдена в реестре" in out.stderr


def test_org_import_bad_file_exits_2_json_on_stdout_nothing_written(cli, tmp_path):
    db = tmp_path / "x.sqlite"
    bad = tmp_path / "реестр.csv"
    bad.write_text("Код;Наименование;Тип;Код вышестоящей\n08;Регион;регион;\n0801;Район;районо;08\n", encoding="utf-8")
    out = cli("org", "import", str(bad), "--format", "json", db=db)
    assert out.returncode == 2
    data = json.loads(out.stdout)
    assert data["errors"][0]["row"] == 3 and data["errors"][0]["column"] == "Тип"
    assert "районо" in data["errors"][0]["message"]
    listed = json.loads(cli("org", "list", "--format", "json", db=db).stdout)
    assert listed == []


def test_org_import_then_init_org(cli, tmp_path):
    db = tmp_path / "x.sqlite"
    reg = tmp_path / "r.csv"
    reg.write_bytes("Код;Наименование;Тип;Код вышестоящей\n08;Республика Калмыкия;регион;\n0801;Черноземельский район;муниципалитет;08\n".encode("cp1251"))
    out = cli("org", "import", str(reg), "--format", "json", db=db)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["encoding"] == "cp1251" and report["created"] == 2
    own = cli("init", "--org", "0801", db=db)
    assert own.returncode == 0 and "Черноземельский район" in own.stderr


def test_reader_closing_the_pipe_is_not_reported_as_a_crash(demo_db_template, tmp_path, ersoko_home):
    """``ersoko … | head`` closes the pipe early: exit quietly, no «внутренняя ошибка», no crash log."""
    import os
    import shutil
    import subprocess
    import sys

    db = tmp_path / "demo.sqlite"
    shutil.copy(demo_db_template, db)
    proc = subprocess.Popen([sys.executable, "-m", "ersoko_desktop.cli", "--db", str(db), "indicators", "compute",
                             "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    assert proc.stdout.read(100).startswith(b"[")  # the reader takes a little and goes away
    proc.stdout.close()
    stderr = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 141
    assert "ошибка" not in stderr.lower() and "Traceback" not in stderr
    logs = list(ersoko_home.rglob("*.log"))
    assert not any("BrokenPipe" in p.read_text(encoding="utf-8", errors="replace") for p in logs)
