"""Import assessment results files (ВПР/ОГЭ/ЕГЭ/РДР/school tests) — fast, strict, all or nothing.

The file is streamed in chunks; each chunk becomes column arrays (pandas/numpy), and every check
runs on whole columns, so a million-row municipal summary costs seconds, not minutes.
Nothing is written unless the whole file is valid. Rows are identified by their natural key
(procedure × school × participant code): the same file twice changes nothing, a corrected file for
a school × procedure replaces that school's rows and the replacement is audited.

Counting (GUIDE §7; every data row of the file is exactly one of them, by its natural key):
``imported`` (no stored row with this participant code in this school × procedure), ``replaced``
(a stored row with the code had other values), ``unchanged`` (the stored row is identical),
``skipped`` (blank rows, «Не участвовал», rows without any result). A school whose stored rows
differ in any way is rewritten as a whole; its stored rows missing from the new file are deleted
and counted in ``removed`` (text summary and audit, not in the JSON of GUIDE §7).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from ..db.bulk import JSONText, bulk_insert
from ..db.models import ImportBatch, Organization, ParticipantResult, Procedure
from ..db.unique import get_or_create
from ..domain import procedure_attrs as attrs
from ..domain.headers import clean
from ..domain.procedure_spec import Spec, misfit, parse_spec
from ..domain.results_table import (
    HEADER_SEARCH_ROWS,
    DiagnosticSink,
    Layout,
    ParsedColumns,
    ResultRows,
    chunks,
    duplicate_columns,
    find_layout,
    parse_chunk,
)
from ..errors import Diagnostic, InputError
from ..progress import Progress
from ..tabular import RowSource, open_rows
from . import audit
from .procedure_specs import spec_for
from .result_stats import invalidate as invalidate_stats, refresh as refresh_stats

CHUNK_ROWS = 20_000  # rows parsed and written per step: bounded memory, a cancel point each time
_GENDERS = {"м": "М", "муж": "М", "мужской": "М", "m": "М", "ж": "Ж", "жен": "Ж", "женский": "Ж", "f": "Ж", "w": "Ж"}


@dataclass(frozen=True)
class ImportOptions:
    """What the user said on the command line or in the wizard; None = take it from the file."""

    procedure: str | None = None  # VPR | OGE | EGE | RDR | SCHOOL (or ВПР, ОГЭ…)
    subject: str | None = None
    grade: int | None = None
    year: int | None = None
    school: str | None = None  # one-school file: fills «Код ОО»; a file whose codes differ is refused
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
    removed: int = 0  # stored rows of replaced schools that the new file no longer has (not in GUIDE §7 JSON)
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

    found = _locate(source)
    if not found.any_data:
        report.errors.append(Diagnostic("файл пустой: нет ни одной заполненной ячейки", file=path.name))
        raise ResultsRejected(report)
    if found.layout is None:
        expected = "«Код участника» (или «Код», «№ участника») и задания («1», «2», «3(1)», «Задание 1», «К1») " \
                   "или «Первичный балл» / «Отметка»; для сводки по школам — «Код ОО» или «Логин ОО»"
        sheet_name, cells, rownum = found.seen or ("", [], None)
        report.errors.append(Diagnostic(
            f"не найдена строка заголовка в первых {HEADER_SEARCH_ROWS} строках. Ожидались столбцы: {expected}. "
            f"Найдено (лист «{sheet_name}»): {', '.join(f'«{c}»' for c in cells[:20]) or 'ничего'}",
            rownum, None, path.name))
        raise ResultsRejected(report)
    layout, extra_sheets = found.layout, found.extra_sheets
    report.sheet = layout.sheet_name
    if extra_sheets:
        report.warnings.append(Diagnostic(
            f"загружен только лист «{layout.sheet_name}»; листы {', '.join(f'«{s}»' for s in extra_sheets)} "
            "не загружены (загрузите их отдельными файлами)", file=path.name))

    report.errors += duplicate_columns(layout, path.name)
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
    kind, subject, grade, year, date, title_school, school_where = resolved
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
    diags = DiagnosticSink(path.name)
    cols = ParsedColumns()
    done = layout.data_start
    total = max(found.total_rows, done + 1)
    rows_iter, found = found.rows, None  # the workbook's cells are freed once the rows are read
    for chunk in chunks(rows_iter, CHUNK_ROWS):
        parse_chunk(chunk, done + 1, layout, cols, diags)
        done += len(chunk)
        progress.step(0.05 + 0.45 * min(1.0, done / total), f"Прочитано строк: {done:,}".replace(",", " "))
    rows_iter = chunk = None
    report.skipped = cols.skipped + cols.empty_results
    if cols.empty_results:
        report.warnings.append(Diagnostic(
            f"строк без баллов и отметки: {cols.empty_results} — пропущены", file=path.name))
    if not cols.rownum:
        report.errors += diags.finish()
        report.errors.append(Diagnostic("в файле нет ни одной строки с результатами", layout.data_start + 1, None,
                                        path.name))
        raise ResultsRejected(report)
    data = ResultRows.concat(cols)
    cols = None  # the per-chunk arrays, now copied into ``data``
    progress.step(0.55, "Проверка значений")

    spec = _choose_spec(procedure, layout, report, kind, subject, grade, year, path.name)
    warn = DiagnosticSink(path.name)
    school_ids = _check(session, data, layout, spec, options, (title_school, school_where), diags, warn, report)
    report.errors += diags.finish()
    report.warnings += warn.finish()
    if report.errors:
        raise ResultsRejected(report)
    progress.step(0.6, "Сравнение с загруженными ранее")

    if procedure is None and not options.dry_run:
        # Two imports of the same new procedure at once (regional server): one creates it, the other
        # waits for that commit and then compares with what was imported meanwhile.
        procedure, created = get_or_create(
            session, Procedure, where={"kind": kind, "subject": subject, "grade": grade, "year": year},
            values={"date": date, "spec": spec[0].as_json() if spec[0] else None})
        if not created and _same_file_already_imported(session, procedure, report):
            return report
    if procedure is not None and not options.dry_run and _wait_for_other_imports(session, procedure.id):
        # another import of this procedure committed while we waited: compare with what it wrote
        if _same_file_already_imported(session, procedure, report):
            return report
    plan = _plan(session, procedure, data, school_ids, spec, layout)
    report.schools = len(plan.schools)
    report.imported, report.replaced, report.unchanged = plan.imported, plan.replaced, plan.unchanged
    report.removed = plan.removed
    report.replaced_schools = sorted(plan.replace_codes)
    if options.dry_run or not plan.write_mask.any():
        progress.step(1.0, "Готово")
        return report

    _write(session, path, report, procedure, (kind, subject, grade, year, date), spec, data, plan, layout, progress)
    progress.step(1.0, "Готово")
    return report


IMPORT_LOCK = 0x45525201  # pg_advisory_xact_lock(IMPORT_LOCK, procedure id): results imports of a procedure


def _wait_for_other_imports(session: Session, procedure_id: int) -> bool:
    """On the regional server, results imports into one procedure take turns (a transaction-level
    advisory lock, released at commit or rollback): the later one then compares with what the earlier
    one wrote instead of colliding with its uncommitted rows on the unique key. SQLite has one writer
    at a time anyway. Returns whether a lock was taken."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    session.execute(text("SELECT pg_advisory_xact_lock(:ns, :pid)"), {"ns": IMPORT_LOCK, "pid": int(procedure_id)})
    return True


@dataclass
class _Located:
    """Where the results table is: the first sheet whose header is recognised."""

    layout: Layout | None = None
    rows: Iterator[list[Any]] | None = None  # data rows of that sheet, from layout.data_start
    total_rows: int = 0
    any_data: bool = False
    seen: tuple[str, list[str], int | None] | None = None  # the fullest row seen, for «header not found»
    extra_sheets: list[str] = field(default_factory=list)


def _locate(source: RowSource) -> _Located:
    found = _Located()
    for index, name in enumerate(source.sheet_names):
        it, height = source.rows(index)
        head = []
        for row in it:
            head.append(list(row))
            if len(head) >= HEADER_SEARCH_ROWS + 2:
                break
        filled = any(clean(c) for r in head for c in r)
        found.any_data |= filled
        if found.layout is not None:
            if filled:
                found.extra_sheets.append(name)
            continue
        found.layout = find_layout(head, index, name)
        if found.layout is None:
            best = max(head, key=lambda r: sum(1 for c in r if clean(c)), default=[])
            cells = [clean(c) for c in best if clean(c)]
            if found.seen is None or len(cells) > len(found.seen[1]):
                found.seen = (name, cells, head.index(best) + 1 if best else None)
            continue
        found.rows = _with_head(head[found.layout.data_start:], it)
        found.total_rows = height or 0
    return found


def _with_head(head: list[list[Any]], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield from head
    yield from rest  # every reader yields fresh lists: nothing to copy


def _resolve_attributes(layout: Layout, source: RowSource, options: ImportOptions, report: ImportReport,
                        file: str) -> tuple[str, str, int, int, dt.date | None, str | None, str | None]:
    """Procedure kind, subject, grade, year, date and the school named above the table or by option
    (with where it was named); values from different places must agree."""
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
    given.add("school", options.school.strip() if options.school else None, "указан при загрузке, --school")
    values: dict[str, Any] = {}
    school_where = None
    for attr in ("kind", "subject", "grade", "year", "date", "school"):
        candidates = found.values.get(attr, []) + given.values.get(attr, [])
        if attr == "school" and candidates:
            school_where = candidates[-1].where
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
            values["year"] and int(values["year"]), values["date"], values["school"], school_where)


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


def _check(session: Session, d: ResultRows, layout: Layout, spec_choice, options: ImportOptions,
           named_school: tuple[str | None, str | None], errors: DiagnosticSink, warnings: DiagnosticSink,
           report: ImportReport) -> np.ndarray:
    """Every row check, vectorised. Fills primary/mark where the file has none. Returns school ids."""
    spec: Spec | None = spec_choice[0]
    rows = d.rownum
    code_col = layout.first("participant_code")
    school_col = layout.first("school_code")

    # Schools: by code, never created. A school named by --school or above the table is the whole
    # file's: it fills an empty «Код ОО» and any other code in that column is refused.
    school, where_named = named_school
    if school_col is None:
        d.school[:] = school
    elif school:
        blank = d.school == ""
        if blank.any():
            d.school[blank] = school
            warnings.add("код ОО взят", f"строк без кода ОО: {int(blank.sum())} — взят код «{school}» ({where_named})",
                         int(rows[np.flatnonzero(blank)[0]]), school_col.header)
        other = np.flatnonzero(d.school != school)
        errors.add_rows("другая школа", other, school_col.header,
                        lambda i: (f"код ОО «{d.school[i]}» не совпадает с «{school}» ({where_named}): "
                                   "в файле одной школы все строки должны быть её", int(rows[i])))
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
    task_sum = np.nansum(d.scores, axis=1, dtype=float) if tasks else np.full(len(d), np.nan)
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
    removed: int = 0
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


def _task_scores_json(scores: np.ndarray) -> list[JSONText]:
    """The rows' task scores as JSON text, encoded in one call (a call per row costs ~20 s a million)."""
    lists = _task_score_lists(scores)
    if not lists:
        return []
    text = json.dumps(lists)  # "[[1, 0, null], [2, 1, 0]]": rows are flat, so "], [" only separates rows
    return [JSONText(f"[{part}]") for part in text[2:-2].split("], [")]


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


def _plan(session: Session, procedure: Procedure | None, d: ResultRows, school_ids: np.ndarray, spec_choice,
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
        new = {code[i]: (klass[i], variant[i], tuple(lists[k]), primary[i], mark[i], journal[i], gender[i])
               for k, i in enumerate(rows_s.tolist())}
        old = {r.participant_code: (r.class_letter, r.variant, tuple(r.task_scores or []), r.primary_score, r.mark,
                                    r.journal_mark, r.gender)
               for r in session.execute(select(
                   ParticipantResult.participant_code, ParticipantResult.class_letter, ParticipantResult.variant,
                   ParticipantResult.task_scores, ParticipantResult.primary_score, ParticipantResult.mark,
                   ParticipantResult.journal_mark, ParticipantResult.gender)
                   .where(ParticipantResult.procedure_id == procedure.id, ParticipantResult.school_id == sid))}
        same = sum(1 for c, values in new.items() if old.get(c) == values)
        known = sum(1 for c in new if c in old)
        plan.unchanged += same
        plan.replaced += known - same
        if same == len(new) == len(old):
            plan.write_mask[rows_s] = False
        else:  # the school is rewritten; its stored rows the file no longer has are deleted
            plan.replace_ids[sid] = count
            plan.replace_codes.add(schools[sid])
            plan.removed += len(old) - known
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


def _write(session: Session, path: Path, report: ImportReport, procedure: Procedure, key: tuple,
           spec_choice, d: ResultRows, plan: _Plan, layout: Layout, progress: Progress) -> None:
    date = key[4]
    spec, _, stored = spec_choice
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
                     "replaced": report.replaced, "unchanged": report.unchanged, "removed": report.removed}
    audit.record(session, action="import", entity="import_batch", entity_id=batch.id,
                 after={"file": path.name, "sha256": report.sha256, "procedure_id": procedure.id,
                        "imported": report.imported, "replaced": report.replaced, "unchanged": report.unchanged,
                        "removed": report.removed, "skipped": report.skipped})
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
        scores = _task_scores_json(plan.scores[part])
        rows = [{"procedure_id": pid, "school_id": sid[k], "participant_code": code[k], "class_letter": klass[k],
                 "variant": variant[k], "task_scores": scores[k], "primary_score": primary[k], "mark": mark[k],
                 "journal_mark": journal[k], "gender": gender[k], "batch_id": bid}
                for k in range(len(part))]
        bulk_insert(session, table, rows)
        progress.step(0.65 + 0.3 * min(1.0, (start + len(part)) / len(idx)),
                      f"Записано строк: {start + len(part):,}".replace(",", " "))
    # The indicator statistics of these schools × procedure are stale now — and computed again here,
    # in the same transaction, as package import does (services.result_stats): the first indicators
    # after an import read a warm cache instead of every result.
    touched = [*np.unique(school_ids[idx]).tolist(), *plan.replace_ids]
    invalidate_stats(session, procedure_id=pid, school_ids=touched)
    progress.step(0.96, "Расчёт статистики для показателей")
    refresh_stats(session, blocks=[(pid, sid) for sid in touched])
    session.flush()

