"""Text that begins like a formula is never executed by Excel (CSV and XLSX)."""

import csv
import io

from openpyxl import Workbook, load_workbook

from ersoko_desktop.reports.safe_cells import csv_safe, looks_like_formula, safe_row, write_xlsx_cell

RISKY = ["=HYPERLINK(\"http://evil\",\"x\")", "+7 999", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]


def test_risky_text_is_recognised_and_numbers_are_not():
    assert all(looks_like_formula(v) for v in RISKY)
    assert not looks_like_formula("Школа №1")
    assert not looks_like_formula(-5)
    assert not looks_like_formula(None)


def test_csv_fields_get_a_leading_apostrophe():
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerow([csv_safe(v) for v in ["=1+1", "Школа", -3, "@x"]])
    assert buf.getvalue().strip() == "'=1+1;Школа;-3;'@x"


def test_xlsx_cells_keep_risky_text_as_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    for i, value in enumerate(RISKY + [42, "Школа"], start=1):
        write_xlsx_cell(ws, i, 1, value)
    path = tmp_path / "cells.xlsx"
    wb.save(path)
    back = load_workbook(path).active
    for i, value in enumerate(RISKY, start=1):
        cell = back.cell(i, 1)
        assert cell.value == value and cell.data_type == "s" and cell.quotePrefix
    assert back.cell(len(RISKY) + 1, 1).value == 42 and back.cell(len(RISKY) + 1, 1).data_type == "n"


def test_safe_row_works_in_write_only_workbooks(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Данные")
    ws.append(safe_row(ws, ["=1+1", 5, "ok"]))
    path = tmp_path / "wo.xlsx"
    wb.save(path)
    row = next(load_workbook(path)["Данные"].iter_rows())
    assert [(c.value, c.data_type) for c in row] == [("=1+1", "s"), (5, "n"), ("ok", "s")]
