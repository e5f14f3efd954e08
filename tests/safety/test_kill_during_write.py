"""A program killed in the middle of a long write transaction leaves the database as it was."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap

from ersoko_desktop.db.backup import integrity_errors
from ersoko_desktop.safety.lock import lock_path, read_holder
from ersoko_desktop.safety.startup import open_safely

# Re-imports one procedure the way an import does: delete its rows, then insert a large new set
# in chunks, all in one transaction. A tiny page cache forces SQLite to spill uncommitted pages
# into the WAL file, so the kill happens with half a transaction on disk.
WRITER = textwrap.dedent("""
    import sys
    from sqlalchemy import delete, select, text
    from ersoko_desktop.db import session_scope
    from ersoko_desktop.db.bulk import bulk_insert
    from ersoko_desktop.db.models import Organization, ParticipantResult, Procedure
    from ersoko_desktop.safety.startup import open_safely

    opened = open_safely(sys.argv[1], program="импорт")
    with session_scope(opened.engine) as s:
        s.execute(text("PRAGMA cache_size=20"))
        proc = s.scalars(select(Procedure).order_by(Procedure.id)).first()
        school = s.scalar(select(Organization.id).where(Organization.code == "DEMO-S01"))
        s.execute(delete(ParticipantResult).where(ParticipantResult.procedure_id == proc.id))
        for chunk in range(10_000):
            rows = [dict(procedure_id=proc.id, school_id=school, participant_code=f"K{chunk}-{i}",
                         task_scores=[1, 0, 1, 1], primary_score=3.0, mark=3) for i in range(2000)]
            bulk_insert(s, ParticipantResult.__table__, rows)
            s.flush()
            print("chunk", chunk, flush=True)
""")


def _counts(db_file):
    conn = sqlite3.connect(db_file)
    try:
        return (
            conn.execute("select count(*) from participant_result").fetchone()[0],
            conn.execute("select count(*) from participant_result where procedure_id = (select min(id) from procedure)").fetchone()[0],
            conn.execute("select count(*) from organization").fetchone()[0],
            conn.execute("select sum(primary_score) from participant_result").fetchone()[0],
        )
    finally:
        conn.close()


def test_sigkill_mid_transaction_leaves_a_consistent_database(demo_db_template, tmp_path):
    db_file = tmp_path / "Мои документы" / "ersoko.sqlite"
    db_file.parent.mkdir()
    shutil.copy(demo_db_template, db_file)
    before = _counts(db_file)
    assert before[1] > 0

    child = subprocess.Popen([sys.executable, "-c", WRITER, str(db_file)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    chunks = 0
    for line in child.stdout:
        if line.startswith("chunk"):
            chunks += 1
            if chunks == 15:  # 30 000 uncommitted rows written
                break
    wal = db_file.with_name(db_file.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 1_000_000  # the transaction really reached the disk
    child.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
    child.wait(timeout=30)
    assert child.returncode == (-9 if os.name == "posix" else 1)  # killed, not finished

    assert read_holder(lock_path(db_file)).pid == child.pid  # it died holding the lock
    assert integrity_errors(db_file) == []
    assert _counts(db_file) == before

    opened = open_safely(str(db_file))  # the stale lock is taken over, the database opens
    try:
        assert opened.lock.stale.pid == child.pid
        with opened.engine.connect() as conn:
            assert conn.exec_driver_sql("pragma quick_check").scalar() == "ok"
    finally:
        opened.close()
    assert _counts(db_file) == before
