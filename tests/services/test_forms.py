"""Form submissions: workflow, audit, aggregation with completeness, ММУКО values, versions, evidence."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from ersoko_desktop.db.models import AuditEvent, Evidence, FormSubmission, Organization
from ersoko_desktop.errors import InputError, WorkflowError
from ersoko_desktop.formspec import parse_definition
from ersoko_desktop.services import forms
from ersoko_desktop.settings import set_own_organization

PERIOD = "2024/25"

pytestmark = pytest.mark.both_dbs  # the same behaviour on SQLite and PostgreSQL


@pytest.fixture
def district(session):
    """Region R → municipality M → schools S1..S4, and M2 with S5; this database acts for M."""
    region = Organization(code="R", name="Регион", kind="region")
    m = Organization(code="M", name="Район", kind="municipality", parent=region)
    m2 = Organization(code="M2", name="Другой район", kind="municipality", parent=region)
    session.add_all([region, m, m2])
    for i in range(1, 5):
        session.add(Organization(code=f"S{i}", name=f"Школа {i}", kind="school", parent=m))
    session.add(Organization(code="S5", name="Школа 5", kind="school", parent=m2))
    session.flush()
    set_own_organization(session, "M")
    return session


def context_values(students: int, low_income: float, rural: bool = True) -> dict:
    return {"rural": rural, "settlement": "п. Тест", "students_total": students, "classes_total": 9,
            "low_income_share": low_income, "non_russian_share": 50, "teachers_total": 12}


def save(session, org, values, form_id="school_context", period=PERIOD, **kw):
    return forms.save_values(session, form_id=form_id, org_code=org, period=period, values=values, **kw)


def test_draft_submit_approve_and_read_only(district):
    s = district
    first = save(s, "S1", {"students_total": "120", "rural": "да"})
    assert first.created and first.status == "draft"
    assert first.changed["students_total"] == (None, 120)
    with pytest.raises(InputError) as exc:  # required fields are missing
        forms.submit(s, form_id="school_context", org_code="S1", period=PERIOD)
    assert "не отправлена" in exc.value.message
    assert any("Населённый пункт" in str(d) for d in exc.value.diagnostics)
    save(s, "S1", context_values(120, 35.5))
    view = forms.submit(s, form_id="school_context", org_code="S1", period=PERIOD)
    assert view.status == "submitted" and not view.editable
    with pytest.raises(WorkflowError, match="отправлено"):
        save(s, "S1", {"students_total": 121})
    assert forms.approve(s, form_id="school_context", org_code="S1", period=PERIOD).status == "approved"
    stored = s.scalar(select(FormSubmission).where(FormSubmission.form_id == "school_context"))
    assert stored.values["students_total"] == 120 and stored.decided_at is not None


def test_return_with_comment_then_edit_and_resubmit(district):
    s = district
    save(s, "S2", context_values(80, 20))
    forms.submit(s, form_id="school_context", org_code="S2", period=PERIOD)
    with pytest.raises(InputError, match="комментарий"):
        forms.return_submission(s, form_id="school_context", org_code="S2", period=PERIOD, comment="  ")
    view = forms.return_submission(s, form_id="school_context", org_code="S2", period=PERIOD,
                                   comment="Уточните долю малоимущих")
    assert (view.status, view.comment, view.editable) == ("returned", "Уточните долю малоимущих", True)
    save(s, "S2", {"low_income_share": 25})
    assert forms.submit(s, form_id="school_context", org_code="S2", period=PERIOD).status == "submitted"


@pytest.mark.parametrize("action", ["approve", "return", "submit_again"])
def test_forbidden_transitions(district, action):
    s = district
    save(s, "S3", context_values(50, 10))
    if action == "approve":  # a draft cannot be approved
        with pytest.raises(WorkflowError, match="из состояния «черновик» в «принято»"):
            forms.approve(s, form_id="school_context", org_code="S3", period=PERIOD)
    elif action == "return":  # an approved form cannot be returned
        forms.submit(s, form_id="school_context", org_code="S3", period=PERIOD)
        forms.approve(s, form_id="school_context", org_code="S3", period=PERIOD)
        with pytest.raises(WorkflowError, match="из состояния «принято» в «возвращено»"):
            forms.return_submission(s, form_id="school_context", org_code="S3", period=PERIOD, comment="x")
    else:
        forms.submit(s, form_id="school_context", org_code="S3", period=PERIOD)
        with pytest.raises(WorkflowError, match="из состояния «отправлено» в «отправлено»"):
            forms.submit(s, form_id="school_context", org_code="S3", period=PERIOD)
    assert s.scalar(select(FormSubmission.status).where(FormSubmission.form_id == "school_context")) in (
        "draft", "approved", "submitted")


def test_roles(district):
    s = district
    save(s, "S1", context_values(100, 10))
    forms.submit(s, form_id="school_context", org_code="S1", period=PERIOD)
    with pytest.raises(WorkflowError, match="вышестоящая"):  # a school cannot approve its own form
        forms.approve(s, form_id="school_context", org_code="S1", period=PERIOD, acting_org="S1")
    with pytest.raises(WorkflowError, match="не может заполнять"):  # another district's school
        save(s, "S5", context_values(100, 10))
    with pytest.raises(WorkflowError, match="не может заполнять"):  # a school cannot fill another school's form
        save(s, "S2", context_values(100, 10), acting_org="S1")
    with pytest.raises(InputError, match="заполняет школа"):
        save(s, "M", context_values(100, 10))
    with pytest.raises(InputError, match="например, «2024/25»"):
        save(s, "S1", {"students_total": 1}, period="2024")


def test_value_errors_refused_rule_errors_kept_in_draft(district):
    s = district
    with pytest.raises(InputError) as exc:
        save(s, "S1", {"students_total": "сто"})
    assert "ожидалось целое число, получено «сто»" in str(exc.value)
    assert s.scalar(select(FormSubmission.id)) is None  # nothing written
    result = save(s, "S1", {"students_total": 5, "classes_total": 9})  # more classes than students
    assert [i.rule_id for i in result.issues] == ["classes_le_students"]
    with pytest.raises(InputError, match="Классов-комплектов не может быть больше"):
        save(s, "S1", {"classes_total": 10}, strict=True)
    with pytest.raises(InputError, match="нет полей: bogus"):
        save(s, "S1", {"bogus": 1})


def test_every_change_is_audited_with_old_and_new_values(district):
    s = district
    save(s, "S1", context_values(100, 10), actor="Иванова")
    save(s, "S1", {"students_total": 110}, actor="Иванова")
    save(s, "S1", {"students_total": 110}, actor="Иванова")  # no change, no event
    forms.submit(s, form_id="school_context", org_code="S1", period=PERIOD, actor="Иванова")
    forms.return_submission(s, form_id="school_context", org_code="S1", period=PERIOD, comment="Проверьте",
                            actor="Петров")
    events = forms.history(s, form_id="school_context", org_code="S1", period=PERIOD)
    assert [e["action"] for e in events] == ["form.save", "form.save", "form.submitted", "form.returned"]
    assert events[1]["before"] == {"students_total": 100} and events[1]["after"] == {"students_total": 110}
    assert events[3]["actor"] == "Петров" and events[3]["after"] == {"status": "returned", "comment": "Проверьте"}
    assert s.scalar(select(AuditEvent.entity_id).where(AuditEvent.action == "form.returned")) == \
        "school_context:S1:2024/25"


def test_aggregation_completeness_and_not_submitted(district):
    s = district
    save(s, "S1", context_values(100, 10, rural=True))
    forms.submit(s, form_id="school_context", org_code="S1", period=PERIOD)
    save(s, "S2", context_values(300, 40, rural=False))
    forms.submit(s, form_id="school_context", org_code="S2", period=PERIOD)
    forms.approve(s, form_id="school_context", org_code="S2", period=PERIOD)
    save(s, "S3", context_values(1000, 90))  # a draft is not counted
    save(s, "S5", context_values(500, 50), acting_org="R")  # another district
    result = forms.aggregate(s, org_code="M", period=PERIOD)
    rate = result.reporting["school_context"]
    assert (rate.expected, rate.submitted, rate.approved) == (4, 2, 1)
    assert rate.completeness == 50.0
    assert rate.not_submitted == ["S3", "S4"]
    v = result.values
    assert v["students_total"] == 400  # 100 + 300
    assert v["rural_schools"] == 1
    assert v["low_income_share"] == 32.5  # (100·10 + 300·40) / 400
    assert v["schools_context_reported"] == 2
    assert result.reporting["vsoko_self_evaluation"].completeness == 0.0
    # the summary form shows the live aggregate while it is a draft
    view = forms.open_submission(s, form_id="municipal_summary", org_code="M", period=PERIOD)
    assert view.values["students_total"] == 400 and view.status is None


def test_status_report(district):
    s = district
    save(s, "S1", context_values(100, 10))
    forms.submit(s, form_id="school_context", org_code="S1", period=PERIOD)
    save(s, "S2", {"students_total": 10})
    report = forms.form_status(s, period=PERIOD)
    rows = {(r.org_code, r.form_id): r for r in report.rows}
    assert rows[("S1", "school_context")].status == "submitted"
    assert rows[("S1", "school_context")].filled == 100.0
    # 1 of the 7 required inputs of the context form
    assert rows[("S2", "school_context")].filled == round(1 / 7 * 100, 1)
    assert rows[("S4", "school_context")].status is None
    assert ("M", "municipal_summary") in rows and ("S5", "school_context") not in rows  # own district only
    assert all(r.form_id not in ("mmuko_1_1", "mmuko_1_2") for r in report.rows)  # calendar-year forms
    ctx_rate = next(r for r in report.reporting if r.form_id == "school_context")
    assert (ctx_rate.expected, ctx_rate.submitted, ctx_rate.completeness) == (4, 1, 25.0)
    calendar = forms.form_status(s, period="2024")
    assert {r.form_id for r in calendar.rows} == {"mmuko_1_1", "mmuko_1_2"}


def checklist(spec_id: str, yes: set[str], session) -> dict:
    spec = forms.get_spec(session, spec_id)
    return {f.id: f.id in yes for f in spec.fields if f.points}


def test_mmuko_criteria_values_and_dynamics(district):
    s = district
    # 1.1 in 2021: 2+2+2+1+2+2+2+1+1 = 15 of 25 → 60 %; in 2022 everything but i04 (1 point) → 24 → 96 %
    yes_2021 = {"i01_roadmap", "i02_regulation", "i03_procedures", "i07_vpr_participation",
                "i08_decisions_technology", "i10_info_sources", "i11_indicator_system",
                "i17_objectivity_orders", "i19_vpr_recheck"}
    all_11 = set(checklist("mmuko_1_1", set(), s))
    save(s, "M", checklist("mmuko_1_1", yes_2021, s), form_id="mmuko_1_1", period="2021")
    save(s, "M", checklist("mmuko_1_1", all_11 - {"i04_reglaments"}, s), form_id="mmuko_1_1", period="2022")
    # 1.2 in 2021: i03 (1) + i04 (2) = 3 of 27 → 11.1 %; in 2022 all but i03 and i08 (1 each) → 25 → 92.6 %
    all_12 = set(checklist("mmuko_1_2", set(), s))
    save(s, "M", checklist("mmuko_1_2", {"i03_management_study", "i04_interviews"}, s), form_id="mmuko_1_2",
         period="2021")
    save(s, "M", checklist("mmuko_1_2", all_12 - {"i03_management_study", "i08_practicums"}, s),
         form_id="mmuko_1_2", period="2022")
    values = forms.mmuko_criteria(s, org_code="M")
    got = [(c.criterion, c.period, c.points, c.max_points, c.value, c.previous_value, c.delta) for c in values]
    assert got == [
        ("1.1", "2021", 15, 25, 60.0, None, None),
        ("1.1", "2022", 24, 25, 96.0, 60.0, 36.0),
        ("1.2", "2021", 3, 27, 11.1, None, None),
        ("1.2", "2022", 25, 27, 92.6, 11.1, 81.5),
    ]
    only_2022 = forms.mmuko_criteria(s, org_code="M", periods=["2022"])
    assert [(c.criterion, c.previous_value) for c in only_2022] == [("1.1", 60.0), ("1.2", 11.1)]


def test_submission_keeps_its_version_and_maps_to_a_newer_one(district):
    s = district
    v1 = forms.get_spec(s, "school_context")
    raw = copy.deepcopy(v1.raw)
    save(s, "S1", context_values(100, 10) | {"vacancies": 2})
    raw["version"] = "1.1"
    staff = next(sec for sec in raw["sections"] if sec["id"] == "staff")
    staff["fields"] = [f for f in staff["fields"] if f["id"] != "vacancies"]
    staff["fields"].append({"id": "teachers_pensioners", "type": "integer", "label": "Педагоги-пенсионеры"})
    from ersoko_desktop.formspec.loader import definition_hash

    v2 = parse_definition(raw, sha256=definition_hash(raw))
    forms.sync_definitions(s, specs=[v2])
    view = forms.open_submission(s, form_id="school_context", org_code="S1", period=PERIOD)
    assert view.version == "1.0"  # the submission keeps the version it was filled in
    assert view.newer is not None
    assert view.newer.removed == {"vacancies": 2} and view.newer.added == ["teachers_pensioners"]
    assert forms.get_spec(s, "school_context").version == "1.1"
    mapping = forms.upgrade_submission(s, form_id="school_context", org_code="S1", period=PERIOD)
    assert mapping.values["students_total"] == 100
    view = forms.open_submission(s, form_id="school_context", org_code="S1", period=PERIOD)
    assert view.version == "1.1" and view.newer is None and "vacancies" not in view.values


def test_changed_definition_without_new_version_is_refused_once_used(district):
    s = district
    save(s, "S1", {"students_total": 10})
    raw = copy.deepcopy(forms.get_spec(s, "school_context").raw)
    raw["title"] = "Изменённый паспорт"
    from ersoko_desktop.formspec.loader import definition_hash

    changed = parse_definition(raw, sha256=definition_hash(raw))
    with pytest.raises(WorkflowError, match="Увеличьте номер версии"):
        forms.sync_definitions(s, specs=[changed])


def test_evidence_is_stored_by_hash(district, tmp_path, ersoko_home):
    s = district
    doc = tmp_path / "Приказ о дорожной карте.pdf"
    doc.write_bytes(b"%PDF-1.4 demo order")
    entry = forms.attach_evidence(s, form_id="mmuko_1_1", org_code="M", period="2024", field_id="i01_roadmap",
                                  path=doc)
    import hashlib

    sha = hashlib.sha256(b"%PDF-1.4 demo order").hexdigest()
    assert entry == {"file_name": doc.name, "sha256": sha}
    ev = s.scalar(select(Evidence))
    assert ev.field_id == "i01_roadmap" and ev.sha256 == sha
    assert (ersoko_home / "evidence" / sha[:2] / f"{sha}.pdf").read_bytes() == b"%PDF-1.4 demo order"
    view = forms.open_submission(s, form_id="mmuko_1_1", org_code="M", period="2024")
    assert view.evidence["i01_roadmap"][0]["file_name"] == doc.name
    with pytest.raises(InputError, match="нельзя прикрепить"):
        forms.attach_evidence(s, form_id="mmuko_1_1", org_code="M", period="2024", field_id="schools_total", path=doc)
