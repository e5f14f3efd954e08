"""Import assessment results files (ВПР/ОГЭ/ЕГЭ/РДР/school tests) — fast, strict, all or nothing.

The file is streamed in chunks; each chunk becomes column arrays (pandas/numpy), and every check
runs on whole columns, so a million-row municipal summary costs seconds, not minutes.
Nothing is written unless the whole file is valid. Rows are identified by their natural key
(procedure × school × participant code): the same file twice changes nothing, a corrected file for
a school × procedure replaces that school's rows and the replacement is audited.

Counting (every data row is exactly one of): ``imported`` (a school without earlier results),
``replaced`` (rows that replaced a school's different earlier results), ``unchanged`` (the school's
stored results are identical), ``skipped`` (blank rows, «Не участвовал», rows without any result).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..db.bulk import bulk_insert
from ..db.models import ImportBatch, Organization, ParticipantResult, Procedure
from ..domain import procedure_attrs as attrs
from ..domain.headers import FIELD_TITLES, Column, classify, clean, is_maxima_label, is_task_group_label
from ..domain.procedure_spec import Spec, misfit, parse_spec
from ..errors import Diagnostic, InputError
from ..progress import Progress
from ..tabular import RowSource, open_rows
from . import audit
from .procedure_specs import spec_for

HEADER_SEARCH_ROWS = 15
CHUNK_ROWS = 50_000
DIAGNOSTICS_PER_KIND = 100
NOT_DONE = frozenset({"", "-", "–", "—", "x", "х", "н/в", "нв", "н"})
_NOT_PARTICIPATED = re.compile(r"^(?:не\s*участв|неявк|отсутств|не\s*писал|не\s*явил|освобожд)")
_GENDERS = {"м": "М", "муж": "М", "мужской": "М", "m": "М", "ж": "Ж", "жен": "Ж", "женский": "Ж", "f": "Ж", "w": "Ж"}


@dataclass(frozen=True)
class ImportOptions:
    """What the user said on the command line or in the wizard; None = take it from the file."""

    procedure: str | None = None  # VPR | OGE | EGE | RDR | SCHOOL (or ВПР, ОГЭ…)
    subject: str | None = None
    grade: int | None = None
    year: int | None = None
    school: str | None = None  # for a one-school file without a «Код ОО» column
    strict: bool = False  # disagreements (mark vs scale, sum vs tasks) are errors, not warnings
    dry_run: bool = False


@dataclass
class ImportReport:
    file: str
    encoding: str | None = None
    procedure: str | None = None
    subject: str | None = None
    grade: int | None = None
    year: int | None = None
    imported: int = 0
    skipped: int = 0
    replaced: int = 0
    unchanged: int = 0
    warnings: list[Diagnostic] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    dry_run: bool = False
    sha256: str = ""
    sheet: str | None = None
    schools: int = 0
    replaced_schools: list[str] = field(default_factory=list)
    already_imported: bool = False
    batch_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON of GUIDE §7 (exactly these keys)."""
        return {
            "file": self.file, "encoding": self.encoding, "procedure": self.procedure, "subject": self.subject,
            "grade": self.grade, "year": self.year, "imported": self.imported, "skipped": self.skipped,
            "replaced": self.replaced, "unchanged": self.unchanged,
            "warnings": [d.as_dict() for d in self.warnings], "errors": [d.as_dict() for d in self.errors],
        }

    @property
    def procedure_label(self) -> str:
        kind = attrs.PROCEDURE_KINDS.get(self.procedure or "", self.procedure or "?")
        return f"{kind} {self.year or '?'} · {self.subject or '?'} · {self.grade or '?'} класс"


class ResultsRejected(InputError):
    """The file has errors; nothing was written. ``report`` holds every located problem."""

    def __init__(self, report: ImportReport):
        n = len(report.errors)
        super().__init__(f"Файл «{report.file}» не загружен: ошибок — {n}, ничего не записано.",
                         diagnostics=report.errors)
        self.report = report


class _Diagnostics:
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


# --------------------------------------------------------------------------------------------
# Layout: where the header is, which column is what.


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


def _find_layout(head: list[list[Any]], sheet_index: int, sheet_name: str) -> Layout | None:
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


def _duplicate_columns(layout: Layout, file: str) -> list[Diagnostic]:
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
class _Columns:
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


def _text_column(values: np.ndarray) -> np.ndarray:
    """Cells as text (whole floats without «.0»); the conversion runs once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([clean(u) for u in uniques] + [""], dtype=object)
    return mapped[codes]  # code -1 picks the trailing ""


def _numeric(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _parse_chunk(rows: list[list[Any]], first_rownum: int, layout: Layout, out: _Columns,
                 diags: _Diagnostics) -> None:
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
            texts = _text_column(data[:, c.index])
            low = pd.Series(texts).str.lower()
            absent |= low.str.match(_NOT_PARTICIPATED.pattern).to_numpy(dtype=bool)

    def numeric(col: Column | None) -> tuple[np.ndarray, np.ndarray]:
        if col is None:
            return np.full(n, np.nan), np.zeros(n, dtype=bool)
        num, bad, abs_ = _numeric(data[:, col.index])
        absent[:] |= abs_
        return num, bad

    tasks = layout.tasks
    if tasks:
        block = data[:, [t.index for t in tasks]]
        num, bad, abs_ = _numeric(block.ravel())
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
        return _text_column(data[idx, col.index]) if col is not None else np.full(len(idx), "", dtype=object)

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
    out.scores.append(scores[idx])
    out.primary.append(primary[idx])
    out.mark.append(mark[idx])
    out.journal.append(journal[idx])


def _chunks(it: Iterator[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in it:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------------------------
# The service.


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_results(session: Session, path: str | Path, *, options: ImportOptions | None = None,
                   progress: Progress | None = None) -> ImportReport:
    """Read one results file into the database, all or nothing (``options.dry_run``: check only).

    Raises :class:`ResultsRejected` (with the full report) when the file has errors.
    """
    options = options or ImportOptions()
    progress = progress or Progress.none()
    path = Path(path)
    report = ImportReport(file=path.name, dry_run=options.dry_run)
    try:
        source = open_rows(path)
    except InputError as exc:
        report.errors.append(Diagnostic(exc.message, file=path.name))
        raise ResultsRejected(report) from exc
    try:
        return _import(session, path, source, options, progress, report)
    finally:
        source.close()


def _import(session: Session, path: Path, source: RowSource, options: ImportOptions, progress: Progress,
            report: ImportReport) -> ImportReport:
    report.encoding = source.encoding
    report.sha256 = file_sha256(path)
    progress.step(0.01, "Поиск заголовка таблицы")

    layout, rows_iter, total_rows, seen = None, None, None, None
    any_data = False
    extra_sheets: list[str] = []
    for index, name in enumerate(source.sheet_names):
        it, height = source.rows(index)
        head = []
        for row in it:
            head.append(list(row))
            if len(head) >= HEADER_SEARCH_ROWS + 2:
                break
        if any(clean(c) for r in head for c in r):
            any_data = True
        if layout is None:
            layout = _find_layout(head, index, name)
            if layout is None:
                best = max(head, key=lambda r: sum(1 for c in r if clean(c)), default=[])
                if seen is None or sum(1 for c in best if clean(c)) > len(seen[1]):
                    seen = (name, [clean(c) for c in best if clean(c)], head.index(best) + 1 if best else None)
                continue
            rows_iter = _with_head(head[layout.data_start:], it)
            first_data = layout.data_start + 1
            total_rows = height
        elif any(clean(c) for r in head for c in r):
            extra_sheets.append(name)
    if not any_data:
        report.errors.append(Diagnostic("файл пустой: нет ни одной заполненной ячейки", file=path.name))
        raise ResultsRejected(report)
    if layout is None:
        expected = "«Код участника» (или «Код», «№ участника») и задания («1», «2», «3(1)», «Задание 1», «К1») " \
                   "или «Первичный балл» / «Отметка»; для сводки по школам — «Код ОО» или «Логин ОО»"
        sheet_name, cells, rownum = seen or ("", [], None)
        report.errors.append(Diagnostic(
            f"не найдена строка заголовка в первых {HEADER_SEARCH_ROWS} строках. Ожидались столбцы: {expected}. "
            f"Найдено (лист «{sheet_name}»): {', '.join(f'«{c}»' for c in cells[:20]) or 'ничего'}",
            rownum, None, path.name))
        raise ResultsRejected(report)
    report.sheet = layout.sheet_name
    if extra_sheets:
        report.warnings.append(Diagnostic(
            f"загружен только лист «{layout.sheet_name}»; листы {', '.join(f'«{s}»' for s in extra_sheets)} "
            "не загружены (загрузите их отдельными файлами)", file=path.name))

    report.errors += _duplicate_columns(layout, path.name)
    unknown = [c.header for c in layout.columns if c.field == "unknown"]
    if unknown:
        report.warnings.append(Diagnostic(
            f"столбцы не распознаны и не загружены: {', '.join(f'«{h}»' for h in unknown[:15])}",
            layout.header_row + 1, None, path.name))
    name_col = layout.first("name")
    if name_col is not None:
        report.warnings.append(Diagnostic(
            "столбец с ФИО не загружается: имена детей в программе не хранятся, участник определяется кодом",
            layout.header_row + 1, name_col.header, path.name))

    resolved = _resolve_attributes(layout, source, options, report, path.name)
    if report.errors:
        raise ResultsRejected(report)
    kind, subject, grade, year, date, title_school = resolved
    report.procedure, report.subject, report.grade, report.year = kind, subject, grade, year

    if layout.first("school_code") is None and not title_school:
        report.errors.append(Diagnostic(
            "не указана школа: в файле нет столбца «Код ОО» («Логин ОО») и строки «Код ОО: …» над таблицей; "
            "укажите код школы параметром --school", layout.header_row + 1, None, path.name))
        raise ResultsRejected(report)

    procedure = session.scalar(select(Procedure).where(
        Procedure.kind == kind, Procedure.subject == subject, Procedure.grade == grade, Procedure.year == year))

    if procedure is not None and _same_file_already_imported(session, procedure, report):
        return report

    # ---- read and parse every data row
    diags = _Diagnostics(path.name)
    cols = _Columns()
    done = layout.data_start
    total = max(total_rows or 0, done + 1)
    for chunk in _chunks(rows_iter, CHUNK_ROWS):
        _parse_chunk(chunk, done + 1, layout, cols, diags)
        done += len(chunk)
        progress.step(0.05 + 0.45 * min(1.0, done / total), f"Прочитано строк: {done:,}".replace(",", " "))
    rows_iter = None  # frees the workbook's cells (calamine holds the whole sheet) before writing
    report.skipped = cols.skipped + cols.empty_results
    if cols.empty_results:
        report.warnings.append(Diagnostic(
            f"строк без баллов и отметки: {cols.empty_results} — пропущены", file=path.name))
    if not cols.rownum:
        report.errors += diags.finish()
        report.errors.append(Diagnostic("в файле нет ни одной строки с результатами", layout.data_start + 1, None,
                                        path.name))
        raise ResultsRejected(report)
    data = _Data.concat(cols)
    progress.step(0.55, "Проверка значений")

    spec = _choose_spec(procedure, layout, report, kind, subject, grade, year, path.name)
    warn = _Diagnostics(path.name)
    school_ids = _check(session, data, layout, spec, options, title_school, diags, warn, report)
    report.errors += diags.finish()
    report.warnings += warn.finish()
    if report.errors:
        raise ResultsRejected(report)
    progress.step(0.6, "Сравнение с загруженными ранее")

    plan = _plan(session, procedure, data, school_ids, spec, layout)
    report.schools = len(plan.schools)
    report.imported, report.replaced, report.unchanged = plan.imported, plan.replaced, plan.unchanged
    report.replaced_schools = sorted(plan.replace_codes)
    if options.dry_run or not plan.write_mask.any():
        progress.step(1.0, "Готово")
        return report

    _write(session, path, report, procedure, (kind, subject, grade, year, date), spec, data, plan, layout, progress)
    progress.step(1.0, "Готово")
    return report


def _with_head(head: list[list[Any]], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield from head
    for row in rest:
        yield list(row)


def _resolve_attributes(layout: Layout, source: RowSource, options: ImportOptions, report: ImportReport,
                        file: str) -> tuple[str, str, int, int, dt.date | None, str | None]:
    found = attrs.from_title_rows(layout.title_rows)
    if source.is_excel:
        found.extend(attrs.from_sheet_name(layout.sheet_name))
    given = attrs.Candidates()
    if options.procedure:
        kind = attrs.canonical_kind(options.procedure)
        if kind is None:
            report.errors.append(Diagnostic(
                f"неизвестная процедура «{options.procedure}»: ожидалось VPR, OGE, EGE, RDR, SCHOOL (или ВПР, ОГЭ, ЕГЭ, РДР)",
                file=file))
        given.add("kind", kind, "параметр --procedure")
    given.add("subject", attrs.canonical_subject(options.subject) if options.subject else None, "параметр --subject")
    given.add("grade", options.grade, "параметр --grade")
    given.add("year", options.year, "параметр --year")
    given.add("school", options.school.strip() if options.school else None, "параметр --school")
    values: dict[str, Any] = {}
    for attr in ("kind", "subject", "grade", "year", "date", "school"):
        candidates = found.values.get(attr, []) + given.values.get(attr, [])
        distinct = list(dict.fromkeys(f.value for f in candidates))
        if len(distinct) > 1:
            listed = "; ".join(f"«{_show(f.value)}» ({f.where})" for f in candidates)
            report.errors.append(Diagnostic(f"противоречивые значения ({attrs.ATTR_TITLES[attr]}): {listed}",
                                            file=file))
        values[attr] = distinct[0] if distinct else None
    missing = {"kind": "процедура (--procedure VPR)", "subject": "предмет (--subject)", "grade": "класс (--grade)",
               "year": "год (--year)"}
    for attr, hint in missing.items():
        if values[attr] is None:
            report.errors.append(Diagnostic(
                f"не указан(а) {hint}: его нет ни в строках над таблицей, ни в названии листа — укажите параметром",
                file=file))
    if values["grade"] is not None and not 1 <= int(values["grade"]) <= 11:
        report.errors.append(Diagnostic(f"класс «{values['grade']}» вне 1..11", file=file))
    return (values["kind"], values["subject"], values["grade"] and int(values["grade"]),
            values["year"] and int(values["year"]), values["date"], values["school"])


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return attrs.PROCEDURE_KINDS.get(value, str(value)) if isinstance(value, str) else str(value)


def _same_file_already_imported(session: Session, procedure: Procedure, report: ImportReport) -> bool:
    """The same bytes imported before and all its rows still there: a no-op, said so."""
    batch = session.scalar(select(ImportBatch).where(
        ImportBatch.kind == "results", ImportBatch.sha256 == report.sha256,
        ImportBatch.procedure_id == procedure.id).order_by(ImportBatch.id.desc()))
    if batch is None:
        return False
    present = session.scalar(select(func.count()).select_from(ParticipantResult)
                             .where(ParticipantResult.batch_id == batch.id)) or 0
    summary = batch.summary or {}
    if present != summary.get("written", batch.rows):
        return False
    report.already_imported = True
    report.unchanged = int(summary.get("rows", batch.rows))
    report.skipped = int(summary.get("skipped", 0))
    report.schools = int(summary.get("schools", 0))
    report.warnings.append(Diagnostic(
        f"этот файл уже загружен {batch.imported_at:%d.%m.%Y %H:%M} (пользователь {batch.imported_by or '?'}); "
        "изменений нет", file=report.file))
    return True


# --------------------------------------------------------------------------------------------
# Validation on whole columns.


@dataclass
class _Data:
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
    def concat(cls, c: _Columns) -> "_Data":
        return cls(*(np.concatenate(getattr(c, name)) for name in
                     ("rownum", "school", "code", "klass", "variant", "gender", "scores", "primary", "mark",
                      "journal")))

    def __len__(self) -> int:
        return len(self.rownum)


def _choose_spec(procedure: Procedure | None, layout: Layout, report: ImportReport, kind: str, subject: str,
                 grade: int, year: int, file: str) -> tuple[Spec | None, str, bool]:
    """(spec, where it came from, stored already). A spec that does not fit is dropped with one warning."""
    if procedure is not None and procedure.spec:
        try:
            spec, where, stored = parse_spec(procedure.spec, "процедуры в базе"), "спецификация процедуры в базе", True
        except InputError:
            spec, where, stored = None, "", True
    else:
        found = spec_for(kind, subject, grade, year)
        spec, where, stored = (found.spec, f"спецификация «{found.name}»", False) if found else (None, "", False)
    file_ids = [t.task_id for t in layout.tasks]
    if spec is None:
        report.warnings.append(Diagnostic(
            f"нет спецификации для «{report.procedure_label}» (forms/procedures): максимальные баллы заданий "
            "не проверены" + ("" if layout.first("mark") else ", отметки не вычислены"), file=file))
        return None, "", stored
    why = misfit(spec, file_ids, layout.maxima)
    if why:
        report.warnings.append(Diagnostic(
            f"{where} не подходит к файлу ({why}); файл загружен без неё: максимальные баллы не проверены, "
            "отметки взяты из файла", file=file))
        return None, "", stored
    return spec, where, stored


def _check(session: Session, d: _Data, layout: Layout, spec_choice, options: ImportOptions,
           title_school: str | None, errors: _Diagnostics, warnings: _Diagnostics,
           report: ImportReport) -> np.ndarray:
    """Every row check, vectorised. Fills primary/mark where the file has none. Returns school ids."""
    spec: Spec | None = spec_choice[0]
    rows = d.rownum
    code_col = layout.first("participant_code")
    school_col = layout.first("school_code")

    # Schools: by code, never created.
    if school_col is None:
        d.school[:] = title_school
    orgs = {code: (oid, kind) for code, oid, kind in
            session.execute(select(Organization.code, Organization.id, Organization.kind))}
    codes, uniques = pd.factorize(d.school)
    ids = np.full(len(uniques), -1, dtype=np.int64)
    for k, code in enumerate(uniques):
        rows_k = np.flatnonzero(codes == k) if code == "" or code not in orgs or orgs[code][1] != "school" else None
        where = school_col.header if school_col else None
        if code == "":
            errors.add_rows("нет кода ОО", rows_k, where, lambda i: ("не указан код ОО", int(rows[i])))
        elif code not in orgs:
            first = int(rows[rows_k[0]])
            errors.add("неизвестный код ОО",
                       f"код ОО «{code}» не найден в реестре организаций (строк с этим кодом: {len(rows_k)}); "
                       "сначала загрузите реестр: ersoko org import", first, where)
        elif orgs[code][1] != "school":
            errors.add("не школа", f"«{code}» в реестре — не школа (строк: {len(rows_k)})", int(rows[rows_k[0]]), where)
        else:
            ids[k] = orgs[code][0]
    school_ids = ids[codes]

    # Participant codes: present and unique within a school.
    no_code = np.flatnonzero(d.code == "")
    errors.add_rows("нет кода участника", no_code, code_col.header,
                    lambda i: ("есть результаты, но нет кода участника", int(rows[i])))
    keys = pd.DataFrame({"s": codes, "c": d.code})
    dup = keys.duplicated(keep=False).to_numpy() & (d.code != "")
    if dup.any():
        first_row: dict[tuple[int, str], int] = {}
        for i in np.flatnonzero(dup):
            key = (int(codes[i]), d.code[i])
            if key in first_row:
                errors.add("повтор кода участника",
                           f"код участника «{d.code[i]}» уже встречался в строке {first_row[key]} (та же школа)",
                           int(rows[i]), code_col.header)
            else:
                first_row[key] = int(rows[i])

    # Task scores: not negative, not above the max (file's maxima row, else a fitting spec).
    tasks = layout.tasks
    maxima = None
    if layout.maxima and all(t.task_id in layout.maxima for t in tasks):
        maxima = np.array([layout.maxima[t.task_id] for t in tasks])
    elif spec is not None and tasks:
        spec_max = dict(zip(spec.task_ids, spec.maxima))
        maxima = np.array([spec_max[t.task_id] for t in tasks])
    for k, t in enumerate(tasks):
        col = d.scores[:, k]
        with np.errstate(invalid="ignore"):
            neg = np.flatnonzero(col < 0)
            errors.add_rows("отрицательный балл", neg, t.header,
                            lambda i, k=k, t=t: (f"балл за задание {t.task_id} отрицательный: «{_fmt(d.scores[i, k])}»",
                                                 int(rows[i])))
            if maxima is not None:
                over = np.flatnonzero(col > maxima[k])
                errors.add_rows("балл выше максимума", over, t.header,
                                lambda i, k=k, t=t: (f"балл за задание {t.task_id} «{_fmt(d.scores[i, k])}» больше "
                                                     f"максимального {_fmt(maxima[k])}", int(rows[i])))

    # Primary score: the file's, else the sum of tasks; disagreement is a warning (error if strict).
    task_sum = np.nansum(d.scores, axis=1) if tasks else np.full(len(d), np.nan)
    any_task = (~np.isnan(d.scores)).any(axis=1) if tasks else np.zeros(len(d), dtype=bool)
    primary_col = layout.first("primary_score")
    strict_sink = errors if options.strict else warnings
    if primary_col is not None:
        with np.errstate(invalid="ignore"):
            neg = np.flatnonzero(d.primary < 0)
        errors.add_rows("отрицательный первичный балл", neg, primary_col.header,
                        lambda i: (f"первичный балл отрицательный: «{_fmt(d.primary[i])}»", int(rows[i])))
        if tasks:
            differ = np.flatnonzero(~np.isnan(d.primary) & any_task & (np.abs(d.primary - task_sum) > 1e-9))
            strict_sink.add_rows("сумма баллов", differ, primary_col.header,
                                 lambda i: (f"первичный балл {_fmt(d.primary[i])} не равен сумме баллов за задания "
                                            f"{_fmt(task_sum[i])}", int(rows[i])))
    fill = np.isnan(d.primary) & any_task
    d.primary[fill] = task_sum[fill]
    if spec is not None:
        with np.errstate(invalid="ignore"):
            over = np.flatnonzero(d.primary > spec.max_score)
        errors.add_rows("первичный балл выше максимума", over, primary_col.header if primary_col else None,
                        lambda i: (f"первичный балл {_fmt(d.primary[i])} больше максимального {_fmt(spec.max_score)}",
                                   int(rows[i])))

    # Marks: 2..5 (journal 1..5); the file's are authoritative, the spec's scale fills the gaps.
    mark_col = layout.first("mark")
    if mark_col is not None:
        bad = np.flatnonzero(~np.isnan(d.mark) & ~np.isin(d.mark, [2, 3, 4, 5]))
        errors.add_rows("отметка вне 2..5", bad, mark_col.header,
                        lambda i: (f"отметка «{_fmt(d.mark[i])}» вне шкалы 2..5", int(rows[i])))
    journal_col = layout.first("journal_mark")
    if journal_col is not None:
        bad = np.flatnonzero(~np.isnan(d.journal) & ~np.isin(d.journal, [1, 2, 3, 4, 5]))
        errors.add_rows("отметка по журналу вне 1..5", bad, journal_col.header,
                        lambda i: (f"отметка по журналу «{_fmt(d.journal[i])}» вне шкалы 1..5", int(rows[i])))
    if spec is not None:
        scale = spec.marks_for(d.primary)
        if mark_col is not None:
            differ = np.flatnonzero(~np.isnan(d.mark) & ~np.isnan(scale) & (d.mark != scale))
            strict_sink.add_rows("отметка не по шкале", differ, mark_col.header,
                                 lambda i: (f"отметка {_fmt(d.mark[i])} не совпадает со шкалой спецификации: за "
                                            f"{_fmt(d.primary[i])} перв. балла полагается {_fmt(scale[i])}",
                                            int(rows[i])))
        gap = np.isnan(d.mark)
        d.mark[gap] = scale[gap]
    elif mark_col is None and not np.isnan(d.primary).all():
        warnings.add("отметки не вычислены", "в файле нет отметок, а шкалы перевода нет: отметки не сохранены")

    # Gender: М/Ж or nothing.
    gender_col = layout.first("gender")
    if gender_col is not None:
        gcodes, guniq = pd.factorize(d.gender)
        mapped = []
        for k, g in enumerate(guniq):
            value = _GENDERS.get(g.lower().strip(". ")) if g else None
            if g and value is None:
                bad_rows = np.flatnonzero(gcodes == k)
                warnings.add("пол", f"пол «{g}» не распознан (ожидалось М или Ж; строк: {len(bad_rows)}) — не сохранён",
                             int(rows[bad_rows[0]]), gender_col.header)
            mapped.append(value)
        lookup = np.array(mapped + [None], dtype=object)
        d.gender = lookup[gcodes]
    else:
        d.gender = np.full(len(d), None, dtype=object)
    return school_ids


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    v = float(value)
    return str(int(v)) if v.is_integer() else f"{v:g}".replace(".", ",")


# --------------------------------------------------------------------------------------------
# What changes: per school, new / identical / replaced.


@dataclass
class _Plan:
    schools: dict[int, str]  # school id → code (schools in the file)
    school_ids: np.ndarray  # per row
    write_mask: np.ndarray  # rows to insert
    replace_ids: dict[int, int]  # school id → number of stored rows to delete
    replace_codes: set[str]
    imported: int = 0
    replaced: int = 0
    unchanged: int = 0
    scores: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))  # in the spec's task order


def _task_score_lists(scores: np.ndarray) -> list[list[Any]]:
    """JSON-ready lists: whole scores as ints, fractional as floats, not done as None."""
    if scores.shape[1] == 0:
        return [[] for _ in range(scores.shape[0])]
    nan = np.isnan(scores)
    finite = np.where(nan, 0, scores)
    if np.all(finite == np.round(finite)):
        obj = finite.astype(np.int64).astype(object)
    else:
        obj = np.array([[int(v) if float(v).is_integer() else float(v) for v in row] for row in finite.tolist()],
                       dtype=object)
    if nan.any():
        obj[nan] = None
    return obj.tolist()


def _opt_int(values: np.ndarray) -> list[int | None]:
    obj = np.where(np.isnan(values), 0, values).astype(np.int64).astype(object)
    obj[np.isnan(values)] = None
    return obj.tolist()


def _opt_float(values: np.ndarray) -> list[float | None]:
    obj = values.astype(object)
    obj[np.isnan(values)] = None
    return obj.tolist()


def _opt_text(values: np.ndarray) -> list[str | None]:
    return [v or None for v in values.tolist()]


def _plan(session: Session, procedure: Procedure | None, d: _Data, school_ids: np.ndarray, spec_choice,
          layout: Layout) -> _Plan:
    uniq_ids, first_idx = np.unique(school_ids, return_index=True)
    schools = {int(s): d.school[i] for s, i in zip(uniq_ids, first_idx)}
    order = _task_order(layout, spec_choice[0])
    plan = _Plan(schools, school_ids, np.ones(len(d), dtype=bool), {}, set())
    plan.scores = d.scores[:, order] if order is not None else d.scores
    stored: dict[int, int] = {}
    if procedure is not None:
        stored = dict(session.execute(
            select(ParticipantResult.school_id, func.count()).where(ParticipantResult.procedure_id == procedure.id)
            .where(ParticipantResult.school_id.in_(list(schools))).group_by(ParticipantResult.school_id)).all())
    if not stored:
        plan.imported = len(d)
        return plan
    klass, variant = _opt_text(d.klass), _opt_text(d.variant)
    primary, mark, journal = _opt_float(d.primary), _opt_int(d.mark), _opt_int(d.journal)
    gender = d.gender.tolist()
    code = d.code.tolist()
    for sid, count in stored.items():
        rows_s = np.flatnonzero(school_ids == sid)
        lists = _task_score_lists(plan.scores[rows_s])
        new = {(code[i], klass[i], variant[i], tuple(lists[k]), primary[i], mark[i], journal[i], gender[i])
               for k, i in enumerate(rows_s.tolist())}
        old = {(r.participant_code, r.class_letter, r.variant, tuple(r.task_scores or []),
                r.primary_score, r.mark, r.journal_mark, r.gender)
               for r in session.execute(select(
                   ParticipantResult.participant_code, ParticipantResult.class_letter, ParticipantResult.variant,
                   ParticipantResult.task_scores, ParticipantResult.primary_score, ParticipantResult.mark,
                   ParticipantResult.journal_mark, ParticipantResult.gender)
                   .where(ParticipantResult.procedure_id == procedure.id, ParticipantResult.school_id == sid))}
        if new == old:
            plan.write_mask[rows_s] = False
            plan.unchanged += len(rows_s)
        else:
            plan.replace_ids[sid] = count
            plan.replace_codes.add(schools[sid])
            plan.replaced += len(rows_s)
    plan.imported = len(d) - plan.unchanged - plan.replaced
    return plan


def _task_order(layout: Layout, spec: Spec | None) -> np.ndarray | None:
    """Column order that puts task scores in the spec's order (task_scores[i] ↔ spec.tasks[i])."""
    if spec is None or not layout.tasks:
        return None
    position = {t.task_id: k for k, t in enumerate(layout.tasks)}
    return np.array([position[tid] for tid in spec.task_ids])


# --------------------------------------------------------------------------------------------
# Writing, in the caller's transaction.


def _write(session: Session, path: Path, report: ImportReport, procedure: Procedure | None, key: tuple,
           spec_choice, d: _Data, plan: _Plan, layout: Layout, progress: Progress) -> None:
    kind, subject, grade, year, date = key
    spec, _, stored = spec_choice
    if procedure is None:
        procedure = Procedure(kind=kind, subject=subject, grade=grade, year=year, date=date,
                              spec=spec.as_json() if spec else None)
        session.add(procedure)
    else:
        if procedure.date is None and date is not None:
            procedure.date = date
        if procedure.spec is None and spec is not None and not stored:
            procedure.spec = spec.as_json()
    session.flush()
    batch = ImportBatch(kind="results", file_name=path.name, sha256=report.sha256, procedure_id=procedure.id,
                        imported_by=audit.current_user(), rows=len(d))
    session.add(batch)
    session.flush()
    task_ids = [t.task_id for t in layout.tasks] if spec is None else spec.task_ids
    for sid, count in plan.replace_ids.items():
        old_batches = sorted({b for (b,) in session.execute(
            select(ParticipantResult.batch_id).where(ParticipantResult.procedure_id == procedure.id,
                                                     ParticipantResult.school_id == sid).distinct()) if b})
        session.execute(delete(ParticipantResult).where(ParticipantResult.procedure_id == procedure.id,
                                                        ParticipantResult.school_id == sid))
        new_rows = int((plan.write_mask & (plan.school_ids == sid)).sum())
        audit.record(session, action="replace", entity="participant_result",
                     entity_id=f"{procedure.id}:{plan.schools[sid]}",
                     before={"school": plan.schools[sid], "procedure_id": procedure.id, "rows": count,
                             "batches": old_batches},
                     after={"school": plan.schools[sid], "procedure_id": procedure.id, "rows": new_rows,
                            "batch_id": batch.id, "file": path.name, "sha256": report.sha256})
    written = int(plan.write_mask.sum())
    batch.summary = {"rows": len(d), "written": written, "skipped": report.skipped, "schools": len(plan.schools),
                     "task_ids": task_ids, "sheet": report.sheet, "imported": report.imported,
                     "replaced": report.replaced, "unchanged": report.unchanged}
    audit.record(session, action="import", entity="import_batch", entity_id=batch.id,
                 after={"file": path.name, "sha256": report.sha256, "procedure_id": procedure.id,
                        "imported": report.imported, "replaced": report.replaced, "unchanged": report.unchanged,
                        "skipped": report.skipped})
    report.batch_id = batch.id

    idx = np.flatnonzero(plan.write_mask)
    school_ids = plan.school_ids
    table = ParticipantResult.__table__
    pid, bid = procedure.id, batch.id
    for start in range(0, len(idx), CHUNK_ROWS):
        part = idx[start:start + CHUNK_ROWS]
        sid = school_ids[part].tolist()
        code = d.code[part].tolist()
        klass, variant = _opt_text(d.klass[part]), _opt_text(d.variant[part])
        primary, mark, journal = _opt_float(d.primary[part]), _opt_int(d.mark[part]), _opt_int(d.journal[part])
        gender = d.gender[part].tolist()
        scores = _task_score_lists(plan.scores[part])
        rows = [{"procedure_id": pid, "school_id": sid[k], "participant_code": code[k], "class_letter": klass[k],
                 "variant": variant[k], "task_scores": scores[k], "primary_score": primary[k], "mark": mark[k],
                 "journal_mark": journal[k], "gender": gender[k], "batch_id": bid}
                for k in range(len(part))]
        bulk_insert(session, table, rows)
        progress.step(0.65 + 0.35 * min(1.0, (start + len(part)) / len(idx)),
                      f"Записано строк: {start + len(part):,}".replace(",", " "))
    session.flush()

