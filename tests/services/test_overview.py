"""The Обзор dashboard: numbers counted by hand from the demo's planted facts and from real
imports/packages made in the test."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from ersoko_desktop.db import session_scope
from ersoko_desktop.db.models import FormSubmission, Organization
from ersoko_desktop.services import overview
from ersoko_desktop.services.packages import export_package, export_trust_list, import_package
from ersoko_desktop.services.results_import import import_results

from ..packages.helpers import exchange_keys, fill_school, make_db
from .results_files import FULL, MATH5_TITLE, SCHOOLS, SEVEN, TWELVE, add_registry, math5_header, math5_row, write_csv

TODAY = dt.date(2026, 11, 23)


def test_demo_roadmap_due_and_overdue(demo_session):
    # The demo roadmap (services/demo.py, 2026/27): 1.3 «октябрь» still planned → overdue on 23.11;
    # 1.4 (ноябрь–декабрь, in progress), 1.5 (декабрь: starts within 30 days), 2.2 (whole year, in
    # progress) are due; 1.2 is done, 2.1 (25 January) and 2.3 (May) start later, 1.1 has no dates.
    board = overview.dashboard(demo_session, today=TODAY)
    assert [i.number for i in board.overdue] == ["1.3"]
    assert [i.number for i in board.upcoming] == ["1.4", "1.5", "2.2"]
    assert board.flags is None  # the engine is not run unless asked
    assert board.last_imports == [] and board.received_not_imported == [] and board.sent_unanswered == []


def test_demo_forms_waiting_for_the_district(demo_session):
    board = overview.dashboard(demo_session, today=TODAY)  # own organization: DEMO-M1
    to_decide = {f.form_id: f.count for f in board.forms_to_decide}
    # ВСОКО self-evaluations «submitted»: DEMO-S02 and DEMO-S07 (district 1); DEMO-S15 is in district 2.
    assert to_decide["vsoko_self_evaluation"] == 2
    # school_context 2026/27 statuses are partly random in the demo: count them with plain SQL.
    m1 = demo_session.scalar(select(Organization.id).where(Organization.code == "DEMO-M1"))
    raw = demo_session.scalar(
        select(func.count()).select_from(FormSubmission).join(Organization, FormSubmission.org_id == Organization.id)
        .where(FormSubmission.form_id == "school_context", FormSubmission.status == "submitted",
               Organization.parent_id == m1))
    assert raw > 0 and to_decide["school_context"] == raw
    assert set(to_decide) == {"vsoko_self_evaluation", "school_context"}
    assert board.forms_to_decide_total == 2 + raw
    # The district's own ММУКО checklists for 2025 are sent to the region and not decided yet.
    assert {(f.form_id, f.count) for f in board.forms_sent_up} == {("mmuko_1_1", 1), ("mmuko_1_2", 1)}


def test_demo_flagged_schools_of_the_district_and_the_region(demo_session):
    district = overview.flagged_schools(demo_session, org_code="DEMO-M1", top=50)
    assert district.year == 2026
    by_code = {s.org: s for s in district.top}
    assert district.schools == len(by_code)
    assert all(code in {f"DEMO-S{i:02d}" for i in range(1, 12)} for code in by_code)  # district 1 only
    assert {"S1", "S4"} <= set(by_code["DEMO-S03"].signs) and by_code["DEMO-S03"].risk  # planted inflation
    assert "S2" in by_code["DEMO-S07"].signs and by_code["DEMO-S07"].risk              # planted mismatch
    assert district.risk == sum(1 for s in district.top if s.risk)
    assert [s.risk for s in district.top] == sorted((s.risk for s in district.top), reverse=True)  # risk first
    short = overview.flagged_schools(demo_session, org_code="DEMO-M1", top=2)
    assert short.schools == district.schools and [s.org for s in short.top] == [s.org for s in district.top[:2]]

    region = overview.flagged_schools(demo_session, top=50)
    assert "S3" in {s.org: s for s in region.top}["DEMO-S12"].signs  # planted jump in 2026 (district 2)
    assert region.schools > district.schools


def test_last_imports_name_file_rows_and_procedure(session, tmp_path):
    add_registry(session)
    s1, s2 = SCHOOLS[0], SCHOOLS[1]
    path = write_csv(tmp_path / "впр_математика_5.csv", [*MATH5_TITLE, math5_header(),
                                                        math5_row(s1, "1", FULL, 20, 5, 5),
                                                        math5_row(s1, "2", TWELVE, 12, 4, 4),
                                                        math5_row(s2, "3", SEVEN, 7, 3, 3)])
    import_results(session, path)
    session.commit()
    board = overview.dashboard(session)
    assert len(board.last_imports) == 1
    item = board.last_imports[0]
    assert (item.kind, item.file_name, item.rows) == ("results", "впр_математика_5.csv", 3)
    assert item.procedure == "ВПР 2024 · Математика · 5 кл."


def _waiting(engine):
    with session_scope(engine) as s:
        received, sent = overview.packages_waiting(s)
    return received, sent


def test_packages_waiting_school_and_district(tmp_path):
    school = make_db(tmp_path / "s1.sqlite", "S1", key=True)
    district = make_db(tmp_path / "m1.sqlite", "M1", key=True)
    with session_scope(school) as s:
        fill_school(s, "S1", n=6)
        export_package(s, out=tmp_path / "S1.zip", period="2024/25")
    received, sent = _waiting(school)
    assert received == [] and [(i.org, i.file_name) for i in sent] == [("M1", "S1.zip")]

    # The district has not enrolled the school's key yet: the package is refused and waits.
    with session_scope(district) as s:
        assert import_package(s, tmp_path / "S1.zip").status == "refused"
    received, sent = _waiting(district)
    assert [i.file_name for i in received] == ["S1.zip"] and sent == []
    assert "ключ" in received[0].message  # why it waits: the refusal names the unknown key
    with session_scope(district) as s:  # a second refused attempt of the same package is one item
        import_package(s, tmp_path / "S1.zip")
    assert len(_waiting(district)[0]) == 1

    exchange_keys(school, district, tmp_path, "s1")
    with session_scope(district) as s:
        assert import_package(s, tmp_path / "S1.zip").status == "imported"
    assert _waiting(district) == ([], [])

    # The district answers with its trust list; once the school imports it, nothing waits there either.
    exchange_keys(district, school, tmp_path, "m1")
    with session_scope(district) as s:
        export_trust_list(s, out=tmp_path / "trust.zip", recipient="S1")
    with session_scope(school) as s:
        assert import_package(s, tmp_path / "trust.zip").status == "imported"
    assert _waiting(school) == ([], [])


def test_a_verified_package_waits_until_it_is_imported(session):
    """What ``package verify`` journals (direction «verify»): checked, not loaded yet."""
    from ersoko_desktop.db.models import PackageLog

    session.add(PackageLog(direction="verify", result="ok", package_id="p-1", sender_org="S1", sha256="a" * 64,
                           file_name="S1.zip", message="подпись верна"))
    session.add(PackageLog(direction="verify", result="duplicate", package_id="p-0", sender_org="S2",
                           sha256="b" * 64, file_name="S2.zip", message="уже загружен"))
    session.flush()
    received, _sent = overview.packages_waiting(session)
    assert [(i.file_name, i.org) for i in received] == [("S1.zip", "S1")]
    session.add(PackageLog(direction="import", result="ok", package_id="p-1", sender_org="S1", sha256="a" * 64,
                           file_name="S1.zip"))
    session.flush()
    assert overview.packages_waiting(session)[0] == []
