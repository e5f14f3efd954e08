"""Build real results files (XLSX via openpyxl, CSV in a chosen encoding) and a small registry."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Sequence

from openpyxl import Workbook

from ersoko_desktop.db.models import Organization

SCHOOLS = ("0801001", "0801002", "0801003")
MUNICIPALITY = "0801"

# ВПР 2024, математика, 5 класс (forms/procedures/vpr_2024_matematika_5.yaml):
MATH5_MAX = [1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 2, 3]  # 14 tasks, 20 points
MATH5_TASKS = [str(i) for i in range(1, 15)]
MATH5_TITLE = [["Всероссийские проверочные работы 2024"], ["Предмет: Математика"], ["Класс: 5"]]


def add_registry(session) -> dict[str, int]:
    """Region → municipality 0801 → schools 0801001..0801003 (and an unrelated municipality)."""
    region = Organization(code="08", name="Республика", kind="region")
    muni = Organization(code=MUNICIPALITY, name="Район", kind="municipality", parent=region)
    other = Organization(code="0802", name="Другой район", kind="municipality", parent=region)
    schools = [Organization(code=c, name=f"Школа {c}", kind="school", parent=muni) for c in SCHOOLS]
    session.add_all([region, muni, other, *schools])
    session.commit()
    return {o.code: o.id for o in (region, muni, other, *schools)}


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], sheet: str = "Лист1",
               extra_sheets: dict[str, Sequence[Sequence[Any]]] | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for name, more in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in more:
            other.append(list(row))
    wb.save(path)
    return path


def write_xls(path: Path, rows: Sequence[Sequence[Any]], sheet: str = "Лист1") -> Path:
    """A real Excel 97-2003 workbook (BIFF8, as old ФИС ОКО exports and many schools still send)."""
    import datetime as dt

    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    date_style = xlwt.easyxf(num_format_str="DD.MM.YYYY")
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write(i, j, value, date_style)
            elif value is not None:
                ws.write(i, j, value)
    book.save(str(path))
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ";") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def math5_header(*, school: str | None = "Код ОО") -> list[str]:
    head = [school] if school else []
    return head + ["Код участника", "Класс", "Вариант", "Пол", *MATH5_TASKS, "Первичный балл", "Отметка",
                   "Отметка за предыдущую четверть"]


def math5_row(school: str | None, code: str, scores: Sequence[Any], primary: Any, mark: Any, journal: Any,
              klass: str = "5А", variant: Any = 1, gender: str = "М") -> list[Any]:
    head = [school] if school is not None else []
    return head + [code, klass, variant, gender, *scores, primary, mark, journal]


FULL = [1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 2, 3]  # 20 → «5»
TWELVE = [1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 0, 0, 0, 0]  # 12 → «4»
SEVEN = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]  # 7 → «3»
TWO = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # 2 → «2»
