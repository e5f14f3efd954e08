"""The generic vectorised evaluator: additive roll-ups of the result statistics.

Every aggregate of :data:`catalog.AGGREGATES` is a count or a sum, so the results are reduced
once to statistics at the finest level (procedure × school × class, :mod:`.stats` — cached per
school × procedure in the database) and the coarser levels (school, municipality, region) are
sums of that small frame — no per-school Python loop anywhere.
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
from .stats import ResultStats

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


def band_counts(stats: ResultStats, thresholds: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per class of ``stats``: participants with scores t−2..t−1 (``below{m}``) and t..t+1
    (``above{m}``) around the threshold t of each mark m — from the score histogram."""
    hist = stats.scores
    n = len(stats.classes)
    rows = hist["row"].to_numpy()
    score = hist["score"].to_numpy(dtype="float64")
    count = hist["count"].to_numpy(dtype="float64")
    pid = stats.classes["procedure_id"].to_numpy()[rows]
    out = {}
    for m in THRESHOLD_MARKS:
        t = pd.Series(thresholds[f"t{m}"]).reindex(pid).to_numpy(dtype="float64", na_value=np.nan)
        below = (score >= t - 2) & (score <= t - 1)
        above = (score >= t) & (score <= t + 1)
        out[f"below{m}"] = np.bincount(rows, weights=np.where(below, count, 0.0), minlength=n).astype(np.int64)
        out[f"above{m}"] = np.bincount(rows, weights=np.where(above, count, 0.0), minlength=n).astype(np.int64)
    return out


def aggregate(dataset: Dataset, levels: tuple[str, ...] = LEVELS) -> Aggregates:
    """The finest groups (procedure × school × class) come from the statistics; the other levels
    are sums of them."""
    stats = dataset.result_stats()
    thresholds = procedure_thresholds(dataset)
    max_score = procedure_max_score(dataset)
    classes = stats.classes
    finest = classes[["procedure_id", "org_id", "class_letter", *[c for c in COUNT_COLUMNS if c in classes.columns]]]
    finest = finest.assign(**band_counts(stats, thresholds))
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
