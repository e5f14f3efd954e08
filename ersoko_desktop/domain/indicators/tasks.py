"""Per-task solve rates: mean(score_i / max_i) · 100 per group, maxima from the procedure spec.

One loop over *procedures* (each has its own task list), never over schools: inside a
procedure the scores are one matrix and the groups are summed with pandas. A ``None`` inside a
participant's task list is a task not done (0 points); a participant without any task scores is
left out. Procedures whose spec has no task maxima get no solve rates (we never guess a maximum).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .catalog import LEVELS
from .dataset import Dataset

def task_level_kind(level: object) -> str | None:
    """``basic`` / ``advanced`` / None from a spec level text («базовый», «повышенный», «высокий», Б/П/В)."""
    text = str(level or "").strip().lower()
    if text.startswith(("базов", "basic")) or text == "б":
        return "basic"
    if text.startswith(("повыш", "высок", "advanced", "high")) or text in ("п", "в"):
        return "advanced"
    return None


def _score_matrix(values, n_tasks: int) -> np.ndarray:
    """Rows of task scores (lists or JSON texts) as a float matrix, ``None``/missing → 0."""
    texts = values
    mat = _parse_uniform(texts) if isinstance(texts[0], str) else None
    if mat is None:
        lists = json.loads("[" + ",".join(texts) + "]") if isinstance(texts[0], str) else list(texts)
        try:
            mat = np.array(lists, dtype="float64")
            if mat.ndim != 2:
                raise ValueError
        except (ValueError, TypeError):
            mat = np.zeros((len(lists), n_tasks))
            for i, row in enumerate(lists):  # ragged input only: rare, malformed files
                row = [v for v in (row or [])[:n_tasks]]
                mat[i, : len(row)] = [np.nan if v is None else float(v) for v in row]
    if mat.shape[1] < n_tasks:
        mat = np.hstack([mat, np.zeros((mat.shape[0], n_tasks - mat.shape[1]))])
    return np.nan_to_num(mat[:, :n_tasks], nan=0.0)


_DIGIT0, _DIGIT9, _N = ord("0"), ord("9"), ord("n")


def _parse_uniform(texts) -> np.ndarray | None:
    """Fast path for JSON lists of non-negative integers/nulls of one length: a vectorised byte
    tokenizer (json.loads of a million lists costs seconds). None → use the general JSON path."""
    joined = ",".join(texts)
    if any(ch in joined for ch in ".-eE+") or not joined.isascii():
        return None  # fractions, signs or stray text: the general path
    data = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    digit = (data >= _DIGIT0) & (data <= _DIGIT9)
    token_start = digit.copy()
    token_start[1:] &= ~digit[:-1]
    token_start |= data == _N
    starts = np.flatnonzero(token_start)
    if len(starts) % len(texts):
        return None
    width = len(starts) // len(texts)
    # Every list must hold exactly ``width`` items: count the tokens between consecutive '['.
    opens = np.flatnonzero(data == ord("["))
    if len(opens) != len(texts):
        return None
    per_row = np.diff(np.append(np.searchsorted(starts, opens), len(starts)))
    if (per_row != width).any():
        return None
    first = data[starts]
    values = (first - _DIGIT0).astype("float64")
    values[first == _N] = np.nan
    if (digit[1:] & digit[:-1]).any():
        # Multi-digit numbers (rare: maxima above 9): add the following digits of each run.
        run = np.flatnonzero(first != _N)
        pos = starts[run] + 1
        alive = pos < len(data)
        while alive.any():
            alive[alive] = digit[pos[alive]]
            values[run[alive]] = values[run[alive]] * 10 + (data[pos[alive]] - _DIGIT0)
            pos = pos + 1
            alive &= pos < len(data)
    return values.reshape(len(texts), width)


def task_solve_sums(dataset: Dataset, levels: tuple[str, ...] = LEVELS) -> dict[str, pd.DataFrame]:
    """Long frames per level: procedure_id, org_id, class_letter, ratio_sum (Σ score/max), task_no,
    task_id, task_level, max, n (participants with task scores) and solve_rate (%).

    The per-procedure loop only parses scores into one ratio matrix (padded to the longest task
    list); the grouping is a single pass over all rows, then additive roll-ups as in the engine."""
    res = dataset.results
    if "task_scores" not in res.columns or res.empty:
        return {lv: _empty() for lv in levels}
    specs: dict[int, list[dict]] = {}
    for pid, spec in dataset.procedures["spec"].items():
        tasks = spec.get("tasks") if isinstance(spec, dict) else None
        if tasks and all(isinstance(t, dict) and t.get("max") for t in tasks):
            specs[int(pid)] = tasks
    mask = (res["task_scores"].notna() & res["procedure_id"].isin(list(specs))).to_numpy()
    if not mask.any():
        return {lv: _empty() for lv in levels}
    width = max(len(t) for t in specs.values())
    cols = [f"t{i}" for i in range(width)]
    all_groups, (pids, schools, letters) = dataset.finest_groups()
    n_groups = len(pids)
    sums = np.zeros((width, n_groups))
    texts = res["task_scores"].to_numpy(dtype=object)
    proc_of_row = res["procedure_id"].to_numpy()
    selected = np.flatnonzero(mask)
    codes, _ = pd.factorize(proc_of_row[selected])
    # Few procedures: a stable sort of small integer codes is a radix sort (linear).
    order = selected[np.argsort(codes.astype(np.int16 if len(_) < 30000 else np.int64), kind="stable")]
    bounds = np.flatnonzero(np.diff(proc_of_row[order])) + 1
    for idx in np.split(order, bounds):
        tasks = specs[int(proc_of_row[idx[0]])]
        matrix = _score_matrix(texts[idx], len(tasks)).T
        group = all_groups[idx]
        for i, task in enumerate(tasks):
            sums[i] += np.bincount(group, weights=matrix[i] / float(task["max"]), minlength=n_groups)
    by_class = pd.DataFrame({"procedure_id": pids.astype(np.int64), "org_id": schools.astype(np.int64),
                             "class_letter": letters, "n": np.bincount(all_groups[mask], minlength=n_groups),
                             **dict(zip(cols, sums))})
    by_class = by_class[by_class["n"] > 0]
    grouped = {"class": by_class}
    school = by_class.drop(columns="class_letter").groupby(["procedure_id", "org_id"], sort=False).sum().reset_index()
    school["class_letter"] = None
    grouped["school"] = school
    parents = dataset.school_parents()
    for level, column in (("municipality", "municipality_id"), ("region", "region_id")):
        if level in levels:
            up = school.drop(columns="class_letter")
            up = up.assign(org_id=up["org_id"].map(parents[column]))
            up = up[up["org_id"].notna()]
            grouped[level] = up.groupby(["procedure_id", "org_id"], sort=False).sum().reset_index()
            grouped[level]["class_letter"] = None
    n_tasks = pd.Series({pid: len(t) for pid, t in specs.items()})
    info = pd.DataFrame([(pid, i + 1, str(t.get("id", i + 1)), t.get("level"), float(t["max"]))
                         for pid, tasks in specs.items() for i, t in enumerate(tasks)],
                        columns=["procedure_id", "task_no", "task_id", "task_level", "max"])
    out = {}
    for level in levels:
        g = grouped[level]
        count = len(g)
        n = np.repeat(g["n"].to_numpy(dtype="int64"), width)
        long = pd.DataFrame({
            "procedure_id": np.repeat(g["procedure_id"].to_numpy(dtype="int64"), width),
            "org_id": np.repeat(g["org_id"].to_numpy(dtype="int64"), width),
            "class_letter": np.repeat(g["class_letter"].to_numpy(dtype=object), width),
            "ratio_sum": g[cols].to_numpy(dtype="float64").ravel(),
            "task_no": np.tile(np.arange(1, width + 1), count),
            "n": n,
        })
        long = long[long["task_no"].to_numpy() <= n_tasks.reindex(long["procedure_id"]).to_numpy()]
        long = long.merge(info, on=["procedure_id", "task_no"], how="left")
        long["solve_rate"] = long["ratio_sum"] / long["n"] * 100
        out[level] = long.reset_index(drop=True)
    return out


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["procedure_id", "org_id", "class_letter", "ratio_sum", "task_no", "task_id",
                                 "task_level", "max", "n", "solve_rate"])


def level_gap(school_tasks: pd.DataFrame) -> pd.DataFrame:
    """Per procedure × org: mean solve rate of basic and of advanced tasks (for sign S5)."""
    if school_tasks.empty:
        return pd.DataFrame(columns=["procedure_id", "org_id", "basic", "advanced", "tasks_n"])
    levels = school_tasks["task_level"]
    kinds = levels.map({lv: task_level_kind(lv) for lv in levels.dropna().unique()})
    frame = school_tasks.assign(kind=kinds)[kinds.notna()]
    table = frame.pivot_table(index=["procedure_id", "org_id"], columns="kind", values="solve_rate", aggfunc="mean")
    n = frame.groupby(["procedure_id", "org_id"])["n"].max()
    table = table.reindex(columns=["basic", "advanced"])
    table["tasks_n"] = n
    return table.reset_index()
