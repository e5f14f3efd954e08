"""The human-readable XLSX copy is written directly as SpreadsheetML: Excel readers must see what we wrote."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from ersoko_desktop.packages.human import xlsx_bytes
from ersoko_desktop.packages.xlsx_check import check_xlsx


def _book():
    rows = [[1, 2.5, "=1+2"], [None, "a<b & c>\x01d", True], [dt.date(2025, 5, 1), -3, "-3"]]
    return xlsx_bytes([("Сводка", ["Код", "Балл", "Комментарий"], rows),
                       ("Сводка", ["Один"], []),
                       ("Очень длинное название листа: больше 31 знака", ["x"], [["y"]])])


def test_values_types_and_header_as_openpyxl_reads_them():
    wb = load_workbook(io.BytesIO(_book()))
    assert wb.sheetnames == ["Сводка", "Сводка 2", "Очень длинное название листа_ б"]  # 31 знак, «:» заменено
    ws = wb["Сводка"]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [
        ["Код", "Балл", "Комментарий"], [1, 2.5, "=1+2"], [None, "a<b & c>d", True], ["2025-05-01", -3, "-3"]]
    assert all(c.font.b for c in ws[1]) and not ws["A2"].font.b
    assert ws.freeze_panes == "A2"
    # text that looks like a formula is text with the quote prefix; a negative number stays a number
    assert (ws["C2"].data_type, ws["C2"].quotePrefix) == ("s", True)
    assert (ws["C4"].data_type, ws["C4"].quotePrefix) == ("s", True)
    assert (ws["B4"].data_type, ws["B4"].quotePrefix) == ("n", False)
    assert (ws["B3"].data_type, ws["B3"].quotePrefix) == ("s", False)
    assert ws["C3"].data_type == "b"


def test_calamine_reads_it_and_the_xml_check_accepts_it():
    data = _book()
    check_xlsx(data, "report.xlsx")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert sheet[1] == [1.0, 2.5, "=1+2"] and sheet[3] == ["2025-05-01", -3.0, "-3"]
