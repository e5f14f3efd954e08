"""Roadmap import and execution against a real migrated SQLite database."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil

import pytest
from sqlalchemy import func, select

from ersoko_desktop import paths
from ersoko_desktop.db.models import Evidence, Organization, Roadmap, RoadmapSection, RoadmapTask, TaskOccurrence
from ersoko_desktop.errors import InputError, NotFoundError
from ersoko_desktop.services import roadmaps as R
from ersoko_desktop.settings import set_own_organization
from tests.conftest import SEEDS_DIR
from tests.roadmap_docs import build_docx

REGIONAL = SEEDS_DIR / "kalmykia_ersoko_roadmap_2018-2020.txt"
DISTRICT = SEEDS_DIR / "chernozemelsky_msoko_roadmap_2022-2023.txt"

pytestmark = pytest.mark.both_dbs  # the same behaviour on SQLite and on the regional PostgreSQL server


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _task(session, number: str) -> RoadmapTask:
    return session.scalars(select(RoadmapTask).where(RoadmapTask.number == number)).one()


def test_regional_plan_import(session):
    report = R.import_roadmaps(session, REGIONAL)
    assert report.status == "imported"
    (item,) = report.roadmaps
    # 41 tasks; 55 dated occurrences counted by hand from the table + 5 undated (event-bound)
    assert (item.tasks, item.sections, item.occurrences, item.period) == (41, 5, 60, "2018-2020")
    rm = session.get(Roadmap, item.id)
    assert rm.source_sha256 == hashlib.sha256(REGIONAL.read_bytes()).hexdigest()
    assert [t.number for t in rm.tasks] == [str(i) for i in range(1, 42)]
    first = rm.sections[0]
    assert first.title == "" and first.number is None
    assert [t.number for t in rm.tasks if t.section_id == first.id] == [str(i) for i in range(1, 9)]
    t41 = _task(session, "41")
    assert t41.recurrence == "раз в полугодие" and len(t41.occurrences) == 6
    t4 = _task(session, "4")
    assert t4.deadline_kind == "event"
    assert [(o.start, o.end) for o in t4.occurrences] == [(None, None)]


def test_list_json_shape(session):
    R.import_roadmaps(session, DISTRICT)
    data = R.list_roadmaps(session)
    assert [rm["period"] for rm in data] == ["2022/23", "2022/23"]
    assert set(data[0]) == {"id", "title", "period", "tasks"}
    task = data[0]["tasks"][0]
    assert set(task) == {"number", "section", "title", "executors", "participants", "deadline_text", "kind",
                         "occurrences", "expected_result"}
    assert task["number"] == "1.1.1" and task["section"] == "1.1. Система оценки качества подготовки обучающихся"
    assert task["occurrences"] == [{"start": "2022-09-01", "end": "2022-09-30", "status": "planned"}]
    by_number = {t["number"]: t for t in data[1]["tasks"]}
    assert by_number["1.2.2"]["occurrences"] == [
        {"start": "2022-09-01", "end": "2022-09-30", "status": "planned"},
        {"start": "2022-11-01", "end": "2022-11-30", "status": "planned"},
        {"start": "2023-05-01", "end": "2023-05-31", "status": "planned"}]
    assert by_number["1.2.9"]["kind"] == "event"


def test_same_file_twice_is_a_no_op(session):
    first = R.import_roadmaps(session, DISTRICT)
    counts = [_count(session, m) for m in (Roadmap, RoadmapSection, RoadmapTask, TaskOccurrence)]
    again = R.import_roadmaps(session, DISTRICT)
    assert again.status == "unchanged"
    assert [r.id for r in again.roadmaps] == [r.id for r in first.roadmaps]
    assert [_count(session, m) for m in (Roadmap, RoadmapSection, RoadmapTask, TaskOccurrence)] == counts


def test_changed_file_updates_tasks_and_keeps_statuses_and_evidence(session, tmp_path):
    src = tmp_path / "district.txt"
    shutil.copy(DISTRICT, src)
    R.import_roadmaps(session, src)
    proof = tmp_path / "протокол.pdf"
    proof.write_bytes(b"%PDF-1.4 protocol")
    t111 = _task(session, "1.1.1")
    R.set_status(session, occurrence_id=t111.occurrences[0].id, status="done", done_at=dt.date(2022, 9, 20),
                 comment="утверждено приказом", evidence=[proof])
    t122 = _task(session, "1.2.2")
    november = t122.occurrences[1]
    R.set_status(session, occurrence_id=november.id, status="in_progress")
    t1111 = _task(session, "1.1.11")
    ids = {n: _task(session, n).id for n in ("1.1.1", "1.1.11", "1.2.2")}

    text = src.read_text(encoding="utf-8")
    text = text.replace("\tСентябрь 2022\t", "\tОктябрь 2022\t")  # 1.1.1 moves a month
    text = text.replace("Осуществление мониторинга показателей объективности в конкретных ОО",
                        "Мониторинг показателей объективности в ОО")  # 1.1.11 renamed, same number
    text = text.replace("1.1.19.\tПроведение выборочной перепроверки ВПР муниципальной комиссией\tЕжегодно\t"
                        "Отдел образования",
                        "1.1.20.\tНовое мероприятие\tдекабрь\tОтдел образования")
    src.write_text(text, encoding="utf-8")
    report = R.import_roadmaps(session, src)
    assert report.status == "updated"
    first, second = report.roadmaps
    assert (first.created, first.removed) == (1, 1)  # 1.1.20 added, 1.1.19 (no marks) removed
    assert first.updated == 2  # 1.1.1 (deadline) and 1.1.11 (title)
    assert second.unchanged == 11
    session.expire_all()
    t111 = session.get(RoadmapTask, ids["1.1.1"])
    assert t111.deadline_text == "Октябрь 2022"
    (occ,) = t111.occurrences
    assert (occ.start, occ.end) == (dt.date(2022, 10, 1), dt.date(2022, 10, 31))
    assert (occ.status, occ.done_at, occ.comment) == ("done", dt.date(2022, 9, 20), "утверждено приказом")
    assert [e.file_name for e in occ.evidence] == ["протокол.pdf"]
    assert session.get(RoadmapTask, ids["1.1.11"]).title == "Мониторинг показателей объективности в ОО"
    t122 = session.get(RoadmapTask, ids["1.2.2"])
    assert [o.status for o in t122.occurrences] == ["planned", "in_progress", "planned"]
    numbers = [t.number for t in session.scalars(select(RoadmapTask).where(RoadmapTask.roadmap_id == first.id)
                                                 .order_by(RoadmapTask.position))]
    assert numbers[-2:] == ["1.1.18", "1.1.20"] and "1.1.19" not in numbers
    assert t1111 is not None


def test_period_missing_is_a_clear_error(session, tmp_path):
    path = tmp_path / "план.txt"
    path.write_text("План работы отдела\n№\tМероприятие\tСрок\n1.\tСовещание\tмай\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        R.import_roadmaps(session, path)
    assert "план.txt" in str(err.value) and "--school-year 2022/23" in str(err.value)
    assert _count(session, Roadmap) == 0
    report = R.import_roadmaps(session, path, options=R.ImportOptions(school_year="2023/24"))
    task = _task(session, "1")
    assert report.roadmaps[0].period == "2023/24"
    assert [(o.start, o.end) for o in task.occurrences] == [(dt.date(2024, 5, 1), dt.date(2024, 5, 31))]


def test_period_option_overrides_the_title(session):
    R.import_roadmaps(session, REGIONAL, options=R.ImportOptions(years="2019"))
    t1 = _task(session, "1")  # «декабрь», marked for 2018 only: nothing to do in 2019
    t7 = _task(session, "7")  # «1 квартал», marked 2019 and 2020 → 2019 within the period
    assert [(o.start, o.end) for o in t7.occurrences] == [(dt.date(2019, 1, 1), dt.date(2019, 3, 31))]
    assert t1.occurrences == [] and t1.deadline_kind == "dated"


def test_bad_period_options(session):
    with pytest.raises(InputError):
        R.import_roadmaps(session, DISTRICT, options=R.ImportOptions(school_year="2022/25"))
    with pytest.raises(InputError):
        R.import_roadmaps(session, DISTRICT, options=R.ImportOptions(years="2018", school_year="2022/23"))


def test_dry_run_writes_nothing(session):
    report = R.import_roadmaps(session, DISTRICT, options=R.ImportOptions(dry_run=True))
    assert report.status == "dry_run" and [r.tasks for r in report.roadmaps] == [17, 11]
    assert _count(session, Roadmap) == 0


def test_docx_import(session, tmp_path):
    report = R.import_roadmaps(session, build_docx(tmp_path / "план.docx"))
    assert [(r.title, r.period, r.tasks) for r in report.roadmaps] == [
        ("План мероприятий по развитию МСОКО на 2019 год", "2019", 5),
        ("Дорожная карта по работе с одарёнными детьми на 2020 год", "2020", 2)]
    t4 = _task(session, "4")  # «май» + «ноябрь» from rows merged together
    assert [(o.start, o.end) for o in t4.occurrences] == [(dt.date(2019, 5, 1), dt.date(2019, 5, 31)),
                                                          (dt.date(2019, 11, 1), dt.date(2019, 11, 30))]


def test_status_evidence_overdue_and_progress(session, tmp_path):
    R.import_roadmaps(session, DISTRICT)
    today = dt.date(2022, 11, 20)
    report = R.check(session, today=today)
    # overdue: 1.1.1 (Sep), 1.1.2 (Sep–Oct), 1.2.2 (Sep), 1.2.10 (Jan 2021), 1.2.12 (Mar–May 2021)
    assert [(i.number, i.end) for i in report.overdue] == [
        ("1.2.10", dt.date(2021, 1, 31)), ("1.2.12", dt.date(2021, 5, 31)), ("1.1.1", dt.date(2022, 9, 30)),
        ("1.2.2", dt.date(2022, 9, 30)), ("1.1.2", dt.date(2022, 10, 31))]
    # due within 14 days (end ≤ 2022-12-04): 1.2.2 (November)
    assert [(i.number, i.end, i.days_left) for i in report.due_soon] == [("1.2.2", dt.date(2022, 11, 30), 10)]

    proof = tmp_path / "приказ.docx"
    proof.write_bytes(b"order bytes")
    occ_id = _task(session, "1.1.1").occurrences[0].id
    state = R.set_status(session, occurrence_id=occ_id, status="выполнено", done_at=dt.date(2022, 9, 28),
                         evidence=[proof])
    assert state.status == "done" and state.done_at == dt.date(2022, 9, 28)
    (ev,) = state.evidence
    assert ev["sha256"] == hashlib.sha256(b"order bytes").hexdigest()
    stored = paths.evidence_dir() / ev["stored_path"]
    assert stored.read_bytes() == b"order bytes"
    assert R.evidence_file(session, evidence_id=ev["id"]) == stored
    # the same file again is one piece of evidence
    R.attach_evidence(session, occurrence_id=occ_id, path=proof)
    assert _count(session, Evidence) == 1

    report = R.check(session, today=today)
    assert "1.1.1" not in [i.number for i in report.overdue]
    first = session.scalars(select(Roadmap).order_by(Roadmap.id)).first()
    progress = R.roadmap_progress(first, today)
    # due by 2022-11-20 in the first roadmap: 1.1.1 (done) and 1.1.2 (overdue) → 50 %
    assert (progress.done, progress.due, progress.overdue, progress.percent) == (1, 2, 1, 50.0)


def test_status_errors(session):
    R.import_roadmaps(session, DISTRICT)
    occ_id = _task(session, "1.1.1").occurrences[0].id
    with pytest.raises(InputError):
        R.set_status(session, occurrence_id=occ_id, status="почти готово")
    with pytest.raises(InputError):
        R.set_status(session, occurrence_id=occ_id, status="in_progress", done_at=dt.date(2022, 9, 1))
    with pytest.raises(NotFoundError):
        R.set_status(session, occurrence_id=999999, status="done")
    with pytest.raises(InputError):
        R.set_status(session, occurrence_id=occ_id, status="done", evidence=["/нет/такого/файла.pdf"])


def test_my_tasks_filter(session):
    R.import_roadmaps(session, REGIONAL)
    session.add(Organization(code="COKO", name="БУ РК «ЦОКО»", kind="region"))
    session.flush()
    set_own_organization(session, "COKO")
    data = R.list_roadmaps(session, mine=True)
    numbers = [t["number"] for t in data[0]["tasks"]]
    # tasks whose executors name ЦОКО: counted by hand from the plan
    assert numbers == ["4", "5", "6", "7", "8", "13", "14", "15", "18", "19", "20", "21", "22", "23", "24", "25",
                       "26", "27", "28", "29", "31", "34", "35", "36", "37", "39", "41"]
    only_mon = R.list_roadmaps(session, executor="МОН РК")
    assert [t["number"] for t in only_mon[0]["tasks"]] == ["2"]


def test_create_task_for_a_flagged_school(session):
    R.import_roadmaps(session, DISTRICT)
    rm_id = session.scalars(select(Roadmap.id).order_by(Roadmap.id)).all()[1]
    task = R.create_task(session, roadmap_id=rm_id, title="Адресная помощь МКОУ «СОШ №3» (признаки S1, S2)",
                         deadline_text="до 25 января", executors="Отдел образования")
    assert task.deadline_kind == "dated"
    assert [(o.start, o.end, o.status) for o in task.occurrences] == [
        (dt.date(2023, 1, 25), dt.date(2023, 1, 25), "planned")]
    assert task.position == 12
    with pytest.raises(InputError):
        R.create_task(session, roadmap_id=rm_id, title="x", deadline_text="когда-нибудь", executors=None)
    with pytest.raises(NotFoundError):
        R.create_task(session, roadmap_id=99999, title="x", deadline_text="май", executors=None)


def test_task_for_a_flagged_school_opens_a_roadmap_when_none_exists(session):
    session.add_all([Organization(code="M1", name="Степной район", kind="municipality"),
                     Organization(code="S3", name="МКОУ «Степная СОШ №3»", kind="school")])
    session.flush()
    set_own_organization(session, "M1")
    task = R.create_task_for_flag(session, org_code="S3", title="Проверка объективности: ВПР математика 5 кл.",
                                  note="S1: качество 78 % при 41 % по муниципалитету", today=dt.date(2025, 3, 10))
    rm = session.get(Roadmap, task.roadmap_id)
    assert rm.period == "2024/25" and rm.title.startswith("Адресная работа с ОО")
    assert task.executors == "МКОУ «Степная СОШ №3»" and task.deadline_kind == "continuous"
    assert task.title.splitlines() == ["Проверка объективности: ВПР математика 5 кл. — МКОУ «Степная СОШ №3» (S3)",
                                       "S1: качество 78 % при 41 % по муниципалитету"]
    assert [(o.start, o.end) for o in task.occurrences] == [(dt.date(2024, 9, 1), dt.date(2025, 5, 31))]
    # the next flag goes into the same roadmap
    second = R.create_task_for_flag(session, org_code="S3", title="Проверка объективности: ВПР русский 5 кл.",
                                    today=dt.date(2025, 3, 11))
    assert second.roadmap_id == rm.id and second.position == 2
    with pytest.raises(NotFoundError):
        R.create_task_for_flag(session, org_code="NOPE", title="x")


def test_delete_roadmap_removes_its_tasks_and_keeps_the_others(session, tmp_path):
    first, second = R.import_roadmaps(session, DISTRICT).roadmaps
    proof = tmp_path / "f.pdf"
    proof.write_bytes(b"x")
    occ_id = _task(session, "1.1.1").occurrences[0].id
    R.set_status(session, occurrence_id=occ_id, status="done", evidence=[proof])
    R.delete_roadmap(session, roadmap_id=first.id)
    assert [r["id"] for r in R.list_roadmaps(session)] == [second.id]
    assert session.scalar(select(func.count()).select_from(RoadmapTask)) == 11
    assert session.scalar(select(func.count()).select_from(Evidence)) == 0
    with pytest.raises(NotFoundError):
        R.delete_roadmap(session, roadmap_id=first.id)
