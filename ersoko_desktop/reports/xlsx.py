"""Render a :class:`~.model.Report` as an Excel workbook: the same tables as real spreadsheets.

Every table with a ``sheet`` name becomes a sheet with a frozen header, filters, column widths,
number formats and the risk rows highlighted by conditional formatting; charts with a
``sheet`` name become chart sheets over a «Данные диаграмм» sheet. Text that looks like a
formula is written as text (:mod:`.safe_cells`).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..fileio import atomic_write_bytes
from ..progress import Progress
from . import model
from .numbers import SUPPRESSED, XLSX_FORMATS, fmt_date
from .safe_cells import write_xlsx_cell

HEADER_FILL = PatternFill("solid", fgColor="DBE5F1")
GROUP_FILL = PatternFill("solid", fgColor="EEF1F5")
RISK_FILL = PatternFill("solid", fgColor="F8D7D3")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
RIGHT = Alignment(horizontal="right", vertical="top")
YES, NO = "да", "нет"
CHART_DATA_SHEET = "Данные диаграмм"


def sheet_title(name: str, taken: set[str]) -> str:
    """Excel sheet names: ≤ 31 characters, none of []:*?/\\ , unique ignoring case."""
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Лист"
    title, k = base, 2
    while title.lower() in taken:
        suffix = f" ({k})"
        title, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(title.lower())
    return title


def render_xlsx(report: model.Report, path: str | Path, *, progress: Progress | None = None) -> Path:
    """Write ``report`` to ``path`` (XLSX) atomically and return the path."""
    return atomic_write_bytes(path, xlsx_bytes(report, progress=progress))


def xlsx_bytes(report: model.Report, *, progress: Progress | None = None) -> bytes:
    progress = progress or Progress.none()
    wb = Workbook()
    taken: set[str] = set()
    info = wb.active
    info.title = sheet_title("Сведения", taken)
    _write_info(info, report)
    tables = [t for t in report.tables() if t.sheet]
    for i, table in enumerate(tables):
        progress.step(0.3 + 0.6 * i / max(1, len(tables)), "Отчёт Excel: таблицы")
        write_table(wb.create_sheet(sheet_title(table.sheet or "Таблица", taken)), table)
    for block in (b for s in report.sections for b in s.blocks if isinstance(b, model.KeyValues) and b.sheet):
        ws = wb.create_sheet(sheet_title(block.sheet or "Сведения", taken))
        for r, (key, value) in enumerate(block.rows, start=1):
            write_xlsx_cell(ws, r, 1, key).font = BOLD
            write_xlsx_cell(ws, r, 2, value)
        ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 34, 90
    charts = [c for c in report.charts() if c.sheet]
    if charts:
        _write_charts(wb, charts, taken)
    buffer = io.BytesIO()
    wb.save(buffer)
    progress.step(1.0, "Отчёт сформирован")
    return buffer.getvalue()


def _write_info(ws, report: model.Report) -> None:
    rows = [("Отчёт", report.title), ("Организация", report.organization), ("Период", report.period)]
    if report.subtitle:
        rows.append(("", report.subtitle))
    rows.append(("Сформирован", f"{fmt_date(report.generated)}, ЕРСОКО Desktop"))
    for r, (key, value) in enumerate(rows, start=1):
        write_xlsx_cell(ws, r, 1, key).font = BOLD
        write_xlsx_cell(ws, r, 2, value)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 16, 100


def write_table(ws, table: model.Table) -> None:
    """One table on its own sheet: header in row 1 (frozen, filtered), one row per record."""
    ncols = len(table.columns)
    for j, col in enumerate(table.columns, start=1):
        cell = write_xlsx_cell(ws, 1, j, col.title)
        cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, WRAP
    widths = [max(8, min(60, len(c.title) * 0.6 + 2)) for c in table.columns]
    r = 1
    for row in table.display_rows():
        r += 1
        if isinstance(row, model.GroupRow):
            cell = write_xlsx_cell(ws, r, 1, row.title)
            cell.font, cell.fill = BOLD, GROUP_FILL
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
            continue
        for j, (col, value) in enumerate(zip(table.columns, row), start=1):
            if col.kind == "bool":
                value = None if value is None else (YES if value else NO)
            cell = write_xlsx_cell(ws, r, j, value, number_format=XLSX_FORMATS.get(col.kind))
            if value == SUPPRESSED or col.kind in model.NUMERIC_KINDS:
                cell.alignment = RIGHT
            elif col.kind == "text":
                cell.alignment = WRAP
                widths[j - 1] = max(widths[j - 1], min(60, len(str(value or "")) * 1.05 + 2))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    last = get_column_letter(ncols)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{max(r, 2)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if table.risk_column is not None and r >= 2:
        risk = get_column_letter(table.risk_column + 1)
        ws.conditional_formatting.add(f"A2:{last}{r}",
                                      FormulaRule(formula=[f'${risk}2="{YES}"'], fill=RISK_FILL, stopIfTrue=False))


def _write_charts(wb: Workbook, charts: list[model.Chart], taken: set[str]) -> None:
    data = wb.create_sheet(sheet_title(CHART_DATA_SHEET, taken))
    row = 1
    for chart in charts:
        write_xlsx_cell(data, row, 1, chart.title).font = BOLD
        head = row + 1
        write_xlsx_cell(data, head, 1, "Категория").font = BOLD
        for k, (name, _values) in enumerate(chart.series, start=2):
            write_xlsx_cell(data, head, k, name).font = BOLD
        for i, category in enumerate(chart.categories, start=1):
            write_xlsx_cell(data, head + i, 1, category)
            for k, (_name, values) in enumerate(chart.series, start=2):
                write_xlsx_cell(data, head + i, k, values[i - 1], number_format=XLSX_FORMATS.get(chart.unit))
        last_row = head + len(chart.categories)
        plot = BarChart() if chart.kind == "bar" else LineChart()
        if chart.kind == "bar":
            plot.type = "col"
        plot.title = chart.title
        plot.y_axis.title = {"percent": "%", "mark": "Отметка"}.get(chart.unit, "")
        plot.add_data(Reference(data, min_col=2, max_col=1 + len(chart.series), min_row=head, max_row=last_row),
                      titles_from_data=True)
        plot.set_categories(Reference(data, min_col=1, min_row=head + 1, max_row=last_row))
        sheet = wb.create_chartsheet(sheet_title(chart.sheet or "Диаграмма", taken))
        sheet.add_chart(plot)
        row = last_row + 2
    data.column_dimensions["A"].width = 40
