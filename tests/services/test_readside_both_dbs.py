"""Read-side services give the same answers on SQLite and PostgreSQL (orgs and demo: test_orgs/test_demo)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ersoko_desktop.db.models import RoadmapTask, TaskOccurrence
from ersoko_desktop.services import overview, results_browse

pytestmark = pytest.mark.both_dbs


def test_dashboard_due_lists_match_the_raw_occurrences(demo_session, db_backend):
    s = demo_session
    assert s.get_bind().dialect.name == db_backend
    today = dt.date(2027, 1, 10)
    board = overview.dashboard(s, today=today, horizon_days=30)
    raw = s.execute(select(RoadmapTask.number, TaskOccurrence.start, TaskOccurrence.end, TaskOccurrence.status)
                    .join(RoadmapTask, TaskOccurrence.task_id == RoadmapTask.id)).all()
    open_ = [r for r in raw if r.status in ("planned", "in_progress") and r.end is not None]
    horizon = today + dt.timedelta(days=30)
    assert sorted(i.number for i in board.overdue) == sorted(r.number for r in open_ if r.end < today)
    assert sorted(i.number for i in board.upcoming) == sorted(
        r.number for r in open_ if r.end >= today and (r.start is None or r.start <= horizon))
    assert board.overdue and board.upcoming
    ends = [i.end for i in board.overdue + board.upcoming]
    assert ends[: len(board.overdue)] == sorted(ends[: len(board.overdue)])


def test_results_paging_is_stable(demo_session):
    s = demo_session
    procs = results_browse.list_procedures(s)
    assert [p.year for p in procs] == sorted((p.year for p in procs), reverse=True)
    pid = procs[0].id
    total = results_browse.count_results(s, procedure_id=pid)
    page1 = results_browse.fetch_results(s, procedure_id=pid, offset=0, limit=50)
    page2 = results_browse.fetch_results(s, procedure_id=pid, offset=50, limit=50)
    both = results_browse.fetch_results(s, procedure_id=pid, offset=0, limit=100)
    assert total > 100 and len(page1) == len(page2) == 50
    assert page1 + page2 == both  # a stable order, so paging never repeats or skips a row
    assert isinstance(page1[0][4], list)  # JSON task scores come back as a list on both
