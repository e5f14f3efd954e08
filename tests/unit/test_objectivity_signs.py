"""Each objectivity sign triggered exactly at its boundary and not just below it (hand-made groups)."""

from __future__ import annotations

from ersoko_desktop.domain.indicators.signs import ObjectivityParams
from ersoko_desktop.services.objectivity import signs_frame

from .indicator_builders import Builder

DEFAULT = ObjectivityParams()


def evidence(b: Builder, school: int = 10, year: int = 2025, params: ObjectivityParams = DEFAULT) -> dict[str, str]:
    """Sign → evidence sentence for one school and year (empty: no sign)."""
    frame = signs_frame(b.dataset(), params)
    hit = frame[(frame["org_id"] == school) & (frame["year"] == year)]
    out: dict[str, str] = {}
    for ev in hit["evidence"]:
        for sign, text in ev.items():
            out.setdefault(sign, text)
    return out


def signs_of(b: Builder, school: int = 10, year: int = 2025, params: ObjectivityParams = DEFAULT) -> set[str]:
    return set(evidence(b, school, year, params))


def test_s1_quality_gap_exactly_25_is_a_sign():
    # A: 8 «4» of 10 = 80 %; B: 3 of 10; municipality (A+B) 11/20 = 55 % → gap 25 p.p.
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {4: 8, 3: 2}).marks(1, 11, {4: 3, 3: 7})
    assert evidence(b)["S1"].startswith("качество знаний 80,0 % при 55,0 % по муниципалитету (+25,0 п.п.)")


def test_s1_quality_gap_below_25_is_not():
    # A: 15 of 20 = 75 %; B: 6 of 20; municipality 21/40 = 52.5 % → gap 22.5 p.p.
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {4: 15, 3: 5}).marks(1, 11, {4: 6, 3: 14})
    assert "S1" not in signs_of(b)


def test_s1_share_of_fives_twice_the_reference_and_30_percent():
    # A: 3 «5» of 10 = 30 %; B: none; municipality 3/20 = 15 % → 30 ≥ 2·15 and ≥ 30 → sign
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {5: 3, 3: 7}).marks(1, 11, {3: 10})
    assert "доля «5» 30,0 % при 15,0 % по муниципалитету" in evidence(b)["S1"]
    # B with one «5»: municipality 4/20 = 20 % → 30 < 2·20 → no sign (quality gap 30 − 20 = 10 p.p.)
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {5: 3, 3: 7}).marks(1, 11, {5: 1, 3: 9})
    assert "S1" not in signs_of(b)


def test_signs_need_the_minimum_n():
    # A: 8 «4» of 9 (89 %) against a weak municipality — but N = 9 < 10
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {4: 8, 3: 1}).marks(1, 11, {3: 20})
    assert signs_of(b) == set()
    assert "S1" in signs_of(b, params=ObjectivityParams(min_n=9))


def test_s2_lowered_exactly_30_percent():
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {3: 3}, journal=4).marks(1, 10, {4: 7}, journal=4)   # 3 lowered, 7 confirmed of 10
    assert evidence(b)["S2"].startswith("понизили отметку по журналу 30,0 %, повысили 0,0 %, подтвердили 70,0 %")


def test_s2_lowered_plus_raised_exactly_50_percent():
    b = Builder()
    b.procedure(1)
    # 2 lowered (20 %), 3 raised (30 %), 5 confirmed → 20 + 30 = 50
    b.marks(1, 10, {3: 2}, journal=4).marks(1, 10, {4: 3}, journal=3).marks(1, 10, {4: 5}, journal=4)
    assert "S2" in signs_of(b)


def test_s2_below_both_limits_is_not():
    b = Builder()
    b.procedure(1)
    # 2 lowered (20 %), 2 raised (20 %), 6 confirmed → 20 < 30 and 40 < 50
    b.marks(1, 10, {3: 2}, journal=4).marks(1, 10, {4: 2}, journal=3).marks(1, 10, {4: 6}, journal=4)
    assert "S2" not in signs_of(b)


def test_s2_with_missing_journal_marks_needs_enough_pairs():
    b = Builder()
    b.procedure(1)
    # 10 participants, only 4 with a journal mark (3 lowered = 75 %): too few pairs for a sign
    b.marks(1, 10, {3: 3}, journal=4).marks(1, 10, {4: 1}, journal=4).marks(1, 10, {4: 6})
    assert "S2" not in signs_of(b)


def test_s3_quality_jump_of_exactly_25():
    b = Builder()
    b.procedure(1, year=2024)
    b.procedure(2, year=2025)
    b.marks(1, 10, {4: 4, 3: 6})        # 40 %, mean 3.4
    b.marks(2, 10, {4: 13, 3: 7})       # 65 %, mean 3.65 (Δ 0.25 only)
    assert evidence(b)["S3"].startswith("качество знаний 40,0 % в 2024 г. → 65,0 % в 2025 г. (+25,0 п.п.)")
    b = Builder()
    b.procedure(1, year=2024)
    b.procedure(2, year=2025)
    b.marks(1, 10, {4: 4, 3: 6})        # 40 %
    b.marks(2, 10, {4: 12, 3: 8})       # 60 % (Δ 20), mean 3.6 (Δ 0.2)
    assert "S3" not in signs_of(b)


def test_s3_mean_mark_drop_of_exactly_half_a_mark():
    b = Builder()
    b.procedure(1, year=2024)
    b.procedure(2, year=2025)
    b.marks(1, 10, {3: 10})             # mean 3.0, quality 0
    b.marks(2, 10, {2: 5, 3: 5})        # mean 2.5 → |Δ| = 0.5
    assert "S3" in signs_of(b)
    b = Builder()
    b.procedure(1, year=2024)
    b.procedure(2, year=2025)
    b.marks(1, 10, {3: 10})
    b.marks(2, 10, {2: 4, 3: 6})        # mean 2.6 → |Δ| = 0.4
    assert "S3" not in signs_of(b)


def test_s3_same_cohort_next_grade():
    b = Builder()
    b.procedure(1, year=2024, grade=4)
    b.procedure(2, year=2025, grade=5)
    b.marks(1, 10, {4: 2, 3: 8})        # grade 4 in 2024: 20 %
    b.marks(2, 10, {4: 9, 3: 1})        # grade 5 in 2025: 90 %
    assert "та же параллель: качество знаний 20,0 % в 4 кл. 2024 г. → 90,0 % в 5 кл. 2025 г." in evidence(b)["S3"]


def s4_group(b_below: int) -> Builder:
    """Threshold of «4» is 11 points: bands 9–10 (below) and 11–12 (above).

    A (30): 3 at 9, 21 at 11, 6 at 14 → below 3/30 = 0.10, above 21/30 = 0.70.
    B (70 − …): ``b_below`` at 9, 29 at 11, the rest at 3 points.
    Municipality (100): below (3 + b_below)/100, above 50/100.
    """
    b = Builder()
    b.procedure(1)
    b.add(1, 10, mark=3, score=9, count=3).add(1, 10, mark=4, score=11, count=21).add(1, 10, mark=4, score=14, count=6)
    b.add(1, 11, mark=3, score=9, count=b_below).add(1, 11, mark=4, score=11, count=29)
    b.add(1, 11, mark=2, score=3, count=70 - 29 - b_below)
    return b


def test_s4_boundary_peak_exactly_at_both_ratios():
    # below: 0.10 ≤ ¼ · 0.40; above: 0.70 ≥ 1.4 · 0.50
    text = evidence(s4_group(37))["S4"]
    assert text.startswith("у границы отметки «4» (11 перв. балл.): баллы 9–10 у 10,0 % участников при 40,0 % "
                           "по муниципалитету, баллы 11–12 — у 70,0 % при 50,0 %")


def test_s4_not_when_the_band_below_is_not_depleted_enough():
    # B with 36 at 9: municipality below 39/100; ¼ · 0.39 = 0.0975 < 0.10
    assert "S4" not in signs_of(s4_group(36))


def test_s4_needs_n_30():
    assert "S4" not in signs_of(s4_group(37), params=ObjectivityParams(s4_min_n=31))


def test_s4_also_needs_the_general_minimum_n():
    # A has N = 30: with min_n 31 no sign is judged for it, S4 included (s4_min_n stays 30)
    assert "S4" not in signs_of(s4_group(37), params=ObjectivityParams(min_n=31))
    assert "S4" in signs_of(s4_group(37), params=ObjectivityParams(min_n=30))


def test_s4_thresholds_from_the_data_when_no_spec():
    b = s4_group(37)
    b.procs[1]["spec"] = None   # lowest score with «4» in the data is 11 as well
    assert "S4" in signs_of(b)


def s5_group(advanced_points: int) -> Builder:
    """10 participants, two basic tasks (max 1) solved by 5 each → 50 %; one advanced task (max 2)."""
    b = Builder()
    b.procedure(1)
    for i in range(10):
        adv = 2 if i < advanced_points // 2 else (1 if i == advanced_points // 2 and advanced_points % 2 else 0)
        b.add(1, 10, mark=3, score=8, tasks=[1 if i < 5 else 0, 1 if i >= 5 else None, adv])
    return b


def test_s5_advanced_tasks_solved_10_points_better():
    # advanced: 12 of 20 points = 60 %; basic mean (50 + 50)/2 = 50 → gap 10
    assert evidence(s5_group(12))["S5"] == ("средняя решаемость заданий повышенного уровня 60,0 % выше, "
                                               "чем базового 50,0 % (+10,0 п.п.)")
    # 11 of 20 = 55 % → gap 5
    assert "S5" not in signs_of(s5_group(11))


def test_risk_two_signs_or_the_same_sign_two_years_running():
    b = Builder()
    b.procedure(1, year=2024)
    b.procedure(2, year=2025)
    b.procedure(3, year=2025, subject="Русский язык")
    # 2024 and 2025 maths: S2 both years (3 of 10 lowered) → risk in 2025 by repetition
    for pid in (1, 2):
        b.marks(pid, 10, {3: 3}, journal=4).marks(pid, 10, {3: 7}, journal=3)
    # 2025 Russian: S1 (80 % vs 55 %) and S2 → two signs
    b.marks(3, 10, {4: 8}, journal=5).marks(3, 10, {3: 2}, journal=3).marks(3, 11, {4: 3, 3: 7})
    frame = signs_frame(b.dataset(), DEFAULT)
    by_proc = frame.set_index("procedure_id")
    assert not by_proc.at[1, "risk"]                      # first year, one sign
    assert by_proc.at[2, "risk"]
    assert by_proc.at[2, "risk_reasons"] == ["признак S2 два года подряд (2024 и 2025)"]
    assert by_proc.at[3, "risk"]
    assert "2 признака в одной процедуре" in by_proc.at[3, "risk_reasons"]


def municipal_signs(b: Builder, muni: int = 2, year: int = 2025) -> dict[str, str]:
    """Sign → evidence for a municipality compared with the region."""
    frame = signs_frame(b.dataset(), DEFAULT, level="municipality")
    hit = frame[(frame["org_id"] == muni) & (frame["year"] == year)]
    return {sign: text for ev in hit["evidence"] for sign, text in ev.items()}


def test_municipality_against_the_region_quality_gap_exactly_25():
    # M1 (schools A, B): 16 «4» of 20 = 80 %; M2 (school D): 6 of 20 = 30 %; region 22/40 = 55 % → +25 p.p.
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {4: 8, 3: 2}).marks(1, 11, {4: 8, 3: 2}).marks(1, 13, {4: 6, 3: 14})
    ev = municipal_signs(b)
    assert set(ev) == {"S1"}
    assert ev["S1"] == ("качество знаний 80,0 % при 55,0 % по региону (+25,0 п.п.); "
                        "доля «5» 0,0 % при 0,0 % по региону")
    # The schools of M1 are each at 80 % against M1's 80 %: no school sign.
    assert signs_of(b, 10) == set() and signs_of(b, 11) == set()


def test_municipality_against_the_region_gap_below_25_is_not():
    # M2 with 7 «4» of 20: region 23/40 = 57.5 % → M1's 80 % is +22.5 p.p.
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {4: 8, 3: 2}).marks(1, 11, {4: 8, 3: 2}).marks(1, 13, {4: 7, 3: 13})
    assert municipal_signs(b) == {}


def test_municipality_mismatch_with_journal_sums_its_schools():
    # A: 2 of 10 lowered (20 %), B: 4 of 10 lowered (40 %) → M1: 6 of 20 = 30 % → S2 for M1 (and for B).
    b = Builder()
    b.procedure(1)
    b.add(1, 10, mark=3, journal=4, score=8, count=2).add(1, 10, mark=3, journal=3, score=8, count=8)
    b.add(1, 11, mark=3, journal=4, score=8, count=4).add(1, 11, mark=3, journal=3, score=8, count=6)
    b.marks(1, 13, {3: 10}, journal=3)
    assert municipal_signs(b)["S2"] == ("понизили отметку по журналу 30,0 %, повысили 0,0 %, подтвердили 70,0 % "
                                        "(участников с обеими отметками: 20)")
    assert "S2" in signs_of(b, 11) and "S2" not in signs_of(b, 10)
