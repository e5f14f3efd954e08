"""Two analysts import packages into the regional PostgreSQL server at the same time.

The overlap is made deterministic: analyst A's import is written but not committed, analyst B's
import starts in another thread and is seen waiting on a lock (pg_stat_activity), then A commits.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from ersoko_desktop.db import make_session_factory, session_scope
from ersoko_desktop.db.models import FormDefinition, PackageLog, ParticipantResult, Procedure
from ersoko_desktop.services.packages import export_package, import_package
from ersoko_desktop.settings import set_own_organization

from ..pg import overlap
from .helpers import add_registry, exchange_keys, fill_school, make_db

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)


@pytest.fixture
def region(engine, tmp_path):
    """The ЦОКО database on PostgreSQL and two municipal packages (M1: S1+S2, M2: S3), both new to it."""
    with session_scope(engine) as s:
        add_registry(s)
        set_own_organization(s, "R")
    packages = {}
    for code, schools in (("M1", {"S1": 12, "S2": 8}), ("M2", {"S3": 10})):
        muni = make_db(tmp_path / f"{code}.sqlite", code, key=True)
        with session_scope(muni) as s:
            for school, n in schools.items():
                fill_school(s, school, n=n)
        exchange_keys(muni, engine, tmp_path, code)
        with session_scope(muni) as s:
            packages[code] = export_package(s, out=tmp_path / f"{code}.zip", period="2024/25")
        muni.dispose()
    return engine, packages


def _count(engine, model, *where) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _overlap(engine, first_path, second_path) -> tuple:
    """A imports and holds its transaction; B imports meanwhile; A commits; B finishes. Returns both reports."""

    def first(a):
        report = import_package(a, first_path)
        assert report.status == "imported", report.message
        return report

    return overlap(engine, first, lambda b: import_package(b, second_path))


def test_two_municipalities_import_at_once_and_both_land(region):
    engine, packages = region
    first, second, waited = _overlap(engine, packages["M1"].path, packages["M2"].path)
    assert waited, "B never waited for A: the test did not overlap the two imports"
    assert (first.status, second.status) == ("imported", "imported"), second.message
    assert _count(engine, ParticipantResult) == 12 + 8 + 10
    # Both packages carried the same procedure and form definition: each exists once.
    assert _count(engine, Procedure) == 1
    assert _count(engine, FormDefinition) == 1


def test_the_same_package_imported_twice_at_once_lands_once(region):
    engine, packages = region
    first, second, waited = _overlap(engine, packages["M1"].path, packages["M1"].path)
    assert waited
    assert first.status == "imported"
    assert second.status == "duplicate", second.message
    assert _count(engine, ParticipantResult) == 12 + 8
    assert _count(engine, PackageLog, PackageLog.direction == "import", PackageLog.result == "ok",
                  PackageLog.package_id == packages["M1"].package_id) == 1


def test_a_long_read_does_not_block_an_import(region):
    engine, packages = region
    with session_scope(engine) as s:
        assert import_package(s, packages["M1"].path).status == "imported"
    reader = make_session_factory(engine)()
    try:
        reader.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        assert reader.scalar(select(func.count()).select_from(ParticipantResult)) == 20  # snapshot taken
        done = threading.Event()

        def importer():
            with session_scope(engine) as s:
                import_package(s, packages["M2"].path)
            done.set()

        thread = threading.Thread(target=importer)
        thread.start()
        assert done.wait(120), "the import waited for the open read transaction"
        # The reader keeps its consistent snapshot; new readers see both municipalities.
        assert reader.scalar(select(func.count()).select_from(ParticipantResult)) == 20
    finally:
        reader.close()
    thread.join(10)
    assert _count(engine, ParticipantResult) == 30
