"""The generic vectorised evaluator: one pass over the results, then additive roll-ups.

Every aggregate of :data:`catalog.AGGREGATES` is a count or a sum, so the results are grouped
once at the finest level (procedure × school × class) and the coarser levels (school,
municipality, region) are sums of that small frame — no per-school Python loop anywhere.
The catalog formulas are then evaluated column-wise on the aggregate frame.

Besides the catalog aggregates, the frames carry the boundary bands the objectivity sign S4
needs (``below3``/``above3``… = participants with scores t−2..t−1 / t..t+1 around the threshold
of each mark).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import LEVELS, Catalog
from .dataset import MARKS, THRESHOLD_MARKS, Dataset, procedure_max_score, procedure_thresholds

COUNT_COLUMNS = (
    ["N"] + [f"n{k}" for k in MARKS]
    + ["score_n", "score_sum", "n_both", "n_lowered", "n_confirmed", "n_raised"]
    + [f"{band}{m}" for m in THRESHOLD_MARKS for band in ("below", "above")]
)


@dataclass
class Aggregates:
    """Aggregate frames per level; columns: ``org_id``, ``procedure_id``, ``class_letter`` + COUNT_COLUMNS."""

    levels: dict[str, pd.DataFrame]
    thresholds: pd.DataFrame
    max_score: pd.Series


def row_counts(dataset: Dataset, thresholds: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-result 0/1 indicator arrays (and the score) whose group sums are the aggregates."""
    res = dataset.results
    mark = res["mark"].to_numpy(dtype="float64", na_value=np.nan)
    journal = res["journal_mark"].to_numpy(dtype="float64", na_value=np.nan)
    score = res["primary_score"].to_numpy(dtype="float64", na_value=np.nan)
    has_mark = ~np.isnan(mark)
    has_score = ~np.isnan(score)
    both = has_mark & ~np.isnan(journal)
    cols: dict[str, np.ndarray] = {"N": has_mark}
    for k in MARKS:
        cols[f"n{k}"] = mark == k
    cols["score_n"] = has_score
    cols["score_sum"] = np.where(has_score, score, 0.0)
    cols["n_both"] = both
    cols["n_lowered"] = both & (mark < journal)
    cols["n_confirmed"] = both & (mark == journal)
    cols["n_raised"] = both & (mark > journal)
    pid = res["procedure_id"].to_numpy()
    for m in THRESHOLD_MARKS:
        t = pd.Series(thresholds[f"t{m}"]).reindex(pid).to_numpy(dtype="float64", na_value=np.nan)
        cols[f"below{m}"] = has_score & (score >= t - 2) & (score <= t - 1)
        cols[f"above{m}"] = has_score & (score >= t) & (score <= t + 1)
    return cols


def group_sums(group: np.ndarray, n_groups: int, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Σ of every column per group: one ``bincount`` pass per column."""
    out = {}
    for name, col in columns.items():
        sums = np.bincount(group, weights=col.astype("float64", copy=False), minlength=n_groups)
        out[name] = sums if name == "score_sum" else sums.astype(np.int64)
    return out


def aggregate(dataset: Dataset, levels: tuple[str, ...] = LEVELS) -> Aggregates:
    """Group the results once (procedure × school × class), then roll up to the other levels."""
    thresholds = procedure_thresholds(dataset)
    max_score = procedure_max_score(dataset)
    res = dataset.results
    counts = row_counts(dataset, thresholds)
    group, (pids, schools, letters) = dataset.finest_groups()
    n_groups = len(pids)
    finest = pd.DataFrame({"procedure_id": pids.astype(np.int64), "org_id": schools.astype(np.int64),
                           "class_letter": letters, **group_sums(group, n_groups, counts)})
    out: dict[str, pd.DataFrame] = {}
    if "class" in levels:
        out["class"] = finest
    school = finest.drop(columns="class_letter").groupby(["procedure_id", "org_id"], sort=False).sum().reset_index()
    school.insert(2, "class_letter", None)
    if "school" in levels:
        out["school"] = school
    parents = dataset.school_parents()
    for level, column in (("municipality", "municipality_id"), ("region", "region_id")):
        if level not in levels:
            continue
        up = school.drop(columns="class_letter").copy()
        up["org_id"] = up["org_id"].map(parents[column])
        up = up[up["org_id"].notna()]
        up["org_id"] = up["org_id"].astype("int64")
        rolled = up.groupby(["procedure_id", "org_id"], sort=False).sum().reset_index()
        rolled.insert(2, "class_letter", None)
        out[level] = rolled
    for frame in out.values():
        frame["max_score"] = frame["procedure_id"].map(max_score).astype("float64")
    return Aggregates(levels=out, thresholds=thresholds, max_score=max_score)


def evaluate(frame: pd.DataFrame, catalog: Catalog, level: str) -> pd.DataFrame:
    """Add one column per catalog indicator of ``level`` (unrounded floats; NaN = undefined)."""
    # Plain float arrays: numpy arithmetic has none of the per-operation overhead of Series.
    env = {name: frame[name].to_numpy(dtype="float64") for name in frame.columns
           if isinstance(name, str) and frame[name].dtype.kind in "biuf"}
    values = {}
    for ind in catalog.for_level(level):
        value = ind.expression.evaluate(env)
        values[ind.key] = np.broadcast_to(np.asarray(value, dtype="float64"), (len(frame),))
    return frame.assign(**values)


def round_half_up(values: pd.Series, digits: int) -> pd.Series:
    """School arithmetic rounding (6,25 → 6,3), not banker's; NaN stays NaN."""
    factor = 10.0 ** digits
    arr = values.to_numpy(dtype="float64")
    rounded = np.sign(arr) * np.floor(np.abs(arr) * factor + 0.5 + 1e-9) / factor
    return pd.Series(rounded, index=values.index)


def round_indicators(frame: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    out = frame.copy()
    for ind in catalog.indicators:
        if ind.key in out.columns:
            out[ind.key] = round_half_up(out[ind.key], ind.rounding)
    return out
