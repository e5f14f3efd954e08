"""The demo region is realistic enough for every screen and carries its planted problems."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ersoko_desktop.db.models import Organization, ParticipantResult, Procedure, Roadmap, TaskOccurrence
from ersoko_desktop.services.demo import INFLATED, MISMATCH, fill_demo
from ersoko_desktop.settings import own_organization

pytestmark = pytest.mark.both_dbs  # the same behaviour on SQLite and PostgreSQL


def test_demo_shape(demo_session):
    s = demo_session
    kinds = dict(s.execute(select(Organization.kind, func.count()).group_by(Organization.kind)).all())
    assert kinds["region"] == 1 and kinds["municipality"] == 2 and kinds["school"] >= 20
    years = {y for (y,) in s.execute(select(Procedure.year).distinct())}
    grades = {g for (g,) in s.execute(select(Procedure.grade).distinct())}
    subjects = {x for (x,) in s.execute(select(Procedure.subject).distinct())}
    assert len(years) == 3 and grades == {4, 5, 6, 7, 8} and subjects == {"Русский язык", "Математика"}
    assert s.scalar(select(func.count()).select_from(Roadmap)) >= 1
    assert s.scalar(select(func.count()).select_from(TaskOccurrence)) >= 5
    assert own_organization(s).kind == "municipality"


def test_demo_results_are_consistent_with_spec(demo_session):
    s = demo_session
    proc = s.scalar(select(Procedure).where(Procedure.subject == "Математика", Procedure.grade == 5).limit(1))
    spec = proc.spec
    maxima = [t["max"] for t in spec["tasks"]]
    rows = s.scalars(select(ParticipantResult).where(ParticipantResult.procedure_id == proc.id)).all()
    assert len(rows) > 300
    for r in rows:
        assert len(r.task_scores) == len(maxima)
        assert all(0 <= sc <= mx for sc, mx in zip(r.task_scores, maxima))
        assert r.primary_score == sum(r.task_scores)
        t = spec["thresholds"]
        expected = 5 if r.primary_score >= t["5"] else 4 if r.primary_score >= t["4"] else 3 if r.primary_score >= t["3"] else 2
        assert r.mark == expected
        assert r.journal_mark in (2, 3, 4, 5)


def _share(s, code, column_expr):
    school = s.scalar(select(Organization).where(Organization.code == code))
    rows = s.execute(select(ParticipantResult.mark, ParticipantResult.journal_mark)
                     .where(ParticipantResult.school_id == school.id)).all()
    return sum(1 for r in rows if column_expr(r)) / len(rows)


def test_planted_problems_are_visible_in_raw_data(demo_session):
    s = demo_session
    # inflated school: far more «5» than the region overall
    all_rows = s.execute(select(ParticipantResult.mark)).all()
    region_fives = sum(1 for (m,) in all_rows if m == 5) / len(all_rows)
    assert _share(s, INFLATED, lambda r: r.mark == 5) > 1.5 * region_fives
    # mismatch school: ВПР mark below the journal mark for most children
    assert _share(s, MISMATCH, lambda r: r.mark < r.journal_mark) > 0.6


def test_fill_demo_is_idempotent(demo_session):
    before = demo_session.scalar(select(func.count()).select_from(ParticipantResult))
    fill_demo(demo_session)
    assert demo_session.scalar(select(func.count()).select_from(ParticipantResult)) == before
