"""Roadmap tables: the three seed documents and Word/Excel files built here."""

from __future__ import annotations

import datetime as dt

import pytest

from ersoko_desktop.domain.deadlines import parse
from ersoko_desktop.domain.roadmap_table import Row, blocks_from_text, clean_cell, join_text, match_header, parse_blocks
from ersoko_desktop.roadmap_files import read_blocks
from tests.conftest import SEEDS_DIR
from tests.roadmap_docs import build_docx, build_xlsx

REGIONAL = SEEDS_DIR / "kalmykia_ersoko_roadmap_2018-2020.txt"
DISTRICT = SEEDS_DIR / "chernozemelsky_msoko_roadmap_2022-2023.txt"
CONCEPT = SEEDS_DIR / "kalmykia_ersoko_concept_2018.txt"


def _doc(path):
    return parse_blocks(read_blocks(path), file_name=path.name)


def test_regional_plan_has_41_activities_in_their_sections():
    doc = _doc(REGIONAL)
    assert len(doc.roadmaps) == 1
    rm = doc.roadmaps[0]
    assert rm.title.startswith("План мероприятий («дорожная карта») Единой региональной системы")
    assert rm.period is not None and rm.period.label == "2018-2020"
    assert rm.year_columns == [2018, 2019, 2020]
    assert [(s.number, s.title) for s in rm.sections] == [
        (None, ""),
        ("II", "Методическое обеспечение ЕРСОКО"),
        ("III", "Система оценки качества общего образования"),
        ("IV", "Работа с педагогическими кадрами"),
        ("V", "Организационные мероприятия"),
    ]
    assert [[t.number for t in s.tasks] for s in rm.sections] == [
        [str(i) for i in range(1, 9)], [str(i) for i in range(9, 16)], [str(i) for i in range(16, 30)],
        [str(i) for i in range(30, 37)], [str(i) for i in range(37, 42)],
    ]
    tasks = {t.number: t for t in rm.tasks}
    assert tasks["1"].years == [2018] and tasks["7"].years == [2019, 2020] and tasks["13"].years == [2018, 2019, 2020]
    # the broken word and the continuation row of task 35 (after an empty line)
    assert tasks["35"].deadline_text == "по мере необходимости"
    assert tasks["35"].executors == "МОиНРК КРИПКРО ЦОКО"
    assert tasks["35"].expected_result.startswith("Повышение профессиональных компетенций, единство подходов")
    assert tasks["39"].title.endswith("в целях реализации ЕРСОКО с использованием единого регионального "
                                      "электронного пространства")
    assert "школе; предоставление учителям" in tasks["19"].expected_result
    # the «Приложение к приказу…» line between the two parts of the table is skipped with a warning
    assert any("Приложение к приказу" in w.message for w in doc.warnings)


def test_regional_plan_occurrences():
    rm = _doc(REGIONAL).roadmaps[0]
    tasks = {t.number: t for t in rm.tasks}

    def occ(n):
        d = parse(tasks[n].deadline_text, rm.period, years=tasks[n].years)
        return d.kind, [(o.start.isoformat(), o.end.isoformat()) for o in d.occurrences]

    assert occ("1") == ("dated", [("2018-12-01", "2018-12-31")])
    assert occ("7") == ("dated", [("2019-01-01", "2019-03-31"), ("2020-01-01", "2020-03-31")])
    assert occ("12") == ("dated", [("2018-12-01", "2018-12-31"), ("2019-12-01", "2019-12-31"),
                                   ("2020-12-01", "2020-12-31")])
    assert occ("13") == ("continuous", [("2018-01-01", "2020-12-31")])
    assert occ("18") == ("dated", [("2019-09-01", "2019-10-31")])
    assert occ("24") == ("dated", [("2019-07-01", "2019-09-30"), ("2020-07-01", "2020-09-30")])
    assert occ("31") == ("dated", [("2018-01-01", "2018-12-31"), ("2019-01-01", "2019-12-31"),
                                   ("2020-01-01", "2020-12-31")])
    assert occ("35") == ("event", [])
    assert occ("38") == ("event", [])
    assert occ("41")[1] == [("2018-01-01", "2018-06-30"), ("2018-07-01", "2018-12-31"),
                            ("2019-01-01", "2019-06-30"), ("2019-07-01", "2019-12-31"),
                            ("2020-01-01", "2020-06-30"), ("2020-07-01", "2020-12-31")]
    kinds = [parse(t.deadline_text, rm.period, years=t.years).kind for t in rm.tasks]
    assert kinds.count("unknown") == 0
    assert kinds.count("event") == 5  # tasks 4, 6, 15, 35, 38


def test_district_file_yields_both_roadmaps():
    doc = _doc(DISTRICT)
    assert len(doc.roadmaps) == 2
    first, second = doc.roadmaps
    assert first.title == ("Дорожная карта по развитию системы оценки качества подготовки обучающихся "
                           "в 2022-2023 учебном году")
    assert second.title.startswith("Дорожная карта по развитию системы работы со школами с низкими результатами")
    assert first.period.label == second.period.label == "2022/23"
    assert [t.number for t in first.tasks] == [f"1.1.{i}" for i in (*range(1, 16), 18, 19)]
    assert [t.number for t in second.tasks] == [f"1.2.{i}" for i in (*range(1, 11), 12)]
    assert [(s.number, s.title) for s in first.sections] == [
        ("1", "Механизмы управления качеством образовательных результатов"),
        ("1.1", "Система оценки качества подготовки обучающихся")]
    assert [s.number for s in second.sections] == ["I", "1.2"]
    t = {x.number: x for x in first.tasks}
    # <li> markup became lines
    assert t["1.1.2"].title.split("\n")[1] == "- Положение о муниципальной оценке качества образования;"
    # the numbered list of 1.1.6 spilled over a page break (repeated header) stays in 1.1.6
    lines = t["1.1.6"].title.split("\n")
    assert lines[1] == ("1. Ежегодный доклад «О состоянии системы образования в Черноземельском районе "
                        "Республики Калмыкия» (размещение на сайте)")
    assert [ln[:2] for ln in lines[1:]] == ["1.", "2.", "3.", "4.", "5."]


def test_district_occurrences_in_school_year():
    doc = _doc(DISTRICT)
    tasks = {t.number: t for rm in doc.roadmaps for t in rm.tasks}
    period = doc.roadmaps[0].period

    def occ(n):
        d = parse(tasks[n].deadline_text, period)
        return d.kind, [(o.start.isoformat(), o.end.isoformat()) for o in d.occurrences]

    assert occ("1.1.1") == ("dated", [("2022-09-01", "2022-09-30")])
    assert occ("1.1.2") == ("dated", [("2022-09-01", "2022-10-31")])
    assert occ("1.1.3") == ("event", [])
    assert occ("1.1.5") == ("continuous", [("2022-09-01", "2023-08-31")])
    assert occ("1.1.8") == ("dated", [("2023-06-01", "2023-06-30")])
    assert occ("1.2.1") == ("continuous", [("2022-09-01", "2023-08-31")])
    assert occ("1.2.2") == ("dated", [("2022-09-01", "2022-09-30"), ("2022-11-01", "2022-11-30"),
                                      ("2023-05-01", "2023-05-31")])
    assert occ("1.2.8") == ("dated", [("2023-05-01", "2023-05-31")])
    assert occ("1.2.9") == ("event", [])
    assert occ("1.2.10") == ("dated", [("2021-01-01", "2021-01-31")])
    assert occ("1.2.12") == ("dated", [("2021-03-01", "2021-05-31")])


def test_concept_document_has_no_roadmap():
    assert _doc(CONCEPT).roadmaps == []


def test_docx_with_merged_cells_and_repeated_header(tmp_path):
    doc = _doc(build_docx(tmp_path / "plan.docx"))
    assert [rm.title for rm in doc.roadmaps] == ["План мероприятий по развитию МСОКО на 2019 год",
                                                 "Дорожная карта по работе с одарёнными детьми на 2020 год"]
    rm = doc.roadmaps[0]
    assert rm.period.label == "2019"
    assert [(s.number, s.title) for s in rm.sections] == [(None, "Нормативное обеспечение"),
                                                          ("II", "Работа со ШНОР")]
    assert [[t.number for t in s.tasks] for s in rm.sections] == [["1", "2", "3"], ["4", "5"]]
    t = {x.number: x for x in rm.tasks}
    # the vertically merged executor applies to both rows it spans
    assert t["1"].executors == "Отдел образования" and t["2"].executors == "Отдел образования"
    assert t["2"].title == ("Обновление документов:\nположение о ВСОКО;\nрегламенты процедур "
                            "с учётом рекомендаций ЦОКО")
    assert t["2"].expected_result == "Пакет документов на сайте"
    # number and title merged down over two deadline rows: one task, two deadlines
    assert t["4"].deadline_text == "май ноябрь"
    assert t["4"].executors == "Отдел образования" and t["4"].expected_result == "Протоколы"
    assert t["5"].deadline_text == "по мере необходимо"
    second = doc.roadmaps[1]
    assert second.period.label == "2020"
    assert [(x.number, x.title, x.deadline_text, x.executors) for x in second.tasks] == [
        (None, "Олимпиада школьников", "с 10 по 25 октября", "ОО"),
        (None, "Летняя школа", "июнь-июль", "ММС")]


def test_xlsx_with_year_columns_merges_and_repeated_header(tmp_path):
    doc = _doc(build_xlsx(tmp_path / "plan.xlsx"))
    assert len(doc.roadmaps) == 1
    rm = doc.roadmaps[0]
    assert rm.title.startswith("План мероприятий («дорожная карта») по повышению объективности")
    assert rm.period.label == "2019-2020"
    assert rm.year_columns == [2019, 2020]
    assert [(s.number, s.title) for s in rm.sections] == [("I", "Оценка качества"),
                                                          ("Раздел 2", "Работа с кадрами")]
    t = {x.number: x for x in rm.tasks}
    assert list(t) == ["1", "2", "3", "4"]
    assert t["1"].years == [2019, 2020] and t["2"].years == [2020] and t["3"].years == [2019]
    assert t["2"].executors == "ЦОКО"  # merged down from the row above
    assert t["3"].deadline_text == "по мере необходимости"
    assert t["3"].executors == "КРИПКРО ЦОКО"
    d = parse(t["2"].deadline_text, rm.period, years=t["2"].years)
    assert [(o.start, o.end) for o in d.occurrences] == [(dt.date(2020, 12, 1), dt.date(2020, 12, 31))]


def test_csv_roadmap(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("Дорожная карта на 2023 год;;\nМероприятие;Срок;Ответственный\n"
                    "Анализ ВПР;сентябрь;ММС\nСовещание;до 25 января;ОО\n", encoding="cp1251")
    rm = _doc(path).roadmaps[0]
    assert rm.title == "Дорожная карта на 2023 год" and rm.period.label == "2023"
    assert [(t.title, t.deadline_text) for t in rm.tasks] == [("Анализ ВПР", "сентябрь"),
                                                             ("Совещание", "до 25 января")]


@pytest.mark.parametrize("cells,roles", [
    (["№ п/п", "Основные мероприятия", "Срок проведения (месяц)", "Этапы проведения (годы)", "", "",
      "Исполнитель", "Ожидаемые результаты"],
     {"number": 0, "title": 1, "deadline": 2, "executors": 6, "result": 7}),
    (["№", "Мероприятие (содержание деятельности)", "Сроки исполнения", "Ответственный исполнитель"],
     {"number": 0, "title": 1, "deadline": 2, "executors": 3}),
    (["Содержание деятельности", "Сроки реализации", "Ответственные исполнители", "Участники",
      "Планируемый результат"],
     {"title": 0, "deadline": 1, "executors": 2, "participants": 3, "result": 4}),
    (["Мероприятия", "Срок", "Исполнители/соисполнители"], {"title": 0, "deadline": 1, "executors": 2}),
])
def test_header_synonyms(cells, roles):
    cols = match_header(cells)
    assert cols is not None and cols.roles == roles


def test_a_data_row_is_not_a_header():
    assert match_header(["5.", "Проведение мероприятий по повышению объективности", "в сроки проведения",
                         "Отдел образования"]) is None


def test_text_cleanup():
    assert clean_cell("Пакет: <ul><li>- первый;</li> <li>- второй</li></ul>") == "Пакет:\n- первый;\n- второй"
    assert clean_cell("по мере необходимо\nсти") == "по мере необходимости"
    assert clean_cell("Май\nАвгуст") == "Май\nАвгуст"
    assert join_text("Повышение профессиональных", "компетенций") == "Повышение профессиональных компетенций"
    assert join_text("информаци-", "онный") == "информационный"
    assert join_text("ОО", "и МОУО") == "ОО и МОУО"


def test_continuation_before_any_task_is_reported():
    blocks = blocks_from_text("План на 2020 год\n№\tМероприятие\tСрок\n\tпотерянный текст\t\n1.\tЗадача\tмай\n")
    doc = parse_blocks(blocks, file_name="x.txt")
    assert [t.title for t in doc.roadmaps[0].tasks] == ["Задача"]
    assert any("потерянный текст" in w.message and w.row == 3 for w in doc.warnings)


def test_row_numbers_point_at_the_text_lines():
    blocks = blocks_from_text("Карта на 2020 год\n№\tМероприятие\tСрок\n1.\tЗадача\tмай\n")
    assert isinstance(blocks[2], Row) and blocks[2].row == 3
    assert parse_blocks(blocks).roadmaps[0].tasks[0].row == 3


@pytest.mark.parametrize("name,words", [("plan.xls", "сохраните таблицу как .xlsx"), ("plan.doc", "сохраните его как .docx"),
                                        ("plan.pdf", "не поддерживается"), ("нет.docx", "не найден")])
def test_unreadable_formats_are_named(tmp_path, name, words):
    from ersoko_desktop.errors import InputError

    path = tmp_path / name
    if name != "нет.docx":
        path.write_bytes(b"\xd0\xcf\x11\xe0 old binary")
    with pytest.raises(InputError) as err:
        read_blocks(path)
    assert words in str(err.value) and name in str(err.value)


def test_broken_docx_is_a_clear_error(tmp_path):
    from ersoko_desktop.errors import InputError

    path = tmp_path / "plan.docx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(InputError) as err:
        read_blocks(path)
    assert "не читается как документ Word" in str(err.value)


def test_numbered_row_without_deadline_section_task_or_list_item():
    text = ("План на 2021 год\n"
            "№\tМероприятие\tСрок\tИсполнитель\n"
            "1.\tНормативная база\t\t\n"              # section: 1.1 and 1.2 continue its number
            "1.1.\tПоложение о МСОКО\tмарт\tММС\n"
            "1.2.\tПеречень источников: <ol><li>1. доклад;</li></ol>\tапрель\tММС\n"
            "2.\tанализ ГИА\t\t\n"                     # the list of 1.2 goes on after a page break
            "3.\tИтоговое совещание\t\t\n"              # ... and so does its third item
            "2.1.\tМониторинг\tмай\tОО\n")
    doc = parse_blocks(blocks_from_text(text))
    rm = doc.roadmaps[0]
    assert [(s.number, s.title) for s in rm.sections] == [("1", "Нормативная база")]
    assert [t.number for t in rm.tasks] == ["1.1", "1.2", "2.1"]
    assert rm.tasks[1].title == "Перечень источников:\n1. доклад;\n2. анализ ГИА\n3. Итоговое совещание"

    flat = ("План на 2021 год\n№\tМероприятие\tСрок\tИсполнитель\n"
            "1.\tСеминар\tмарт\tММС\n2.\tИтоговое совещание\t\t\n3.\tОтчёт\tдекабрь\tММС\n")
    rm = parse_blocks(blocks_from_text(flat)).roadmaps[0]
    assert [(t.number, t.deadline_text) for t in rm.tasks] == [("1", "март"), ("2", ""), ("3", "декабрь")]
    assert [s.title for s in rm.sections] == [""]
