"""Procedure specs: task max scores, levels and the primary-score → mark scale.

A spec is stored as ``procedure.spec`` JSON (docs/DEVELOPING.md)::

    {"tasks": [{"id": "1", "max": 1, "level": "базовый"}, ...], "max_score": 20,
     "thresholds": {"3": 5, "4": 10, "5": 15}, "source": "..."}

``thresholds`` are the lowest primary score of each mark. The YAML files in
``forms/procedures/`` carry the same keys plus what they apply to (``procedure``, ``subject``,
``grade``, ``years``). The indicators read ``procedure.spec``; keep its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from ..errors import InputError
from .headers import task_id
from .procedure_attrs import canonical_kind, canonical_subject

LEVELS = ("базовый", "повышенный", "высокий")


@dataclass(frozen=True)
class Spec:
    tasks: tuple[tuple[str, float, str | None], ...]  # (canonical id, max, level)
    thresholds: dict[int, float]  # mark → lowest primary score
    max_score: float
    source: str = ""

    @property
    def task_ids(self) -> list[str]:
        return [t[0] for t in self.tasks]

    @property
    def maxima(self) -> list[float]:
        return [t[1] for t in self.tasks]

    def as_json(self) -> dict[str, Any]:
        """The ``procedure.spec`` JSON (task ids in canonical form, e.g. «3.1»)."""
        data: dict[str, Any] = {
            "tasks": [{"id": i, "max": _num(m), **({"level": lv} if lv else {})} for i, m, lv in self.tasks],
            "max_score": _num(self.max_score),
            "thresholds": {str(k): _num(v) for k, v in sorted(self.thresholds.items())},
        }
        if self.source:
            data["source"] = self.source
        return data

    def marks_for(self, primary: np.ndarray) -> np.ndarray:
        """Marks (2..5) for primary scores; NaN where the score is NaN."""
        marks = np.full(primary.shape, 2.0)
        for mark in sorted(self.thresholds):
            marks[primary >= self.thresholds[mark]] = mark
        marks[np.isnan(primary)] = np.nan
        return marks


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def parse_spec(data: dict[str, Any], where: str) -> Spec:
    """Validate a spec dict (from YAML or ``procedure.spec``); errors name the file/field."""
    if not isinstance(data, dict):
        raise InputError(f"Спецификация {where}: ожидался словарь с ключами tasks, thresholds.")
    tasks_raw = data.get("tasks")
    if not isinstance(tasks_raw, list) or not tasks_raw:
        raise InputError(f"Спецификация {where}: нет списка заданий «tasks».")
    tasks = []
    seen: set[str] = set()
    for n, t in enumerate(tasks_raw, start=1):
        if not isinstance(t, dict) or "id" not in t or "max" not in t:
            raise InputError(f"Спецификация {where}: задание №{n} должно иметь «id» и «max».")
        tid = task_id(t["id"])
        if tid is None:
            raise InputError(f"Спецификация {where}: номер задания «{t['id']}» не распознан (ожидалось «1», «3.1», «1К2»).")
        if tid in seen:
            raise InputError(f"Спецификация {where}: задание «{t['id']}» указано дважды.")
        seen.add(tid)
        try:
            maximum = float(t["max"])
        except (TypeError, ValueError):
            raise InputError(f"Спецификация {where}: у задания «{t['id']}» максимальный балл «{t['max']}» не число.") from None
        if maximum <= 0:
            raise InputError(f"Спецификация {where}: у задания «{t['id']}» максимальный балл должен быть больше 0.")
        level = t.get("level")
        if level is not None and level not in LEVELS:
            raise InputError(f"Спецификация {where}: уровень «{level}» задания «{t['id']}» не из списка: {', '.join(LEVELS)}.")
        tasks.append((tid, maximum, level))
    total = sum(m for _, m, _ in tasks)
    max_score = float(data.get("max_score", total))
    if abs(max_score - total) > 1e-9:
        raise InputError(f"Спецификация {where}: max_score = {_num(max_score)}, а сумма максимальных баллов заданий = {_num(total)}.")
    th_raw = data.get("thresholds") or {}
    try:
        thresholds = {int(k): float(v) for k, v in th_raw.items()}
    except (TypeError, ValueError, AttributeError):
        raise InputError(f"Спецификация {where}: «thresholds» должны быть вида {{\"3\": 5, \"4\": 10, \"5\": 15}}.") from None
    if sorted(thresholds) != [3, 4, 5]:
        raise InputError(f"Спецификация {where}: в «thresholds» нужны пороги отметок 3, 4 и 5.")
    if not (0 < thresholds[3] < thresholds[4] < thresholds[5] <= max_score):
        raise InputError(f"Спецификация {where}: пороги должны возрастать и не превышать максимальный балл {_num(max_score)}.")
    return Spec(tuple(tasks), thresholds, max_score, str(data.get("source", "")))


@dataclass(frozen=True)
class SpecFile:
    """A YAML spec from forms/procedures and what it applies to."""

    name: str
    kind: str
    subject: str
    grade: int
    years: tuple[int, ...]
    spec: Spec

    def applies(self, kind: str, subject: str, grade: int, year: int) -> bool:
        return (self.kind, self.subject, self.grade) == (kind, subject, grade) and year in self.years


def parse_spec_file(name: str, data: dict[str, Any]) -> SpecFile:
    where = f"«{name}»"
    if not isinstance(data, dict):
        raise InputError(f"Спецификация {where}: ожидался словарь YAML.")
    kind = canonical_kind(data.get("procedure"))
    if kind is None:
        raise InputError(f"Спецификация {where}: неизвестная процедура «{data.get('procedure')}» (ожидалось VPR, OGE, EGE, RDR, SCHOOL).")
    subject = canonical_subject(data.get("subject"))
    if not subject:
        raise InputError(f"Спецификация {where}: не указан предмет «subject».")
    try:
        grade = int(data.get("grade"))
        years_raw = data.get("years", [data.get("year")] if data.get("year") else [])
        years = tuple(int(y) for y in years_raw)
    except (TypeError, ValueError):
        raise InputError(f"Спецификация {where}: «grade» и «years» должны быть числами.") from None
    if not years:
        raise InputError(f"Спецификация {where}: не указаны годы «years».")
    return SpecFile(name, kind, subject, grade, years, parse_spec(data, where))


def find_spec(files: Iterable[SpecFile], kind: str, subject: str, grade: int, year: int) -> SpecFile | None:
    for f in files:
        if f.applies(kind, subject, grade, year):
            return f
    return None


def misfit(spec: Spec, file_task_ids: list[str], file_maxima: dict[str, float] | None) -> str | None:
    """Why the spec does not fit the file's task columns (None when it fits)."""
    if not file_task_ids:
        return None
    if len(file_task_ids) != len(spec.tasks):
        return f"в файле {len(file_task_ids)} заданий, в спецификации {len(spec.tasks)}"
    missing = [t for t in spec.task_ids if t not in file_task_ids]
    if missing:
        extra = [t for t in file_task_ids if t not in spec.task_ids]
        return f"номера заданий различаются (в спецификации {', '.join(missing[:5])}; в файле {', '.join(extra[:5])})"
    if file_maxima:
        for tid, maximum, _ in spec.tasks:
            if tid in file_maxima and abs(file_maxima[tid] - maximum) > 1e-9:
                return (f"максимальный балл задания {tid}: в файле {_num(file_maxima[tid])}, "
                        f"в спецификации {_num(maximum)}")
    return None
