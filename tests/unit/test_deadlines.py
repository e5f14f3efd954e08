"""The deadline grammar of GUIDE §5: every deadline of the seed roadmaps and the listed forms.

Expected occurrences are written out by hand (calendar facts: 2020 is a leap year, in school
year 2022/23 September–December are 2022 and January–August 2023).
"""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from ersoko_desktop.domain.deadlines import Period, parse, split_title_period

D = dt.date
Y18 = Period.years(2018)
Y1820 = Period.years(2018, 2020)
S22 = Period.school_year(2022)
ALL = [2018, 2019, 2020]


def m(y: int, mo: int, y2: int | None = None, mo2: int | None = None) -> tuple[dt.date, dt.date]:
    """Whole month (or months) as an occurrence."""
    y2 = y if y2 is None else y2
    mo2 = mo if mo2 is None else mo2
    return D(y, mo, 1), D(y2, mo2, calendar.monthrange(y2, mo2)[1])


def day(y: int, mo: int, d: int) -> tuple[dt.date, dt.date]:
    return D(y, mo, d), D(y, mo, d)


CASES = [
    # --- the regional plan 2018–2020 (with its year columns)
    ("декабрь", Y1820, [2018], "dated", [m(2018, 12)]),
    ("декабрь", Y1820, ALL, "dated", [m(2018, 12), m(2019, 12), m(2020, 12)]),
    ("по мере необходимости", Y1820, ALL, "event", []),
    ("По мере необходимости", Y1820, ALL, "event", []),
    ("по мере необходимо", Y1820, ALL, "event", []),
    ("1 квартал", Y1820, [2019, 2020], "dated", [m(2019, 1, 2019, 3), m(2020, 1, 2020, 3)]),
    ("1 квартал", Y1820, [2019], "dated", [m(2019, 1, 2019, 3)]),
    ("2 квартал", Y1820, [2019, 2020], "dated", [m(2019, 4, 2019, 6), m(2020, 4, 2020, 6)]),
    ("2 квартал", Y1820, ALL, "dated", [m(2018, 4, 2018, 6), m(2019, 4, 2019, 6), m(2020, 4, 2020, 6)]),
    ("2 квартал", Y1820, [2019], "dated", [m(2019, 4, 2019, 6)]),
    ("3 квартал", Y1820, [2019, 2020], "dated", [m(2019, 7, 2019, 9), m(2020, 7, 2020, 9)]),
    ("3 квартал", Y1820, ALL, "dated", [m(2018, 7, 2018, 9), m(2019, 7, 2019, 9), m(2020, 7, 2020, 9)]),
    ("постоянно", Y1820, ALL, "continuous", [(D(2018, 1, 1), D(2020, 12, 31))]),
    ("март", Y1820, [2019], "dated", [m(2019, 3)]),
    ("май", Y1820, [2019], "dated", [m(2019, 5)]),
    ("сентябрь-октябрь", Y1820, [2019], "dated", [m(2019, 9, 2019, 10)]),
    ("сентябрь", Y1820, [2019, 2020], "dated", [m(2019, 9), m(2020, 9)]),
    ("ежегодно", Y1820, ALL, "dated", [(D(2018, 1, 1), D(2018, 12, 31)), (D(2019, 1, 1), D(2019, 12, 31)),
                                       (D(2020, 1, 1), D(2020, 12, 31))]),
    ("1 раз в полугодие", Y1820, ALL, "dated", [
        m(2018, 1, 2018, 6), m(2018, 7, 2018, 12), m(2019, 1, 2019, 6), m(2019, 7, 2019, 12),
        m(2020, 1, 2020, 6), m(2020, 7, 2020, 12)]),
    # --- the district roadmaps 2022/23
    ("Сентябрь 2022", S22, None, "dated", [m(2022, 9)]),
    ("Сентябрь – октябрь 2022", S22, None, "dated", [m(2022, 9, 2022, 10)]),
    ("В соответствии с графиком проведения", S22, None, "event", []),
    ("Ежегодно", S22, None, "dated", [(D(2022, 9, 1), D(2023, 8, 31))]),
    ("Постоянно", S22, None, "continuous", [(D(2022, 9, 1), D(2023, 8, 31))]),
    ("постоянно", S22, None, "continuous", [(D(2022, 9, 1), D(2023, 8, 31))]),
    ("Ежегодно, июнь", S22, None, "dated", [m(2023, 6)]),
    ("в течение года", S22, None, "continuous", [(D(2022, 9, 1), D(2023, 8, 31))]),
    ("ежегодно май сентябрь ноябрь", S22, None, "dated", [m(2022, 9), m(2022, 11), m(2023, 5)]),
    ("май", S22, None, "dated", [m(2023, 5)]),
    ("План РМО", S22, None, "event", []),
    ("Январь 2021", S22, None, "dated", [m(2021, 1)]),
    ("Март-май, 2021", S22, None, "dated", [m(2021, 3, 2021, 5)]),
    # --- GUIDE §5: months in any case, with a year
    ("декабря", Y18, None, "dated", [m(2018, 12)]),
    ("в декабре", Y18, None, "dated", [m(2018, 12)]),
    ("в декабре", S22, None, "dated", [m(2022, 12)]),
    ("август", S22, None, "dated", [m(2023, 8)]),
    ("Сентябрь 2022", Y18, None, "dated", [m(2022, 9)]),
    ("декабрь 2018", Y1820, [2019], "dated", [m(2018, 12)]),
    ("февраль 2020 года", Y1820, None, "dated", [(D(2020, 2, 1), D(2020, 2, 29))]),
    ("февраль", Y1820, [2020], "dated", [(D(2020, 2, 1), D(2020, 2, 29))]),
    ("март", Y1820, None, "dated", [m(2018, 3), m(2019, 3), m(2020, 3)]),
    # ranges
    ("Декабрь 2018 – март 2019", Y1820, None, "dated", [(D(2018, 12, 1), D(2019, 3, 31))]),
    ("Март-октябрь 2017 г.", Y18, None, "dated", [m(2017, 3, 2017, 10)]),
    ("Апрель-май 2019", Y1820, None, "dated", [m(2019, 4, 2019, 5)]),
    ("ноябрь - март", S22, None, "dated", [(D(2022, 11, 1), D(2023, 3, 31))]),
    ("ноябрь - март", Y18, None, "dated", [(D(2018, 11, 1), D(2019, 3, 31))]),
    ("ноябрь – март 2023", Y18, None, "dated", [(D(2022, 11, 1), D(2023, 3, 31))]),
    ("Сентябрь–декабрь", S22, None, "dated", [m(2022, 9, 2022, 12)]),
    # several
    ("Май\nАвгуст", Y18, None, "dated", [m(2018, 5), m(2018, 8)]),
    ("март, октябрь", Y18, None, "dated", [m(2018, 3), m(2018, 10)]),
    ("январь, февраль", S22, None, "dated", [m(2023, 1), m(2023, 2)]),
    ("Январь – апрель Сентябрь – ноябрь", Y18, None, "dated", [m(2018, 1, 2018, 4), m(2018, 9, 2018, 11)]),
    ("Январь – апрель Сентябрь – ноябрь", S22, None, "dated", [m(2022, 9, 2022, 11), m(2023, 1, 2023, 4)]),
    # quarters and half-years
    ("1 квартал", S22, None, "dated", [m(2023, 1, 2023, 3)]),
    ("I квартал", Y18, None, "dated", [m(2018, 1, 2018, 3)]),
    ("IV квартал", S22, None, "dated", [m(2022, 10, 2022, 12)]),
    ("в течение 2 квартала", Y18, None, "dated", [m(2018, 4, 2018, 6)]),
    ("III квартал 2019 года", Y18, None, "dated", [m(2019, 7, 2019, 9)]),
    ("1 полугодие", Y18, None, "dated", [m(2018, 1, 2018, 6)]),
    ("1-е полугодие", Y18, None, "dated", [m(2018, 1, 2018, 6)]),
    ("1 полугодие", S22, None, "dated", [m(2022, 9, 2022, 12)]),
    ("второе полугодие", S22, None, "dated", [m(2023, 1, 2023, 5)]),
    ("второе полугодие", Y18, None, "dated", [m(2018, 7, 2018, 12)]),
    ("второе полугодие 2018-2019 уч.г.", Y1820, None, "dated", [m(2019, 1, 2019, 5)]),
    ("1 раз в полугодие", S22, None, "dated", [m(2022, 9, 2022, 12), m(2023, 1, 2023, 5)]),
    ("ежеквартально", Y18, None, "dated", [m(2018, 1, 2018, 3), m(2018, 4, 2018, 6), m(2018, 7, 2018, 9),
                                           m(2018, 10, 2018, 12)]),
    ("ежемесячно", Y18, None, "dated", [m(2018, k) for k in range(1, 13)]),
    ("1 четверть", S22, None, "dated", [m(2022, 9, 2022, 10)]),
    ("3 четверть", S22, None, "dated", [m(2023, 1, 2023, 3)]),
    ("I–II квартал", Y18, None, "dated", [m(2018, 1, 2018, 6)]),
    ("III-IV квартал 2019 г.", Y1820, None, "dated", [m(2019, 7, 2019, 12)]),
    ("1-2 полугодие", S22, None, "dated", [(D(2022, 9, 1), D(2023, 5, 31))]),
    ("2018-2019 уч. г.: сентябрь, май", Y1820, None, "dated", [m(2018, 9), m(2019, 5)]),
    ("ежегодно до 25 января", Y1820, [2019], "dated", [day(2019, 1, 25)]),
    ("2022 – 2023 гг.", Y1820, None, "dated", [(D(2022, 1, 1), D(2023, 12, 31))]),
    ("сентябрь 2022 г. - май 2023 г.", S22, None, "dated", [(D(2022, 9, 1), D(2023, 5, 31))]),
    ("октябрь, 2022", S22, None, "dated", [m(2022, 10)]),
    ("IV-I квартал", Y18, None, "unknown", []),
    ("1 раз в квартал", Y18, None, "dated", [m(2018, 1, 2018, 3), m(2018, 4, 2018, 6), m(2018, 7, 2018, 9),
                                             m(2018, 10, 2018, 12)]),
    ("1 раз в год, декабрь", Y1820, [2019, 2020], "dated", [m(2019, 12), m(2020, 12)]),
    ("раз в месяц", S22, None, "dated", [m(2022, 9), m(2022, 10), m(2022, 11), m(2022, 12)]
     + [m(2023, k) for k in range(1, 9)]),
    # dates
    ("19 февраля", Y18, None, "dated", [day(2018, 2, 19)]),
    ("19 февраля", S22, None, "dated", [day(2023, 2, 19)]),
    ("до 25 января", Y1820, [2019, 2020], "dated", [day(2019, 1, 25), day(2020, 1, 25)]),
    ("до 25 января", S22, None, "dated", [day(2023, 1, 25)]),
    ("не позднее 20 мая", S22, None, "dated", [day(2023, 5, 20)]),
    ("до 01.12.2018", Y1820, None, "dated", [day(2018, 12, 1)]),
    ("с 10 по 25 апреля", Y18, None, "dated", [(D(2018, 4, 10), D(2018, 4, 25))]),
    ("с 10 по 25 апреля", S22, None, "dated", [(D(2023, 4, 10), D(2023, 4, 25))]),
    ("10-25 апреля", Y18, None, "dated", [(D(2018, 4, 10), D(2018, 4, 25))]),
    ("с 20 октября по 15 ноября 2019 г.", Y18, None, "dated", [(D(2019, 10, 20), D(2019, 11, 15))]),
    ("01.09.2022 - 30.09.2022", S22, None, "dated", [(D(2022, 9, 1), D(2022, 9, 30))]),
    # every year
    ("Ежегодно, июнь", Y1820, None, "dated", [m(2018, 6), m(2019, 6), m(2020, 6)]),
    ("ежегодно, декабрь", Y1820, [2018], "dated", [m(2018, 12)]),
    ("2019 год", Y1820, None, "dated", [(D(2019, 1, 1), D(2019, 12, 31))]),
    # continuous
    ("в течение учебного года", S22, None, "continuous", [(D(2022, 9, 1), D(2023, 5, 31))]),
    ("в течение учебного года", Y1820, None, "continuous", [(D(2018, 1, 1), D(2020, 12, 31))]),
    ("в течение года", Y1820, [2019, 2020], "continuous", [(D(2019, 1, 1), D(2020, 12, 31))]),
    ("постоянно", Y1820, [2018, 2020], "continuous", [(D(2018, 1, 1), D(2018, 12, 31)),
                                                      (D(2020, 1, 1), D(2020, 12, 31))]),
    ("в течение 2022-2023 учебного года", S22, None, "continuous", [(D(2022, 9, 1), D(2023, 5, 31))]),
    ("в течение 2019 года", Y1820, None, "continuous", [(D(2019, 1, 1), D(2019, 12, 31))]),
    ("Постоянно, в течение года", S22, None, "continuous", [(D(2022, 9, 1), D(2023, 8, 31))]),
    # event-bound
    ("по итогам процедур оценки качества", S22, None, "event", []),
    ("по отдельному плану", S22, None, "event", []),
    ("в соответствии с графиком проведения (ВПР)", S22, None, "event", []),
    # not understood: kept as text, no date
    ("когда-нибудь", S22, None, "unknown", []),
    ("", S22, None, "unknown", []),
    ("31 февраля", Y18, None, "unknown", []),
    ("после утверждения бюджета", Y18, None, "unknown", []),
    ("постоянно, кроме лета", S22, None, "unknown", []),
]


def test_there_are_enough_phrases():
    assert len(CASES) >= 80


@pytest.mark.parametrize("text,period,years,kind,expected", CASES,
                         ids=[f"{i}-{c[0][:30]}" for i, c in enumerate(CASES)])
def test_phrase(text, period, years, kind, expected):
    d = parse(text, period, years=years)
    assert d.kind == kind, d.warnings
    assert [(o.start, o.end) for o in d.occurrences] == expected
    if kind == "unknown":
        assert d.warnings, "a deadline not understood must say so"


def test_recurrence_is_named():
    assert parse("ежегодно", Y1820).recurrence == "ежегодно"
    assert parse("1 раз в полугодие", Y1820).recurrence == "раз в полугодие"
    assert parse("ежеквартально", Y18).recurrence == "ежеквартально"
    assert parse("декабрь", Y18).recurrence is None


def test_year_written_outside_the_period_is_kept_with_a_warning():
    d = parse("Январь 2021", S22)
    assert [(o.start, o.end) for o in d.occurrences] == [m(2021, 1)]
    assert any("вне периода 2022/23" in w for w in d.warnings)
    assert parse("Сентябрь 2022", S22).warnings == ()


def test_marked_years_outside_the_period_give_no_occurrence():
    d = parse("декабрь", Y18, years=[2019, 2020])
    assert d.kind == "dated" and d.occurrences == ()
    assert "вне периода 2018" in d.warnings[0]


def test_unknown_text_is_never_guessed():
    d = parse("в конце каждого третьего месяца", Y18)
    assert d.kind == "unknown" and d.occurrences == ()
    assert "не распознан" in d.warnings[0]


@pytest.mark.parametrize("text,kind,first,last", [
    ("2018", "years", 2018, 2018), ("2018-2020", "years", 2018, 2020), ("2022/23", "school_year", 2022, 2022),
    ("2022/2023", "school_year", 2022, 2022), ("2022-2023 уч. г.", "school_year", 2022, 2022),
])
def test_period_parse(text, kind, first, last):
    p = Period.parse(text)
    assert (p.kind, p.first, p.last) == (kind, first, last)


@pytest.mark.parametrize("bad", ["2022/24", "2020-2018", "двадцатый", ""])
def test_period_parse_refuses(bad):
    with pytest.raises(ValueError):
        Period.parse(bad)


def test_period_labels_and_bounds():
    assert Period.parse("2022/23").label == "2022/23"
    assert (S22.start, S22.end) == (D(2022, 9, 1), D(2023, 8, 31))
    assert Y1820.label == "2018-2020" and (Y1820.start, Y1820.end) == (D(2018, 1, 1), D(2020, 12, 31))


@pytest.mark.parametrize("title,label", [
    ("План мероприятий («дорожная карта») ЕРСОКО в Республике Калмыкия на 2018-2020 годы", "2018-2020"),
    ("Дорожная карта по развитию системы оценки качества подготовки обучающихся в 2022-2023 учебном году",
     "2022/23"),
    ("Дорожная карта … на 2022-2023 учебный год", "2022/23"),
    ("План работы на 2024 год", "2024"),
    ("Об отчёте за 2021-2022 учебный год и дорожной карте на 2022-2023 учебный год", "2022/23"),
])
def test_period_from_title(title, label):
    p = split_title_period(title)
    assert p is not None and p.label == label


def test_title_without_period():
    assert split_title_period("Дорожная карта по развитию МСОКО") is None
