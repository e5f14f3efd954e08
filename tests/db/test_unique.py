"""get_or_create / insert_once: one row per unique key, also under concurrent sessions."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from ersoko_desktop.db import make_session_factory
from ersoko_desktop.db.models import Organization, PackageLog, Procedure
from ersoko_desktop.db.unique import get_or_create, insert_once

KEY = {"kind": "VPR", "subject": "Математика", "grade": 5, "year": 2025}


@pytest.mark.both_dbs
def test_get_or_create_creates_once_and_keeps_the_first_values(session):
    first, created = get_or_create(session, Procedure, where=KEY, values={"spec": {"max_score": 10}})
    again, created_again = get_or_create(session, Procedure, where=KEY, values={"spec": {"max_score": 99}})
    assert (created, created_again) == (True, False)
    assert again.id == first.id and again.spec == {"max_score": 10}
    assert session.scalar(select(func.count()).select_from(Procedure)) == 1


@pytest.mark.both_dbs
def test_insert_once_refuses_a_second_import_row_but_keeps_the_transaction(session):
    session.add(Organization(code="R", name="Р", kind="region"))
    assert insert_once(session, PackageLog(direction="import", result="ok", package_id="p-1"))
    assert not insert_once(session, PackageLog(direction="import", result="ok", package_id="p-1"))
    # Refused and duplicate rows of the same package are history, not imports: they may repeat.
    assert insert_once(session, PackageLog(direction="import", result="duplicate", package_id="p-1"))
    assert insert_once(session, PackageLog(direction="import", result="refused", package_id="p-1"))
    session.flush()
    assert session.scalar(select(func.count()).select_from(Organization)) == 1  # the outer work survived
    assert session.scalar(select(func.count()).select_from(PackageLog)) == 3


@pytest.mark.both_dbs
def test_a_key_violation_of_another_constraint_is_not_hidden(session):
    from sqlalchemy.exc import IntegrityError

    session.add(Organization(code="R", name="Р", kind="region"))
    session.flush()
    # Same code (unique) but looked up by name: the row found by ``where`` does not exist, so raise.
    with pytest.raises(IntegrityError):
        get_or_create(session, Organization, where={"name": "другое"}, values={"code": "R", "kind": "region"})


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_concurrent_creators_get_one_row(engine):
    factory = make_session_factory(engine)
    a = factory()
    row_a, created_a = get_or_create(a, Procedure, where=KEY)
    got: dict = {}

    def other_session():
        with factory() as b:
            row, created = get_or_create(b, Procedure, where=KEY)
            got["id"], got["created"] = row.id, created
            b.commit()

    thread = threading.Thread(target=other_session)
    thread.start()
    with engine.connect() as watcher:  # B must really be waiting on A's uncommitted row
        for _ in range(1200):
            if watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock'")).scalar():
                break
            watcher.commit()
            time.sleep(0.05)
        else:
            pytest.fail("the second session never waited for the first")
    a.commit()
    a.close()
    thread.join(60)
    assert created_a and got == {"id": row_a.id, "created": False}
