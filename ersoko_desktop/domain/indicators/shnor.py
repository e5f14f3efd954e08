"""ШНОР (schools with low results) and ШФНСУ (unfavourable social conditions), GUIDE §4.

A school × procedure is *low* when its share of «2» ≥ 25 % or its mean mark is in the lowest
10 % of the municipality's schools for that procedure (at or below the 10th percentile,
linear interpolation, among schools with N ≥ min_n). A school is ШНОР in year Y when it is low
in ≥ 2 procedures in Y and in ≥ 2 procedures in Y − 1. All vectorised (groupby/transform).

ШФНСУ comes from the school-context form (``rural``, ``students_total``, ``low_income_share``,
``non_russian_share``): a school has unfavourable conditions when at least ``shfnsu_min_factors``
of the four factors hold.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

from .signs import EPS, num, pct


@dataclass(frozen=True)
class ShnorParams:
    min_n: int = 10
    share2: float = 25.0            # share of «2» ≥ this % → low
    low_percentile: float = 10.0    # mean mark ≤ this percentile of the municipality → low
    min_procedures: int = 2         # low in ≥ this many procedures in a year
    years: int = 2                  # … in each of this many consecutive years
    small_school: int = 100         # ШФНСУ: fewer students than this = small school
    low_income_share: float = 30.0  # ШФНСУ: share of low-income families ≥ this %
    non_russian_share: float = 30.0  # ШФНСУ: share of children with non-Russian home language ≥ this %
    shfnsu_min_factors: int = 2     # ШФНСУ when at least this many factors hold

    @classmethod
    def from_mapping(cls, values: dict) -> "ShnorParams":
        known = {f.name: f.type for f in fields(cls)}
        return cls(**{k: (int(v) if known[k] in ("int", int) else float(v))
                      for k, v in (values or {}).items() if k in known and v is not None})


def low_results(school: pd.DataFrame, params: ShnorParams) -> pd.DataFrame:
    """Rows of ``school`` (evaluated, with ``municipality_id``, ``year``) with ``low`` and its reason."""
    p = params
    df = school[school["N"] >= p.min_n].copy()
    keys = ["procedure_id", "municipality_id"]
    p10 = df.groupby(keys)["mean_mark"].quantile(p.low_percentile / 100.0).rename("p10")
    df = df.join(p10, on=keys)
    by_twos = df["share2"] >= p.share2 - EPS
    by_mean = df["mean_mark"] <= df["p10"] + EPS
    df["low"] = (by_twos | by_mean).fillna(False).astype(bool)
    # Reasons only for the low rows (a minority), as Russian sentences.
    low = df[df["low"]]
    reasons = []
    for share2, mean, p10, twos, by_m in zip(low["share2"], low["mean_mark"], low["p10"],
                                             by_twos[df["low"]], by_mean[df["low"]]):
        parts = []
        if twos:
            parts.append(f"доля «2» {pct(share2)}")
        if by_m:
            parts.append(f"средняя отметка {num(mean, 2)} в нижних {num(p.low_percentile, 0)} % "
                         f"муниципалитета (граница {num(p10, 2)})")
        reasons.append("; ".join(parts))
    df["low_reason"] = None
    df.loc[df["low"], "low_reason"] = reasons
    return df


def shnor_schools(school: pd.DataFrame, params: ShnorParams) -> pd.DataFrame:
    """One row per school × year that is ШНОР: ``org_id``, ``year``, ``low_by_year`` (dict year → list
    of (procedure_id, reason)), ``low_count`` (procedures low in the year)."""
    p = params
    low = low_results(school, p)
    low = low[low["low"]]
    per_year = low.groupby(["org_id", "year"]).size().rename("low_count").reset_index()
    per_year = per_year[per_year["low_count"] >= p.min_procedures]
    qualified = set(zip(per_year["org_id"], per_year["year"]))
    winners = [(int(o), int(y), int(c)) for o, y, c in per_year.itertuples(index=False)
               if all((o, y - k) in qualified for k in range(p.years))]
    if not winners:
        return pd.DataFrame(columns=["org_id", "year", "low_count", "low_by_year"])
    # Reasons of the winners only (a handful of schools): one groupby, no scan per school.
    wanted = {(o, y - k) for o, y, _c in winners for k in range(p.years)}
    key = pd.MultiIndex.from_arrays([low["org_id"], low["year"]])
    sub = low[key.isin(list(wanted))]
    reasons: dict[tuple[int, int], list] = {}
    for (o, y), g in sub.groupby(["org_id", "year"]):
        reasons[(int(o), int(y))] = list(zip(g["procedure_id"].astype(int), g["low_reason"]))
    rows = [{"org_id": o, "year": y, "low_count": c,
             "low_by_year": {y - k: reasons.get((o, y - k), []) for k in range(p.years - 1, -1, -1)}}
            for o, y, c in winners]
    return pd.DataFrame(rows, columns=["org_id", "year", "low_count", "low_by_year"])


def shfnsu_factors(values: dict, params: ShnorParams) -> list[str]:
    """The unfavourable-conditions factors that hold for one school-context submission."""
    p = params
    out = []
    if values.get("rural") in (True, "true", "да", 1, "1"):
        out.append("сельская школа")
    students = _number(values.get("students_total"))
    if students is not None and students < p.small_school:
        out.append(f"малокомплектная ({int(students)} обучающихся)")
    low_income = _number(values.get("low_income_share"))
    if low_income is not None and low_income >= p.low_income_share - EPS:
        out.append(f"доля малообеспеченных семей {pct(low_income)}")
    non_russian = _number(values.get("non_russian_share"))
    if non_russian is not None and non_russian >= p.non_russian_share - EPS:
        out.append(f"доля детей с неродным русским языком {pct(non_russian)}")
    return out


def _number(value: object) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None
