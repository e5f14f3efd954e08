"""``ersoko server init`` on a real PostgreSQL server: migrations, roles, GRANTs, the pgpass file."""

from __future__ import annotations

import io
import json
import stat

import psycopg
import pytest
from sqlalchemy import create_engine, text

from ersoko_desktop.db import pgpass
from tests.pg import SUPERUSER
from tests.server_fixtures import drop_database_and_roles


def _role_url(pg_server, database: str, role: str) -> str:
    """A URL with no password in it: libpq looks the password up in the password file."""
    return f"postgresql://{role}@127.0.0.1:{pg_server.port}/{database}"


@pytest.fixture(scope="module")
def initialized(pg_server, tmp_path_factory):
    """A server database after one real ``ersoko server init`` (private password file and role names)."""
    from tests.conftest import run_cli

    database = pg_server.create_database()
    url = pg_server.url(database)
    passfile = tmp_path_factory.mktemp("pgpass") / "pgpass.conf"
    analyst, importer = f"an_{database[-8:]}", f"im_{database[-8:]}"
    r = run_cli("server", "init", "--analyst-role", analyst, "--importer-role", importer, "--format", "json",
                db=url, env={"PGPASSFILE": str(passfile), "ERSOKO_HOME": str(passfile.parent)})
    assert r.returncode == 0, r.stderr
    yield {"report": json.loads(r.stdout), "passfile": passfile, "analyst": analyst, "importer": importer,
           "db": database, "url": url, "stderr": r.stderr}
    drop_database_and_roles(pg_server, database, (analyst, importer))


def _connect_as(pg_server, database, role, passfile):
    """Connect the way the program does: no password given, libpq finds it in the password file."""
    return psycopg.connect(host="127.0.0.1", port=pg_server.port, dbname=database, user=role, passfile=str(passfile),
                           autocommit=True)


def test_init_migrates_and_reports_roles_without_passwords(initialized, pg_server):
    rep = initialized["report"]
    assert rep["schema_before"] is None and rep["schema_after"]
    assert rep["owner"] == SUPERUSER
    assert [(r["role"], r["access"], r["created"], r["password_saved"]) for r in rep["roles"]] == [
        (initialized["analyst"], "read", True, True), (initialized["importer"], "write", True, True)]
    output = json.dumps(rep) + initialized["stderr"]
    assert pg_server.password not in output
    # The password file holds both roles, is private, and is what libpq reads.
    mode = stat.S_IMODE(initialized["passfile"].stat().st_mode)
    assert mode == 0o600
    entries = pgpass.read_entries(initialized["passfile"])
    assert {e.user for e in entries} == {initialized["analyst"], initialized["importer"]}
    assert all(len(e.password) >= 24 and e.password not in output for e in entries)


def test_analyst_reads_but_cannot_write(initialized, pg_server):
    with pg_server.admin_connect(initialized["db"]) as admin:
        admin.execute("INSERT INTO organization (code, name, kind) VALUES ('AN-R', 'Область', 'region')")
    with _connect_as(pg_server, initialized["db"], initialized["analyst"], initialized["passfile"]) as conn:
        assert ("AN-R",) in conn.execute("SELECT code FROM organization").fetchall()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO organization (code, name, kind) VALUES ('X', 'x', 'region')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE organization SET name = 'взлом'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM participant_result")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE mine (x int)")
    with pg_server.admin_connect(initialized["db"]) as admin:
        assert admin.execute("SELECT name FROM organization WHERE code = 'AN-R'").fetchall() == [("Область",)]
        assert admin.execute("SELECT count(*) FROM organization WHERE code = 'X'").fetchone() == (0,)


def test_importer_writes_data_but_not_schema_or_migration_stamp(initialized, pg_server):
    with _connect_as(pg_server, initialized["db"], initialized["importer"], initialized["passfile"]) as conn:
        conn.execute("INSERT INTO organization (code, name, kind) VALUES ('IM-R', 'Область', 'region')")  # sequence too
        conn.execute("UPDATE organization SET name = 'Область N' WHERE code = 'IM-R'")
        assert conn.execute("SELECT name FROM organization WHERE code = 'IM-R'").fetchall() == [("Область N",)]
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE alembic_version SET version_num = 'x'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE mine (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TABLE participant_result")
    assert version == initialized["report"]["schema_after"]


def test_tables_of_later_migrations_get_the_same_rights(initialized, pg_server):
    # A later migration runs as the owner; default privileges must cover its new table and sequence.
    with pg_server.admin_connect(initialized["db"]) as admin:
        admin.execute("CREATE TABLE later_feature (id serial PRIMARY KEY, v text)")
    with _connect_as(pg_server, initialized["db"], initialized["importer"], initialized["passfile"]) as conn:
        conn.execute("INSERT INTO later_feature (v) VALUES ('a')")
    with _connect_as(pg_server, initialized["db"], initialized["analyst"], initialized["passfile"]) as conn:
        assert conn.execute("SELECT v FROM later_feature").fetchall() == [("a",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO later_feature (v) VALUES ('b')")


def test_init_again_keeps_passwords_and_reset_changes_them(initialized, pg_server):
    from ersoko_desktop.db import make_engine
    from ersoko_desktop.services.server import init_server

    passfile = initialized["passfile"]
    before = {e.user: e.password for e in pgpass.read_entries(passfile)}
    engine = make_engine(initialized["url"])
    try:
        again = init_server(engine, analyst_role=initialized["analyst"], importer_role=initialized["importer"],
                            pgpass_path=passfile)
        assert [(x.created, x.password_saved) for x in again.roles] == [(False, False), (False, False)]
        assert again.schema_before == again.schema_after
        assert {e.user: e.password for e in pgpass.read_entries(passfile)} == before
        reset = init_server(engine, analyst_role=initialized["analyst"], importer_role=initialized["importer"],
                            pgpass_path=passfile, reset_passwords=True)
        assert [(x.created, x.password_saved) for x in reset.roles] == [(False, True), (False, True)]
    finally:
        engine.dispose()
    after = {e.user: e.password for e in pgpass.read_entries(passfile)}
    assert after.keys() == before.keys() and all(after[u] != before[u] for u in before)
    # The new password works, the old one is refused.
    with _connect_as(pg_server, initialized["db"], initialized["analyst"], passfile) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host="127.0.0.1", port=pg_server.port, dbname=initialized["db"],
                        user=initialized["analyst"], password=before[initialized["analyst"]]).close()


def test_program_runs_as_analyst_with_a_password_free_url(initialized, pg_server, cli):
    """The whole CLI works through a URL without a password (libpq reads the password file)."""
    with pg_server.admin_connect(initialized["db"]) as admin:
        admin.execute("INSERT INTO organization (code, name, kind) VALUES ('CLI-R', 'Область', 'region')")
    env = {"PGPASSFILE": str(initialized["passfile"])}
    url = _role_url(pg_server, initialized["db"], initialized["analyst"])
    r = cli("org", "list", "--format", "json", db=url, env=env)
    assert r.returncode == 0, r.stderr
    assert "CLI-R" in [o["code"] for o in json.loads(r.stdout)]


def test_server_init_refuses_sqlite(tmp_path, capsys):
    from ersoko_desktop.cli import main

    assert main(["--db", str(tmp_path / "local.sqlite"), "server", "init"]) == 2
    assert "только с PostgreSQL" in capsys.readouterr().err


def test_remember_stores_the_password_for_a_url_and_never_in_settings(pg_server, tmp_path, ersoko_home,
                                                                      monkeypatch, capsys):
    from ersoko_desktop.cli import main

    passfile = tmp_path / "pgpass"
    url = f"postgresql://{SUPERUSER}@127.0.0.1:{pg_server.port}/postgres"
    monkeypatch.setattr("sys.stdin", io.StringIO(pg_server.password + "\n"))
    assert main(["--db", url, "server", "remember", "--pgpass", str(passfile)]) == 0
    assert pg_server.password not in capsys.readouterr().err
    assert pgpass.lookup(url, SUPERUSER, passfile) == pg_server.password
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar() == SUPERUSER
    engine.dispose()
    leaked = [p for p in ersoko_home.rglob("*") if p.is_file() and pg_server.password in p.read_text(errors="ignore")]
    assert leaked == []


def test_analyst_on_an_outdated_server_gets_a_clear_message(initialized, pg_server, monkeypatch, tmp_path):
    """A role without DDL rights cannot migrate: it is told who must run ``server init``."""
    from ersoko_desktop.db import open_database
    from ersoko_desktop.errors import DatabaseError

    database = pg_server.create_database()
    try:
        with pg_server.admin_connect(database) as admin:
            admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{initialized["analyst"]}"')
        analyst = initialized["analyst"]
        password = pgpass.lookup(initialized["url"], analyst, initialized["passfile"])
        passfile = pgpass.remember(pgpass.entry_for(pg_server.url(database), analyst, password), tmp_path / "pgpass")
        monkeypatch.setenv("PGPASSFILE", str(passfile))
        with pytest.raises(DatabaseError, match="server init"):
            open_database(_role_url(pg_server, database, initialized["analyst"]))
    finally:
        pg_server.drop_database(database)


def test_preferences_never_keep_a_password(ersoko_home):
    from ersoko_desktop.settings import load_preferences, save_preferences

    save_preferences({"db": "postgresql://analyst:s3cr3t@cokoserver:5432/ersoko", "theme": "light"})
    assert "s3cr3t" not in (ersoko_home / "settings.json").read_text(encoding="utf-8")
    assert load_preferences() == {"db": "postgresql://analyst@cokoserver:5432/ersoko", "theme": "light"}
