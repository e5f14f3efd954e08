"""Hand-built engine inputs for the indicator tests (no database, every number visible)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ersoko_desktop.domain.indicators.dataset import Dataset

SPEC = {"tasks": [{"id": "1", "max": 1, "level": "базовый"}, {"id": "2", "max": 1, "level": "базовый"},
                  {"id": "3", "max": 2, "level": "повышенный"}],
        "max_score": 20, "thresholds": {"3": 6, "4": 11, "5": 16}}

# Region 1 → municipalities 2, 3 → schools 10, 11, 12 (in 2) and 13 (in 3).
ORGS = pd.DataFrame(
    [(1, "R", "Регион", "region", np.nan), (2, "M1", "Район 1", "municipality", 1.0),
     (3, "M2", "Район 2", "municipality", 1.0), (10, "A", "Школа А", "school", 2.0),
     (11, "B", "Школа Б", "school", 2.0), (12, "C", "Школа В", "school", 2.0), (13, "D", "Школа Г", "school", 3.0)],
    columns=["id", "code", "name", "kind", "parent_id"]).set_index("id")


class Builder:
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.procs: dict[int, dict] = {}

    def procedure(self, pid: int, *, year: int = 2025, grade: int = 5, subject: str = "Математика",
                  spec: dict | None = SPEC) -> int:
        self.procs[pid] = {"id": pid, "kind": "VPR", "subject": subject, "grade": grade, "year": year, "spec": spec}
        return pid

    def add(self, pid: int, school: int, *, mark=None, journal=None, score=None, letter: str | None = "5А",
            tasks: list | None = None, count: int = 1) -> "Builder":
        for _ in range(count):
            self.rows.append({"procedure_id": pid, "school_id": school, "class_letter": letter,
                              "primary_score": np.nan if score is None else float(score),
                              "mark": np.nan if mark is None else float(mark),
                              "journal_mark": np.nan if journal is None else float(journal),
                              "task_scores": tasks})
        return self

    def marks(self, pid: int, school: int, marks: dict[int, int], **kw) -> "Builder":
        """``{mark: how many}``; scores follow SPEC thresholds (2→3, 3→8, 4→13, 5→18 points)."""
        score_of = {2: 3, 3: 8, 4: 13, 5: 18}
        for mark, count in marks.items():
            self.add(pid, school, mark=mark, score=score_of[mark], count=count, **kw)
        return self

    def dataset(self) -> Dataset:
        results = pd.DataFrame(self.rows, columns=["procedure_id", "school_id", "class_letter", "primary_score",
                                                   "mark", "journal_mark", "task_scores"])
        procs = pd.DataFrame(list(self.procs.values()), columns=["id", "kind", "subject", "grade", "year", "spec"])
        return Dataset(results=results, procedures=procs.set_index("id"), orgs=ORGS.copy())
