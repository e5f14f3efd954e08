"""Roadmap documents built by code for the tests: Word and Excel files with merged cells,
repeated headers, section rows, continuation rows and HTML list markup — as orders are written."""

from __future__ import annotations

from pathlib import Path


def build_docx(path: Path) -> Path:
    """Two roadmaps. The first: title «… на 2019 год», a header, an italic section merged across,
    tasks whose executor cell is merged down over two rows, a `<li>` list in a cell, a
    continuation row, a page-break continuation as a second table repeating the header, and a
    task whose number/title cells are merged down over two deadline rows. The second roadmap is
    a table without a number column under its own title «… на 2020 год»."""
    import docx

    doc = docx.Document()
    doc.add_paragraph("ПРИКАЗ")
    doc.add_paragraph("План мероприятий по развитию МСОКО на 2019 год")
    t = doc.add_table(rows=7, cols=5)
    header = ["№ п/п", "Наименование мероприятия", "Сроки", "Ответственные исполнители", "Ожидаемый результат"]
    for i, h in enumerate(header):
        t.cell(0, i).text = h
    merged = t.cell(1, 0).merge(t.cell(1, 4))
    merged.text = ""
    run = merged.paragraphs[0].add_run("Нормативное обеспечение")
    run.italic = True
    rows = [
        ["1.", "Утверждение положения о МСОКО", "январь", None, "Приказ"],
        ["2.", "Обновление документов: <ul><li>положение о ВСОКО;</li><li>регламенты процедур</li></ul>",
         "1 квартал", None, "Пакет документов"],
        ["", "с учётом рекомендаций ЦОКО", "", "", "на сайте"],
        ["3.", "Мониторинг объективности", "март", "ЦОКО", "Справка"],
    ]
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values):
            if v is not None:
                t.cell(r, c).text = v
    exec_cell = t.cell(2, 3).merge(t.cell(3, 3))
    exec_cell.text = "Отдел образования"
    t.cell(6, 0).text = "II. Работа со ШНОР"
    t.cell(6, 0).merge(t.cell(6, 4))
    doc.add_paragraph("")
    # the table goes on after a page break: the header repeats, no new title
    t2 = doc.add_table(rows=4, cols=5)
    for i, h in enumerate(header):
        t2.cell(0, i).text = h
    t2.cell(1, 0).text = "4."
    t2.cell(1, 1).text = "Собеседования с руководителями ШНОР"
    t2.cell(1, 2).text = "май"
    t2.cell(1, 3).text = "Отдел образования"
    t2.cell(1, 4).text = "Протоколы"
    t2.cell(2, 2).text = "ноябрь"
    t2.cell(1, 0).merge(t2.cell(2, 0))
    t2.cell(1, 1).merge(t2.cell(2, 1))
    t2.cell(1, 3).merge(t2.cell(2, 3))
    t2.cell(1, 4).merge(t2.cell(2, 4))
    t2.cell(3, 0).text = "5."
    t2.cell(3, 1).text = "Семинар для ШНОР"
    t2.cell(3, 2).text = "по мере необходимо"
    t2.cell(3, 3).text = "ММС"
    doc.add_paragraph("Дорожная карта по работе с одарёнными детьми на 2020 год")
    t3 = doc.add_table(rows=3, cols=3)
    for i, h in enumerate(["Мероприятия", "Срок исполнения", "Исполнители/соисполнители"]):
        t3.cell(0, i).text = h
    for c, v in enumerate(["Олимпиада школьников", "с 10 по 25 октября", "ОО"]):
        t3.cell(1, c).text = v
    for c, v in enumerate(["Летняя школа", "июнь-июль", "ММС"]):
        t3.cell(2, c).text = v
    doc.save(str(path))
    return path


def build_xlsx(path: Path) -> Path:
    """One roadmap on a sheet: a merged title row, a two-row header with year columns
    (2019 / 2020 under «Этапы (годы)»), a column-numbering row, a section merged across, an
    executor merged down over two tasks, a repeated header after a page break, a continuation
    row that finishes a broken word in the deadline."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "План"
    ws["A1"] = "План мероприятий («дорожная карта») по повышению объективности на 2019-2020 годы"
    ws.merge_cells("A1:F1")
    header = ["№", "Основные мероприятия", "Срок проведения (месяц)", "Этапы проведения (годы)", None, "Исполнитель"]
    ws.append([])
    ws.append(header)  # row 3
    ws.merge_cells("D3:E3")
    ws.append([None, None, None, 2019, 2020, None])  # row 4
    ws.append([1, 2, 3, 4, 5, 6])  # row 5
    ws.append(["I. Оценка качества", None, None, None, None, None])  # row 6
    ws.merge_cells("A6:F6")
    ws["A6"].font = Font(italic=True)
    ws.append(["1.", "Проведение региональных диагностических работ", "3 квартал", "+", "+", "ЦОКО"])  # 7
    ws.append(["2.", "Анализ результатов ВПР", "декабрь", "", "+", None])  # 8
    ws.merge_cells("F7:F8")
    ws.append(header)  # 9: repeated header
    ws.merge_cells("D9:E9")
    ws.append(["3.", "Совещания по итогам мониторинга", "по мере необходимо", "+", "", "КРИПКРО"])  # 10
    ws.append([None, None, "сти", None, None, "ЦОКО"])  # 11
    ws.append(["Раздел 2. Работа с кадрами", None, None, None, None, None])  # 12
    ws.merge_cells("A12:F12")
    ws.append(["4.", "Курсы повышения квалификации", "ежегодно, март", "+", "+", "КРИПКРО"])  # 13
    wb.save(str(path))
    return path
