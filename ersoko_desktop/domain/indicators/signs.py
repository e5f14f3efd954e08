"""Objectivity signs S1–S5 and the risk list (GUIDE §4), vectorised over school × procedure.

Each sign is a boolean column computed with merges and column arithmetic; only the flagged rows
get their evidence sentence (in Russian, with the numbers a methodologist needs to act on it).
Thresholds are :class:`ObjectivityParams` fields, so the GUI/CLI/settings can change them.
Comparisons use a tiny tolerance so a value exactly at a threshold counts as reaching it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from .dataset import THRESHOLD_MARKS

EPS = 1e-9
SIGNS = ("S1", "S2", "S3", "S4", "S5")
SIGN_NAMES = {
    "S1": "Высокие результаты относительно муниципалитета",
    "S2": "Несоответствие отметкам по журналу",
    "S3": "Резкое изменение результатов",
    "S4": "Пик у границы отметки («дотягивание»)",
    "S5": "Задания повышенного уровня решены лучше базовых",
}


@dataclass(frozen=True)
class ObjectivityParams:
    """Thresholds of the signs (defaults from GUIDE §4)."""

    min_n: int = 10                 # a sign is computed only where N ≥ min_n
    s1_quality_gap: float = 25.0    # p.p. above the reference quality
    s1_five_ratio: float = 2.0      # share of «5» ≥ ratio × reference share …
    s1_five_min: float = 30.0       # … and ≥ this share, %
    s2_lowered: float = 30.0        # lowered ≥ this %
    s2_mismatch: float = 50.0       # lowered + raised ≥ this %
    s3_quality_delta: float = 25.0  # |Δ quality| ≥ p.p.
    s3_mean_mark_delta: float = 0.5  # |Δ mean mark| ≥
    s4_min_n: int = 30              # S4 needs N ≥ this
    s4_below_ratio: float = 0.25    # share of scores t−2..t−1 ≤ ratio × reference share
    s4_above_ratio: float = 1.4     # share of scores t..t+1 ≥ ratio × reference share
    s5_gap: float = 10.0            # advanced − basic mean solve rate ≥ p.p.
    risk_min_signs: int = 2         # ≥ this many signs in one procedure → risk list

    @classmethod
    def from_mapping(cls, values: dict) -> "ObjectivityParams":
        """Defaults overridden by known keys (settings JSON, CLI options); unknown keys are ignored."""
        known = {f.name: f.type for f in fields(cls)}
        kwargs = {}
        for key, value in (values or {}).items():
            if key in known and value is not None:
                kwargs[key] = int(value) if known[key] in ("int", int) else float(value)
        return cls(**kwargs)


def pct(value: float) -> str:
    """46.0 → «46,0 %» (Russian decimal comma)."""
    return f"{value:.1f}".replace(".", ",") + " %"


def num(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def signed(value: float, digits: int = 1) -> str:
    return ("+" if value >= 0 else "−") + num(abs(value), digits)


# Whom a level is compared with (GUIDE §4: a school with its municipality, a municipality with
# the region): the column of the evaluated frame naming the reference org, and how evidence says it.
REFERENCES = {"school": ("municipality_id", "по муниципалитету"), "municipality": ("region_id", "по региону")}


def compute_signs(school: pd.DataFrame, reference: pd.DataFrame, gaps: pd.DataFrame,
                  thresholds: pd.DataFrame, params: ObjectivityParams, *, level: str = "school") -> pd.DataFrame:
    """Signs per org × procedure at ``level`` (``school`` against its municipality, ``municipality``
    against its region — :data:`REFERENCES`).

    ``school``: evaluated frame of ``level`` with ``org_id``, ``procedure_id``, ``municipality_id``,
    ``region_id``, ``kind``, ``subject``, ``grade``, ``year``, the catalog indicators and the count
    columns. ``reference``: evaluated frame of the reference level (``org_id`` = its id).
    ``gaps``: :func:`tasks.level_gap` at ``level``. Returns the rows with ≥ 1 sign: keys,
    ``S1``…``S5`` (bool), ``evidence`` (dict sign → sentence), ``n_signs``.
    """
    p = params
    ref_column, ref_label = REFERENCES[level]
    ref = reference.set_index(["procedure_id", "org_id"])
    key = pd.MultiIndex.from_arrays([school["procedure_id"], school[ref_column]])

    def ref_col(name: str) -> pd.Series:
        return pd.Series(ref[name].reindex(key).to_numpy(), index=school.index)

    df = school.copy()
    enough = df["N"] >= p.min_n
    # S1 — high results against the municipality.
    df["ref_quality"] = ref_col("quality")
    df["ref_share5"] = ref_col("share5")
    gap = df["quality"] - df["ref_quality"]
    s1_quality = gap >= p.s1_quality_gap - EPS
    s1_five = (df["share5"] >= p.s1_five_ratio * df["ref_share5"] - EPS) & (df["share5"] >= p.s1_five_min - EPS)
    df["S1"] = enough & (s1_quality | s1_five).fillna(False).astype(bool)
    # S2 — mismatch with the journal marks (needs enough participants with both marks).
    s2 = (df["lowered"] >= p.s2_lowered - EPS) | (df["lowered"] + df["raised"] >= p.s2_mismatch - EPS)
    df["S2"] = enough & (df["n_both"] >= p.min_n) & s2.fillna(False).astype(bool)
    # S3 — sharp change against the previous year (same grade) and the same cohort (grade − 1).
    df = _sharp_change(df, p)
    # S4 — boundary peak against the municipality's score distribution.
    s4 = pd.Series(False, index=df.index)
    s4_mark = pd.Series(np.nan, index=df.index)
    for m in THRESHOLD_MARKS[::-1]:
        g_below = df[f"below{m}"] / df["score_n"].where(df["score_n"] > 0)
        g_above = df[f"above{m}"] / df["score_n"].where(df["score_n"] > 0)
        r_n = ref_col("score_n")
        r_below = ref_col(f"below{m}") / r_n.where(r_n > 0)
        r_above = ref_col(f"above{m}") / r_n.where(r_n > 0)
        hit = ((r_below > 0) & (g_below <= p.s4_below_ratio * r_below + EPS)
               & (r_above > 0) & (g_above >= p.s4_above_ratio * r_above - EPS)).fillna(False).astype(bool)
        for name, values in (("g_below", g_below), ("g_above", g_above), ("r_below", r_below), ("r_above", r_above)):
            df[f"{name}{m}"] = values
        s4_mark = s4_mark.where(~hit | s4_mark.notna(), float(m))
        s4 |= hit
    # N ≥ min_n like every sign, and the scores of at least s4_min_n participants (a distribution)
    df["S4"] = enough & (df["score_n"] >= p.s4_min_n) & s4
    df["s4_mark"] = s4_mark
    # S5 — inverted difficulty (task levels from the spec).
    if len(gaps):
        g = gaps.set_index(["procedure_id", "org_id"])
        gkey = pd.MultiIndex.from_arrays([df["procedure_id"], df["org_id"]])
        df["basic_rate"] = g["basic"].reindex(gkey).to_numpy()
        df["advanced_rate"] = g["advanced"].reindex(gkey).to_numpy()
        df["tasks_n"] = g["tasks_n"].reindex(gkey).to_numpy()
        s5 = (df["advanced_rate"] - df["basic_rate"] >= p.s5_gap - EPS).fillna(False).astype(bool)
        df["S5"] = s5 & (df["tasks_n"] >= p.min_n)
    else:
        df["S5"] = False
    df["n_signs"] = df[list(SIGNS)].sum(axis=1)
    flagged = df[df["n_signs"] > 0].copy()
    thresholds_by_proc = thresholds
    flagged["evidence"] = [_evidence(row, thresholds_by_proc, ref_label) for row in flagged.itertuples(index=False)]
    keep = ["org_id", "procedure_id", "municipality_id", "region_id", "kind", "subject", "grade", "year", "N",
            *SIGNS, "n_signs", "evidence"]
    return flagged[keep].reset_index(drop=True)


def _sharp_change(df: pd.DataFrame, p: ObjectivityParams) -> pd.DataFrame:
    cols = ["org_id", "kind", "subject", "grade", "year", "quality", "mean_mark", "N"]
    prev = df[cols].copy()
    prev = prev[prev["N"] >= p.min_n]
    same = prev.assign(year=prev["year"] + 1).rename(
        columns={"quality": "prev_quality", "mean_mark": "prev_mean_mark", "N": "prev_N"})
    cohort = prev.assign(year=prev["year"] + 1, grade=prev["grade"] + 1).rename(
        columns={"quality": "coh_quality", "mean_mark": "coh_mean_mark", "N": "coh_N"})
    keys = ["org_id", "kind", "subject", "grade", "year"]
    out = df.merge(same, on=keys, how="left").merge(cohort, on=keys, how="left")
    out.index = df.index
    enough = out["N"] >= p.min_n

    def sharp(q_prev: pd.Series, m_prev: pd.Series) -> pd.Series:
        dq = (out["quality"] - q_prev).abs() >= p.s3_quality_delta - EPS
        dm = (out["mean_mark"] - m_prev).abs() >= p.s3_mean_mark_delta - EPS
        return (dq | dm).fillna(False).astype(bool)

    out["s3_same"] = enough & sharp(out["prev_quality"], out["prev_mean_mark"])
    out["s3_cohort"] = enough & sharp(out["coh_quality"], out["coh_mean_mark"])
    out["S3"] = out["s3_same"] | out["s3_cohort"]
    return out


def _evidence(row, thresholds: pd.DataFrame, ref_label: str) -> dict[str, str]:
    ev: dict[str, str] = {}
    if row.S1:
        parts = []
        if pd.notna(row.ref_quality):
            parts.append(f"качество знаний {pct(row.quality)} при {pct(row.ref_quality)} {ref_label} "
                         f"({signed(row.quality - row.ref_quality)} п.п.)")
        if pd.notna(row.ref_share5):
            parts.append(f"доля «5» {pct(row.share5)} при {pct(row.ref_share5)} {ref_label}")
        ev["S1"] = "; ".join(parts)
    if row.S2:
        ev["S2"] = (f"понизили отметку по журналу {pct(row.lowered)}, повысили {pct(row.raised)}, "
                    f"подтвердили {pct(row.confirmed)} (участников с обеими отметками: {int(row.n_both)})")
    if row.S3:
        parts = []
        if row.s3_same:
            parts.append(f"качество знаний {pct(row.prev_quality)} в {int(row.year) - 1} г. → {pct(row.quality)} "
                         f"в {int(row.year)} г. ({signed(row.quality - row.prev_quality)} п.п.), средняя отметка "
                         f"{num(row.prev_mean_mark, 2)} → {num(row.mean_mark, 2)}")
        if row.s3_cohort:
            parts.append(f"та же параллель: качество знаний {pct(row.coh_quality)} в {int(row.grade) - 1} кл. "
                         f"{int(row.year) - 1} г. → {pct(row.quality)} в {int(row.grade)} кл. {int(row.year)} г., "
                         f"средняя отметка {num(row.coh_mean_mark, 2)} → {num(row.mean_mark, 2)}")
        ev["S3"] = "; ".join(parts)
    if row.S4:
        m = int(row.s4_mark)
        t = thresholds.at[row.procedure_id, f"t{m}"]
        t = int(t) if float(t).is_integer() else t
        g_below, g_above = getattr(row, f"g_below{m}"), getattr(row, f"g_above{m}")
        r_below, r_above = getattr(row, f"r_below{m}"), getattr(row, f"r_above{m}")
        ev["S4"] = (f"у границы отметки «{m}» ({t} перв. балл.): баллы {t - 2}–{t - 1} у {pct(g_below * 100)} "
                    f"участников при {pct(r_below * 100)} {ref_label}, баллы {t}–{t + 1} — у "
                    f"{pct(g_above * 100)} при {pct(r_above * 100)}")
    if row.S5:
        ev["S5"] = (f"средняя решаемость заданий повышенного уровня {pct(row.advanced_rate)} выше, чем базового "
                    f"{pct(row.basic_rate)} ({signed(row.advanced_rate - row.basic_rate)} п.п.)")
    return ev


def risk_marks(flags: pd.DataFrame, params: ObjectivityParams) -> pd.DataFrame:
    """Add ``risk`` (bool) and ``risk_reasons`` (list of str): ≥ risk_min_signs signs in the
    procedure, or a sign the same school also had in the previous year (any procedure)."""
    out = flags.copy()
    if out.empty:
        out["risk"] = pd.Series(dtype=bool)
        out["risk_reasons"] = pd.Series(dtype=object)
        return out
    long = out.melt(id_vars=["org_id", "year"], value_vars=list(SIGNS), var_name="sign", value_name="on")
    long = long[long["on"]].drop_duplicates(["org_id", "year", "sign"])
    had = set(zip(long["org_id"], long["year"], long["sign"]))
    reasons: list[list[str]] = []
    for row in out.itertuples(index=False):
        why = []
        if row.n_signs >= params.risk_min_signs:
            why.append(f"{int(row.n_signs)} признака в одной процедуре")
        repeated = [s for s in SIGNS if getattr(row, s) and (row.org_id, row.year - 1, s) in had]
        if repeated:
            why.append(f"признак {', '.join(repeated)} два года подряд ({int(row.year) - 1} и {int(row.year)})")
        reasons.append(why)
    out["risk_reasons"] = reasons
    out["risk"] = [bool(r) for r in reasons]
    return out
