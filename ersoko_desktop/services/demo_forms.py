"""Demo form data (called from ``demo.fill_demo``), entered through the same workflow a person uses.

- ``school_context`` for every demo school for 2025/26 (all accepted) and 2026/27 (the current
  year: most sent or accepted, some drafts, one returned, two not started — completeness < 100 %);
  the weak urban schools DEMO-S15 and DEMO-S21 have many low-income and non-Russian-speaking
  families (ШФНСУ), DEMO-S06 and DEMO-S10 are small rural schools;
- ВСОКО self-evaluations for 2025/26 in every status (DEMO-S03 returned: its «quality» does not
  match its ВПР results);
- ММУКО checklists 1.1 and 1.2 of DEMO-M1 for 2024 and 2025 showing the district's dynamics
  (1.1: 60 % → 96 %, 1.2: 11,1 % → 92,6 %), and the municipal summary draft for 2025/26.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy.orm import Session

from ..db.models import Organization
from . import forms

ACTOR = "демонстрация"
REGION_CODE = "DEMO-R"
PREVIOUS, CURRENT = "2025/26", "2026/27"
SMALL = {"DEMO-S06": 64, "DEMO-S10": 38}
SHFNSU = {"DEMO-S15": (46.0, 58.0), "DEMO-S21": (52.0, 61.0)}
NOT_STARTED = {"DEMO-S09", "DEMO-S20"}
DRAFTS = {"DEMO-S05", "DEMO-S11", "DEMO-S18"}
RETURNED_CONTEXT = "DEMO-S04"
VSOKO_STATUSES = {"DEMO-S01": "approved", "DEMO-S02": "submitted", "DEMO-S03": "returned", "DEMO-S04": "draft",
                  "DEMO-S07": "submitted", "DEMO-S12": "approved", "DEMO-S15": "submitted"}
# ММУКО items answered «нет»: 1.1 — 15 of 25 points in 2024, 24 in 2025; 1.2 — 3 of 27, then 25.
MMUKO_NO = {
    ("mmuko_1_1", "2024"): {"i04_reglaments", "i05_data_order", "i06_vsoko_in_schools", "i09_info_security",
                            "i12_statistics_published", "i13_positive_attitude", "i14_objectivity_indicators",
                            "i15_objectivity_monitoring", "i16_medalists", "i18_observers"},
    ("mmuko_1_1", "2025"): {"i18_observers"},
    ("mmuko_1_2", "2025"): {"i03_management_study", "i08_practicums"},
}
MMUKO_YES_1_2_2024 = {"i03_management_study", "i04_interviews"}


def _context(rng: random.Random, school: Organization, year_shift: int) -> dict[str, Any]:
    rural = school.parent.code == "DEMO-M1"
    students = SMALL.get(school.code) or rng.randint(140, 420 if rural else 980)
    students += year_shift * rng.randint(-6, 6)
    low_income, non_russian = SHFNSU.get(school.code, (round(rng.uniform(12, 34), 1),
                                                        round(rng.uniform(35, 70) if rural else rng.uniform(8, 30), 1)))
    teachers = max(6, students // 14)
    return {
        "rural": rural, "settlement": "п. Степной" if rural else "г. Приозёрск",
        "distance_to_center_km": round(rng.uniform(0, 95), 1) if rural else 0,
        "hard_to_reach": rural and rng.random() < 0.3,
        "students_total": students, "classes_total": min(11, max(4, students // 22)),
        "students_ovz": rng.randint(0, max(1, students // 40)),
        "low_income_share": low_income, "non_russian_share": non_russian,
        "single_parent_share": round(rng.uniform(8, 25), 1), "parents_higher_ed_share": round(rng.uniform(15, 55), 1),
        "teachers_total": teachers, "vacancies": rng.randint(0, 2),
    }


def _vsoko(rng: random.Random, school: Organization, context: dict[str, Any]) -> dict[str, Any]:
    teachers = context["teachers_total"]
    students = context["students_total"]
    success = round(rng.uniform(94, 99.5), 1)
    quality = round(rng.uniform(32, 55), 1)
    if school.code == "DEMO-S03":
        quality = 92.0  # does not match its ВПР (planted inflation): returned by the district
    return {
        "teachers_total": teachers, "teachers_higher_ed": teachers - rng.randint(0, 2),
        "teachers_highest_category": teachers // 4, "teachers_first_category": teachers // 3,
        "teachers_under_35": teachers // 5, "teachers_trained_objectivity": teachers // 2,
        "students_total": students, "computers_for_learning": max(4, students // 9),
        "internet_speed": "10_50" if context["rural"] else "gt50", "library_fund_per_student": 100.0,
        "fire_alarm": True, "video_surveillance": True, "security_guard": not context["rural"], "injuries": 0,
        "hot_meals_share": 100.0, "vsoko_regulation": True, "vsoko_regulation_date": "2025-08-29",
        "internal_procedures": [
            {"title": "Стартовая диагностика", "grades": "2–11", "month": "Сентябрь",
             "participants": int(students * 0.8), "quality": round(quality - 4, 1)},
            {"title": "Промежуточная аттестация", "grades": "2–8, 10", "month": "Май",
             "participants": int(students * 0.7), "quality": quality},
        ],
        "public_report": True, "parents_informed": True, "success_rate": success, "quality_rate": quality,
        "gia9_admitted": max(5, students // 11), "gia9_certified": max(5, students // 11) - rng.randint(0, 1),
        "olympiad_winners": rng.randint(0, 4),
    }


def _to_status(session: Session, form_id: str, org: str, period: str, status: str, comment: str = "") -> None:
    target = dict(form_id=form_id, org_code=org, period=period, acting_org=REGION_CODE, actor=ACTOR)
    if status == "draft":
        return
    forms.submit(session, **target)
    if status == "approved":
        forms.approve(session, **target)
    elif status == "returned":
        forms.return_submission(session, comment=comment, **target)


def fill_demo_forms(session: Session, *, schools: list[Organization]) -> int:
    """Enter the demo forms; returns how many submissions were created."""
    rng = random.Random(7)
    count = 0
    contexts: dict[str, dict[str, Any]] = {}
    for school in schools:
        for period, shift in ((PREVIOUS, 0), (CURRENT, 1)):
            if period == CURRENT and school.code in NOT_STARTED:
                continue
            values = _context(rng, school, shift)
            contexts[f"{school.code}:{period}"] = values
            forms.save_values(session, form_id="school_context", org_code=school.code, period=period,
                              values=values, acting_org=REGION_CODE, actor=ACTOR)
            count += 1
            if period == PREVIOUS:
                _to_status(session, "school_context", school.code, period, "approved")
            elif school.code == RETURNED_CONTEXT:
                _to_status(session, "school_context", school.code, period, "returned",
                           "Доля малоимущих семей не совпадает с данными соцзащиты — уточните.")
            elif school.code not in DRAFTS:
                _to_status(session, "school_context", school.code, period,
                           "approved" if rng.random() < 0.5 else "submitted")
    for code, status in VSOKO_STATUSES.items():
        school = next(s for s in schools if s.code == code)
        values = _vsoko(rng, school, contexts[f"{code}:{PREVIOUS}"])
        forms.save_values(session, form_id="vsoko_self_evaluation", org_code=code, period=PREVIOUS, values=values,
                          acting_org=REGION_CODE, actor=ACTOR)
        count += 1
        _to_status(session, "vsoko_self_evaluation", code, PREVIOUS, status,
                   "Качество знаний 92 % не согласуется с результатами ВПР — проверьте данные.")
    for form_id in ("mmuko_1_1", "mmuko_1_2"):
        spec = forms.get_spec(session, form_id)
        items = [f.id for f in spec.fields if f.points]
        for year, status in (("2024", "approved"), ("2025", "submitted")):
            if (form_id, year) in MMUKO_NO:
                yes = set(items) - MMUKO_NO[(form_id, year)]
            else:
                yes = MMUKO_YES_1_2_2024
            values: dict[str, Any] = {fid: fid in yes for fid in items}
            if form_id == "mmuko_1_1":
                values |= {"schools_total": 11, "schools_with_vsoko": 11 if "i06_vsoko_in_schools" in yes else 8,
                           "vpr_rechecked_works": 120 if year == "2025" else 40}
            else:
                values |= {"shnor_total": 3, "shnor_left": 0 if year == "2024" else 1,
                           "shnor_with_program": 3 if "i06_programs" in yes else 1}
            forms.save_values(session, form_id=form_id, org_code="DEMO-M1", period=year, values=values,
                              acting_org=REGION_CODE, actor=ACTOR)
            count += 1
            _to_status(session, form_id, "DEMO-M1", year, status)
    forms.save_values(session, form_id="municipal_summary", org_code="DEMO-M1", period=PREVIOUS,
                      values={"conclusions": "Все ОО сдали контекстные данные; ВСОКО — 4 из 11. По ДЕМО-S03 "
                                             "качество знаний не подтверждается ВПР: форма возвращена."},
                      acting_org=REGION_CODE, actor=ACTOR)
    return count + 1
