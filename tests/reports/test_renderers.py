"""The PDF and XLSX renderers on a report built here: text, numbering, splitting, Excel features."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ersoko_desktop.reports import model
from ersoko_desktop.reports.pdf import render_pdf
from ersoko_desktop.reports.xlsx import render_xlsx


def _report(rows: int = 150) -> model.Report:
    cols = [model.Column("Образовательная организация", "text", 3), model.Column("N", "int", 0.6),
            model.Column("Качество, %", "percent"), model.Column("Средняя отметка", "mark"),
            model.Column("Риск", "bool", 0.6)]
    data: list = [model.GroupRow("Математика, 5 класс")]
    data.append(["=HYPERLINK(\"http://x\")", 20, 39.63, 3.856, True])
    data.append(["Малокомплектная школа", 3, 100.0, 5.0, False])
    for i in range(rows):
        data.append([f"МБОУ «Средняя школа №{i + 1}»", 25, 50.0, 3.5, False])
    chart = model.Chart("Распределение отметок", ["2", "3", "4", "5"],
                        [("Школа", [10.0, 30.0, 40.0, 20.0]), ("Регион", [8.0, 35.0, 40.0, 17.0])], sheet="Диаграмма")
    return model.Report(
        kind="municipal", title="Анализ результатов ВПР", organization="Степной район", period="2025 год",
        generated=dt.date(2025, 6, 1),
        sections=[
            model.Section("1. Распределение отметок", [chart, model.Text("Ёмкий комментарий.")]),
            model.Section("2. Результаты школ", [model.Table(cols, data, title="Таблица 1", sheet="Школы",
                                                             n_column=1, risk_column=4)]),
            model.Section("2.1. Подраздел", [model.Text("Текст подраздела.")], level=1),
        ])


@pytest.fixture(scope="module")
def pdf_pages(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    render_pdf(_report(), path)
    return path, [p.extract_text() for p in PdfReader(path).pages]


def test_every_page_says_page_n_of_m(pdf_pages):
    _path, pages = pdf_pages
    total = len(pages)
    assert total >= 5  # title, contents, chart, a table over several pages
    for n, text in enumerate(pages, start=1):
        assert f"Стр. {n} из {total}" in text


def test_title_page_and_table_of_contents(pdf_pages):
    _path, pages = pdf_pages
    assert "Степной район" in pages[0] and "Анализ результатов ВПР" in pages[0] and "Период: 2025 год" in pages[0]
    assert "Сформировано 01.06.2025" in pages[0]
    toc = pages[1]
    assert "Содержание" in toc
    titles = ["1. Распределение отметок", "2. Результаты школ", "2.1. Подраздел"]
    assert [t for t in titles if t in toc] == titles
    # Each entry has a dotted leader to the page number where its heading really is.
    numbers = [int(n) for n in re.findall(r"(?:\.\s*){3,}(\d+)", toc)]
    assert len(numbers) == len(titles)
    for title, page in zip(titles, numbers):
        assert title in pages[page - 1].split("Стр.")[0]


def test_long_table_splits_and_repeats_its_header(pdf_pages):
    _path, pages = pdf_pages
    with_rows = [i for i, t in enumerate(pages) if "Средняя школа №" in t]
    assert len(with_rows) >= 3
    for i in with_rows:
        assert "Образовательная организация" in pages[i] and "Средняя" in pages[i]
    assert "Средняя школа №150»" in pages[with_rows[-1]]
    assert sum(t.count("Средняя школа №") for t in pages) == 150  # no row lost or repeated


def test_numbers_are_russian_and_small_groups_suppressed(pdf_pages):
    _path, pages = pdf_pages
    text = "\n".join(pages).replace("\u00a0", " ")
    assert "39,6 %" in text and "3,86" in text
    row = next(line for line in text.split("\n") if line.startswith("Малокомплектная школа"))
    assert row.split() == ["Малокомплектная", "школа", "3", "—", "—", "нет"]
    assert "100,0 %" not in text  # the suppressed figure is nowhere
    assert "=HYPERLINK" in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_page_renders_with_the_embedded_font(pdf_pages, tmp_path):
    from PIL import Image

    path, _pages = pdf_pages
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and "yes" in fonts  # embedded (subset)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "3", "-l", "3", str(path), str(tmp_path / "p")], check=True)
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    dark = sum(1 for px in image.tobytes() if px < 128)
    assert dark > 500  # text and bars were drawn


def test_xlsx_has_frozen_filtered_formatted_sheets(tmp_path):
    path = render_xlsx(_report(rows=10), tmp_path / "report.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Сведения", "Школы", "Данные диаграмм", "Диаграмма"]
    info = wb["Сведения"]
    assert info["B2"].value == "Степной район" and info["B3"].value == "2025 год"
    ws = wb["Школы"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E14"
    assert [c.value for c in ws[1]] == ["Образовательная организация", "N", "Качество, %", "Средняя отметка", "Риск"]
    assert ws["A2"].value == "Математика, 5 класс" and "A2:E2" in ws.merged_cells
    injected = ws["A3"]
    assert injected.value == "=HYPERLINK(\"http://x\")" and injected.data_type == "s"
    assert ws["C3"].value == pytest.approx(39.63) and ws["C3"].number_format == '0.0" %"'
    assert ws["D3"].number_format == "0.00" and ws["E3"].value == "да"
    assert [c.value for c in ws[4]] == ["Малокомплектная школа", 3, "—", "—", "нет"]
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert any('$E2="да"' in r.formula[0] for r in rules)
    assert ws.column_dimensions["A"].width > ws.column_dimensions["B"].width
    assert wb["Диаграмма"].__class__.__name__ == "Chartsheet"
    assert wb["Данные диаграмм"]["B2"].value == "Школа" and wb["Данные диаграмм"]["B3"].value == 10.0
