"""Sufficient statistics of results: everything the engine needs, per school × procedure × class.

Every indicator, solve rate and sign of GUIDE §4 is a function of additive group sums (counts of
marks, Σ primary scores, journal comparisons, Σ points per task) and of the primary-score
distribution (boundary bands of S4, thresholds taken from the data). So the results of one
school × procedure are reduced once to a few small arrays — the *block* the database caches in
``result_stats`` — and the engine works on blocks, never on a million rows twice.

The statistics do not depend on the procedure spec: task sums are raw points per task position
(the spec's maxima and levels are applied when rates are computed), the score histogram keeps
every (mark, score) pair (thresholds from the spec or the data are applied later). A changed spec
therefore never makes a cached block wrong; only changed results do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dataset import MARKS, group_ids

BASE_COLUMNS = (
    ["N"] + [f"n{k}" for k in MARKS]
    + ["score_n", "score_sum", "n_both", "n_lowered", "n_confirmed", "n_raised", "task_n"]
)
KEY_COLUMNS = ["procedure_id", "org_id", "class_letter"]


@dataclass
class ResultStats:
    """``classes``: one row per school × procedure × class (``KEY_COLUMNS`` + ``BASE_COLUMNS``; ``org_id``
    is the school). ``tasks``: float matrix (len(classes) × widest task list), Σ points of task i
    over the class's participants with task scores (a task not done counts 0). ``scores``: the
    primary-score histogram — ``row`` (position in ``classes``), ``mark`` (NaN: no mark),
    ``score``, ``count``."""

    classes: pd.DataFrame
    tasks: np.ndarray
    scores: pd.DataFrame

    @staticmethod
    def empty() -> "ResultStats":
        classes = pd.DataFrame({c: pd.Series(dtype="int64") for c in ("procedure_id", "org_id")})
        classes["class_letter"] = pd.Series(dtype=object)
        for c in BASE_COLUMNS:
            classes[c] = pd.Series(dtype="float64" if c == "score_sum" else "int64")
        return ResultStats(classes, np.zeros((0, 0)), _empty_scores())

    def select(self, keep: np.ndarray) -> "ResultStats":
        """The classes where ``keep`` (bool per class row) holds, histogram renumbered."""
        keep = np.asarray(keep, dtype=bool)
        new_pos = np.cumsum(keep) - 1
        scores = self.scores[keep[self.scores["row"].to_numpy()]] if len(self.scores) else self.scores
        scores = scores.assign(row=new_pos[scores["row"].to_numpy()]) if len(scores) else scores
        return ResultStats(self.classes[keep].reset_index(drop=True), self.tasks[keep], scores.reset_index(drop=True))

    def for_procedures(self, procedure_ids) -> "ResultStats":
        return self.select(self.classes["procedure_id"].isin(list(procedure_ids)).to_numpy())

    @staticmethod
    def concat(parts: list["ResultStats"]) -> "ResultStats":
        parts = [p for p in parts if len(p.classes)]
        if not parts:
            return ResultStats.empty()
        if len(parts) == 1:
            return parts[0]
        width = max(p.tasks.shape[1] for p in parts)
        offsets = np.cumsum([0] + [len(p.classes) for p in parts[:-1]])
        classes = pd.concat([p.classes for p in parts], ignore_index=True)
        tasks = np.vstack([_pad(p.tasks, width) for p in parts])
        scores = pd.concat([p.scores.assign(row=p.scores["row"].to_numpy() + off) for p, off in zip(parts, offsets)],
                           ignore_index=True)
        return ResultStats(classes, tasks, scores)


def _empty_scores() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype="int64"), "mark": pd.Series(dtype="float64"),
                         "score": pd.Series(dtype="float64"), "count": pd.Series(dtype="int64")})


def _pad(matrix: np.ndarray, width: int) -> np.ndarray:
    if matrix.shape[1] >= width:
        return matrix
    return np.hstack([matrix, np.zeros((matrix.shape[0], width - matrix.shape[1]))])


def compute_stats(results: pd.DataFrame) -> ResultStats:
    """Reduce result rows (columns of :class:`~.dataset.Dataset` ``results``) to statistics, vectorised."""
    if results is None or results.empty:
        return ResultStats.empty()
    group, (pids, schools, letters) = group_ids(results["procedure_id"].to_numpy(), results["school_id"].to_numpy(),
                                                results["class_letter"].to_numpy(dtype=object))
    n_groups = len(pids)
    mark = results["mark"].to_numpy(dtype="float64", na_value=np.nan)
    journal = results["journal_mark"].to_numpy(dtype="float64", na_value=np.nan)
    score = results["primary_score"].to_numpy(dtype="float64", na_value=np.nan)
    has_mark, has_score = ~np.isnan(mark), ~np.isnan(score)
    both = has_mark & ~np.isnan(journal)
    tasks, has_tasks = task_matrix(results)
    flags = {"N": has_mark, **{f"n{k}": mark == k for k in MARKS}, "score_n": has_score,
             "n_both": both, "n_lowered": both & (mark < journal), "n_confirmed": both & (mark == journal),
             "n_raised": both & (mark > journal), "task_n": has_tasks}
    classes = {"procedure_id": pids.astype(np.int64), "org_id": schools.astype(np.int64), "class_letter": letters}
    for name in BASE_COLUMNS:
        if name == "score_sum":
            classes[name] = np.bincount(group, weights=np.where(has_score, score, 0.0), minlength=n_groups)
        else:
            classes[name] = np.bincount(group, weights=flags[name], minlength=n_groups).astype(np.int64)
    task_sums = np.zeros((n_groups, tasks.shape[1]))
    for i in range(tasks.shape[1]):
        task_sums[:, i] = np.bincount(group, weights=tasks[:, i], minlength=n_groups)
    hist = pd.DataFrame({"row": group[has_score], "mark": mark[has_score], "score": score[has_score]})
    hist = hist.groupby(["row", "mark", "score"], dropna=False, sort=False).size().reset_index(name="count")
    hist["count"] = hist["count"].astype(np.int64)
    return ResultStats(pd.DataFrame(classes), task_sums, hist)


def task_matrix(results: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Task points as a float matrix (rows × widest list; not done / absent → 0) and, per row,
    whether the participant has task scores at all. ``task_scores`` holds lists or JSON texts.
    Parsed per procedure: inside one, the lists usually have one length (the fast path)."""
    n = len(results)
    if "task_scores" not in results.columns:
        return np.zeros((n, 0)), np.zeros(n, dtype=bool)
    values = results["task_scores"].to_numpy(dtype=object)
    series = pd.Series(values)
    texts = series.map(type).eq(str).to_numpy()
    present = series.notna().to_numpy() & ~(texts & series.isin(["null", "", "[]"]).to_numpy())
    lists = ~texts & present
    if lists.any():
        present[lists] = [len(v) > 0 for v in values[lists]]
    rows = np.flatnonzero(present)
    if not len(rows):
        return np.zeros((n, 0)), present
    codes, _ = pd.factorize(results["procedure_id"].to_numpy()[rows])
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    parts = [(rows[idx], _parse_rows(values[rows[idx]])) for idx in np.split(order, bounds)]
    out = np.zeros((n, max(m.shape[1] for _, m in parts)))
    for idx, matrix in parts:
        out[idx, : matrix.shape[1]] = matrix
    return out, present


def _parse_rows(picked: np.ndarray) -> np.ndarray:
    """One procedure's task lists (JSON texts or lists) as a float matrix, NaN/None → 0."""
    matrix = _parse_uniform(picked) if isinstance(picked[0], str) else None
    if matrix is None:
        lists = [json.loads(v) if isinstance(v, str) else v for v in picked]
        width = max(len(v) for v in lists)
        try:
            matrix = np.array(lists, dtype="float64")
            if matrix.ndim != 2:
                raise ValueError
        except (ValueError, TypeError):
            matrix = np.zeros((len(lists), width))
            for i, row in enumerate(lists):  # ragged or mixed lists: rare, hand-made files
                matrix[i, : len(row)] = [np.nan if v is None else float(v) for v in row]
    return np.nan_to_num(matrix, nan=0.0)


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


# --- one block ⇄ bytes (the ``result_stats`` cache) -------------------------------------------------

def block_payloads(stats: ResultStats) -> dict[tuple[int, int], tuple[str, bytes]]:
    """Every school × procedure of ``stats`` as (class letters JSON, float64 bytes). The bytes: a
    header (classes n, task width w, histogram rows q), n rows of ``BASE_COLUMNS`` + w task sums,
    q histogram rows (class position in the block, mark, score, count) — fixed layouts, built and
    decoded (:func:`stats_from_blocks`) with vectorised gathers, no Python work per class."""
    classes = stats.classes
    if not len(classes):
        return {}
    pid, sid = classes["procedure_id"].to_numpy(dtype=np.int64), classes["org_id"].to_numpy(dtype=np.int64)
    block, firsts = pd.factorize(pid * (1 << 32) + sid)
    order = np.argsort(block, kind="stable")          # classes grouped by block
    n = np.bincount(block, minlength=len(firsts))
    position = np.empty(len(order), dtype=np.int64)   # class position inside its block
    position[order] = np.arange(len(order)) - np.repeat(np.cumsum(n) - n, n)
    width = stats.tasks.shape[1]
    k = len(BASE_COLUMNS) + width
    rows = np.hstack([classes[BASE_COLUMNS].to_numpy(dtype="float64"), stats.tasks])[order]
    hist = stats.scores
    h_rows = hist["row"].to_numpy(dtype=np.int64)
    h_block = block[h_rows]
    h_order = np.argsort(h_block, kind="stable")
    q = np.bincount(h_block, minlength=len(firsts))
    quads = np.column_stack([position[h_rows], hist["mark"].to_numpy(dtype="float64"),
                             hist["score"].to_numpy(dtype="float64"),
                             hist["count"].to_numpy(dtype="float64")])[h_order]
    sizes = 3 + n * k + 4 * q
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.zeros(int(sizes.sum()))
    flat[starts], flat[starts + 1], flat[starts + 2] = n, width, q
    owner = block[order]
    row_first = starts[owner] + 3 + position[order] * k
    flat[row_first[:, None] + np.arange(k)[None, :]] = rows
    q_owner = h_block[h_order]
    q_local = np.arange(len(q_owner)) - np.repeat(np.cumsum(q) - q, q)
    q_first = starts[q_owner] + 3 + n[q_owner] * k + q_local * 4
    flat[q_first[:, None] + np.arange(4)[None, :]] = quads
    data = flat.astype("<f8").tobytes()
    letters = classes["class_letter"].to_numpy(dtype=object)[order]
    quoted = {v: json.dumps(None if v is None or v != v else str(v), ensure_ascii=False)
              for v in pd.unique(letters)}  # a handful of class letters
    texts = [quoted[v] for v in letters]
    ends = np.cumsum(n).tolist()
    out = {}
    begin = 0
    for b, end in enumerate(ends):
        key = int(firsts[b])
        out[(key >> 32, key & 0xFFFFFFFF)] = ("[" + ",".join(texts[begin:end]) + "]",
                                             data[starts[b] * 8: (starts[b] + sizes[b]) * 8])
        begin = end
    return out


def stats_from_blocks(blocks: list[tuple[int, int, str, bytes]]) -> ResultStats:
    """Rebuild statistics from cached blocks ``(procedure_id, school_id, letters, data)`` — one
    buffer, vectorised gathers per task width (no Python work per class or per histogram row)."""
    if not blocks:
        return ResultStats.empty()
    base_n = len(BASE_COLUMNS)
    datas = [b[3] for b in blocks]
    buf = np.frombuffer(b"".join(datas), dtype="<f8")
    sizes = np.fromiter((len(d) // 8 for d in datas), dtype=np.int64, count=len(datas))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    n = buf[starts].astype(np.int64)
    w = buf[starts + 1].astype(np.int64)
    q = buf[starts + 2].astype(np.int64)
    class_start = np.concatenate([[0], np.cumsum(n)[:-1]])
    total = int(n.sum())
    width = int(w.max()) if len(w) else 0
    base = np.zeros((total, base_n))
    tasks = np.zeros((total, width))
    for wv in np.unique(w):
        sel = np.flatnonzero(w == wv)
        k = base_n + int(wv)
        counts = n[sel]
        if not counts.sum():
            continue
        owner = np.repeat(sel, counts)
        local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        first = starts[owner] + 3 + local * k
        rows = buf[first[:, None] + np.arange(k)[None, :]]
        target = class_start[owner] + local
        base[target] = rows[:, :base_n]
        tasks[target, : int(wv)] = rows[:, base_n:]
    owner = np.repeat(np.arange(len(blocks)), q)
    local = np.arange(int(q.sum())) - np.repeat(np.cumsum(q) - q, q)
    first = starts[owner] + 3 + n[owner] * (base_n + w[owner]) + local * 4
    quads = buf[first[:, None] + np.arange(4)[None, :]] if len(first) else np.zeros((0, 4))
    letters = json.loads("[" + ",".join(b[2] for b in blocks) + "]")
    classes = {"procedure_id": np.repeat(np.fromiter((b[0] for b in blocks), dtype=np.int64, count=len(blocks)), n),
               "org_id": np.repeat(np.fromiter((b[1] for b in blocks), dtype=np.int64, count=len(blocks)), n),
               "class_letter": np.array([v for part in letters for v in part] + [None], dtype=object)[:-1]}
    for i, name in enumerate(BASE_COLUMNS):
        classes[name] = base[:, i] if name == "score_sum" else base[:, i].astype(np.int64)
    scores = pd.DataFrame({"row": quads[:, 0].astype(np.int64) + class_start[owner], "mark": quads[:, 1],
                           "score": quads[:, 2], "count": quads[:, 3].astype(np.int64)})
    return ResultStats(pd.DataFrame(classes), tasks, scores)
