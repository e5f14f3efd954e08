"""The input of the indicator engine: results, procedures and the organization tree as DataFrames.

The service layer fills a :class:`Dataset` from the database; tests build one by hand. Nothing
here knows SQL. Column contract:

- ``results``: ``procedure_id``, ``school_id`` (ints), ``class_letter`` (str or None),
  ``primary_score``, ``mark``, ``journal_mark`` (floats, NaN = missing); optional ``task_scores``
  (a list per row, ``None`` inside a list = task not done = 0 points).
- ``procedures`` (index = procedure id): ``kind``, ``subject``, ``grade``, ``year``, ``spec`` (dict or None).
- ``orgs`` (index = organization id): ``code``, ``name``, ``kind``, ``parent_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .stats import ResultStats

MARKS = (1, 2, 3, 4, 5)
THRESHOLD_MARKS = (3, 4, 5)


@dataclass
class Dataset:
    results: pd.DataFrame
    procedures: pd.DataFrame
    orgs: pd.DataFrame
    stats: "ResultStats | None" = None  # sufficient statistics; computed from ``results`` when None

    def result_stats(self) -> "ResultStats":
        """The statistics the engine works on (:mod:`.stats`): given, or reduced from the rows once."""
        if self.stats is None:
            from .stats import compute_stats

            self.stats = compute_stats(self.results)
        return self.stats

    def restrict(self, procedure_ids) -> "Dataset":
        """The same data limited to ``procedure_ids`` (results, statistics and procedures)."""
        keep = [p for p in self.procedures.index if p in set(procedure_ids)]
        results = self.results
        if results is not None and len(results):
            results = results[results["procedure_id"].isin(keep)]
        stats = self.stats.for_procedures(keep) if self.stats is not None else None
        return Dataset(results=results, procedures=self.procedures.loc[keep], orgs=self.orgs, stats=stats)

    def school_parents(self) -> pd.DataFrame:
        """For every organization id: its municipality id and region id (NaN where there is none)."""
        return self._parents

    @cached_property
    def _parents(self) -> pd.DataFrame:
        orgs = self.orgs
        kind = orgs["kind"]
        parent = orgs["parent_id"]
        muni = pd.Series(np.nan, index=orgs.index)
        region = pd.Series(np.nan, index=orgs.index)
        muni[kind == "municipality"] = orgs.index[kind == "municipality"]
        region[kind == "region"] = orgs.index[kind == "region"]
        # Walk up at most three levels (school → municipality → region), vectorised per level.
        current = pd.Series(orgs.index, index=orgs.index, dtype="float64")
        for _ in range(3):
            current = current.map(parent)
            ckind = current.map(kind)
            muni = muni.where(muni.notna() | (ckind != "municipality"), current)
            region = region.where(region.notna() | (ckind != "region"), current)
        return pd.DataFrame({"municipality_id": muni, "region_id": region})


def group_ids(*keys: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Dense group numbers for the combination of ``keys`` (hash factorization, no sort) and, per
    key, the value of each group. NaN/None keys form their own group (value None)."""
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    parts = []
    for key in keys:
        codes, uniques = pd.factorize(key, use_na_sentinel=True)
        size = len(uniques) + 1
        combined = combined * size + (codes + 1)
        parts.append((size, np.concatenate([np.array([None], dtype=object), np.asarray(uniques, dtype=object)])))
    group, first = pd.factorize(combined)
    values = []
    rest = np.asarray(first, dtype=np.int64)
    for size, uniques in reversed(parts):
        rest, code = np.divmod(rest, size)
        values.append(uniques[code])
    return group, values[::-1]


def procedure_thresholds(dataset: Dataset) -> pd.DataFrame:
    """Lowest primary score of the marks 3, 4, 5 per procedure: from the spec, else from the data.

    GUIDE §4 (S4): where no spec matches, the lowest primary score seen with that mark in the
    procedure's results. Columns ``t3``, ``t4``, ``t5`` and ``source`` (``spec``/``data``).
    """
    procs = dataset.procedures
    out = pd.DataFrame(index=procs.index, columns=["t3", "t4", "t5"], dtype="float64")
    source = pd.Series("data", index=procs.index, dtype=object)
    for pid, spec in procs["spec"].items():
        thresholds = (spec or {}).get("thresholds") if isinstance(spec, dict) else None
        if isinstance(thresholds, dict) and all(str(m) in thresholds for m in THRESHOLD_MARKS):
            for m in THRESHOLD_MARKS:
                out.at[pid, f"t{m}"] = float(thresholds[str(m)])
            source[pid] = "spec"
    missing = source[source == "data"].index
    stats = dataset.result_stats()
    hist = stats.scores
    if len(missing) and len(hist):
        pid = stats.classes["procedure_id"].to_numpy()[hist["row"].to_numpy()]
        sub = hist.assign(procedure_id=pid)
        sub = sub[sub["procedure_id"].isin(missing) & sub["mark"].isin(THRESHOLD_MARKS) & (sub["count"] > 0)]
        lowest = sub.groupby(["procedure_id", "mark"])["score"].min().unstack()
        for m in THRESHOLD_MARKS:
            if float(m) in lowest.columns:
                col = lowest[float(m)]
                out.loc[col.index, f"t{m}"] = col.values
    out["source"] = source
    return out


def procedure_max_score(dataset: Dataset) -> pd.Series:
    """``max_score`` from each procedure spec (sum of task maxima if only tasks are given)."""
    def one(spec: object) -> float:
        if not isinstance(spec, dict):
            return np.nan
        if spec.get("max_score") is not None:
            return float(spec["max_score"])
        tasks = spec.get("tasks") or []
        if tasks and all(isinstance(t, dict) and t.get("max") is not None for t in tasks):
            return float(sum(t["max"] for t in tasks))
        return np.nan

    return dataset.procedures["spec"].map(one).astype("float64")
