"""The registry, demo and read-side services give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ersoko_desktop.db.models import AcademicYear, Organization, ParticipantResult, Procedure, Roadmap, RoadmapTask
from ersoko_desktop.errors import InputError
from ersoko_desktop.services import orgs, overview, results_browse
from ersoko_desktop.settings import own_organization

pytestmark = pytest.mark.both_dbs

REGISTRY = (
    "Код;Наименование;Тип;Код вышестоящей\n"
    "08;Республика Калмыкия;регион;\n"
    "0801;Городовиковское РМО;муниципалитет;08\n"
    "0802;Ики-Бурульское РМО;муниципалитет;08\n"
    "0801001;МКОУ «Городовиковская СОШ №1»;школа;0801\n"
    "0801002;МКОУ «Городовиковская СОШ №2»;ОО;0801\n"
    "0802001;МКОУ «Ики-Бурульская СОШ»;school;0802\n"
)


def test_registry_import_builds_the_tree_and_is_idempotent(session, tmp_path, db_backend):
    assert session.get_bind().dialect.name == db_backend
    path = tmp_path / "реестр.csv"
    path.write_text(REGISTRY, encoding="cp1251")
    first = orgs.import_registry(session, path)
    assert (first.created, first.updated, first.unchanged) == (6, 0, 0)
    session.flush()
    second = orgs.import_registry(session, path)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 6)
    muni = orgs.get_org(session, "0801")
    assert sorted(o.code for o in orgs.descendants(session, muni)) == ["0801", "0801001", "0801002"]
    assert [o.code for o in orgs.list_organizations(session, kind="school", parent_code="0802")] == ["0802001"]
    assert [o.code for o in orgs.list_organizations(session, kind="municipality")] == ["0801", "0802"]


def test_registry_with_an_unknown_parent_writes_nothing(session, tmp_path):
    path = tmp_path / "реестр.csv"
    path.write_text(REGISTRY + "0803001;Школа без МО;школа;0803\n", encoding="utf-8")
    with pytest.raises(InputError, match="0803"):
        orgs.import_registry(session, path)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Organization)) == 0


def test_demo_region_has_the_documented_shape(demo_session, db_backend):
    s = demo_session
    assert s.get_bind().dialect.name == db_backend
    kinds = dict(s.execute(select(Organization.kind, func.count()).group_by(Organization.kind)).all())
    # services/demo.py: 1 region, 2 municipalities, 22 schools; 3 years × 2 subjects × 5 grades; 4 school years
    assert kinds == {"region": 1, "municipality": 2, "school": 22}
    assert s.scalar(select(func.count()).select_from(Procedure)) == 30
    assert s.scalar(select(func.count()).select_from(AcademicYear)) == 4
    assert s.scalar(select(func.count()).select_from(Roadmap)) == 1
    assert s.scalar(select(func.count()).select_from(RoadmapTask)) == 7
    assert own_organization(s).code == "DEMO-M1"
    # Every school wrote every procedure: 14..26 pupils in each of 1 or 2 classes.
    per = s.execute(select(ParticipantResult.school_id, ParticipantResult.procedure_id, func.count())
                    .group_by(ParticipantResult.school_id, ParticipantResult.procedure_id)).all()
    assert len(per) == 22 * 30
    assert all(14 <= n <= 52 for _, _, n in per)
    # JSON task scores came back as lists whose sum is the primary score (10 tasks in Russian, 12 in maths).
    sample = s.execute(select(Procedure.subject, ParticipantResult.task_scores, ParticipantResult.primary_score)
                       .join(Procedure).limit(400)).all()
    for subject, scores, primary in sample:
        assert len(scores) == (12 if subject == "Математика" else 10)
        assert sum(scores) == primary


def test_dashboard_and_results_paging(demo_session):
    import datetime as dt

    s = demo_session
    board = overview.dashboard(s, today=dt.date(2025, 1, 10))
    assert board.organizations == {"region": 1, "municipality": 2, "school": 22}
    assert board.procedures == 30 and board.roadmaps == 1
    # Demo roadmap: «до 25 января» (2025-01-25) is upcoming; «сентябрь 2024» is done, «ноябрь 2024» is overdue.
    # Demo roadmap on 2025-01-10: «ноябрь 2024» (planned) and «декабрь» (in progress) are overdue;
    # «до 25 января» and the school-year-long task are within 30 days; «май» is not yet.
    assert [i.number for i in board.overdue] == ["1.4", "1.3"]
    assert [i.number for i in board.upcoming] == ["2.1", "2.2"]
    procs = results_browse.list_procedures(s)
    assert len(procs) == 30 and procs[0].year == 2025
    pid = procs[0].id
    total = results_browse.count_results(s, procedure_id=pid)
    page1 = results_browse.fetch_results(s, procedure_id=pid, offset=0, limit=50)
    page2 = results_browse.fetch_results(s, procedure_id=pid, offset=50, limit=50)
    both = results_browse.fetch_results(s, procedure_id=pid, offset=0, limit=100)
    assert total > 100 and len(page1) == len(page2) == 50
    assert page1 + page2 == both  # a stable order, so paging never repeats or skips a row
    assert isinstance(page1[0][4], list)
