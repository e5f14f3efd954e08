"""Indicators over the database: the public API the GUI, the CLI and the reports call.

    tables = compute_tables(session, year=2025)                  # every level at once, unrounded
    df = compute_indicators(session, level="school", year=2025, procedure_kind="VPR",
                            subject="Математика", grade=5, org_code="DEMO-M1")
    rates = task_solve_rates(session, level="school", year=2025, subject="Математика", grade=5)
    cmp = compare_indicators(session, org_code="DEMO-S03", year=2025, key="quality")
    records = indicator_records(df)                              # GUIDE §7 JSON rows (NaN → None)
    public = suppress_small_cells(df)                            # N < 5 → «—» (exports only)
    write_table(public, path, fmt="xlsx")                        # csv / xlsx / json file

``compute_indicators`` returns one row per org × procedure (× class at level ``class``) with the
columns ``org``, ``org_name``, ``level``, ``procedure`` (kind code, e.g. ``VPR``), ``procedure_id``,
``subject``, ``grade``, ``year``, ``class_letter``, then every catalog indicator (``n``,
``success``, ``quality``, ``mean_mark``, ``sou``, ``lowered``, ``confirmed``, ``raised``,
``mean_score``, ``mean_score_pct``, ``share2``…``share5``), the mark counts ``n1``…``n5`` and
``n_both`` (participants with both marks). Percentages are 0–100, rounded as the catalog says
(0.1; mean_mark 0.01), NaN where undefined (N = 0). ``org_code`` keeps that organization and its
descendants. Filters are optional; ``year`` is the calendar year of the procedure.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..db.models import Organization, Procedure
from ..domain.indicators.catalog import LEVEL_NAMES, LEVELS, Catalog, parse_catalog
from ..domain.indicators.dataset import Dataset
from ..domain.indicators.engine import aggregate, evaluate, round_half_up, round_indicators
from ..domain.indicators.tasks import task_solve_sums
from ..errors import InputError, NotFoundError
from ..paths import forms_root
from ..progress import Progress
from ..reports.numbers import SUPPRESSED, is_suppressed
from .result_stats import load_stats
from .results_browse import PROCEDURE_NAMES

JSON_COLUMNS = ("org", "procedure", "subject", "grade", "year", "n", "success", "quality", "mean_mark", "sou",
                "lowered", "confirmed", "raised")
KEY_COLUMNS = ("org", "org_name", "level", "procedure", "procedure_id", "subject", "grade", "year", "class_letter")
COUNT_OUTPUT = ("n1", "n2", "n3", "n4", "n5", "n_both")
COLUMN_TITLES = {
    "org": "Код", "org_name": "Организация", "level": "Уровень", "procedure": "Процедура", "procedure_id": "ID процедуры",
    "subject": "Предмет", "grade": "Класс (параллель)", "year": "Год", "class_letter": "Класс",
    "n1": "«1», чел.", "n2": "«2», чел.", "n3": "«3», чел.", "n4": "«4», чел.", "n5": "«5», чел.",
    "n_both": "С отметкой по журналу, чел.", "task_no": "№ задания", "task_id": "Задание", "task_level": "Уровень задания",
    "max": "Макс. балл", "solve_rate": "Решаемость, %",
}

_catalog_cache: dict[str, Catalog] = {}


def load_catalog() -> Catalog:
    """The shipped catalog (``forms/indicators/*.yaml``), parsed and checked once per process."""
    folder = forms_root() / "indicators"
    texts = {entry.name: entry.read_text(encoding="utf-8") for entry in folder.iterdir()
             if entry.name.endswith((".yaml", ".yml"))}
    key = json.dumps(sorted((k, hash(v)) for k, v in texts.items()))
    if key not in _catalog_cache:
        _catalog_cache[key] = parse_catalog(texts)
    return _catalog_cache[key]


def load_dataset(session: Session, *, year: int | None = None, years: tuple[int, ...] | None = None,
                 procedure_kind: str | None = None, subject: str | None = None, grade: int | None = None,
                 with_tasks: bool = False) -> Dataset:
    """Procedures, organizations and the statistics of their results (``with_tasks`` is kept for
    callers; the statistics always hold the task sums). ``results`` is empty: nothing reads rows."""
    conditions, params = [], {}
    if year is not None:
        years = (year,)
    if years:
        conditions.append("p.year IN (" + ", ".join(f":y{i}" for i in range(len(years))) + ")")
        params.update({f"y{i}": int(y) for i, y in enumerate(years)})
    if procedure_kind:
        conditions.append("p.kind = :kind")
        params["kind"] = procedure_kind
    if subject:
        conditions.append("p.subject = :subject")
        params["subject"] = subject
    if grade is not None:
        conditions.append("p.grade = :grade")
        params["grade"] = int(grade)
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    proc_rows = session.execute(text(
        "SELECT p.id, p.kind, p.subject, p.grade, p.year, p.spec FROM procedure p" + where), params).all()
    procedures = pd.DataFrame(
        [(r[0], r[1], r[2], r[3], r[4], _json(r[5])) for r in proc_rows],
        columns=["id", "kind", "subject", "grade", "year", "spec"]).set_index("id")
    # The engine works on statistics per school × procedure, cached in result_stats (computed once
    # from the results, recomputed only after they change) — not on a million rows each time.
    stats = load_stats(session, [int(i) for i in procedures.index])
    columns = ["procedure_id", "school_id", "class_letter", "primary_score", "mark", "journal_mark", "task_scores"]
    results = pd.DataFrame({c: pd.Series(dtype="float64" if c in ("primary_score", "mark", "journal_mark") else object)
                            for c in columns})
    org_rows = session.execute(select(Organization.id, Organization.code, Organization.name, Organization.kind,
                                      Organization.parent_id)).all()
    orgs = pd.DataFrame([tuple(r) for r in org_rows], columns=["id", "code", "name", "kind", "parent_id"]).set_index("id")
    orgs["parent_id"] = orgs["parent_id"].astype("float64")
    return Dataset(results=results, procedures=procedures, orgs=orgs, stats=stats)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


@dataclass
class IndicatorTables:
    """Every level evaluated once (unrounded), with org and procedure columns joined."""

    levels: dict[str, pd.DataFrame]
    catalog: Catalog
    dataset: Dataset
    thresholds: pd.DataFrame

    def level(self, level: str) -> pd.DataFrame:
        return self.levels[level]


def compute_tables(session: Session, *, year: int | None = None, years: tuple[int, ...] | None = None,
                   procedure_kind: str | None = None, subject: str | None = None, grade: int | None = None,
                   levels: tuple[str, ...] = LEVELS, dataset: Dataset | None = None,
                   progress: Progress | None = None) -> IndicatorTables:
    progress = progress or Progress.none()
    catalog = load_catalog()
    if dataset is None:
        progress.step(0.1, "Чтение результатов")
        dataset = load_dataset(session, year=year, years=years, procedure_kind=procedure_kind, subject=subject,
                               grade=grade)
    progress.step(0.5, "Расчёт показателей")
    return evaluate_dataset(dataset, catalog, levels)


def evaluate_dataset(dataset: Dataset, catalog: Catalog, levels: tuple[str, ...] = LEVELS) -> IndicatorTables:
    """The pure part of :func:`compute_tables` (the benchmark and tests call it on a built dataset)."""
    aggs = aggregate(dataset, levels)
    parents = dataset.school_parents()
    procs = dataset.procedures
    out: dict[str, pd.DataFrame] = {}
    for level, frame in aggs.levels.items():
        ev = evaluate(frame, catalog, level)
        ev.insert(0, "level", level)
        ev.insert(0, "org_name", ev["org_id"].map(dataset.orgs["name"]))
        ev.insert(0, "org", ev["org_id"].map(dataset.orgs["code"]))
        for col in ("kind", "subject", "grade", "year"):
            ev[col] = ev["procedure_id"].map(procs[col])
        ev["procedure"] = ev["kind"]
        ev["municipality_id"] = ev["org_id"].map(parents["municipality_id"])
        ev["region_id"] = ev["org_id"].map(parents["region_id"])
        out[level] = ev
    return IndicatorTables(levels=out, catalog=catalog, dataset=dataset, thresholds=aggs.thresholds)


def compute_indicators(session: Session, *, level: str = "school", year: int | None = None,
                       procedure_kind: str | None = None, subject: str | None = None, grade: int | None = None,
                       org_code: str | None = None, rounded: bool = True,
                       progress: Progress | None = None) -> pd.DataFrame:
    """Indicators at one level (see the module docstring for the columns)."""
    if level not in LEVELS:
        raise InputError(f"Неизвестный уровень «{level}»; допустимы: {', '.join(LEVELS)}.")
    tables = compute_tables(session, year=year, procedure_kind=procedure_kind, subject=subject, grade=grade,
                            levels=_levels_needed(level), progress=progress)
    frame = tables.level(level)
    if org_code:
        frame = frame[frame["org_id"].isin(org_scope(session, org_code))]
    return present(frame, tables.catalog, rounded=rounded)


def _levels_needed(level: str) -> tuple[str, ...]:
    return (level,) if level in ("class", "school") else ("school", level)


def present(frame: pd.DataFrame, catalog: Catalog, *, rounded: bool = True) -> pd.DataFrame:
    """Public column order, sorted rows, rounded values, ``n`` as an integer."""
    cols = [*KEY_COLUMNS, *catalog.keys, *COUNT_OUTPUT]
    out = frame.reindex(columns=cols)
    if rounded:
        out = round_indicators(out, catalog)
    if "n" in out.columns:
        out["n"] = out["n"].astype("int64")
    for col in COUNT_OUTPUT:
        out[col] = out[col].astype("int64")
    out["grade"] = out["grade"].astype("int64")
    out["year"] = out["year"].astype("int64")
    return out.sort_values(["year", "procedure", "subject", "grade", "org", "class_letter"],
                           na_position="first").reset_index(drop=True)


def org_scope(session: Session, org_code: str) -> set[int]:
    """Ids of the organization ``org_code`` and all its descendants."""
    org = session.scalar(select(Organization).where(Organization.code == org_code))
    if org is None:
        raise NotFoundError(f"Организация с кодом «{org_code}» не найдена в реестре.")
    rows = session.execute(select(Organization.id, Organization.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for oid, parent in rows:
        children.setdefault(parent, []).append(oid)
    scope, stack = set(), [org.id]
    while stack:
        oid = stack.pop()
        scope.add(oid)
        stack.extend(children.get(oid, []))
    return scope


def indicator_records(frame: pd.DataFrame, columns: tuple[str, ...] = JSON_COLUMNS) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN → None, numpy numbers → Python numbers)."""
    cols = [c for c in columns if c in frame.columns]
    out = []
    for values in frame[cols].itertuples(index=False, name=None):
        out.append({c: _plain(v) for c, v in zip(cols, values)})
    return out


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def task_solve_rates(session: Session, *, level: str = "school", year: int | None = None,
                     procedure_kind: str | None = None, subject: str | None = None, grade: int | None = None,
                     org_code: str | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """Solve rate of each task per org × procedure: columns ``org``, ``org_name``, ``procedure``, ``subject``,
    ``grade``, ``year``, ``class_letter``, ``task_no``, ``task_id``, ``task_level``, ``max``, ``n``,
    ``solve_rate`` (%, 0.1). Needs task maxima in the procedure spec."""
    if level not in LEVELS:
        raise InputError(f"Неизвестный уровень «{level}»; допустимы: {', '.join(LEVELS)}.")
    dataset = load_dataset(session, year=year, procedure_kind=procedure_kind, subject=subject, grade=grade,
                           with_tasks=True)
    frame = task_solve_sums(dataset, (level,))[level]
    if org_code:
        frame = frame[frame["org_id"].isin(org_scope(session, org_code))]
    frame = frame.copy()
    frame["org"] = frame["org_id"].map(dataset.orgs["code"])
    frame["org_name"] = frame["org_id"].map(dataset.orgs["name"])
    for col in ("kind", "subject", "grade", "year"):
        frame[col] = frame["procedure_id"].map(dataset.procedures[col])
    frame["procedure"] = frame["kind"]
    frame["solve_rate"] = round_half_up(frame["solve_rate"].astype("float64"), 1)
    cols = ["org", "org_name", "procedure", "procedure_id", "subject", "grade", "year", "class_letter", "task_no",
            "task_id", "task_level", "max", "n", "solve_rate"]
    return frame.reindex(columns=cols).sort_values(["year", "procedure", "subject", "grade", "org", "task_no"]) \
        .reset_index(drop=True)


def compare_indicators(session: Session, *, org_code: str, year: int, key: str = "quality",
                       procedure_kind: str | None = None, subject: str | None = None, grade: int | None = None,
                       progress: Progress | None = None) -> pd.DataFrame:
    """An organization against its reference levels and the previous year, one row per procedure:
    ``procedure``, ``subject``, ``grade``, ``year``, ``n``, ``value``, ``municipality``, ``region``,
    ``previous_year`` (same kind/subject/grade a year earlier), ``delta_previous``."""
    org = session.scalar(select(Organization).where(Organization.code == org_code))
    if org is None:
        raise NotFoundError(f"Организация с кодом «{org_code}» не найдена в реестре.")
    catalog = load_catalog()
    ind = catalog.get(key) if key in catalog.keys else None
    if ind is None:
        raise InputError(f"Неизвестный показатель «{key}»; есть: {', '.join(catalog.keys)}.")
    level = org.kind if org.kind in LEVELS else "school"
    tables = compute_tables(session, years=(year - 1, year), procedure_kind=procedure_kind, subject=subject,
                            grade=grade, levels=("school", "municipality", "region"), progress=progress)
    own = tables.level(level)
    own = own[own["org_id"] == org.id]
    cur = own[own["year"] == year]
    prev = own[own["year"] == year - 1].set_index(["kind", "subject", "grade"])[key]
    rows = []
    for r in cur.itertuples(index=False):
        ref = {}
        for ref_level, ref_id in (("municipality", r.municipality_id), ("region", r.region_id)):
            t = tables.level(ref_level)
            hit = t[(t["org_id"] == ref_id) & (t["procedure_id"] == r.procedure_id)] if ref_level != level else t.iloc[0:0]
            ref[ref_level] = float(hit[key].iloc[0]) if len(hit) else np.nan
        previous = prev.get((r.kind, r.subject, r.grade), np.nan)
        value = getattr(r, key)
        rows.append({"procedure": r.kind, "procedure_id": r.procedure_id, "subject": r.subject, "grade": int(r.grade),
                     "year": int(r.year), "n": int(r.N), "value": value, "municipality": ref["municipality"],
                     "region": ref["region"], "previous_year": previous, "delta_previous": value - previous})
    out = pd.DataFrame(rows, columns=["procedure", "procedure_id", "subject", "grade", "year", "n", "value",
                                      "municipality", "region", "previous_year", "delta_previous"])
    for col in ("value", "municipality", "region", "previous_year", "delta_previous"):
        out[col] = round_half_up(out[col].astype("float64"), ind.rounding)
    return out.sort_values(["procedure", "subject", "grade"]).reset_index(drop=True)


def suppress_small_cells(frame: pd.DataFrame, *, n_column: str = "n",
                         keep: tuple[str, ...] = KEY_COLUMNS) -> pd.DataFrame:
    """For exported/public outputs (152-ФЗ): every value of a row whose N is too small to publish
    (:func:`reports.numbers.is_suppressed` — the one rule the PDF/XLSX reports use too) becomes
    «—», except the identifying columns (and N itself). Never used on the local screen."""
    out = frame.astype(object).copy()
    small = pd.to_numeric(frame[n_column], errors="coerce").map(is_suppressed).astype(bool)
    cols = [c for c in frame.columns if c not in keep and c != n_column]
    if small.any() and cols:
        out.loc[small, cols] = SUPPRESSED
    return out


def column_title(key: str, catalog: Catalog | None = None) -> str:
    catalog = catalog or load_catalog()
    if key in catalog.keys:
        return catalog.get(key).title
    return COLUMN_TITLES.get(key, key)


def write_table(frame: pd.DataFrame, path: str | Path, *, fmt: str, title: str | None = None) -> Path:
    """Write a table atomically as ``csv`` (UTF-8 with BOM, «;» — opens right in Russian Excel),
    ``xlsx`` (a plain sheet with Russian headers) or ``json`` (records)."""
    from ..fileio import atomic_write_bytes, atomic_write_text

    records = [{c: _plain(v) for c, v in zip(frame.columns, row)} for row in frame.itertuples(index=False, name=None)]
    if fmt == "json":
        return atomic_write_text(path, json.dumps(records, ensure_ascii=False, indent=2))
    if fmt == "csv":
        return atomic_write_text(path, table_csv(frame), encoding="utf-8-sig")
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = (title or "Показатели")[:31]
        ws.append([column_title(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for rec in records:
            ws.append(list(rec.values()))
        ws.freeze_panes = "A2"
        buffer = io.BytesIO()
        wb.save(buffer)
        return atomic_write_bytes(path, buffer.getvalue())
    raise InputError(f"Неизвестный формат «{fmt}»; допустимы: csv, xlsx, json.")


def table_csv(frame: pd.DataFrame) -> str:
    """CSV text with Russian headers, «;» and decimal commas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([column_title(c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        values = [_plain(v) for v in row]
        writer.writerow(["" if v is None else (str(v).replace(".", ",") if isinstance(v, float) else v)
                         for v in values])
    return out.getvalue()


def procedure_label(kind: str, subject: str, grade: int, year: int) -> str:
    return f"{PROCEDURE_NAMES.get(kind, kind)} {year} · {subject} · {grade} кл."


def level_title(level: str) -> str:
    return LEVEL_NAMES.get(level, level)
