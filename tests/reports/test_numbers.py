"""Russian number formatting and small-cell suppression (one module decides)."""

from ersoko_desktop.reports import model
from ersoko_desktop.reports.numbers import (
    SUPPRESSED,
    fmt_date,
    fmt_int,
    fmt_mark,
    fmt_percent,
    is_suppressed,
)

NBSP = "\u00a0"


def test_percent_has_one_decimal_a_comma_and_a_non_breaking_space():
    assert fmt_percent(39.63) == f"39,6{NBSP}%"
    assert fmt_percent(100) == f"100,0{NBSP}%"
    assert fmt_percent(0.04) == f"0,0{NBSP}%"
    assert fmt_percent(None) == "—"
    assert fmt_percent(float("nan")) == "—"


def test_marks_have_two_decimals_and_thousands_are_grouped():
    assert fmt_mark(3.856) == "3,86"
    assert fmt_mark(4) == "4,00"
    assert fmt_int(12345) == f"12{NBSP}345"
    assert fmt_int(7) == "7"


def test_dates_are_day_month_year():
    import datetime as dt

    assert fmt_date(dt.date(2025, 1, 25)) == "25.01.2025"


def test_groups_under_five_are_suppressed():
    assert is_suppressed(4) and is_suppressed(0) and is_suppressed(None)
    assert not is_suppressed(5)


def test_table_suppresses_figures_of_small_rows_but_keeps_text_and_n():
    cols = [model.Column("ОО"), model.Column("N", "int"), model.Column("Качество", "percent"),
            model.Column("Средняя", "mark"), model.Column("Риск", "bool")]
    table = model.Table(cols, [["Школа А", 4, 50.0, 3.5, True], ["Школа Б", 5, 40.0, 3.2, False],
                               model.GroupRow("Раздел")], n_column=1)
    small, big, group = table.display_rows()
    assert small == ["Школа А", 4, SUPPRESSED, SUPPRESSED, True]
    assert big == ["Школа Б", 5, 40.0, 3.2, False]
    assert group == model.GroupRow("Раздел")
