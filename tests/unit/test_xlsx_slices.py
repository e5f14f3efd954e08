"""The sliced XLSX reader gives exactly calamine's cells, at their real positions, slice after slice."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from python_calamine import CalamineWorkbook

from ersoko_desktop import xlsx_slices
from ersoko_desktop.tabular import open_rows, read_table
from ersoko_desktop.xlsx_slices import XlsxSlices


@pytest.fixture
def tiny_slices(monkeypatch):
    """Slices of a few hundred bytes: every small test file is cut many times."""
    monkeypatch.setattr(xlsx_slices, "FIRST_SLICE_BYTES", 64)
    monkeypatch.setattr(xlsx_slices, "SLICE_BYTES", 300)
    monkeypatch.setattr(xlsx_slices, "SHARED_STRINGS_FACTOR", 0)


def trimmed(rows) -> list[list]:
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] == "":
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def calamine_rows(path: Path, sheet: str) -> list[list]:
    return trimmed(CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False))


def sliced_rows(path: Path, sheet: str) -> list[list]:
    slices = XlsxSlices(path)
    try:
        return trimmed(slices.rows(sheet))
    finally:
        slices.close()


def count_slices(path: Path, sheet: str) -> int:
    slices = XlsxSlices(path)
    try:
        return sum(1 for _ in slices._slices(slices._parts[sheet]))
    finally:
        slices.close()


def openpyxl_book(path: Path, *, epoch_1904: bool = False) -> Path:
    wb = Workbook()
    if epoch_1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Математика 5"
    ws["C2"] = "Всероссийские проверочные работы"
    ws["C3"] = "Дата:"
    ws["D3"] = dt.date(2024, 4, 16)
    ws["B5"] = "Код ОО"
    ws["C5"] = "Код участника"
    ws["D5"] = "Балл"
    for i in range(40):
        r = 6 + i * 2  # every other row empty
        ws.cell(r, 2, "0801001")
        ws.cell(r, 3, 10000 + i)
        ws.cell(r, 4, i / 4)
        ws.cell(r, 6, i % 3 == 0)
        ws.cell(r, 7, f"=D{r}*2")  # no cached value: calamine leaves it empty
    other = wb.create_sheet("Справка")
    other["A1"] = "только текст"
    wb.save(path)
    return path


def test_openpyxl_book_reads_like_calamine_in_many_slices(tmp_path, tiny_slices):
    path = openpyxl_book(tmp_path / "book.xlsx")
    assert count_slices(path, "Математика 5") > 5
    expected = calamine_rows(path, "Математика 5")
    assert sliced_rows(path, "Математика 5") == expected
    assert expected[2][3] == dt.date(2024, 4, 16)  # the date style is applied in every slice
    assert expected[5][:6] == ["", "0801001", 10000.0, 0.0, "", True]  # row 6, column A kept empty
    assert sliced_rows(path, "Справка") == [["только текст"]]


def test_1904_date_system_is_kept(tmp_path, tiny_slices):
    path = openpyxl_book(tmp_path / "mac.xlsx", epoch_1904=True)
    rows = sliced_rows(path, "Математика 5")
    assert rows == calamine_rows(path, "Математика 5")
    assert rows[2][3] == dt.date(2024, 4, 16)


def handmade_xlsx(path: Path, rows: list[list], *, prefix: str = "", with_r: bool = True,
                  dimension: str | None = None, gaps: tuple[int, ...] = ()) -> Path:
    """Shared strings as Excel writes them; optional namespace prefix, missing r attributes, empty rows."""
    strings: list[str] = []
    p = f"{prefix}:" if prefix else ""
    out = []
    r = 0
    for row in rows:
        r += 1
        while r in gaps:
            out.append(f'<{p}row r="{r}"/>' if with_r else f"<{p}row/>")
            r += 1
        cells = []
        for j, value in enumerate(row):
            ref = f' r="{chr(65 + j)}{r}"' if with_r else ""
            if value is None:
                continue
            if isinstance(value, str):
                strings.append(value)
                cells.append(f'<{p}c{ref} t="s"><{p}v>{len(strings) - 1}</{p}v></{p}c>')
            else:
                cells.append(f"<{p}c{ref}><{p}v>{value}</{p}v></{p}c>")
        out.append((f'<{p}row r="{r}">' if with_r else f"<{p}row>") + "".join(cells) + f"</{p}row>")
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xmlns = f'xmlns:{prefix}="{ns}"' if prefix else f'xmlns="{ns}"'
    dim = f'<{p}dimension ref="{dimension}"/>' if dimension else ""
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns}>{dim}'
             f'<{p}sheetData>{"".join(out)}</{p}sheetData></{p}worksheet>')
    sst = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{ns}" count="{len(strings)}">'
           + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/data.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
        zf.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="/xl/workbook.xml"/></Relationships>'))
        zf.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}" xmlns:r="http://schemas.openxmlformats.org'
            '/officeDocument/2006/relationships"><sheets><sheet name="Результаты" sheetId="1" r:id="rId7"/>'
            "</sheets></workbook>"))
        zf.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/data.xml"/><Relationship Id="rId8" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"))
        zf.writestr("xl/worksheets/data.xml", sheet)
        zf.writestr("xl/sharedStrings.xml", sst)
    return path


ROWS = [["Предмет: Математика"], [None], ["Код ОО", "Код участника", "1", "2"]] + [
    ["0801001", f"К-{i}", i % 2, 2.5] for i in range(60)]


@pytest.mark.parametrize("prefix, dimension", [("", None), ("x", None), ("", "A1:D63")])
def test_shared_strings_prefixes_gaps_and_a_stale_dimension(tmp_path, tiny_slices, prefix, dimension):
    path = handmade_xlsx(tmp_path / "h.xlsx", ROWS, prefix=prefix, dimension=dimension, gaps=(2, 20, 21, 40))
    assert count_slices(path, "Результаты") > 5
    rows = sliced_rows(path, "Результаты")
    assert rows == calamine_rows(path, "Результаты")
    assert rows[0] == ["Предмет: Математика"]
    assert rows[1] == [] and rows[19] == [] and rows[20] == []  # sheet rows 2, 20, 21 are empty
    assert rows[2] == [] and rows[3][:2] == ["Код ОО", "Код участника"]  # the gap at 2 moved the header to row 4


def test_rows_without_r_attributes_are_read_in_one_slice(tmp_path, tiny_slices):
    path = handmade_xlsx(tmp_path / "nor.xlsx", ROWS, with_r=False)
    assert count_slices(path, "Результаты") == 1  # no safe place to cut: calamine's own positions
    assert sliced_rows(path, "Результаты") == calamine_rows(path, "Результаты")


def test_height_from_dimension_or_estimated(tmp_path):
    with_dim = handmade_xlsx(tmp_path / "d.xlsx", ROWS, dimension="A1:D63")
    without = handmade_xlsx(tmp_path / "n.xlsx", ROWS)
    for path, low, high in ((with_dim, 63, 63), (without, 30, 130)):
        slices = XlsxSlices(path)
        assert low <= slices.height("Результаты") <= high
        slices.close()


def test_open_rows_and_read_table_agree_and_keep_column_a(tmp_path, tiny_slices):
    """read_table is open_rows materialised: the same rows for XLSX, and for CSV."""
    path = openpyxl_book(tmp_path / "book.xlsx")
    table = read_table(path)
    source = open_rows(path)
    streamed = [trimmed(source.rows(i)[0]) for i in range(len(source.sheet_names))]
    source.close()
    assert [trimmed(s.rows) for s in table.sheets] == streamed
    assert table.sheets[0].rows[4][1] == "Код ОО"  # column B stays column B
    csv_path = tmp_path / "r.csv"
    csv_path.write_bytes("Код;Наименование\r\n08;Регион\r\n".encode("cp1251"))
    t = read_table(csv_path)
    assert (t.encoding, t.delimiter, t.rows) == ("cp1251", ";", [["Код", "Наименование"], ["08", "Регион"]])


def test_a_broken_slice_is_a_russian_error_naming_file_and_sheet(tmp_path, tiny_slices):
    path = handmade_xlsx(tmp_path / "bad.xlsx", ROWS)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("data.xml"):
                data = data.replace(b'<row r="30">', b'<row r="30"><c r="A30" t="s"><v>oops</c>')
            dst.writestr(item, data)
    from ersoko_desktop.errors import InputError

    with pytest.raises(InputError, match="«broken.xlsx», лист «Результаты»"):
        sliced_rows(broken, "Результаты")
