"""The indicator and objectivity services on a real migrated SQLite database (hand-computed numbers),
and on the demo region with its planted problems."""

from __future__ import annotations

import math

import pytest

from ersoko_desktop.db.models import FormDefinition, FormSubmission, Organization, ParticipantResult, Procedure
from ersoko_desktop.errors import InputError, NotFoundError
from ersoko_desktop.services.indicators import (
    compare_indicators,
    compute_indicators,
    indicator_records,
    suppress_small_cells,
    task_solve_rates,
)
from ersoko_desktop.services.objectivity import (
    ObjectivityParams,
    ShnorParams,
    objectivity_flags,
    objectivity_params,
    risk_list,
    save_objectivity_params,
    shnor_list,
)

pytestmark = pytest.mark.both_dbs  # the same numbers on SQLite and on the regional PostgreSQL server

SPEC = {"tasks": [{"id": "1", "max": 1, "level": "базовый"}, {"id": "2", "max": 2, "level": "повышенный"}],
        "max_score": 3, "thresholds": {"3": 1, "4": 2, "5": 3}}
SCORE = {2: 0, 3: 1, 4: 2, 5: 3}
TASKS = {2: [0, 0], 3: [1, 0], 4: [0, 2], 5: [1, 2]}


def fill(session, results: dict[tuple[str, int], list[tuple[int | None, int | None]]]) -> dict[str, Organization]:
    """Region R → municipalities M1 (schools S1, S2), M2 (school S3). ``results``:
    (school code, year) → [(mark, journal mark), …] for ВПР Математика 5 кл."""
    region = Organization(code="R", name="Регион", kind="region")
    m1 = Organization(code="M1", name="Район 1", kind="municipality", parent=region)
    m2 = Organization(code="M2", name="Район 2", kind="municipality", parent=region)
    orgs = {"R": region, "M1": m1, "M2": m2,
            "S1": Organization(code="S1", name="Школа 1", kind="school", parent=m1),
            "S2": Organization(code="S2", name="Школа 2", kind="school", parent=m1),
            "S3": Organization(code="S3", name="Школа 3", kind="school", parent=m2)}
    session.add_all(orgs.values())
    procs: dict[int, Procedure] = {}
    for (code, year), rows in results.items():
        if year not in procs:
            procs[year] = Procedure(kind="VPR", subject="Математика", grade=5, year=year, spec=SPEC)
            session.add(procs[year])
            session.flush()
        for i, (mark, journal) in enumerate(rows):
            session.add(ParticipantResult(
                procedure=procs[year], school=orgs[code], participant_code=f"{code}-{year}-{i}",
                class_letter="5А" if i % 2 == 0 else "5Б", mark=mark, journal_mark=journal,
                primary_score=None if mark is None else SCORE[mark],
                task_scores=None if mark is None else TASKS[mark]))
    session.flush()
    return orgs


@pytest.fixture
def small_db(session):
    # S1 2025: marks 5,5,4,3,2,None; journals 4,5,4,4,3,— ; S2 2025: 3,3,3,3 ; S3 2025: 4 ; S1 2024: 3,3,4,4
    fill(session, {
        ("S1", 2025): [(5, 4), (5, 5), (4, 4), (3, 4), (2, 3), (None, None)],
        ("S2", 2025): [(3, 3)] * 4,
        ("S3", 2025): [(4, None)],
        ("S1", 2024): [(3, 3), (3, 3), (4, 4), (4, 4)],
    })
    return session


def by_org(frame, code):
    rows = frame[frame["org"] == code]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_school_indicators_computed_by_hand(small_db):
    df = compute_indicators(small_db, level="school", year=2025)
    s1 = by_org(df, "S1")
    # N = 5: «5»×2, «4», «3», «2»
    assert s1["n"] == 5
    assert s1["success"] == 80.0                 # 4/5
    assert s1["quality"] == 60.0                 # 3/5
    assert s1["mean_mark"] == 3.8                # (10 + 4 + 3 + 2)/5 = 19/5
    assert s1["sou"] == 63.2                     # (2·1 + 0.64 + 0.36 + 0.16)/5 = 3.16/5
    # pairs: (5,4) raised, (5,5) conf, (4,4) conf, (3,4) lowered, (2,3) lowered → 40 / 40 / 20
    assert (s1["lowered"], s1["confirmed"], s1["raised"]) == (40.0, 40.0, 20.0)
    assert s1["mean_score"] == 1.8               # (3 + 3 + 2 + 1 + 0)/5
    assert s1["mean_score_pct"] == 60.0          # 1.8 of 3
    s3 = by_org(df, "S3")
    assert s3["n"] == 1 and s3["quality"] == 100.0 and math.isnan(s3["lowered"])   # no journal mark


def test_municipality_and_region_levels(small_db):
    muni = compute_indicators(small_db, level="municipality", year=2025)
    m1 = by_org(muni, "M1")                      # S1 + S2: N = 9, «4»+«5» = 3
    assert m1["n"] == 9 and m1["quality"] == 33.3 and m1["success"] == 88.9   # 3/9, 8/9
    assert m1["mean_mark"] == 3.44               # (19 + 12)/9 = 3.444…
    region = compute_indicators(small_db, level="region", year=2025)
    r = by_org(region, "R")                      # + S3's «4»: N = 10, 4 good, 9 ≥ «3»
    assert (r["n"], r["quality"], r["success"]) == (10, 40.0, 90.0)


def test_org_filter_class_level_and_json_records(small_db):
    df = compute_indicators(small_db, level="class", org_code="S1", year=2025)
    assert set(df["class_letter"]) == {"5А", "5Б"}
    a = df[df["class_letter"] == "5А"].iloc[0]   # participants 0, 2, 4: «5», «4», «2»
    assert (a["n"], a["quality"], a["mean_mark"]) == (3, 66.7, 3.67)
    only_m2 = compute_indicators(small_db, level="school", org_code="M2")
    assert list(only_m2["org"]) == ["S3"]
    records = indicator_records(compute_indicators(small_db, level="school", org_code="S3"))
    assert records == [{"org": "S3", "procedure": "VPR", "subject": "Математика", "grade": 5, "year": 2025,
                        "n": 1, "success": 100.0, "quality": 100.0, "mean_mark": 4.0, "sou": 64.0,
                        "lowered": None, "confirmed": None, "raised": None}]
    with pytest.raises(NotFoundError):
        compute_indicators(small_db, org_code="NOPE")
    with pytest.raises(InputError):
        compute_indicators(small_db, level="planet")


def test_small_cells_are_suppressed_only_in_exports(small_db):
    df = compute_indicators(small_db, level="school", year=2025)
    public = suppress_small_cells(df)
    s2 = by_org(public, "S2")                    # N = 4 < 5
    assert s2["quality"] == "—" and s2["mean_mark"] == "—" and s2["n2"] == "—"
    assert s2["n"] == 4 and s2["org"] == "S2"    # the row itself stays identifiable
    assert by_org(public, "S1")["quality"] == 60.0
    assert by_org(df, "S2")["quality"] == 0.0    # the local screen keeps the number


def test_task_solve_rates_from_the_spec(small_db):
    rates = task_solve_rates(small_db, level="school", year=2025, org_code="S1")
    t = rates.set_index("task_no")
    # S1: task 1 (max 1): «5»,«5»,«3» → 1 each, «4» 0, «2» 0 → 3/5 = 60 %
    # task 2 (max 2): «5»,«5»,«4» → 2 each → 6/10 = 60 %
    assert t.at[1, "solve_rate"] == 60.0 and t.at[2, "solve_rate"] == 60.0
    assert t.at[2, "task_level"] == "повышенный" and t.at[1, "n"] == 5


def test_comparison_with_reference_levels_and_previous_year(small_db):
    cmp = compare_indicators(small_db, org_code="S1", year=2025, key="quality")
    row = cmp.iloc[0]
    assert row["value"] == 60.0 and row["municipality"] == 33.3 and row["region"] == 40.0
    assert row["previous_year"] == 50.0 and row["delta_previous"] == 10.0   # 2024: 2 of 4


def test_objectivity_params_from_settings_and_overrides(small_db):
    assert objectivity_params(small_db) == ObjectivityParams()
    save_objectivity_params(small_db, ObjectivityParams(min_n=4))
    assert objectivity_params(small_db).min_n == 4
    assert objectivity_params(small_db, {"min_n": 6, "s2_lowered": 35}).s2_lowered == 35.0
    # With min_n = 4 the small school S1 is judged: S2 (lowered 40 % ≥ 30 %)
    flags = objectivity_flags(small_db, year=2025, params=ObjectivityParams(min_n=4))
    s1 = [f for f in flags if f.org == "S1"]
    assert len(s1) == 1 and "S2" in s1[0].signs
    assert s1[0].as_dict()["evidence"]["S2"].startswith("понизили отметку по журналу 40,0 %")
    # With the default N ≥ 10 nothing is judged in this small region
    assert objectivity_flags(small_db, year=2025, params=ObjectivityParams()) == []
    # Without explicit params the stored setting applies
    assert [f.org for f in objectivity_flags(small_db, year=2025)] == ["S1"]


def test_municipalities_are_compared_with_the_region(small_db):
    # 2025, region R: marks 5,5,4,3,2 (S1) + 3,3,3,3 (S2) + 4 (S3) → N 10, quality 4/10 = 40 %, «5» 2/10 = 20 %.
    # M2 = S3 alone: one «4» → quality 100 % (+60 p.p.), «5» 0 %; tasks [0, 2]: basic task 1 0/1 = 0 %,
    # advanced task 2 2/2 = 100 % → S5 (+100 p.p.). Two signs → risk list.
    # M1 (N 9): quality 3/9 = 33.3 % (below the region), lowered 2/9, raised 1/9 → no sign.
    flags = objectivity_flags(small_db, year=2025, params=ObjectivityParams(min_n=1), level="municipality")
    assert [(f.org, f.level, f.signs, f.risk) for f in flags] == [("M2", "municipality", ("S1", "S5"), True)]
    m2 = flags[0]
    assert m2.n == 1
    assert m2.evidence["S1"] == ("качество знаний 100,0 % при 40,0 % по региону (+60,0 п.п.); "
                                 "доля «5» 0,0 % при 20,0 % по региону")
    assert m2.evidence["S5"] == ("средняя решаемость заданий повышенного уровня 100,0 % выше, чем базового "
                                 "0,0 % (+100,0 п.п.)")
    assert m2.risk_reasons == ("2 признака в одной процедуре",)
    with pytest.raises(InputError):
        objectivity_flags(small_db, level="region")


def test_shnor_with_school_context(session):
    # S2: «2» in 3 of 12 (25 %) in two procedures in 2024 and 2025; S1: all «4».
    orgs = fill(session, {})
    for year in (2024, 2025):
        for subject in ("Математика", "Русский язык"):
            proc = Procedure(kind="VPR", subject=subject, grade=5, year=year, spec=SPEC)
            session.add(proc)
            session.flush()
            for code, marks in (("S1", [4] * 12), ("S2", [2] * 3 + [5] * 9)):
                for i, mark in enumerate(marks):
                    session.add(ParticipantResult(procedure=proc, school=orgs[code], participant_code=f"{code}{i}",
                                                  mark=mark, primary_score=SCORE[mark]))
    definition = FormDefinition(form_id="school_context", version="1", title="Контекст ОО", level="school",
                                sha256="0" * 64, definition={})
    session.add(definition)
    session.flush()
    session.add(FormSubmission(form_id="school_context", definition_id=definition.id, org_id=orgs["S2"].id,
                               period="2024/25", status="submitted",
                               values={"rural": True, "students_total": 80, "low_income_share": 10,
                                       "non_russian_share": 5}))
    session.flush()
    # S2's mean mark 4.25 is above S1's 4.0, so S2 is low only by the share of «2»; S1 is the lowest
    # of its municipality in every procedure (≤ the 10th percentile) → both are ШНОР.
    entries = {e.org: e for e in shnor_list(session, year=2025)}
    assert set(entries) == {"S1", "S2"}
    s2 = entries["S2"]
    assert s2.shfnsu is True
    assert s2.shfnsu_factors == ("сельская школа", "малокомплектная (80 обучающихся)")
    assert sorted(s2.low_procedures[2024]) == ["ВПР 2024 · Математика · 5 кл.: доля «2» 25,0 %",
                                               "ВПР 2024 · Русский язык · 5 кл.: доля «2» 25,0 %"]
    assert entries["S1"].shfnsu is None          # no school-context form
    # A stricter share of «2» leaves S2 out
    assert "S2" not in {e.org for e in shnor_list(session, year=2025, params=ShnorParams(share2=26))}
    # One year only is not enough
    assert shnor_list(session, year=2024) == []


def test_demo_planted_problems_are_found(demo_session):
    flags = objectivity_flags(demo_session)
    years = sorted({f.year for f in flags})
    last = years[-1]
    signs = {}
    for f in flags:
        signs.setdefault(f.org, set()).update(f.signs)
    assert "S2" in signs["DEMO-S07"]                  # ВПР far below the journal
    assert "S1" in signs["DEMO-S03"]                  # inflated results
    assert "S5" in signs["DEMO-S03"]                  # advanced tasks "solved" better than basic ones
    jump = [f for f in flags if f.org == "DEMO-S12" and f.year == last and "S3" in f.signs]
    assert jump, "the last-year jump of DEMO-S12 is a sharp change"
    risky = {r.org for r in risk_list([f for f in flags if f.year == last])}
    assert {"DEMO-S03", "DEMO-S07", "DEMO-S12"} <= risky
    shnor = {e.org for e in shnor_list(demo_session)}
    assert {"DEMO-S15", "DEMO-S21"} <= shnor
    s07 = next(f for f in flags if f.org == "DEMO-S07" and "S2" in f.signs)
    assert s07.evidence["S2"].startswith("понизили отметку по журналу ")
