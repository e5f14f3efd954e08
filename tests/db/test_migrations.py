"""Migrations: linear chain, up/down on an empty DB, models equal the migrated schema."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from ersoko_desktop.db import make_engine, open_database
from ersoko_desktop.db.base import Base
from ersoko_desktop.db.migrate import current_revision, downgrade, head_revision, upgrade
from ersoko_desktop.errors import DatabaseError
from ersoko_desktop.paths import migrations_dir


def test_revision_chain_is_linear():
    script = ScriptDirectory(str(migrations_dir()))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    revs = list(script.walk_revisions())
    for rev in revs:
        assert not isinstance(rev.down_revision, tuple), f"merge revision {rev.revision}"


def test_fast_revision_reading_agrees_with_alembic(engine, tmp_path):
    """upgrade() skips importing Alembic when the schema is at head; its own readings must be Alembic's."""
    script = ScriptDirectory(str(migrations_dir()))
    assert head_revision() == script.get_current_head()
    from ersoko_desktop.db.migrate import known_revisions

    assert {r: tuple(filter(None, [rev.down_revision])) for r, rev in
            ((r.revision, r) for r in script.walk_revisions())} == known_revisions()
    with engine.connect() as conn:
        assert current_revision(engine) == MigrationContext.configure(conn).get_current_revision() == head_revision()
    empty = make_engine(tmp_path / "empty.sqlite")
    assert current_revision(empty) is None
    empty.dispose()


@pytest.mark.both_dbs
def test_upgrade_creates_every_table_and_downgrade_removes_them(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    expected = {"organization", "academic_year", "procedure", "participant_result", "result_stats",
                "form_definition", "form_submission", "roadmap", "roadmap_section", "roadmap_task",
                "task_occurrence", "evidence", "signing_key", "trusted_key", "package_log", "audit_event"}
    assert expected <= tables
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.both_dbs
def test_models_match_migrated_schema(engine, db_backend):
    assert engine.dialect.name == db_backend
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_sqlite_pragmas(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_database_newer_than_code_on_postgresql_is_refused_and_untouched(pg_url):
    db_url = pg_url
    engine = open_database(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="более новой версией"):
        open_database(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "ffff_future"
    engine.dispose()


def test_database_newer_than_code_is_refused_and_untouched(tmp_path):
    path = tmp_path / "future.sqlite"
    engine = open_database(str(path))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="более новой версией"):
        open_database(str(path))
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "ffff_future"
    con.close()


def test_existing_database_is_backed_up_before_migration(tmp_path, ersoko_home):
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    con.execute("CREATE TABLE keep_me (x INTEGER)")
    con.execute("INSERT INTO keep_me VALUES (42)")
    con.commit()
    con.close()
    engine = make_engine(str(path))
    result = upgrade(engine)
    engine.dispose()
    assert result.after == head_revision()
    assert result.backup is not None and result.backup.parent == ersoko_home / "backups"
    copy = sqlite3.connect(result.backup)
    assert copy.execute("SELECT x FROM keep_me").fetchone() == (42,)
    assert copy.execute("SELECT count(*) FROM sqlite_master WHERE name = 'organization'").fetchone() == (0,)
    copy.close()


@pytest.mark.both_dbs
def test_fresh_database_needs_no_backup_and_init_twice_is_noop(db_url, ersoko_home):
    engine = make_engine(db_url)
    first = upgrade(engine)
    second = upgrade(engine)
    engine.dispose()
    assert first.backup is None and first.before is None
    assert second.before == second.after == head_revision() and second.backup is None


@pytest.mark.both_dbs
def test_result_stats_migration_marks_existing_results_stale(db_url):
    """Results stored before 0003: every school × procedure gets a stale cache row, and the first
    computation fills it with the right numbers (two «4», one «2» → quality 66.7 %)."""
    from ersoko_desktop.db import make_session_factory
    from ersoko_desktop.services.indicators import compute_indicators

    engine = make_engine(db_url)
    upgrade(engine)
    downgrade(engine, "0002_regional_server")
    with engine.begin() as c:
        c.execute(text("INSERT INTO organization (id, code, name, kind) VALUES (1, 'S', 'Школа', 'school')"))
        c.execute(text("INSERT INTO procedure (id, kind, subject, grade, year) VALUES (1, 'VPR', 'Математика', 5, 2025)"))
        for i, mark in enumerate((4, 4, 2)):
            c.execute(text("INSERT INTO participant_result (procedure_id, school_id, participant_code, mark) "
                           "VALUES (1, 1, :code, :mark)"), {"code": str(i), "mark": mark})
    upgrade(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT procedure_id, school_id, data FROM result_stats")).all() == [(1, 1, None)]
    session = make_session_factory(engine)()
    frame = compute_indicators(session, level="school")
    assert (int(frame.iloc[0]["n"]), frame.iloc[0]["quality"]) == (3, 66.7)
    session.commit()
    session.close()
    with engine.connect() as c:
        assert c.execute(text("SELECT rows FROM result_stats")).scalar_one() == 3
    engine.dispose()
