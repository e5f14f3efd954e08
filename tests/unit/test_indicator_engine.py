"""Every catalog formula on small groups computed by hand (numbers written here, not by the code)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ersoko_desktop.domain.expressions import ExpressionError
from ersoko_desktop.domain.indicators.catalog import parse_catalog
from ersoko_desktop.domain.indicators.engine import round_half_up, round_indicators
from ersoko_desktop.domain.indicators.tasks import task_solve_sums
from ersoko_desktop.services.indicators import evaluate_dataset, load_catalog

from .indicator_builders import Builder


def school_a_group() -> Builder:
    """School A (id 10), procedure 1: eight participants in two classes.

    mark:    2  3  3  4 | 4  4     5  —
    journal: 3  3  4  4 | 3  —     5  4
    score:   4  7  8 12 | 12 13   17  —
    School B (id 11, same municipality): two «5» (score 18, journal 5). School D (id 13, other
    municipality): one participant with a score but no mark.
    """
    b = Builder()
    b.procedure(1)
    for mark, journal, score, letter in [(2, 3, 4, "5А"), (3, 3, 7, "5А"), (3, 4, 8, "5А"), (4, 4, 12, "5А"),
                                         (4, 3, 12, "5Б"), (4, None, 13, "5Б"), (5, 5, 17, "5Б"),
                                         (None, 4, None, "5Б")]:
        b.add(1, 10, mark=mark, journal=journal, score=score, letter=letter)
    b.add(1, 11, mark=5, journal=5, score=18, letter="5А", count=2)
    b.add(1, 13, mark=None, journal=None, score=5, letter="5А")
    return b


def row(frame: pd.DataFrame, org_id: int, letter: str | None = None) -> pd.Series:
    sub = frame[frame["org_id"] == org_id]
    if letter is not None:
        sub = sub[sub["class_letter"] == letter]
    assert len(sub) == 1
    return sub.iloc[0]


@pytest.fixture(scope="module")
def tables():
    return evaluate_dataset(school_a_group().dataset(), load_catalog())


def test_school_level_formulas(tables):
    school = round_indicators(tables.level("school"), tables.catalog)
    a = row(school, 10)
    # N = 7 (one participant has no mark); n2=1, n3=2, n4=3, n5=1
    assert (a["N"], a["n2"], a["n3"], a["n4"], a["n5"]) == (7, 1, 2, 3, 1)
    assert a["n"] == 7
    assert a["success"] == 85.7        # 6/7 = 85.714…
    assert a["quality"] == 57.1        # 4/7 = 57.142…
    assert a["mean_mark"] == 3.57      # (2 + 3·2 + 4·3 + 5)/7 = 25/7 = 3.5714…
    assert a["sou"] == 54.3            # (1.00·1 + 0.64·3 + 0.36·2 + 0.16·1)/7 = 3.8/7 = 54.285…
    # Both marks for 6 participants: lowered 2 (2<3, 3<4), confirmed 3, raised 1 (4>3)
    assert a["n_both"] == 6
    assert a["lowered"] == 33.3 and a["confirmed"] == 50.0 and a["raised"] == 16.7
    # Scores of the 7 with a score: 4+7+8+12+12+13+17 = 73 → 73/7 = 10.428…; of max 20 → 52.14 %
    assert a["mean_score"] == 10.43
    assert a["mean_score_pct"] == 52.1
    assert (a["share2"], a["share3"], a["share4"], a["share5"]) == (14.3, 28.6, 42.9, 14.3)


def test_class_level(tables):
    cls = round_indicators(tables.level("class"), tables.catalog)
    a5a = row(cls, 10, "5А")  # marks 2, 3, 3, 4
    assert (a5a["n"], a5a["success"], a5a["quality"], a5a["mean_mark"]) == (4, 75.0, 25.0, 3.0)
    a5b = row(cls, 10, "5Б")  # marks 4, 4, 5 (and one without a mark)
    assert (a5b["n"], a5b["success"], a5b["quality"], a5b["mean_mark"]) == (3, 100.0, 100.0, 4.33)
    # 5Б: both marks for (4,3) and (5,5) only → raised 50 %, confirmed 50 %
    assert (a5b["lowered"], a5b["confirmed"], a5b["raised"]) == (0.0, 50.0, 50.0)


def test_municipality_and_region_roll_up(tables):
    muni = round_indicators(tables.level("municipality"), tables.catalog)
    m1 = row(muni, 2)  # A + B: N = 9; n2=1 n3=2 n4=3 n5=3
    assert m1["n"] == 9
    assert m1["success"] == 88.9       # 8/9
    assert m1["quality"] == 66.7       # 6/9
    assert m1["mean_mark"] == 3.89     # (2 + 6 + 12 + 15)/9 = 35/9
    assert m1["share5"] == 33.3        # 3/9
    region = round_indicators(tables.level("region"), tables.catalog)
    r = row(region, 1)  # the same 9 marks plus D's participant without a mark
    assert r["n"] == 9 and r["quality"] == 66.7
    assert r["score_n"] == 7 + 2 + 1   # D's score counts for the mean score
    assert r["mean_score"] == round((73 + 36 + 5) / 10, 2)  # 11.4


def test_n_zero_gives_undefined_values(tables):
    d = row(tables.level("school"), 13)   # one participant, score but no mark
    assert d["n"] == 0
    for key in ("success", "quality", "mean_mark", "sou", "lowered", "confirmed", "raised", "share5"):
        assert math.isnan(d[key]), key
    assert d["mean_score"] == 5.0


def test_missing_journal_marks_leave_lowered_undefined():
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {3: 4, 4: 1})      # no journal marks at all
    school = evaluate_dataset(b.dataset(), load_catalog(), ("school",)).level("school")
    a = row(school, 10)
    assert a["quality"] == 20.0 and a["n_both"] == 0
    assert math.isnan(a["lowered"]) and math.isnan(a["confirmed"]) and math.isnan(a["raised"])


def test_half_up_rounding():
    values = pd.Series([6.25, 0.125, 2.675, -1.25, float("nan")])
    out = round_half_up(values, 1)
    assert out.iloc[0] == 6.3 and out.iloc[1] == 0.1 and out.iloc[2] == 2.7 and out.iloc[3] == -1.3
    assert math.isnan(out.iloc[4])
    assert round_half_up(pd.Series([1 / 16 * 100]), 1).iloc[0] == 6.3   # 1 of 16 = 6.25 % → 6,3 %


def test_task_solve_rates_per_level():
    b = Builder()
    b.procedure(1)
    # School A: task 1 (max 1) 1,0,1 → 66.7 %; task 2 (max 1) 0,0,None(=0) → 0 %; task 3 (max 2) 2,1,1 → 4/6 = 66.7 %
    b.add(1, 10, mark=3, score=8, tasks=[1, 0, 2])
    b.add(1, 10, mark=3, score=8, tasks=[0, 0, 1])
    b.add(1, 10, mark=3, score=8, tasks=[1, None, 1], letter="5Б")
    # School B: task 1 = 1, task 2 = 1, task 3 = 0; and one participant without task scores (left out)
    b.add(1, 11, mark=4, score=13, tasks=[1, 1, 0])
    b.add(1, 11, mark=4, score=13, tasks=None)
    sums = task_solve_sums(b.dataset())
    school = sums["school"].set_index(["org_id", "task_no"])
    assert round(school.at[(10, 1), "solve_rate"], 1) == 66.7
    assert school.at[(10, 2), "solve_rate"] == 0.0
    assert round(school.at[(10, 3), "solve_rate"], 1) == 66.7
    assert school.at[(10, 3), "task_level"] == "повышенный" and school.at[(10, 3), "max"] == 2.0
    assert school.at[(11, 2), "solve_rate"] == 100.0 and school.at[(11, 2), "n"] == 1
    muni = sums["municipality"].set_index(["org_id", "task_no"])
    # A + B: task 1 → (1+0+1+1)/4 = 75 %; task 3 → (1 + 0.5 + 0.5 + 0)/4 = 50 %
    assert muni.at[(2, 1), "solve_rate"] == 75.0 and muni.at[(2, 3), "solve_rate"] == 50.0
    cls = sums["class"]
    a5b = cls[(cls["org_id"] == 10) & (cls["class_letter"] == "5Б")].set_index("task_no")
    assert a5b.at[1, "solve_rate"] == 100.0 and a5b.at[3, "solve_rate"] == 50.0


def test_task_rates_need_task_maxima_in_the_spec():
    b = Builder()
    b.procedure(1, spec={"thresholds": {"3": 6, "4": 11, "5": 16}})
    b.add(1, 10, mark=3, score=8, tasks=[1, 0, 2])
    assert task_solve_sums(b.dataset())["school"].empty


def test_catalog_is_declarative_and_checked():
    cat = parse_catalog({"x.yaml": (
        "indicators:\n"
        "  - key: twos_and_threes\n    name: Доля «2» и «3»\n    unit: '%'\n"
        "    formula: (n2 + n3) / N * 100\n    rounding: 1\n    levels: [school]\n")})
    b = Builder()
    b.procedure(1)
    b.marks(1, 10, {2: 1, 3: 2, 5: 5})
    school = evaluate_dataset(b.dataset(), cat, ("school",)).level("school")
    assert round(row(school, 10)["twos_and_threes"], 1) == 37.5   # 3 of 8
    with pytest.raises(ExpressionError) as info:
        parse_catalog({"bad.yaml": "indicators:\n  - key: k\n    name: K\n    formula: __import__('os')\n"})
    assert "bad.yaml" in info.value.message and "не разрешена" in info.value.message
    with pytest.raises(ExpressionError) as info:
        parse_catalog({"bad.yaml": "indicators:\n  - key: k\n    name: K\n    formula: n7 / N\n"})
    assert "n7" in info.value.message


def test_shipped_catalog_has_every_guide_indicator():
    keys = set(load_catalog().keys)
    assert {"n", "success", "quality", "mean_mark", "mean_score", "sou", "lowered", "confirmed", "raised",
            "share2", "share3", "share4", "share5"} <= keys
