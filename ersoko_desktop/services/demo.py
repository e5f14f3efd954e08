"""A realistic, deterministic demo region so every screen has something real to show.

Planted problems (the indicators and objectivity signs must find them):
- ``DEMO-S03`` inflated results: many «5», scores pulled just over the thresholds;
- ``DEMO-S07`` ВПР marks far below the journal marks (S2);
- ``DEMO-S12`` a sharp jump in the last year (S3);
- ``DEMO-S15`` and ``DEMO-S21`` low results (ШНОР candidates).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import (
    AcademicYear,
    Organization,
    ParticipantResult,
    Procedure,
    Roadmap,
    RoadmapSection,
    RoadmapTask,
    TaskOccurrence,
)
from ..db.bulk import bulk_insert
from ..progress import Progress
from ..settings import set_own_organization
from .result_stats import invalidate as invalidate_stats

REGION = ("DEMO-R", "Демонстрационная область")
MUNICIPALITIES = [("DEMO-M1", "Степной район"), ("DEMO-M2", "Город Приозёрск")]
SCHOOL_NAMES = [
    "МКОУ «Степная СОШ №1»", "МКОУ «Степная СОШ №2»", "МКОУ «Ульяновская СОШ»", "МКОУ «Адыковская СОШ»",
    "МКОУ «Хулхутинская СОШ»", "МКОУ «Иджилская ООШ»", "МКОУ «Зундатолгинская СОШ»", "МКОУ «Артезианская СОШ»",
    "МКОУ «Прикумская СОШ»", "МКОУ «Нарынская НОШ»", "МКОУ «Ачинерская СОШ»",
    "МБОУ «Гимназия №1»", "МБОУ «СОШ №2»", "МБОУ «СОШ №3»", "МБОУ «Лицей»", "МБОУ «СОШ №5»",
    "МБОУ «СОШ №6»", "МБОУ «СОШ №7»", "МБОУ «СОШ №8 им. О. Городовикова»", "МБОУ «СОШ №9»",
    "МБОУ «СОШ №10»", "МБОУ «СОШ №11»",
]
SUBJECTS = ("Русский язык", "Математика")
GRADES = (4, 5, 6, 7, 8)
YEARS = (2024, 2025, 2026)
INFLATED, MISMATCH, JUMP = "DEMO-S03", "DEMO-S07", "DEMO-S12"
WEAK = ("DEMO-S15", "DEMO-S21")


@dataclass(frozen=True)
class DemoSummary:
    organizations: int
    procedures: int
    results: int
    roadmaps: int


def procedure_spec(subject: str, grade: int) -> dict:
    """Task maxima, levels and mark thresholds, shaped like the specs in forms/procedures/."""
    n_tasks = 12 if subject == "Математика" else 10
    maxima = [1 if i < n_tasks - 4 else 2 for i in range(n_tasks)]
    levels = ["базовый" if i < n_tasks - 3 else "повышенный" for i in range(n_tasks)]
    total = sum(maxima)
    thresholds = {"3": round(total * 0.3), "4": round(total * 0.55), "5": round(total * 0.8)}
    return {
        "tasks": [{"id": str(i + 1), "max": m, "level": lv} for i, (m, lv) in enumerate(zip(maxima, levels))],
        "max_score": total,
        "thresholds": thresholds,
        "source": "demo",
    }


def _mark(score: float, thresholds: dict) -> int:
    for mark in (5, 4, 3):
        if score >= thresholds[str(mark)]:
            return mark
    return 2


def fill_demo(session: Session, *, progress: Progress | None = None) -> DemoSummary:
    """Fill an empty database with the demo region (idempotent: a filled demo is left as is)."""
    progress = progress or Progress.none()
    if session.scalar(select(Organization).where(Organization.code == REGION[0])) is not None:
        return _summary(session)
    rng = random.Random(20241)
    region = Organization(code=REGION[0], name=REGION[1], kind="region")
    session.add(region)
    schools: list[Organization] = []
    munis = [Organization(code=c, name=n, kind="municipality", parent=region) for c, n in MUNICIPALITIES]
    session.add_all(munis)
    for i, name in enumerate(SCHOOL_NAMES, start=1):
        muni = munis[0] if i <= 11 else munis[1]
        school = Organization(code=f"DEMO-S{i:02d}", name=name, kind="school", parent=muni)
        schools.append(school)
    session.add_all(schools)
    for y in (2023, 2024, 2025, 2026):
        session.add(AcademicYear(label=f"{y}/{(y + 1) % 100:02d}", start=dt.date(y, 9, 1), end=dt.date(y + 1, 8, 31)))
    session.flush()

    strength = {s.code: rng.gauss(0.0, 0.15) for s in schools}
    for code in WEAK:
        strength[code] = -1.0
    sizes = {s.code: (1 if s.parent is munis[0] and rng.random() < 0.5 else 2) for s in schools}
    for code in (INFLATED, MISMATCH, JUMP, *WEAK):
        sizes[code] = 2  # planted problems need N ≥ 30 for the boundary-peak sign
    total_steps = len(YEARS) * len(SUBJECTS) * len(GRADES)
    step = 0
    rows: list[dict] = []
    for year in YEARS:
        for subject in SUBJECTS:
            for grade in GRADES:
                spec = procedure_spec(subject, grade)
                proc = Procedure(kind="VPR", subject=subject, grade=grade, year=year,
                                 date=dt.date(year, 4, 10 + grade), spec=spec)
                session.add(proc)
                session.flush()
                for school in schools:
                    rows += _school_results(rng, proc, school, spec, strength[school.code], sizes[school.code], year)
                step += 1
                progress.step(step / total_steps * 0.9, "Демонстрационные результаты ВПР")
    bulk_insert(session, ParticipantResult.__table__, rows)
    for pid in {r["procedure_id"] for r in rows}:
        invalidate_stats(session, procedure_id=pid, school_ids={r["school_id"] for r in rows if r["procedure_id"] == pid})
    _demo_roadmap(session, munis[0])
    set_own_organization(session, munis[0].code)
    session.flush()
    _demo_forms(session, schools)
    progress.step(1.0, "Готово")
    return _summary(session)


def _demo_forms(session: Session, schools: list[Organization]) -> None:
    """School-context, ВСОКО and ММУКО forms in every workflow state (see services/demo_forms.py)."""
    from .demo_forms import fill_demo_forms

    fill_demo_forms(session, schools=schools)


def _school_results(rng: random.Random, proc: Procedure, school: Organization, spec: dict,
                    strength: float, classes: int, year: int) -> list[dict]:
    tasks = spec["tasks"]
    thresholds = spec["thresholds"]
    code = school.code
    ability_shift = strength
    if code == JUMP and year == YEARS[-1]:
        ability_shift += 1.3
    out = []
    for c in range(classes):
        letter = "АБВГ"[c]
        for k in range(rng.randint(16, 27)):
            ability = rng.gauss(ability_shift, 0.9)
            p = 1 / (1 + pow(2.718, -(ability + 0.4)))
            scores = []
            for t in tasks:
                hard = 0.75 if t["level"] == "повышенный" else 1.0
                if code == INFLATED and t["level"] == "повышенный":
                    hard = 1.25  # advanced tasks "solved" better than basic ones (S5)
                scores.append(sum(1 for _ in range(t["max"]) if rng.random() < p * hard))
            primary = sum(scores)
            if code == INFLATED and rng.random() < 0.9:
                # "дотягивание": scores just below a threshold are lifted over it
                for mark in ("5", "4", "3"):
                    t = thresholds[mark]
                    if t - 3 <= primary < t:
                        deficit = t - primary
                        for idx in range(len(scores)):
                            while deficit > 0 and scores[idx] < tasks[idx]["max"]:
                                scores[idx] += 1
                                deficit -= 1
                        primary = sum(scores)
                        break
            mark = _mark(primary, thresholds)
            journal = max(2, min(5, mark + rng.choice((0, 0, 0, 0, 1, -1))))
            if code == MISMATCH:
                journal = min(5, mark + rng.choice((1, 1, 2)))
            out.append({
                "procedure_id": proc.id, "school_id": school.id,
                "participant_code": f"{proc.grade}{letter}{year % 100:02d}{k + 1:03d}",
                "class_letter": f"{proc.grade}{letter}", "variant": str(1 + k % 2),
                "task_scores": scores, "primary_score": float(primary), "mark": mark,
                "journal_mark": journal, "gender": rng.choice("МЖ"),
            })
    return out


def _demo_roadmap(session: Session, muni: Organization) -> None:
    """The municipality's roadmap for the school year 2026/27, part done, part due, one overdue."""
    roadmap = Roadmap(title="Дорожная карта по формированию и развитию МСОКО на 2026-2027 учебный год (демо)",
                      org_id=muni.id, period="2026/27", source_name="demo")
    session.add(roadmap)
    s1 = RoadmapSection(roadmap=roadmap, position=1, number="1", title="Система оценки качества подготовки обучающихся")
    s2 = RoadmapSection(roadmap=roadmap, position=2, number="2", title="Работа со школами с низкими результатами")
    session.add_all([s1, s2])
    d = dt.date
    items = [
        (s1, "1.1", "Проведение ВПР в 4–8 классах", "в соответствии с графиком проведения ВПР", "event", "ОО", []),
        (s1, "1.2", "Анализ результатов ВПР-2026 по муниципалитету", "сентябрь 2026", "dated",
         "Отдел образования", [(d(2026, 9, 1), d(2026, 9, 30), "done")]),
        (s1, "1.3", "Заседание методического совета по объективности оценивания", "октябрь", "dated",
         "Методический кабинет", [(d(2026, 10, 1), d(2026, 10, 31), "planned")]),
        (s1, "1.4", "Мониторинг объективности результатов оценочных процедур", "ноябрь – декабрь", "dated",
         "Методический кабинет", [(d(2026, 11, 1), d(2026, 12, 31), "in_progress")]),
        (s1, "1.5", "Семинар для заместителей директоров по ВСОКО", "декабрь 2026", "dated",
         "Методический кабинет", [(d(2026, 12, 1), d(2026, 12, 31), "planned")]),
        (s2, "2.1", "Составление списка ШНОР по итогам ВПР", "до 25 января", "dated",
         "Отдел образования", [(d(2027, 1, 25), d(2027, 1, 25), "planned")]),
        (s2, "2.2", "Сопровождение ШНОР: адресные консультации", "в течение учебного года", "continuous",
         "Методический кабинет, ОО", [(d(2026, 9, 1), d(2027, 5, 31), "in_progress")]),
        (s2, "2.3", "Отчёт о реализации программ повышения качества в ШНОР", "май", "dated",
         "ОО", [(d(2027, 5, 1), d(2027, 5, 31), "planned")]),
    ]
    for pos, (section, number, title, deadline, kind, executors, occ) in enumerate(items, start=1):
        task = RoadmapTask(roadmap=roadmap, section=section, position=pos, number=number, title=title,
                           deadline_text=deadline, deadline_kind=kind, executors=executors,
                           expected_result="Аналитическая справка")
        session.add(task)
        for start, end, status in occ:
            session.add(TaskOccurrence(task=task, start=start, end=end, status=status,
                                       done_at=end if status == "done" else None))


def _summary(session: Session) -> DemoSummary:
    return DemoSummary(
        organizations=session.scalar(select(func.count()).select_from(Organization)) or 0,
        procedures=session.scalar(select(func.count()).select_from(Procedure)) or 0,
        results=session.scalar(select(func.count()).select_from(ParticipantResult)) or 0,
        roadmaps=session.scalar(select(func.count()).select_from(Roadmap)) or 0,
    )
