"""ВПР analysis reports: (1) a school — per subject × grade: mark distribution, indicators,
per-task solve rates, comparison with the municipality and the region, lowered / confirmed /
raised, dynamics; (2) a municipality — all schools, objectivity signs with evidence, the risk
list, ШНОР, ММУКО criteria dynamics.

Every figure comes from ``services.indicators`` / ``services.objectivity`` / ``services.forms``;
this module only arranges them. Small groups (N < 5) are suppressed when rendered.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import Organization, Procedure
from ..errors import InputError, NotFoundError
from ..reports import model
from ..reports.numbers import fmt_percent
from .forms import mmuko_criteria
from .indicators import compute_tables, load_catalog, present, task_solve_rates
from .objectivity import SIGN_NAMES, objectivity_flags, risk_list, shnor_list
from .orgs import descendants

MARKS = ("2", "3", "4", "5")
INDICATOR_COLUMNS = [
    ("n", model.Column("N", "int", 0.6)),
    ("share2", model.Column("«2», %", "percent", 0.8)),
    ("share3", model.Column("«3», %", "percent", 0.8)),
    ("share4", model.Column("«4», %", "percent", 0.8)),
    ("share5", model.Column("«5», %", "percent", 0.8)),
    ("success", model.Column("Успеваемость, %", "percent", 1.05)),
    ("quality", model.Column("Качество, %", "percent", 1.05)),
    ("mean_mark", model.Column("Средняя отметка", "mark", 0.9)),
    ("sou", model.Column("СОУ, %", "percent", 0.8)),
]
JOURNAL_COLUMNS = [
    ("lowered", model.Column("Понизили, %", "percent", 0.9)),
    ("confirmed", model.Column("Подтвердили, %", "percent", 1.0)),
    ("raised", model.Column("Повысили, %", "percent", 0.9)),
]


def _value(v: Any) -> Any:
    """pandas/numpy scalars → plain Python; NaN → None."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
        return None if isinstance(v, float) and math.isnan(v) else v
    return v


def _row(record: Any, keys: list[str]) -> list[Any]:
    return [_value(getattr(record, k)) for k in keys]


def _latest_year(session: Session) -> int:
    year = session.scalar(select(func.max(Procedure.year)))
    if year is None:
        raise NotFoundError("В базе нет результатов оценочных процедур: сначала загрузите их (ersoko results import).")
    return int(year)


def _short(subject: str, grade: int) -> str:
    return f"{subject}, {grade} кл."


def _levels(session: Session, years: tuple[int, ...]) -> dict[str, pd.DataFrame]:
    """Rounded indicators of every school, municipality and region for ``years`` (one pass)."""
    tables = compute_tables(session, years=years, levels=("school", "municipality", "region"))
    catalog = load_catalog()
    return {lvl: present(tables.level(lvl), catalog) for lvl in ("school", "municipality", "region")}


def _procedure_key(r) -> tuple:
    return (r.procedure, r.subject, int(r.grade), int(r.year))


def _index(frame: pd.DataFrame, org_code: str) -> dict[tuple, Any]:
    return {_procedure_key(r): r for r in frame[frame["org"] == org_code].itertuples(index=False)}


def _parents(org: Organization) -> tuple[Organization | None, Organization | None]:
    muni = org.parent if org.kind == "school" else (org if org.kind == "municipality" else None)
    region = muni.parent if muni is not None else (org if org.kind == "region" else None)
    return muni, region


# ------------------------------------------------------------------------------------------ school

def build_school_report(session: Session, *, org: Organization, year: int | None) -> model.Report:
    if org.kind != "school":
        raise InputError(f"Отчёт по школе строится для образовательной организации, а «{org.code}» — "
                         f"{'муниципалитет' if org.kind == 'municipality' else 'регион'}: используйте --kind municipal.")
    year = year or _latest_year(session)
    muni, region = _parents(org)
    levels = _levels(session, (year - 2, year - 1, year))
    own_all = levels["school"][levels["school"]["org"] == org.code]
    own = own_all[own_all["year"] == year]
    if own.empty:
        raise NotFoundError(f"Нет результатов ВПР школы «{org.code}» за {year} год.")
    muni_idx = _index(levels["municipality"], muni.code) if muni else {}
    region_idx = _index(levels["region"], region.code) if region else {}
    flags = {(f.procedure, f.subject, f.grade, f.year): f
             for f in objectivity_flags(session, year=year, org_code=org.code)}
    rates = {lvl: task_solve_rates(session, level=lvl, year=year, org_code=code)
             for lvl, code in (("school", org.code), ("municipality", muni.code if muni else None),
                               ("region", region.code if region else None)) if code}

    main_columns = [(k, c) for k, c in INDICATOR_COLUMNS if not k.startswith("share")]  # shares: per subject
    keys = [k for k, _c in main_columns] + [k for k, _c in JOURNAL_COLUMNS]
    summary_cols = [model.Column("Предмет, класс", "text", 1.8)] + [c for _k, c in main_columns] \
        + [c for _k, c in JOURNAL_COLUMNS] + [model.Column("Признаки", "text", 0.9)]
    summary_rows = []
    for r in own.itertuples(index=False):
        flag = flags.get(_procedure_key(r))
        summary_rows.append([_short(r.subject, r.grade)] + _row(r, keys) + [", ".join(flag.signs) if flag else ""])
    sections = [model.Section("1. Общие сведения", [
        model.KeyValues([("Образовательная организация", f"{org.name} ({org.code})"),
                         ("Муниципалитет", muni.name if muni else "—"), ("Год проведения ВПР", str(year)),
                         ("Процедур (предмет × класс)", str(len(own)))]),
        model.Table(summary_cols, summary_rows, title="Таблица 1. Результаты ВПР школы", sheet="Результаты",
                    n_column=1),
        model.Text("Группы менее 5 участников не публикуются (152-ФЗ): их показатели заменены знаком «—».", "note"),
    ])]
    level_names = [("Школа", None), ("Муниципалитет", muni_idx), ("Регион", region_idx)]
    task_rows_all: list[list[Any]] = []
    compare_rows_all: list[list[Any]] = []
    for i, r in enumerate(own.itertuples(index=False), start=1):
        key = _procedure_key(r)
        refs = [r, muni_idx.get(key), region_idx.get(key)]
        blocks: list[model.Block] = []
        dist_series = []
        for (name, _idx), ref in zip(level_names, refs):
            if ref is not None and int(ref.n) >= 5:
                dist_series.append((name, [_value(getattr(ref, f"share{m}")) for m in MARKS]))
        blocks.append(model.Chart(f"Распределение отметок, %: {_short(r.subject, r.grade)}", [f"«{m}»" for m in MARKS],
                                  dist_series, sheet="Диаграмма" if i == 1 else None))
        cmp_cols = [model.Column("Уровень", "text", 1.4)] + [c for _k, c in INDICATOR_COLUMNS]
        cmp_rows = [[name] + _row(ref, [k for k, _c in INDICATOR_COLUMNS])
                    for (name, _idx), ref in zip(level_names, refs) if ref is not None]
        blocks.append(model.Table(cmp_cols, cmp_rows, title="Сравнение с муниципалитетом и регионом", n_column=1))
        compare_rows_all += [[_short(r.subject, r.grade)] + row for row in cmp_rows]
        journal = _row(r, [k for k, _c in JOURNAL_COLUMNS])
        if int(r.n) >= 5 and journal[0] is not None:
            blocks.append(model.Text(
                f"Соответствие отметкам по журналу: понизили {fmt_percent(journal[0])}, подтвердили "
                f"{fmt_percent(journal[1])}, повысили {fmt_percent(journal[2])} участников."))
        blocks += _task_blocks(rates, org.code, muni, region, r, task_rows_all)
        flag = flags.get(key)
        if flag:
            lines = [f"{s} — {SIGN_NAMES.get(s, s)}: {flag.evidence.get(s, '')}" for s in flag.signs]
            lines += [f"Основание для списка риска: {reason}" for reason in flag.risk_reasons]
            blocks.append(model.Text("Признаки необъективности:\n" + "\n".join(lines), "warning"))
        sections.append(model.Section(f"2.{i}. {_short(r.subject, r.grade)}", blocks, level=1))
    sections.insert(1, model.Section("2. Результаты по предметам и классам", [
        model.Text("Для каждой процедуры: распределение отметок, показатели школы, муниципалитета и региона, "
                   "решаемость заданий и признаки необъективности, если они выявлены.")]))
    sections[-1].blocks.append(model.Table(
        [model.Column("Предмет, класс", "text", 1.6), model.Column("Уровень", "text", 1.4)]
        + [c for _k, c in INDICATOR_COLUMNS], compare_rows_all, sheet="Сравнение", n_column=2, in_pdf=False))
    if task_rows_all:
        sections[-1].blocks.append(model.Table(
            [model.Column("Предмет, класс", "text", 1.6), model.Column("Задание", "text", 0.7),
             model.Column("Уровень", "text", 1), model.Column("Макс. балл", "score", 0.7),
             model.Column("N", "int", 0.5), model.Column("Школа, %", "percent", 0.9),
             model.Column("Муниципалитет, %", "percent", 1.1), model.Column("Регион, %", "percent", 0.9)],
            task_rows_all, sheet="Решаемость заданий", n_column=4, in_pdf=False))
    sections.append(_school_dynamics(own_all, org, year))
    return model.Report(kind="school", title="Анализ результатов всероссийских проверочных работ",
                        organization=org.name, org_code=org.code, period=f"ВПР {year} года",
                        subtitle=muni.name if muni else "", sections=sections)


def _task_blocks(rates: dict[str, pd.DataFrame], code: str, muni, region, r, task_rows_all: list) -> list[model.Block]:
    def pick(level: str, org_code: str | None) -> pd.DataFrame:
        frame = rates.get(level)
        if frame is None or org_code is None:
            return pd.DataFrame()
        return frame[(frame["org"] == org_code) & (frame["procedure_id"] == r.procedure_id)].set_index("task_no")

    own = pick("school", code)
    if own.empty:
        return [model.Text("Решаемость заданий не рассчитана: в описании процедуры нет максимальных баллов заданий.",
                           "note")]
    m = pick("municipality", muni.code if muni else None)
    g = pick("region", region.code if region else None)
    rows = []
    for task_no, t in own.iterrows():
        row = [str(t["task_id"]), t["task_level"] or "", _value(t["max"]), _value(t["n"]), _value(t["solve_rate"]),
               _value(m["solve_rate"].get(task_no)) if not m.empty else None,
               _value(g["solve_rate"].get(task_no)) if not g.empty else None]
        rows.append(row)
        task_rows_all.append([_short(r.subject, r.grade)] + row)
    cols = [model.Column("Задание", "text", 0.8), model.Column("Уровень", "text", 1.1),
            model.Column("Макс. балл", "score", 0.8), model.Column("N", "int", 0.6),
            model.Column("Школа, %", "percent", 1), model.Column("Муниципалитет, %", "percent", 1.2),
            model.Column("Регион, %", "percent", 1)]
    blocks: list[model.Block] = [model.Table(cols, rows, title="Решаемость заданий, %", n_column=3)]
    if int(r.n) >= 5:
        series = [("Школа", [row[4] for row in rows])]
        if not m.empty:
            series.append(("Муниципалитет", [row[5] for row in rows]))
        if not g.empty:
            series.append(("Регион", [row[6] for row in rows]))
        blocks.insert(0, model.Chart("Решаемость заданий, %", [row[0] for row in rows], series))
    return blocks


def _school_dynamics(own_all: pd.DataFrame, org: Organization, year: int) -> model.Section:
    years = sorted(int(y) for y in own_all["year"].unique())
    blocks: list[model.Block] = []
    rows = []
    for (subject, grade), group in own_all.groupby(["subject", "grade"], sort=True):
        by_year = {int(r.year): r for r in group.itertuples(index=False)}
        row: list[Any] = [_short(subject, int(grade))]
        for y in years:
            rec = by_year.get(y)
            small = rec is None or int(rec.n) < 5
            row += [None if small else _value(rec.quality), None if small else _value(rec.mean_mark)]
        rows.append(row)
    cols = [model.Column("Предмет, класс", "text", 1.8)]
    for y in years:
        cols += [model.Column(f"Качество {y}, %", "percent", 1), model.Column(f"Ср. отметка {y}", "mark", 0.9)]
    for subject in sorted(own_all["subject"].unique()):
        sub = own_all[own_all["subject"] == subject]
        grades = sorted(int(g) for g in sub["grade"].unique())
        series = []
        for y in years:
            values = []
            for g in grades:
                hit = sub[(sub["grade"] == g) & (sub["year"] == y)]
                values.append(_value(hit["quality"].iloc[0]) if len(hit) and int(hit["n"].iloc[0]) >= 5 else None)
            series.append((str(y), values))
        blocks.append(model.Chart(f"Динамика качества знаний, %: {subject}", [f"{g} кл." for g in grades], series))
    blocks.append(model.Table(cols, rows, title="Качество знаний и средняя отметка по годам", sheet="Динамика"))
    return model.Section("3. Динамика результатов", blocks)


# -------------------------------------------------------------------------------------- municipal

def build_municipal_report(session: Session, *, org: Organization, year: int | None) -> model.Report:
    if org.kind == "school":
        raise InputError(f"«{org.code}» — школа; муниципальный отчёт строится для муниципалитета или региона "
                         "(для школы: --kind school).")
    year = year or _latest_year(session)
    levels = _levels(session, (year - 1, year))
    muni, region = _parents(org)
    own_level = "municipality" if org.kind == "municipality" else "region"
    own = levels[own_level][(levels[own_level]["org"] == org.code) & (levels[own_level]["year"] == year)]
    if own.empty:
        raise NotFoundError(f"Нет результатов ВПР по «{org.code}» за {year} год.")
    region_idx = _index(levels["region"], region.code) if region is not None and own_level != "region" else {}
    scope = {o.code for o in descendants(session, org)}
    schools = levels["school"][levels["school"]["org"].isin(scope) & (levels["school"]["year"] == year)]
    flags = objectivity_flags(session, year=year, org_code=org.code)
    flag_idx = {(f.org, f.procedure, f.subject, f.grade, f.year): f for f in flags}

    # 1. summary of the municipality against the region
    keys = [k for k, _c in INDICATOR_COLUMNS]
    cols = [model.Column("Предмет, класс", "text", 1.8)] + [c for _k, c in INDICATOR_COLUMNS]
    rows, chart_quality = [], []
    for r in own.itertuples(index=False):
        rows.append([_short(r.subject, r.grade)] + _row(r, keys))
        ref = region_idx.get(_procedure_key(r))
        chart_quality.append((f"{r.subject[:3]}. {r.grade}", _value(r.quality), _value(ref.quality) if ref is not None else None))
    summary: list[model.Block] = [
        model.KeyValues([("Организация", f"{org.name} ({org.code})"), ("Год проведения ВПР", str(year)),
                         ("Образовательных организаций с результатами", str(schools["org"].nunique())),
                         ("Процедур (предмет × класс)", str(len(own))),
                         ("ОО с признаками необъективности", str(len({f.org for f in flags}))),
                         ("ОО в списке риска", str(len({f.org for f in flags if f.risk})))]),
        model.Table(cols, rows, title=f"Таблица 1. Результаты ВПР {year}: {org.name}", sheet="Сводка", n_column=1),
    ]
    series = [(org.name, [q for _l, q, _g in chart_quality])]
    if region_idx:
        series.append((region.name if region else "Регион", [g for _l, _q, g in chart_quality]))
    summary.insert(1, model.Chart("Качество знаний, %: сравнение с регионом" if region_idx else "Качество знаний, %",
                                  [c[0] for c in chart_quality], series, sheet="Диаграмма"))
    top = itertools.count(1)  # top-level section numbers
    sections = [model.Section(f"{next(top)}. Общие результаты", summary)]
    for_region = own_level == "region"
    if for_region:
        sections.append(_municipalities_section(f"{next(top)}.", levels["municipality"], scope, year, keys))

    # 2. all schools, one table per procedure (PDF) and one flat sheet (Excel). A region has hundreds of
    # schools: its PDF keeps municipalities and the flagged schools (section 3); every school is in Excel.
    school_cols = [model.Column("Образовательная организация", "text", 2.2)] + [c for _k, c in INDICATOR_COLUMNS] \
        + [model.Column("Признаки", "text", 0.9), model.Column("Риск", "bool", 0.7)]
    flat_rows = []
    schools_note = ("Результаты всех образовательных организаций региона — в версии Excel этого отчёта "
                    "(лист «Результаты ОО»); ОО с признаками необъективности — в разделе 3." if for_region else
                    "Строки ОО из списка риска выделены цветом; расшифровка признаков — в разделе 3.")
    number = next(top)
    sections.append(model.Section(f"{number}. Результаты образовательных организаций", [model.Text(schools_note)]))
    for i, ((subject, grade), group) in enumerate(schools.groupby(["subject", "grade"], sort=True), start=1):
        proc_rows = []
        for r in group.sort_values("org").itertuples(index=False):
            flag = flag_idx.get((r.org, r.procedure, r.subject, int(r.grade), int(r.year)))
            row = [f"{r.org_name} ({r.org})"] + _row(r, keys) + [", ".join(flag.signs) if flag else "",
                                                                  bool(flag and flag.risk)]
            proc_rows.append(row)
            flat_rows.append([r.org, r.org_name, subject, int(grade)] + row[1:])
        if not for_region:
            sections.append(model.Section(f"{number}.{i}. {_short(subject, int(grade))}", [
                model.Table(school_cols, proc_rows, n_column=1, risk_column=len(school_cols) - 1)], level=1))
    flat_cols = [model.Column("Код ОО", "text", 1), model.Column("Образовательная организация", "text", 2.6),
                 model.Column("Предмет", "text", 1.2), model.Column("Класс", "text", 0.5)] + school_cols[1:]
    sections[-1].blocks.append(model.Table(flat_cols, flat_rows, sheet="Результаты ОО", n_column=4,
                                           risk_column=len(flat_cols) - 1, in_pdf=False))

    # 3. objectivity signs with evidence and the risk list
    legend = "; ".join(f"{k} — {v}" for k, v in SIGN_NAMES.items())
    sign_rows = [[f"{f.org_name} ({f.org})", _short(f.subject, f.grade), f.n, ", ".join(f.signs),
                  "\n".join(f"{s}: {f.evidence.get(s, '')}" for s in f.signs), f.risk] for f in flags]
    risk_rows = [[f"{r.org_name} ({r.org})", "\n".join(r.reasons)] for r in risk_list(flags)]
    sections.append(model.Section(f"{next(top)}. Признаки необъективности результатов", [
        model.Text(f"Признаки рассчитаны для групп не менее 10 участников. {legend}.", "note"),
        model.Table([model.Column("ОО", "text", 2), model.Column("Предмет, класс", "text", 1.3),
                     model.Column("N", "int", 0.5), model.Column("Признаки", "text", 0.9),
                     model.Column("Обоснование", "text", 4), model.Column("Риск", "bool", 0.6)],
                    sign_rows, title="Признаки по процедурам", sheet="Признаки", risk_column=5),
        model.Table([model.Column("ОО", "text", 2), model.Column("Основания включения", "text", 5)], risk_rows,
                    title="Список ОО с признаками необъективности результатов", sheet="Список риска"),
    ]))

    # 4. ШНОР
    shnor = shnor_list(session, year=year, org_code=org.code)
    shnor_rows = [[f"{e.org_name} ({e.org})",
                   "\n".join(line for y in sorted(e.low_procedures) for line in e.low_procedures[y]),
                   "нет данных" if e.shfnsu is None else ("да: " + ", ".join(e.shfnsu_factors) if e.shfnsu else "нет")]
                  for e in shnor]
    sections.append(model.Section(f"{next(top)}. Школы с низкими образовательными результатами (ШНОР)", [
        model.Text("ШНОР: доля «2» не менее 25 % или средняя отметка в нижних 10 % муниципалитета не менее чем "
                   "в двух процедурах в каждом из двух последних лет.", "note"),
        model.Table([model.Column("ОО", "text", 2), model.Column("Низкие результаты", "text", 5),
                     model.Column("ШФНСУ", "text", 1.2)], shnor_rows, title="Список ШНОР", sheet="ШНОР"),
    ]))

    # 5. ММУКО criteria
    sections.append(_mmuko_section(session, org, f"{next(top)}."))
    return model.Report(kind="municipal", title="Аналитический отчёт о результатах оценки качества образования",
                        organization=org.name, org_code=org.code, period=f"{year} год",
                        subtitle="Всероссийские проверочные работы, объективность, ШНОР, критерии ММУКО",
                        sections=sections)


def _municipalities_section(number: str, munis: pd.DataFrame, scope: set[str], year: int,
                            keys: list[str]) -> model.Section:
    """For a region: one table per procedure with a row for every municipality."""
    cols = [model.Column("Муниципалитет", "text", 2.2)] + [c for _k, c in INDICATOR_COLUMNS]
    own = munis[munis["org"].isin(scope) & (munis["year"] == year)]
    blocks: list[model.Block] = []
    flat_rows: list[list[Any]] = []
    for (subject, grade), group in own.groupby(["subject", "grade"], sort=True):
        rows = [[f"{r.org_name} ({r.org})"] + _row(r, keys) for r in group.sort_values("org").itertuples(index=False)]
        blocks.append(model.Table(cols, rows, title=_short(subject, int(grade)), n_column=1))
        flat_rows += [[r[0], subject, int(grade)] + r[1:] for r in rows]
    flat_cols = [cols[0], model.Column("Предмет", "text", 1.2), model.Column("Класс", "text", 0.5)] + cols[1:]
    blocks.append(model.Table(flat_cols, flat_rows, sheet="Муниципалитеты", n_column=3, in_pdf=False))
    return model.Section(f"{number} Результаты муниципалитетов", blocks)


def _mmuko_section(session: Session, org: Organization, number: str) -> model.Section:
    title = f"{number} Критерии ММУКО: динамика"
    values = mmuko_criteria(session, org_code=org.code)
    if not values:
        return model.Section(title, [model.Text("Формы с критериями ММУКО для этой организации не заполнены.", "note")])
    rows = [[v.criterion, v.title, v.period, v.points, v.max_points, v.value, v.previous_value, v.delta,
             STATUS_RU.get(v.status, v.status)] for v in values]
    cols = [model.Column("Критерий", "text", 0.7), model.Column("Наименование", "text", 2.6),
            model.Column("Период", "text", 0.8), model.Column("Баллы", "score", 0.6),
            model.Column("Макс.", "score", 0.6), model.Column("Значение, %", "percent", 0.9),
            model.Column("Пред. период, %", "percent", 0.9), model.Column("Прирост, п.п.", "score", 0.9),
            model.Column("Статус формы", "text", 1)]
    periods = sorted({v.period for v in values})
    criteria = list(dict.fromkeys(v.criterion for v in values))
    lookup = {(v.criterion, v.period): v.value for v in values}
    chart = model.Chart("Значения критериев ММУКО по периодам, %", criteria,
                        [(p, [lookup.get((c, p)) for c in criteria]) for p in periods], sheet="Диаграмма ММУКО")
    text = "; ".join(f"{v.criterion}: {fmt_percent(v.previous_value)} → {fmt_percent(v.value)}"
                     for v in values if v.previous_value is not None)
    blocks: list[model.Block] = [chart, model.Table(cols, rows, title="Критерии ММУКО", sheet="ММУКО")]
    if text:
        blocks.insert(0, model.Text(f"Изменение за период: {text}."))
    return model.Section(title, blocks)


STATUS_RU = {"draft": "черновик", "submitted": "отправлена", "approved": "принята", "returned": "возвращена"}
