"""Result statistics: the rows reduced by hand-checked numbers, and the cache's byte layout round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ersoko_desktop.domain.indicators.stats import block_payloads, compute_stats, stats_from_blocks

from .indicator_builders import Builder


def _frame() -> pd.DataFrame:
    b = Builder()
    b.procedure(1)
    b.procedure(2, subject="Русский язык")
    b.add(1, 10, mark=5, journal=4, score=18, tasks=[1, 1, 2])            # raised
    b.add(1, 10, mark=3, journal=4, score=8, tasks=[1, None, 0])          # lowered, a task not done
    b.add(1, 10, mark=4, journal=4, score=13, tasks="[0,1,2]", letter="5Б")  # JSON text, as the database gives
    b.add(1, 11, mark=None, score=None)                                   # absent: no mark, no tasks
    b.add(2, 11, mark=2, journal=None, score=3, tasks=[0, 0.5], letter=None)
    return b.dataset().results


def test_statistics_by_hand():
    stats = compute_stats(_frame())
    c = stats.classes.set_index(["procedure_id", "org_id", "class_letter"], drop=False)
    a = c.loc[(1, 10, "5А")]
    # «5» and «3»: N 2, one lowered (3 < 4), one raised (5 > 4), Σ score 26; tasks 1+1, 1+0, 2+0
    assert (a["N"], a["n5"], a["n3"], a["n_lowered"], a["n_raised"], a["n_confirmed"], a["score_sum"]) == \
        (2, 1, 1, 1, 1, 0, 26.0)
    assert a["task_n"] == 2
    row = int(np.flatnonzero((stats.classes["procedure_id"] == 1) & (stats.classes["class_letter"] == "5А"))[0])
    assert stats.tasks[row, :3].tolist() == [2.0, 1.0, 2.0]
    absent = c.loc[(1, 11, "5А")]
    assert (absent["N"], absent["score_n"], absent["task_n"]) == (0, 0, 0)
    other = c.loc[(2, 11, None)]
    assert (other["n2"], other["n_both"], other["task_n"]) == (1, 0, 1)
    hist = stats.scores.assign(pid=stats.classes["procedure_id"].to_numpy()[stats.scores["row"]])
    assert sorted(hist[hist["pid"] == 1]["score"].tolist()) == [8.0, 13.0, 18.0]


def test_block_bytes_round_trip():
    stats = compute_stats(_frame())
    payloads = block_payloads(stats)
    assert set(payloads) == {(1, 10), (1, 11), (2, 11)}
    back = stats_from_blocks([(p, s, letters, data) for (p, s), (letters, data) in sorted(payloads.items())])
    key = ["procedure_id", "org_id", "class_letter"]

    def table(st):
        frame = st.classes.copy()
        frame["class_letter"] = frame["class_letter"].fillna("-")
        tasks = pd.DataFrame(st.tasks[:, :3], columns=["t0", "t1", "t2"])
        hist = st.scores.assign(k=frame.loc[st.scores["row"], key].astype(str).agg("/".join, axis=1).to_numpy())
        return (pd.concat([frame, tasks], axis=1).sort_values(key).reset_index(drop=True),
                sorted(hist[["k", "mark", "score", "count"]].astype(str).itertuples(index=False, name=None)))

    original, original_hist = table(stats)
    decoded, decoded_hist = table(back)
    pd.testing.assert_frame_equal(original, decoded, check_dtype=False)
    assert original_hist == decoded_hist
