"""From the rows of a results sheet to checked-ready column arrays (pandas/numpy, no database).

Finds the header (row 1..15, an optional second row of task numbers under «Баллы за задания», an
optional row of task maxima), then turns chunks of rows into columns: numbers with NaN for «not
done», text cells cleaned once per distinct value, rows skipped when blank or «Не участвовал».
Problems are collected in a :class:`DiagnosticSink` with the row number the user sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from ..errors import Diagnostic
from .headers import FIELD_TITLES, Column, classify, clean, is_maxima_label, is_task_group_label

HEADER_SEARCH_ROWS = 15
DIAGNOSTICS_PER_KIND = 100
NOT_DONE = frozenset({"", "-", "–", "—", "x", "х", "н/в", "нв", "н"})
_NOT_PARTICIPATED = re.compile(r"^(?:не\s*участв|неявк|отсутств|не\s*писал|не\s*явил|освобожд)")


class DiagnosticSink:
    """Located problems, at most DIAGNOSTICS_PER_KIND listed per kind (a million bad rows stay readable)."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Diagnostic] = []
        self._counts: dict[str, int] = {}
        self._columns: dict[str, str | None] = {}

    def add(self, kind: str, message: str, row: int | None = None, column: str | None = None) -> None:
        n = self._counts.get(kind, 0)
        self._counts[kind] = n + 1
        self._columns.setdefault(kind, column)
        if n < DIAGNOSTICS_PER_KIND:
            self.items.append(Diagnostic(message, row, column, self.file))

    def add_rows(self, kind: str, rows: np.ndarray, column: str | None, message_for) -> None:
        """One diagnostic per row index in ``rows`` (message_for(i) builds the text), capped."""
        total = len(rows)
        if not total:
            return
        listed = max(0, DIAGNOSTICS_PER_KIND - self._counts.get(kind, 0))
        for i in rows[:listed]:
            self.items.append(Diagnostic(*message_for(int(i)), column=column, file=self.file))
        self._counts[kind] = self._counts.get(kind, 0) + total
        self._columns.setdefault(kind, column)

    def finish(self) -> list[Diagnostic]:
        out = list(self.items)
        for kind, n in self._counts.items():
            if n > DIAGNOSTICS_PER_KIND:
                out.append(Diagnostic(f"… и ещё {n - DIAGNOSTICS_PER_KIND} строк с такой же проблемой ({kind})",
                                      None, self._columns.get(kind), self.file))
        return out


@dataclass
class Layout:
    sheet_index: int
    sheet_name: str
    header_row: int  # 0-based index in the sheet's rows
    data_start: int  # 0-based index of the first data row
    columns: list[Column]
    title_rows: list[list[Any]]
    maxima: dict[str, float] | None = None
    maxima_row: int | None = None

    def first(self, field_name: str) -> Column | None:
        return next((c for c in self.columns if c.field == field_name), None)

    @property
    def tasks(self) -> list[Column]:
        return [c for c in self.columns if c.field == "task"]


def _row_fields(row: list[Any]) -> list[Column]:
    return [classify(j, cell) for j, cell in enumerate(row) if clean(cell)]


def _is_header(cols: list[Column]) -> bool:
    fields = {c.field for c in cols}
    return "participant_code" in fields and bool(fields & {"task", "primary_score", "mark"})


def find_layout(head: list[list[Any]], sheet_index: int, sheet_name: str) -> Layout | None:
    for i, row in enumerate(head[:HEADER_SEARCH_ROWS]):
        cols = _row_fields(row)
        if not _is_header(cols):
            continue
        # A second header row with task numbers under a merged «Баллы за задания».
        start = i + 1
        if start < len(head):
            sub = head[start]
            by_index = {c.index: c for c in cols}
            code_col = next(c.index for c in cols if c.field == "participant_code")
            extra = [classify(j, cell) for j, cell in enumerate(sub) if clean(cell)
                     and (j not in by_index or is_task_group_label(by_index[j].header) or by_index[j].field == "unknown")]
            extra_tasks = [c for c in extra if c.field == "task"]
            if (code_col >= len(sub) or not clean(sub[code_col])) and len(extra_tasks) >= 2:
                keep = [c for c in cols if c.index not in {t.index for t in extra_tasks}
                        and not is_task_group_label(c.header)]
                cols = sorted(keep + extra_tasks, key=lambda c: c.index)
                start += 1
        layout = Layout(sheet_index, sheet_name, i, start, cols, head[:i])
        # A row of task maxima right under the header («Максимальный балл»).
        if start < len(head) and any(is_maxima_label(c) for c in head[start]):
            maxima_row = head[start]
            maxima = {}
            for t in layout.tasks:
                value = maxima_row[t.index] if t.index < len(maxima_row) else None
                try:
                    maxima[t.task_id] = float(str(value).replace(",", "."))
                except (TypeError, ValueError):
                    pass
            layout.maxima = maxima or None
            layout.maxima_row = start
            layout.data_start = start + 1
        return layout
    return None


def duplicate_columns(layout: Layout, file: str) -> list[Diagnostic]:
    errors = []
    seen: dict[tuple[str, str | None], Column] = {}
    for c in layout.columns:
        if c.field in ("unknown", "name"):
            continue
        key = (c.field, c.task_id)
        if key in seen:
            what = f"задание {c.task_id}" if c.field == "task" else f"«{FIELD_TITLES[c.field]}»"
            errors.append(Diagnostic(f"два столбца для {what}: «{seen[key].header}» и «{c.header}»",
                                     layout.header_row + 1, c.header, file))
        else:
            seen[key] = c
    return errors


# --------------------------------------------------------------------------------------------
# Chunk parsing: rows → column arrays.


@dataclass
class ParsedColumns:
    """Parsed data rows of the whole file (only rows with results; skipped rows are counted)."""

    rownum: list[np.ndarray] = field(default_factory=list)
    school: list[np.ndarray] = field(default_factory=list)
    code: list[np.ndarray] = field(default_factory=list)
    klass: list[np.ndarray] = field(default_factory=list)
    variant: list[np.ndarray] = field(default_factory=list)
    gender: list[np.ndarray] = field(default_factory=list)
    scores: list[np.ndarray] = field(default_factory=list)
    primary: list[np.ndarray] = field(default_factory=list)
    mark: list[np.ndarray] = field(default_factory=list)
    journal: list[np.ndarray] = field(default_factory=list)
    skipped: int = 0
    empty_results: int = 0


def text_column(values: np.ndarray) -> np.ndarray:
    """Cells as text (whole floats without «.0»); the conversion runs once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([clean(u) for u in uniques] + [""], dtype=object)
    return mapped[codes]  # code -1 picks the trailing ""


def numeric_cells(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(floats with NaN for blank/«-»/«х», mask of cells that are not numbers, mask of «не участвовал»)."""
    num = np.array(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), dtype=float)
    bad = np.zeros(len(values), dtype=bool)
    absent = np.zeros(len(values), dtype=bool)
    nan_idx = np.flatnonzero(np.isnan(num))
    if len(nan_idx):
        rest = values[nan_idx]
        filled = nan_idx[(rest != "") & pd.notna(rest)]
        for i in filled:
            text = clean(values[i]).lower()
            if text in NOT_DONE:
                continue
            try:
                value = float(text.replace(",", ".").replace(" ", ""))
            except ValueError:
                value = None
            if value is not None:
                num[i] = value
            elif _NOT_PARTICIPATED.match(text):
                absent[i] = True
            else:
                bad[i] = True
    return num, bad, absent


def parse_chunk(rows: list[list[Any]], first_rownum: int, layout: Layout, out: ParsedColumns,
                 diags: DiagnosticSink) -> None:
    width = max(c.index for c in layout.columns) + 1
    frame = pd.DataFrame(rows, dtype=object)
    if frame.shape[1] < width:
        for j in range(frame.shape[1], width):
            frame[j] = ""
    n = len(frame)
    rownum = np.arange(first_rownum, first_rownum + n)
    data = frame.to_numpy(dtype=object, copy=True)
    data[pd.isna(data)] = ""

    blank = (data == "").all(axis=1)
    absent = np.zeros(n, dtype=bool)
    for c in layout.columns:
        if c.field == "unknown":
            texts = text_column(data[:, c.index])
            low = pd.Series(texts).str.lower()
            absent |= low.str.match(_NOT_PARTICIPATED.pattern).to_numpy(dtype=bool)

    def numeric(col: Column | None) -> tuple[np.ndarray, np.ndarray]:
        if col is None:
            return np.full(n, np.nan), np.zeros(n, dtype=bool)
        num, bad, abs_ = numeric_cells(data[:, col.index])
        absent[:] |= abs_
        return num, bad

    tasks = layout.tasks
    if tasks:
        block = data[:, [t.index for t in tasks]]
        num, bad, abs_ = numeric_cells(block.ravel())
        scores = num.reshape(n, len(tasks))
        bad_scores = bad.reshape(n, len(tasks))
        absent |= abs_.reshape(n, len(tasks)).any(axis=1)
    else:
        scores = np.empty((n, 0))
        bad_scores = np.zeros((n, 0), dtype=bool)
    primary, bad_primary = numeric(layout.first("primary_score"))
    mark, bad_mark = numeric(layout.first("mark"))
    journal, bad_journal = numeric(layout.first("journal_mark"))

    keep = ~(blank | absent)
    has_result = (~np.isnan(scores)).any(axis=1) | ~np.isnan(primary) | ~np.isnan(mark) | bad_scores.any(axis=1) \
        | bad_primary | bad_mark
    out.skipped += int((~keep).sum())
    no_result = keep & ~has_result
    out.empty_results += int(no_result.sum())
    keep &= has_result
    if not keep.any():
        return

    idx = np.flatnonzero(keep)

    def report_bad(mask: np.ndarray, col: Column, what: str) -> None:
        rows_bad = np.flatnonzero(mask[idx])
        diags.add_rows("не число", idx[rows_bad], col.header,
                       lambda i: (f"{what}: «{clean(data[i, col.index])}» — не число (ожидалось число или пусто)",
                                  int(rownum[i])))

    for k, t in enumerate(tasks):
        report_bad(bad_scores[:, k], t, f"балл за задание {t.task_id}")
    for col, mask, what in ((layout.first("primary_score"), bad_primary, "первичный балл"),
                            (layout.first("mark"), bad_mark, "отметка"),
                            (layout.first("journal_mark"), bad_journal, "отметка по журналу")):
        if col is not None:
            report_bad(mask, col, what)

    def text(field_name: str) -> np.ndarray:
        col = layout.first(field_name)
        return text_column(data[idx, col.index]) if col is not None else np.full(len(idx), "", dtype=object)

    out.rownum.append(rownum[idx])
    out.school.append(text("school_code"))
    out.code.append(text("participant_code"))
    klass, letter = text("class_letter"), text("letter")
    if layout.first("letter") is not None:
        klass = np.array([k + l if l and not k.endswith(l) else k for k, l in zip(klass.tolist(), letter.tolist())],
                         dtype=object)
    out.klass.append(klass)
    out.variant.append(text("variant"))
    out.gender.append(text("gender"))
    out.scores.append(_compact(scores[idx]))
    out.primary.append(primary[idx])
    out.mark.append(mark[idx])
    out.journal.append(journal[idx])


def _compact(values: np.ndarray) -> np.ndarray:
    """Task scores as float32 when every value survives the round trip (1, 2, 0.5): half the memory
    of a million-row file; anything else (0.1) stays float64. Sums are taken in float64."""
    small = values.astype(np.float32)
    return small if np.array_equal(small, values, equal_nan=True) else values


def chunks(it: Iterator[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    it = iter(it)
    while batch := list(islice(it, size)):
        yield batch


@dataclass
class ResultRows:
    rownum: np.ndarray
    school: np.ndarray
    code: np.ndarray
    klass: np.ndarray
    variant: np.ndarray
    gender: np.ndarray
    scores: np.ndarray
    primary: np.ndarray
    mark: np.ndarray
    journal: np.ndarray

    @classmethod
    def concat(cls, c: ParsedColumns) -> "ResultRows":
        return cls(*(np.concatenate(getattr(c, name)) for name in
                     ("rownum", "school", "code", "klass", "variant", "gender", "scores", "primary", "mark",
                      "journal")))

    def __len__(self) -> int:
        return len(self.rownum)


