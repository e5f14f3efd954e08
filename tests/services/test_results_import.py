"""Results import: real XLSX/CSV files built here, a real migrated SQLite database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from ersoko_desktop.db import make_session_factory, session_scope
from ersoko_desktop.db.models import AuditEvent, ImportBatch, ParticipantResult, Procedure
from ersoko_desktop.domain import results_table
from ersoko_desktop.errors import CancelledError
from ersoko_desktop.progress import Progress
from ersoko_desktop.services import results_import as ri
from ersoko_desktop.services.results_import import ImportOptions, ResultsRejected, import_results

from .results_files import (
    FULL, MATH5_TITLE, SCHOOLS, SEVEN, TWELVE, TWO, add_registry, math5_header, math5_row, write_csv, write_xls,
    write_xlsx,
)

S1, S2, S3 = SCHOOLS


@pytest.fixture
def orgs(session):
    return add_registry(session)


def stored(session, school_id=None):
    stmt = select(ParticipantResult).order_by(ParticipantResult.id)
    if school_id is not None:
        stmt = stmt.where(ParticipantResult.school_id == school_id)
    return list(session.scalars(stmt))


def count(session, model=ParticipantResult):
    return session.scalar(select(func.count()).select_from(model))


def rejected(session, path, **options) -> ri.ImportReport:
    with pytest.raises(ResultsRejected) as info:
        import_results(session, path, options=ImportOptions(**options))
    session.rollback()
    assert count(session) == 0, "a refused file must write nothing"
    return info.value.report


def math5_file(tmp_path, rows, name="vpr.xlsx", title=MATH5_TITLE, **kw):
    return write_xlsx(tmp_path / name, [*title, math5_header(), *rows], **kw)


# ---------------------------------------------------------------- happy paths


def test_title_rows_multi_school_file_with_spec(session, orgs, tmp_path):
    path = math5_file(tmp_path, [
        math5_row(S1, "10001", FULL, 20, 5, 5),
        math5_row(S1, "10002", TWELVE, 12, 4, 5, klass="5Б", variant=2, gender="ж"),
        math5_row(S2, "10001", SEVEN, 7, 3, 3),
        math5_row(S3, "20001", TWO, 2, 2, 3),
    ])
    report = import_results(session, path)
    session.commit()
    assert (report.procedure, report.subject, report.grade, report.year) == ("VPR", "Математика", 5, 2024)
    assert (report.imported, report.skipped, report.replaced, report.unchanged) == (4, 0, 0, 0)
    assert report.errors == [] and report.schools == 3
    rows = stored(session)
    assert [(r.school_id, r.participant_code) for r in rows] == [
        (orgs[S1], "10001"), (orgs[S1], "10002"), (orgs[S2], "10001"), (orgs[S3], "20001")]
    second = rows[1]
    assert second.task_scores == TWELVE
    assert (second.primary_score, second.mark, second.journal_mark) == (12.0, 4, 5)
    assert (second.class_letter, second.variant, second.gender) == ("5Б", "2", "Ж")
    proc = session.scalar(select(Procedure))
    assert (proc.kind, proc.subject, proc.grade, proc.year) == ("VPR", "Математика", 5, 2024)
    assert proc.spec["thresholds"] == {"3": 5, "4": 10, "5": 15}
    assert [t["max"] for t in proc.spec["tasks"]] == [1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 2, 3]
    batch = session.scalar(select(ImportBatch))
    assert batch.rows == 4 and len(batch.sha256) == 64 and batch.procedure_id == proc.id


def test_primary_and_mark_computed_from_spec_when_missing(session, orgs, tmp_path):
    header = ["Код ОО", "Код участника", *[str(i) for i in range(1, 15)]]
    path = write_xlsx(tmp_path / "no_totals.xlsx", [*MATH5_TITLE, header,
                                                      [S1, "1", *FULL], [S1, "2", *TWELVE], [S1, "3", *SEVEN],
                                                      [S1, "4", *TWO],
                                                      # 4 points: one below the «3» threshold (5)
                                                      [S1, "5", 1, 1, 1, 1, *[0] * 10],
                                                      [S1, "6", 1, 1, 1, 1, 1, *[0] * 9]])
    import_results(session, path)
    got = [(r.participant_code, r.primary_score, r.mark) for r in stored(session)]
    assert got == [("1", 20.0, 5), ("2", 12.0, 4), ("3", 7.0, 3), ("4", 2.0, 2), ("5", 4.0, 2), ("6", 5.0, 3)]


def test_not_participated_and_blank_rows_are_skipped_and_counted(session, orgs, tmp_path):
    path = math5_file(tmp_path, [
        math5_row(S1, "1", FULL, 20, 5, 5),
        [],
        [S1, "2", "5А", 1, "М", "Не участвовал"],
        [S1, "3", "5А", 1, "Ж", *[""] * 14, "", "", ""],  # listed but no result at all
        [S1, "4", "5А", 1, "Ж", *FULL, 20, "не участвовала", ""],
        math5_row(S1, "5", SEVEN, 7, 3, 4),
    ])
    report = import_results(session, path)
    assert (report.imported, report.skipped) == (2, 4)
    assert [r.participant_code for r in stored(session)] == ["1", "5"]


def test_not_done_tasks_are_null_and_fio_is_never_stored(session, orgs, tmp_path):
    header = ["Код ОО", "ФИО", "Код участника", "1", "2", "3", "Первичный балл", "Отметка"]
    path = write_xlsx(tmp_path / "fio.xlsx", [["ВПР 2024, История, 6 класс"], header,
                                              [S1, "Иванов Иван", "10001", 1, "-", "х", 1, 2],
                                              [S1, "Петрова Мария", "10002", 0.5, None, 2, 2.5, 3]])
    report = import_results(session, path)
    rows = stored(session)
    assert [r.task_scores for r in rows] == [[1, None, None], [0.5, None, 2]]
    assert [r.primary_score for r in rows] == [1.0, 2.5]
    assert any(w.column == "ФИО" and "не хранятся" in w.message for w in report.warnings)
    assert any("нет спецификации" in w.message for w in report.warnings)
    dump = json.dumps([[getattr(r, c.name) for c in ParticipantResult.__table__.columns] for r in rows],
                      ensure_ascii=False, default=str)
    assert "Иванов" not in dump and "Петрова" not in dump


@pytest.mark.parametrize("school_h, code_h, class_h, task_h, primary_h, mark_h, journal_h", [
    ("Код ОО", "Код участника", "Класс", ["1", "2", "3"], "Первичный балл", "Отметка", "Отметка по журналу"),
    ("Логин ОО", "Код", "КЛАСС", ["Задание 1", "Задание 2", "Задание 3"], "Сумма баллов", "Оценка",
     "Отметка за предыдущую четверть"),
    ("код  оо", "№ участника", "Класс", ["1", "2(1)", "2(2)"], "первичный  балл", "ОТМЕТКА",
     "Отметка за предыдущую четверть (триместр)"),
    ("Код ОО", "Код участника", "Класс", ["К1", "К2", "3.1"], "Первичный балл", "Отметка", "Отметка за четверть"),
    ("Код ОО", "Код участника", "Класс", ["1К1", "1К2", "2"], "Первичный балл", "Отметка",
     "  Отметка за предыдущую чЕтверть  "),
])
@pytest.mark.parametrize("writer, suffix", [(write_xlsx, "xlsx"), (write_xls, "xls")])
def test_header_variants(session, orgs, tmp_path, school_h, code_h, class_h, task_h, primary_h, mark_h, journal_h,
                         writer, suffix):
    header = [school_h, code_h, class_h, "Вариант", "Пол", *task_h, primary_h, mark_h, journal_h]
    path = writer(tmp_path / f"h.{suffix}", [["Процедура: ВПР"], ["Предмет: Биология"], ["Класс: 6"], ["Год: 2024"],
                                             header, [S2, "777", "6В", 2, "Ж", 1, 0, 2, 3, 4, 5]])
    report = import_results(session, path)
    assert report.errors == []
    (row,) = stored(session)
    assert (row.school_id, row.participant_code, row.class_letter, row.variant, row.gender) == (
        orgs[S2], "777", "6В", "2", "Ж")
    assert (row.task_scores, row.primary_score, row.mark, row.journal_mark) == ([1, 0, 2], 3.0, 4, 5)
    batch = session.scalar(select(ImportBatch))
    assert len(batch.summary["task_ids"]) == 3


def test_xls_with_title_rows_many_schools_and_a_date(session, orgs, tmp_path):
    """Excel 97-2003: title rows (one with a real date cell), a municipal summary, a row error located."""
    import datetime as dt

    title = [["Всероссийские проверочные работы"], ["Предмет: Математика"], ["Класс: 5"],
             ["Дата проведения:", dt.date(2024, 4, 18)]]
    rows = [math5_row(S1, "10001", FULL, 20, 5, 5), math5_row(S2, "10001", TWELVE, 12, 4, 4),
            [None] * 5, math5_row(S3, "10007", SEVEN, 7, 3, 3)]
    path = write_xls(tmp_path / "svod.xls", [*title, math5_header(), *rows], sheet="ВПР 2024")
    report = import_results(session, path)
    assert (report.errors, report.procedure, report.year, report.imported, report.skipped) == ([], "VPR", 2024, 3, 1)
    assert session.scalar(select(Procedure.date)) == dt.date(2024, 4, 18)
    assert [(r.school_id, r.primary_score, r.mark) for r in stored(session)] == [
        (orgs[S1], 20, 5), (orgs[S2], 12, 4), (orgs[S3], 7, 3)]

    bad = write_xls(tmp_path / "bad.xls", [*title, math5_header(), math5_row(S1, "1", [1] * 13 + [4], 17, 4, 4)],
                    sheet="ВПР 2024")
    report = rejected(session, bad)
    # 4 title rows, header on 5: the row is Excel row 6; task 14 has max 3.
    assert [(d.row, d.column) for d in report.errors] == [(6, "14")]


def test_class_and_letter_columns_combine(session, orgs, tmp_path):
    header = ["Код ОО", "Код участника", "Класс", "Литера", "1", "Отметка"]
    path = write_xlsx(tmp_path / "lit.xlsx", [["ВПР 2024 Химия 8 класс"], header, [S1, "1", 8, "А", 1, 3],
                                              [S1, "2", "8Б", "Б", 1, 4]])
    import_results(session, path)
    assert [r.class_letter for r in stored(session)] == ["8А", "8Б"]


def test_cp1251_csv_reports_its_encoding(session, orgs, tmp_path):
    rows = [["ВПР 2024"], ["Предмет;Математика"], ["Класс: 5"], math5_header(),
            math5_row(S1, "10001", FULL, 20, 5, 4), math5_row(S2, "10002", SEVEN, 7, 3, 3)]
    path = write_csv(tmp_path / "vpr.csv", rows, encoding="cp1251")
    report = import_results(session, path)
    assert report.encoding == "cp1251"
    assert (report.subject, report.imported) == ("Математика", 2)
    assert [r.primary_score for r in stored(session)] == [20.0, 7.0]


@pytest.mark.parametrize("encoding, delimiter, expected", [("utf-8-sig", ",", "utf-8-sig"), ("utf-8", "\t", "utf-8")])
def test_utf8_csv_with_and_without_bom(session, orgs, tmp_path, encoding, delimiter, expected):
    rows = [["ВПР 2024 Математика 5 класс"], math5_header(), math5_row(S1, "1", SEVEN, "7", "3", "")]
    report = import_results(session, write_csv(tmp_path / "v.csv", rows, encoding=encoding, delimiter=delimiter))
    assert report.encoding == expected
    (row,) = stored(session)
    assert (row.mark, row.journal_mark) == (3, None)


def test_csv_decimal_comma(session, orgs, tmp_path):
    rows = [["Код ОО", "Код участника", "1", "2", "Первичный балл", "Отметка"], [S1, "1", "0,5", "1", "1,5", "3"]]
    path = write_csv(tmp_path / "dec.csv", rows)
    import_results(session, path, options=ImportOptions(procedure="SCHOOL", subject="физика", grade=7, year=2025))
    (row,) = stored(session)
    assert (row.task_scores, row.primary_score) == ([0.5, 1], 1.5)
    assert session.scalar(select(Procedure.subject)) == "Физика"


def test_fractional_scores_keep_their_exact_value(session, orgs, tmp_path):
    rows = [["Код ОО", "Код участника", "1", "2", "Отметка"], [S1, "1", "0,1", "0,25", "3"], [S1, "2", 1, 2, 4]]
    import_results(session, write_csv(tmp_path / "frac.csv", rows),
                   options=ImportOptions(procedure="SCHOOL", subject="физика", grade=7, year=2025))
    assert [(r.task_scores, r.primary_score) for r in stored(session)] == [([0.1, 0.25], 0.35), ([1, 2], 3.0)]


def test_one_school_file_takes_school_from_title_or_option(session, orgs, tmp_path):
    header = math5_header(school=None)
    path = write_xlsx(tmp_path / "one.xlsx", [*MATH5_TITLE, ["Код ОО:", S3], header, math5_row(None, "5", FULL, 20, 5, 5)])
    import_results(session, path)
    assert [r.school_id for r in stored(session)] == [orgs[S3]]
    bare = write_xlsx(tmp_path / "bare.xlsx", [*MATH5_TITLE, header, math5_row(None, "6", FULL, 20, 5, 5)])
    report = rejected_no_rollback_check(session, bare)
    assert "не указана школа" in report.errors[0].message
    import_results(session, bare, options=ImportOptions(school=S2))
    assert session.scalar(select(func.count()).where(ParticipantResult.school_id == orgs[S2])) == 1


def test_school_option_must_agree_with_the_school_column(session, orgs, tmp_path):
    """--school with a «Код ОО» column: equal codes are fine, another code is refused row by row,
    an empty cell takes the given school (the user said whose file it is)."""
    same = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S1, "2", SEVEN, 7, 3, 3)])
    report = import_results(session, same, options=ImportOptions(school=S1, dry_run=True))
    assert (report.errors, report.imported) == ([], 2)

    mixed = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S2, "2", SEVEN, 7, 3, 3),
                                  math5_row(S2, "3", TWO, 2, 2, 2)], name="mixed.xlsx")
    report = rejected(session, mixed, school=S1)
    # Title rows 1–3, header on row 4: the S2 rows are Excel rows 6 and 7.
    assert [(d.row, d.column) for d in report.errors] == [(6, "Код ОО"), (7, "Код ОО")]
    assert report.errors[0].message.startswith(f"код ОО «{S2}» не совпадает с «{S1}» (указан при загрузке, --school)")

    blank = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5), math5_row("", "2", SEVEN, 7, 3, 3)],
                       name="blank.xlsx")
    report = import_results(session, blank, options=ImportOptions(school=S1))
    assert [r.school_id for r in stored(session)] == [orgs[S1], orgs[S1]]
    assert any(w.row == 6 and w.column == "Код ОО" and f"взят код «{S1}»" in w.message for w in report.warnings)


def test_school_named_above_the_table_must_agree_with_the_school_column(session, orgs, tmp_path):
    path = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S2, "2", SEVEN, 7, 3, 3)],
                      title=[*MATH5_TITLE, ["Код ОО:", S1]])
    report = rejected(session, path)
    assert [(d.row, d.column) for d in report.errors] == [(7, "Код ОО")]  # 4 title rows, header on 5
    assert "(строка 4)" in report.errors[0].message


def rejected_no_rollback_check(session, path, **options):
    with pytest.raises(ResultsRejected) as info:
        import_results(session, path, options=ImportOptions(**options))
    return info.value.report


def test_two_row_header_with_maxima_row(session, orgs, tmp_path):
    rows = [["ВПР 2024. Русский язык, 4 класс"],
            ["Код ОО", "Код участника", "Баллы за задания", None, None, "Первичный балл", "Отметка"],
            [None, None, "1К1", "1К2", "2", None, None],
            ["Максимальный балл", None, 4, 3, 3, 10, None],
            [S1, "1", 4, 3, 3, 10, 3]]
    report = import_results(session, write_xlsx(tmp_path / "two.xlsx", rows))
    (row,) = stored(session)
    assert row.task_scores == [4, 3, 3] and row.mark == 3
    # The shipped spec has 18 task positions; this file has 3: one warning, file marks kept.
    misfits = [w for w in report.warnings if "не подходит" in w.message]
    assert len(misfits) == 1 and "в файле 3 заданий, в спецификации 18" in misfits[0].message
    assert session.scalar(select(Procedure.spec)) is None


def test_options_fill_what_the_file_lacks_and_sheet_name_counts(session, orgs, tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", [math5_header(), math5_row(S1, "1", FULL, 20, 5, 5)],
                      sheet="Математика 5 класс")
    report = import_results(session, path, options=ImportOptions(procedure="ВПР", year=2024))
    assert (report.procedure, report.subject, report.grade, report.year) == ("VPR", "Математика", 5, 2024)


def test_only_first_sheet_with_a_header_is_read_and_others_are_named(session, orgs, tmp_path):
    path = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5)],
                      extra_sheets={"Русский": [["что-то ещё"]]})
    report = import_results(session, path)
    assert any("«Русский»" in w.message for w in report.warnings)


# ---------------------------------------------------------------- errors (nothing written)


def test_unknown_school_code_is_an_error_naming_row_and_column(session, orgs, tmp_path):
    path = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5), math5_row("9999999", "2", FULL, 20, 5, 5),
                                 math5_row("9999999", "3", FULL, 20, 5, 5)])
    report = rejected(session, path)
    (err,) = report.errors
    assert (err.row, err.column) == (6, "Код ОО")  # 3 title rows + header + first data row
    assert "«9999999» не найден в реестре" in err.message and "строк с этим кодом: 2" in err.message


def test_municipality_code_is_not_a_school(session, orgs, tmp_path):
    report = rejected(session, math5_file(tmp_path, [math5_row("0801", "1", FULL, 20, 5, 5)]))
    assert "не школа" in report.errors[0].message and report.errors[0].row == 5


def test_score_above_task_max_negative_and_non_numeric(session, orgs, tmp_path):
    over = list(FULL)
    over[13] = 4  # task 14: max 3
    neg = list(SEVEN)
    neg[0] = -1
    text = list(SEVEN)
    text[2] = "пять"
    path = math5_file(tmp_path, [math5_row(S1, "1", over, 21, 5, 5), math5_row(S1, "2", neg, 5, 3, 3),
                                 math5_row(S1, "3", text, 6, 3, 3)])
    report = rejected(session, path)
    found = {(e.row, e.column): e.message for e in report.errors}
    assert "больше максимального 3" in found[(5, "14")]
    assert "отрицательный" in found[(6, "1")]
    assert "«пять» — не число" in found[(7, "3")]
    assert "больше максимального 20" in found[(5, "Первичный балл")]


@pytest.mark.parametrize("mark", [6, 1, 3.5])
def test_mark_outside_scale(session, orgs, tmp_path, mark):
    report = rejected(session, math5_file(tmp_path, [math5_row(S1, "1", SEVEN, 7, mark, 3)]))
    (err,) = [e for e in report.errors if e.column == "Отметка"]
    assert err.row == 5 and "вне шкалы 2..5" in err.message


def test_journal_mark_outside_scale(session, orgs, tmp_path):
    report = rejected(session, math5_file(tmp_path, [math5_row(S1, "1", SEVEN, 7, 3, 7)]))
    assert [(e.row, e.column) for e in report.errors] == [(5, "Отметка за предыдущую четверть")]


def test_duplicate_participant_code_in_same_school(session, orgs, tmp_path):
    path = math5_file(tmp_path, [math5_row(S1, "10001", FULL, 20, 5, 5), math5_row(S2, "10001", FULL, 20, 5, 5),
                                 math5_row(S1, "10001", SEVEN, 7, 3, 3)])
    report = rejected(session, path)
    (err,) = report.errors
    assert (err.row, err.column) == (7, "Код участника") and "уже встречался в строке 5" in err.message


def test_row_with_scores_but_no_code(session, orgs, tmp_path):
    report = rejected(session, math5_file(tmp_path, [math5_row(S1, "", FULL, 20, 5, 5)]))
    assert [(e.row, e.column) for e in report.errors] == [(5, "Код участника")]
    assert "нет кода участника" in report.errors[0].message


def test_empty_file(session, orgs, tmp_path):
    report = rejected(session, write_xlsx(tmp_path / "empty.xlsx", []))
    assert "пустой" in report.errors[0].message
    report = rejected(session, write_csv(tmp_path / "empty.csv", []))
    assert "пустой" in report.errors[0].message


def test_header_not_found_says_what_was_expected_and_seen(session, orgs, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", [["Отчёт"], ["Школа", "Ученик", "Итог"], ["1", "2", "3"]])
    report = rejected(session, path)
    msg = report.errors[0].message
    assert "не найдена строка заголовка" in msg and "Код участника" in msg and "«Ученик»" in msg
    assert report.errors[0].row == 2


def test_conflicting_values_are_an_error(session, orgs, tmp_path):
    path = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5)])
    report = rejected(session, path, subject="Русский язык")
    assert "противоречивые значения (предмет)" in report.errors[0].message
    assert "параметр --subject" in report.errors[0].message and "строка 2" in report.errors[0].message
    path2 = write_xlsx(tmp_path / "s.xlsx", [*MATH5_TITLE, math5_header(), math5_row(S1, "1", FULL, 20, 5, 5)],
                       sheet="ВПР 2025")
    assert "(год)" in rejected(session, path2).errors[0].message


def test_missing_procedure_attributes_are_asked_for(session, orgs, tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", [math5_header(), math5_row(S1, "1", FULL, 20, 5, 5)])
    messages = " ".join(e.message for e in rejected(session, path).errors)
    assert "--procedure" in messages and "--subject" in messages and "--grade" in messages and "--year" in messages


def test_mark_disagreeing_with_spec_is_a_warning_or_strict_error(session, orgs, tmp_path):
    path = math5_file(tmp_path, [math5_row(S1, "1", SEVEN, 7, 4, 4), math5_row(S1, "2", FULL, 19, 5, 5)])
    report = rejected(session, path, strict=True)
    found = {(e.row, e.column): e.message for e in report.errors}
    assert "за 7 перв. балла полагается 3" in found[(5, "Отметка")]
    assert "первичный балл 19 не равен сумме баллов за задания 20" in found[(6, "Первичный балл")]
    report = import_results(session, path)
    assert {(w.row, w.column) for w in report.warnings} >= {(5, "Отметка"), (6, "Первичный балл")}
    assert [r.mark for r in stored(session)] == [4, 5]  # the file's marks are authoritative


def test_many_bad_rows_are_listed_up_to_a_cap(session, orgs, tmp_path, monkeypatch):
    monkeypatch.setattr(results_table, "DIAGNOSTICS_PER_KIND", 3)
    path = math5_file(tmp_path, [math5_row(S1, str(i), SEVEN, 7, 9, 3) for i in range(10)])
    report = rejected(session, path)
    assert [e.row for e in report.errors[:3]] == [5, 6, 7]
    assert "ещё 7 строк" in report.errors[3].message


# ---------------------------------------------------------------- dry-run, re-import, replacement, cancel


def test_dry_run_writes_nothing_and_reports_the_same(session, orgs, tmp_path):
    path = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S2, "1", SEVEN, 7, 3, 3)])
    dry = import_results(session, path, options=ImportOptions(dry_run=True))
    assert (dry.imported, dry.dry_run) == (2, True)
    assert count(session) == 0 and count(session, Procedure) == 0 and count(session, ImportBatch) == 0
    real = import_results(session, path)
    assert dry.as_dict() == real.as_dict()


def test_same_file_twice_changes_nothing(session, orgs, tmp_path):
    path = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S2, "1", SEVEN, 7, 3, 3)])
    import_results(session, path)
    session.commit()
    ids = [r.id for r in stored(session)]
    again = import_results(session, path)
    assert (again.imported, again.replaced, again.unchanged, again.already_imported) == (0, 0, 2, True)
    assert [r.id for r in stored(session)] == ids and count(session, ImportBatch) == 1


def test_same_data_in_another_file_is_unchanged_by_natural_keys(session, orgs, tmp_path):
    rows = [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S2, "1", SEVEN, 7, 3, 3)]
    import_results(session, math5_file(tmp_path, rows))
    session.commit()
    csv_path = write_csv(tmp_path / "same.csv", [*MATH5_TITLE, math5_header(), *rows[::-1]])
    report = import_results(session, csv_path)
    assert (report.imported, report.replaced, report.unchanged, report.already_imported) == (0, 0, 2, False)
    assert count(session, ImportBatch) == 1 and count(session, AuditEvent) == 1  # only the first import


def test_corrected_file_replaces_one_school_and_is_audited(session, orgs, tmp_path):
    first = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S1, "2", SEVEN, 7, 3, 3),
                                  math5_row(S1, "4", TWO, 2, 2, 2), math5_row(S2, "1", TWO, 2, 2, 3)])
    import_results(session, first)
    session.commit()
    s2_before = [r.id for r in stored(session, orgs[S2])]
    # S1: «1» as before, «2» corrected (7 → 12), «3» new, «4» gone; S2 not in the file.
    corrected = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S1, "2", TWELVE, 12, 4, 3),
                                      math5_row(S1, "3", TWELVE, 12, 4, 4)], name="corrected.xlsx")
    report = import_results(session, corrected)
    session.commit()
    assert (report.imported, report.replaced, report.unchanged, report.removed) == (1, 1, 1, 1)
    assert report.replaced_schools == [S1]
    assert sorted((r.participant_code, r.primary_score) for r in stored(session, orgs[S1])) == [
        ("1", 20), ("2", 12), ("3", 12)]
    assert [r.id for r in stored(session, orgs[S2])] == s2_before
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "replace"))
    assert event.entity == "participant_result" and event.entity_id.endswith(f":{S1}")
    assert event.before["rows"] == 3 and event.after["rows"] == 3 and event.after["file"] == "corrected.xlsx"
    assert event.actor and event.at is not None


def test_a_file_that_only_drops_rows_still_replaces_the_school(session, orgs, tmp_path):
    import_results(session, math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5),
                                                  math5_row(S1, "2", SEVEN, 7, 3, 3)]))
    session.commit()
    shorter = math5_file(tmp_path, [math5_row(S1, "1", FULL, 20, 5, 5)], name="shorter.xlsx")
    report = import_results(session, shorter)
    assert (report.imported, report.replaced, report.unchanged, report.removed) == (0, 0, 1, 1)
    assert report.replaced_schools == [S1]
    assert [r.participant_code for r in stored(session, orgs[S1])] == ["1"]


def test_cancel_during_writing_leaves_the_database_as_it_was(engine, tmp_path, monkeypatch):
    factory = make_session_factory(engine)
    with session_scope(engine) as s:
        add_registry(s)
    first = math5_file(tmp_path, [math5_row(S2, "1", TWO, 2, 2, 3)], name="first.xlsx")
    with session_scope(engine) as s:
        import_results(s, first)
    monkeypatch.setattr(ri, "CHUNK_ROWS", 2)
    big = math5_file(tmp_path, [math5_row(s, str(i), SEVEN, 7, 3, 3) for s in (S1, S2) for i in range(5)])

    def listener(fraction: float, text: str) -> None:
        if text.startswith("Записано"):
            progress.cancel()  # after the first chunk was written

    progress = Progress(listener)
    with pytest.raises(CancelledError):
        with session_scope(engine) as s:
            import_results(s, big, progress=progress)
    with factory() as s:
        assert count(s) == 1 and count(s, ImportBatch) == 1 and count(s, Procedure) == 1
        assert count(s, AuditEvent) == 1
        assert stored(s)[0].task_scores == TWO
