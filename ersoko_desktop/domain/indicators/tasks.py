"""Per-task solve rates: mean(score_i / max_i) · 100 per group, maxima from the procedure spec.

The points per task are summed per class once (:mod:`.stats`); here they are divided by the
spec's maxima and rolled up — no loop over schools or rows. A ``None`` inside a participant's
task list is a task not done (0 points); a participant without any task scores is left out.
Procedures whose spec has no task maxima get no solve rates (we never guess a maximum).
"""

from __future__ import annotations

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


def task_solve_sums(dataset: Dataset, levels: tuple[str, ...] = LEVELS) -> dict[str, pd.DataFrame]:
    """Long frames per level: procedure_id, org_id, class_letter, ratio_sum (Σ score/max), task_no,
    task_id, task_level, max, n (participants with task scores) and solve_rate (%).

    The task sums per class come from the statistics (:mod:`.stats`); the spec's maxima turn
    them into Σ score/max, then additive roll-ups as in the engine."""
    stats = dataset.result_stats()
    if not len(stats.classes) or not stats.tasks.shape[1]:
        return {lv: _empty() for lv in levels}
    specs: dict[int, list[dict]] = {}
    for pid, spec in dataset.procedures["spec"].items():
        tasks = spec.get("tasks") if isinstance(spec, dict) else None
        if tasks and all(isinstance(t, dict) and t.get("max") for t in tasks):
            specs[int(pid)] = tasks
    classes = stats.classes
    keep = (classes["procedure_id"].isin(list(specs)) & (classes["task_n"] > 0)).to_numpy()
    if not keep.any():
        return {lv: _empty() for lv in levels}
    width = max(len(t) for t in specs.values())
    cols = [f"t{i}" for i in range(width)]
    # 1 / max of task i of each class's procedure (0 past the end of its task list).
    inv_max = np.zeros((len(specs), width))
    row_of = {}
    for k, (pid, tasks) in enumerate(specs.items()):
        row_of[pid] = k
        inv_max[k, : len(tasks)] = [1.0 / float(t["max"]) for t in tasks]
    sel = classes[keep]
    sums = stats.tasks[keep]
    if sums.shape[1] < width:
        sums = np.hstack([sums, np.zeros((sums.shape[0], width - sums.shape[1]))])
    ratios = sums[:, :width] * inv_max[sel["procedure_id"].map(row_of).to_numpy()]
    by_class = pd.DataFrame({"procedure_id": sel["procedure_id"].to_numpy(dtype=np.int64),
                             "org_id": sel["org_id"].to_numpy(dtype=np.int64),
                             "class_letter": sel["class_letter"].to_numpy(dtype=object),
                             "n": sel["task_n"].to_numpy(dtype=np.int64), **dict(zip(cols, ratios.T))})
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
