"""The Russian deadline grammar of roadmaps (GUIDE §5): «Срок» text → kind + occurrences.

Orders write deadlines as people speak: «декабрь», «в течение 2 квартала», «до 25 января»,
«Сентябрь – октябрь 2022», «ежегодно, июнь», «по мере необходимости». ``parse`` turns such a
text, within a period (calendar years or one school year), into dated occurrences ``[start, end]``
(inclusive). Whatever it does not understand stays ``unknown`` with a warning: a wrong date in a
roadmap is worse than no date, so nothing is guessed.

Period rules: without a written year a phrase repeats in every cycle of the period (each calendar
year, or the one school year). In a school year Y/Y+1 September–December belong to Y and
January–August to Y+1; its halves are Sep–Dec and Jan–May; «в течение учебного года» is
1 Sep Y – 31 May Y+1 and the school-year period itself runs 1 Sep Y – 31 Aug Y+1. A year written
in the text wins over the period.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Iterable, Literal, Sequence

KINDS = ("dated", "continuous", "event", "unknown")
Kind = Literal["dated", "continuous", "event", "unknown"]


# ---------------------------------------------------------------- period


@dataclass(frozen=True)
class Period:
    """Calendar years ``first..last`` or one school year ``first/first+1``."""

    kind: Literal["years", "school_year"]
    first: int
    last: int

    @classmethod
    def years(cls, first: int, last: int | None = None) -> "Period":
        last = first if last is None else last
        if last < first:
            raise ValueError(f"период «{first}-{last}»: конечный год раньше начального")
        return cls("years", first, last)

    @classmethod
    def school_year(cls, start_year: int) -> "Period":
        return cls("school_year", start_year, start_year)

    @classmethod
    def parse(cls, text: str) -> "Period":
        """«2018», «2018-2020», «2022/23», «2022/2023», «2022-2023 уч. г.»."""
        s = _norm(text)
        m = re.fullmatch(r"(\d{4})\s*/\s*(\d{2}|\d{4})(?:\s*(?:уч\.?\s*г\w*\.?|учебн\w*\s+год\w*))?", s) or \
            re.fullmatch(r"(\d{4})\s*-\s*(\d{2}|\d{4})\s*(?:уч\.?\s*г\w*\.?|учебн\w*\s+год\w*)", s)
        if m:
            y1, y2 = int(m.group(1)), _full_year(m.group(2), int(m.group(1)))
            if y2 != y1 + 1:
                raise ValueError(f"учебный год «{text}»: второй год должен быть следующим за первым")
            return cls.school_year(y1)
        m = re.fullmatch(r"(\d{4})(?:\s*-\s*(\d{4}))?(?:\s*(?:г\.?|гг\.?|год\w*))?", s)
        if m:
            return cls.years(int(m.group(1)), int(m.group(2)) if m.group(2) else None)
        raise ValueError(f"период «{text}» не распознан: ожидается «2018», «2018-2020» или «2022/23»")

    @property
    def label(self) -> str:
        if self.kind == "school_year":
            return f"{self.first}/{(self.first + 1) % 100:02d}"
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.first, 9, 1) if self.kind == "school_year" else dt.date(self.first, 1, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.last + 1, 8, 31) if self.kind == "school_year" else dt.date(self.last, 12, 31)

    def cycle_years(self) -> list[int]:
        return list(range(self.first, self.last + 1))


@dataclass(frozen=True)
class Occurrence:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Deadline:
    text: str
    kind: Kind
    occurrences: tuple[Occurrence, ...] = ()
    recurrence: str | None = None
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------- vocabulary

MONTHS = {
    1: r"январ[ьяюе]", 2: r"феврал[ьяюе]", 3: r"март[аеу]?", 4: r"апрел[ьяюе]", 5: r"ма[йяюе]",
    6: r"июн[ьяюе]", 7: r"июл[ьяюе]", 8: r"август[аеу]?", 9: r"сентябр[ьяюе]", 10: r"октябр[ьяюе]",
    11: r"ноябр[ьяюе]", 12: r"декабр[ьяюе]",
}
ORDINAL_WORDS = {r"перв\w*": 1, r"втор\w*": 2, r"трет\w*": 3, r"четв[её]рт(?:ый|ого|ом|ая|ой|ое)": 4}
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

EVENT_PATTERNS = (
    r"по мере необходим\w*", r"по мере (?:поступлени|готовност)\w*", r"график\w*", r"по итогам",
    r"(?:^|\s)(?:по\s+|согласно\s+)?(?:отдельному\s+)?план\w*", r"по запрос\w*", r"по согласовани\w*",
    r"в установленные сроки", r"в сроки,? установленн\w*", r"по факту", r"по приглашени\w*",
)
FILLER = {
    "в", "во", "на", "не", "позднее", "позже", "течение", "года", "год", "г", "гг", "срок", "сроки",
    "включительно", "месяц", "месяца", "месяце", "числа", "до", "с", "по", "и", "уч", "учебного", "учебный",
    "календарного", "календарный", "текущего", "в течении", "течении",
}

_TOKEN_RE = re.compile(
    r"(?P<date>\d{1,2}\.\d{1,2}\.\d{2,4})"
    r"|(?P<syear>\d{4}\s*[-/]\s*(?:\d{4}|\d{2})\s*(?:уч\.?\s*г\w*\.?|учебн\w*\s+год\w*))"
    r"|(?P<year>(?:19|20)\d{2})(?:\s*(?:г\.|гг\.|года\b|году\b|год\b|г\b|гг\b))?"
    r"|(?P<num>\d{1,2})(?:\s*-?\s*(?:е|й|го|ом|я)\b)?(?![\d.])"
    r"|(?P<dash>-)"
    r"|(?P<sep>[,;+]|\bи\b)"
    r"|(?P<word>[a-zа-я]+\.?)"
    r"|(?P<other>\S)"
)


def _norm(text: str) -> str:
    s = (text or "").lower().replace("ё", "е").replace("\u00a0", " ")
    s = re.sub(r"[\u2010-\u2015\u2212]", "-", s)
    s = re.sub(r"\s+", " ", s)
    return s.strip()


def _full_year(two_or_four: str, base: int) -> int:
    v = int(two_or_four)
    return v if v >= 100 else (base // 100) * 100 + v


_MONTH_RES = [(m, re.compile(pat)) for m, pat in MONTHS.items()]


def _month_of(word: str) -> int | None:
    for m, rx in _MONTH_RES:
        if rx.fullmatch(word):
            return m
    return None


def _ordinal_of(word: str) -> int | None:
    w = word.rstrip(".")
    if w in ROMAN:
        return ROMAN[w]
    for pat, n in ORDINAL_WORDS.items():
        if re.fullmatch(pat, w):
            return n
    return None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# ---------------------------------------------------------------- tokens and items


@dataclass
class _Tok:
    kind: str  # month|year|syear|date|num|ord|quarter|half|squarter|dash|sep|word
    value: object = None
    text: str = ""


@dataclass
class _Item:
    """One dated phrase before it is placed in a year: months, quarter, half, day or range."""

    unit: str  # month|quarter|half|squarter|day|year
    a: tuple[int, ...]  # (month,) / (n,) / (day, month)
    b: tuple[int, ...] | None = None  # range end (same shapes; for day ranges (day, month))
    year_a: int | None = None
    year_b: int | None = None
    school_year: int | None = None  # explicit «2018-2019 уч. г.»
    exact_a: dt.date | None = None  # dd.mm.yyyy
    exact_b: dt.date | None = None

    @property
    def has_year(self) -> bool:
        return self.year_a is not None or self.year_b is not None or self.school_year is not None \
            or self.exact_a is not None


class _NotUnderstood(Exception):
    pass


def _tokenize(s: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN_RE.finditer(s):
        kind = m.lastgroup
        text = m.group(0)
        if kind == "date":
            d, mo, y = text.split(".")
            try:
                toks.append(_Tok("date", dt.date(_full_year(y, 2000), int(mo), int(d)), text))
            except ValueError:
                raise _NotUnderstood(f"дата «{text}» не существует")
        elif kind == "syear":
            y1 = int(text[:4])
            toks.append(_Tok("syear", y1, text))
        elif kind == "year":
            toks.append(_Tok("year", int(m.group("year")), text))
        elif kind == "num":
            toks.append(_Tok("num", int(m.group("num")), text))
        elif kind in ("dash", "sep"):
            toks.append(_Tok(kind, None, text))
        elif kind == "word":
            w = text.rstrip(".")
            month = _month_of(w)
            if month:
                toks.append(_Tok("month", month, text))
            elif re.fullmatch(r"квартал\w*", w):
                toks.append(_Tok("quarter", None, text))
            elif re.fullmatch(r"полугоди\w*", w):
                toks.append(_Tok("half", None, text))
            elif re.fullmatch(r"четверт[ьи]", w):
                toks.append(_Tok("squarter", None, text))
            elif _ordinal_of(w) is not None:
                toks.append(_Tok("ord", _ordinal_of(w), text))
            elif w in FILLER or text in FILLER:
                toks.append(_Tok("filler", w, text))
            else:
                toks.append(_Tok("word", w, text))
        elif kind == "other":
            if text in "().:«»\"'!?/":
                continue
            toks.append(_Tok("word", text, text))
    return toks


def _parse_items(toks: list[_Tok]) -> list[_Item]:
    """A small left-to-right grammar over the tokens; anything left over is not understood."""
    items: list[_Item] = []
    i = 0
    n = len(toks)
    lead_school_year: int | None = None
    lead_from = 0

    def peek(k: int = 0) -> _Tok | None:
        j = i + k
        return toks[j] if j < n else None

    def take_year(item: _Item, end: bool) -> None:
        nonlocal i
        t = peek()
        if t is not None and t.kind == "year":
            if end:
                item.year_b = t.value  # type: ignore[assignment]
            else:
                item.year_a = t.value  # type: ignore[assignment]
            i += 1
        elif t is not None and t.kind == "syear":
            item.school_year = t.value  # type: ignore[assignment]
            i += 1

    def is_kw(t: _Tok | None, *words: str) -> bool:
        return t is not None and t.kind == "filler" and t.value in words

    while i < n:
        t = toks[i]
        if t.kind in ("sep", "filler"):
            i += 1
            continue
        if t.kind == "date":
            item = _Item("day", (), exact_a=t.value)  # type: ignore[arg-type]
            i += 1
            if (peek() and peek().kind == "dash") or is_kw(peek(), "по", "до"):
                if peek(1) is not None and peek(1).kind == "date":
                    item.exact_b = peek(1).value  # type: ignore[assignment]
                    i += 2
            items.append(item)
            continue
        nxt = peek(1)
        if t.kind in ("num", "ord") and nxt is not None and nxt.kind in ("quarter", "half", "squarter"):
            # «1 квартал», «II полугодие», «3 четверть»
            items.append(_ordered_unit(nxt.kind, t.value))  # type: ignore[arg-type]
            i += 2
            take_year(items[-1], end=False)
            continue
        t2, t3 = peek(2), peek(3)
        if t.kind in ("num", "ord") and nxt is not None and nxt.kind == "dash" and t2 is not None \
                and t2.kind in ("num", "ord") and t3 is not None and t3.kind in ("quarter", "half", "squarter"):
            # «I–II квартал», «1-2 полугодие»
            item = _ordered_unit(t3.kind, t.value)  # type: ignore[arg-type]
            item.b = _ordered_unit(t3.kind, t2.value).a  # type: ignore[arg-type]
            items.append(item)
            i += 4
            take_year(item, end=False)
            continue
        if t.kind == "ord":
            raise _NotUnderstood(f"«{t.text}» без слова «квартал»/«полугодие»")
        if t.kind == "num":
            # «10-25 апреля», «с 10 по 25 апреля», «10 апреля - 25 мая», «19 февраля»
            day_a = t.value
            if nxt is not None and nxt.kind == "month":
                month_a = nxt.value
                i += 2
                item = _Item("day", (day_a, month_a))  # type: ignore[arg-type]
                take_year(item, end=False)
                if (peek() and peek().kind == "dash") or is_kw(peek(), "по"):
                    if peek(1) and peek(1).kind == "num" and peek(2) and peek(2).kind == "month":
                        item.b = (peek(1).value, peek(2).value)  # type: ignore[assignment]
                        i += 3
                        take_year(item, end=True)
                items.append(item)
                continue
            if nxt is not None and (nxt.kind == "dash" or is_kw(nxt, "по")):
                t2, t3 = peek(2), peek(3)
                if t2 is not None and t2.kind == "num" and t3 is not None and t3.kind == "month":
                    item = _Item("day", (day_a, t3.value), b=(t2.value, t3.value))  # type: ignore[arg-type]
                    i += 4
                    take_year(item, end=True)
                    items.append(item)
                    continue
            raise _NotUnderstood(f"число «{t.text}» без месяца")
        if t.kind == "month":
            item = _Item("month", (t.value,))  # type: ignore[arg-type]
            i += 1
            take_year(item, end=False)
            if (peek() and peek().kind == "dash") or is_kw(peek(), "по"):
                if peek(1) is not None and peek(1).kind == "month":
                    item.b = (peek(1).value,)  # type: ignore[assignment]
                    i += 2
                    take_year(item, end=True)
            items.append(item)
            continue
        if t.kind in ("year", "syear"):
            # a year after items: it applies to every preceding item written without one
            if items and any(not it.has_year for it in items):
                for it in items:
                    if not it.has_year:
                        if t.kind == "syear":
                            it.school_year = t.value  # type: ignore[assignment]
                        elif it.b is not None:
                            it.year_b = t.value  # type: ignore[assignment]
                        else:
                            it.year_a = t.value  # type: ignore[assignment]
                i += 1
                continue
            if t.kind == "year":
                item = _Item("year", (t.value,))  # type: ignore[arg-type]
                i += 1
                if peek() and peek().kind == "dash" and peek(1) and peek(1).kind == "year":
                    item.b = (peek(1).value,)  # type: ignore[assignment]
                    i += 2
                items.append(item)
                continue
            # «2018-2019 уч. г.: сентябрь, май» — the school year written first
            lead_school_year = t.value  # type: ignore[assignment]
            lead_from = len(items)
            i += 1
            continue
        raise _NotUnderstood(f"непонятное слово «{t.text}»")
    if lead_school_year is not None:
        following = [it for it in items[lead_from:] if not it.has_year]
        if not following:
            raise _NotUnderstood("учебный год без месяца, четверти или полугодия")
        for it in following:
            it.school_year = lead_school_year
    return items


def _ordered_unit(kind: str, n: int) -> _Item:
    limits = {"quarter": 4, "half": 2, "squarter": 4}
    if not 1 <= n <= limits[kind]:
        raise _NotUnderstood(f"номер {n} для «{kind}» невозможен")
    return _Item(kind, (n,))


# ---------------------------------------------------------------- placing items in years


def _month_year(month: int, cycle: int, school: bool) -> int:
    return cycle if (not school or month >= 9) else cycle + 1


def _resolve(item: _Item, cycle: int | None, school: bool) -> Occurrence:
    """Place one item: in the given cycle year, or where its written year says."""
    if item.unit == "day" and item.exact_a is not None:
        return Occurrence(item.exact_a, item.exact_b or item.exact_a)
    if item.unit == "year":
        last = item.b[0] if item.b else item.a[0]
        return Occurrence(dt.date(item.a[0], 1, 1), dt.date(last, 12, 31))
    if item.school_year is not None:
        cycle, school = item.school_year, True
    if item.unit in ("month", "day"):
        m_a = item.a[0] if item.unit == "month" else item.a[1]
        m_b = (item.b[0] if item.unit == "month" else item.b[1]) if item.b else m_a
        if item.year_a is not None or item.year_b is not None:
            y_b = item.year_b if item.year_b is not None else item.year_a
            if item.year_a is not None:
                y_a = item.year_a
            else:  # «ноябрь – март 2023»: the range started the year before
                y_a = y_b if m_a <= m_b else y_b - 1  # type: ignore[operator]
        else:
            assert cycle is not None
            y_a, y_b = _month_year(m_a, cycle, school), _month_year(m_b, cycle, school)
            if (y_b, m_b) < (y_a, m_a):
                y_b += 1
        if item.unit == "month":
            start, end = dt.date(y_a, m_a, 1), _month_end(y_b, m_b)  # type: ignore[arg-type]
        else:
            try:
                start = dt.date(y_a, m_a, item.a[0])  # type: ignore[arg-type]
                end = dt.date(y_b, m_b, item.b[0]) if item.b else start  # type: ignore[arg-type]
            except ValueError:
                raise _NotUnderstood("такой даты нет в календаре")
        if end < start:
            raise _NotUnderstood("конец раньше начала")
        return Occurrence(start, end)
    y = item.year_a if item.year_a is not None else cycle
    assert y is not None
    first = _unit_span(item.unit, item.a[0], y, item.year_a is not None, school)
    if item.b is None:
        return first
    last = _unit_span(item.unit, item.b[0], y, item.year_a is not None, school)
    if last.end < first.start:
        raise _NotUnderstood("конец раньше начала")
    return Occurrence(first.start, last.end)


def _unit_span(unit: str, n: int, y: int, year_written: bool, school: bool) -> Occurrence:
    """Quarter, half-year or school term number ``n`` of cycle (or written year) ``y``."""
    if unit == "quarter":
        m1 = 3 * (n - 1) + 1
        year = y if year_written else _month_year(m1, y, school)
        return Occurrence(dt.date(year, m1, 1), _month_end(year, m1 + 2))
    if unit == "half":
        if school and not year_written:
            return Occurrence(dt.date(y, 9, 1), dt.date(y, 12, 31)) if n == 1 else \
                Occurrence(dt.date(y + 1, 1, 1), dt.date(y + 1, 5, 31))
        return Occurrence(dt.date(y, 1, 1), dt.date(y, 6, 30)) if n == 1 else \
            Occurrence(dt.date(y, 7, 1), dt.date(y, 12, 31))
    if unit == "squarter":  # учебная четверть (school term); needs a school year
        if year_written:
            raise _NotUnderstood("четверть с календарным годом (нужен учебный год)")
        spans = {1: (9, 10), 2: (11, 12), 3: (1, 3), 4: (4, 5)}
        m1, m2 = spans[n]
        year = _month_year(m1, y, True) if school else y
        return Occurrence(dt.date(year, m1, 1), _month_end(year, m2))
    raise _NotUnderstood(unit)  # pragma: no cover


def _cycle_span(cycle: int, school: bool) -> Occurrence:
    if school:
        return Occurrence(dt.date(cycle, 9, 1), dt.date(cycle + 1, 8, 31))
    return Occurrence(dt.date(cycle, 1, 1), dt.date(cycle, 12, 31))


def _recurring(kind: str, cycle: int, school: bool) -> list[_Item]:
    if kind == "ежемесячно":
        months = list(range(9, 13)) + list(range(1, 9)) if school else list(range(1, 13))
        return [_Item("month", (m,)) for m in months]
    if kind == "ежеквартально":
        return [_Item("quarter", (q,)) for q in ((4, 1, 2, 3) if school else (1, 2, 3, 4))]
    if kind == "раз в полугодие":
        return [_Item("half", (1,)), _Item("half", (2,))]
    return []


def _runs(years: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive runs of years: [2018, 2019, 2021] → [(2018, 2019), (2021, 2021)]."""
    runs: list[tuple[int, int]] = []
    for y in sorted(set(years)):
        if runs and runs[-1][1] == y - 1:
            runs[-1] = (runs[-1][0], y)
        else:
            runs.append((y, y))
    return runs


# ---------------------------------------------------------------- public entry


CONTINUOUS_RE = re.compile(
    r"постоянно|систематически|ежедневно|еженедельно|на протяжении|весь период|в течение (?:всего )?периода"
    r"|(?:в|на) течени[еи]\s+(?:всего\s+)?(?:(?P<y1>\d{4})\s*[-/]\s*(?P<y2>\d{2,4})\s+)?(?P<school>учебного\s+)?года"
    r"|(?:в|на) течени[еи]\s+(?P<cal>\d{4})\s*(?:года\b|г\.|г\b)"
)
RECURRENCE_RES = (
    (re.compile(r"ежеквартальн\w*|каждый квартал|(?:1|один)?\s*раз\s+в\s+квартал"), "ежеквартально"),
    (re.compile(r"ежемесячн\w*|каждый месяц|(?:1|один)?\s*раз\s+в\s+месяц"), "ежемесячно"),
    (re.compile(r"ежегодн\w*|каждый год|(?:1|один)\s+раз\s+в\s+год"), "ежегодно"),
    (re.compile(r"(?:1|один|одного)?\s*раз\w*\s+в\s+полугоди\w*|(?:2|два)\s+раза\s+в\s+год|каждое полугодие"),
     "раз в полугодие"),
)


def parse(text: str | None, period: Period, *, years: Iterable[int] | None = None) -> Deadline:
    """Understand one deadline text. ``years`` (year columns of the table) restricts the cycles
    of a calendar period; a year written in the text is not restricted. A task whose marked
    years all lie outside the period has no occurrence in it."""
    years = sorted(set(years)) if years else []
    d = _parse(text, period, years)
    if years and period.kind == "years" and not any(period.first <= y <= period.last for y in years):
        marks = ", ".join(map(str, years))
        d = replace(d, warnings=d.warnings + (f"мероприятие отмечено только в годах {marks} — вне периода "
                                              f"{period.label}, сроков в периоде нет",))
    return d


def _parse(text: str | None, period: Period, years: Iterable[int] | None) -> Deadline:
    raw = (text or "").strip()
    s = _norm(raw)
    school = period.kind == "school_year"
    cycles = period.cycle_years()
    if years and not school:
        cycles = [y for y in years if period.first <= y <= period.last]
    if not s:
        return Deadline(raw, "unknown", warnings=("срок не указан",))
    # a word broken across lines is sometimes left broken («по мере необходимо»)
    for pattern in EVENT_PATTERNS:
        if re.search(pattern, s):
            return Deadline(raw, "event")

    cont = CONTINUOUS_RE.search(s)
    if cont:
        rest = _norm(CONTINUOUS_RE.sub(" ", s))
        leftover = [t.text for t in _safe_tokens(rest) if t.kind not in ("sep", "filler")]
        if leftover:
            return _unknown(raw, f"рядом с «{cont.group(0)}» не распознано: «{' '.join(leftover)}»")
        return Deadline(raw, "continuous", _continuous(cont, period, cycles, school))

    recurrence = None
    for rx, name in RECURRENCE_RES:
        m = rx.search(s)
        if m:
            recurrence = name
            s = _norm(s[: m.start()] + " " + s[m.end():])
            break
    try:
        items = _parse_items(_tokenize(s))
        if not items and recurrence in (None, "ежегодно"):
            if recurrence == "ежегодно":
                occ = [_cycle_span(c, school) for c in cycles]
                return Deadline(raw, "dated", tuple(occ), recurrence, _period_warnings(occ, period))
            return _unknown(raw, "не найдено ни месяца, ни даты, ни квартала")
        if not items:
            items_per_cycle = {c: _recurring(recurrence, c, school) for c in cycles}  # type: ignore[arg-type]
        else:
            items_per_cycle = {c: items for c in cycles}
        occ: list[Occurrence] = []
        seen: set[Occurrence] = set()
        for item in items:
            if item.has_year or item.unit == "year":
                o = _resolve(item, None, school)
                if o not in seen:
                    seen.add(o)
                    occ.append(o)
        for c, its in items_per_cycle.items():
            for item in its:
                if item.has_year or item.unit == "year":
                    continue
                o = _resolve(item, c, school)
                if o not in seen:
                    seen.add(o)
                    occ.append(o)
    except _NotUnderstood as exc:
        return _unknown(raw, str(exc))
    occ.sort(key=lambda o: (o.start, o.end))
    return Deadline(raw, "dated", tuple(occ), recurrence, _period_warnings(occ, period))


def _continuous(m: re.Match, period: Period, cycles: list[int], school: bool) -> tuple[Occurrence, ...]:
    y1 = m.group("y1")
    if y1:  # «в течение 2022-2023 учебного года»
        y = int(y1)
        return (Occurrence(dt.date(y, 9, 1), dt.date(y + 1, 5, 31)),)
    if m.group("cal"):
        y = int(m.group("cal"))
        return (Occurrence(dt.date(y, 1, 1), dt.date(y, 12, 31)),)
    if school:
        y = period.first
        if m.group("school"):
            return (Occurrence(dt.date(y, 9, 1), dt.date(y + 1, 5, 31)),)
        return (Occurrence(period.start, period.end),)
    return tuple(Occurrence(dt.date(a, 1, 1), dt.date(b, 12, 31)) for a, b in _runs(cycles))


def _safe_tokens(s: str) -> list[_Tok]:
    try:
        return _tokenize(s)
    except _NotUnderstood:
        return [_Tok("word", s, s)]


def _unknown(raw: str, why: str) -> Deadline:
    return Deadline(raw, "unknown", warnings=(f"срок «{raw}» не распознан ({why}); оставлен текстом, даты не назначены",))


def _period_warnings(occ: list[Occurrence], period: Period) -> tuple[str, ...]:
    outside = [o for o in occ if o.end < period.start or o.start > period.end]
    if not outside:
        return ()
    spans = ", ".join(f"{o.start.isoformat()}…{o.end.isoformat()}" for o in outside)
    return (f"срок вне периода {period.label}: {spans} (год указан в тексте, оставлен как написан)",)


def split_title_period(title: str) -> Period | None:
    """The period written in a roadmap title: «на 2022-2023 учебный год», «в 2022-2023 учебном
    году», «на 2018-2020 годы», «на 2024 год». None when the title names none."""
    s = _norm(title)
    m = re.search(r"на\s+(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*(?:уч\.?\s*г\w*\.?|учебн\w*\s+год\w*)", s) or \
        re.search(r"(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*(?:уч\.?\s*г\w*\.?|учебн\w*\s+год\w*)", s)
    if m:
        y1, y2 = int(m.group(1)), _full_year(m.group(2), int(m.group(1)))
        if y2 == y1 + 1:
            return Period.school_year(y1)
    m = re.search(r"(?:на|в)\s+(\d{4})\s*-\s*(\d{4})\s*(?:г\.?|гг\.?|год\w*)", s)
    if m and int(m.group(2)) >= int(m.group(1)):
        return Period.years(int(m.group(1)), int(m.group(2)))
    m = re.search(r"(?:на|в)\s+(\d{4})\s*(?:г\.?|год\w*)", s)
    if m:
        return Period.years(int(m.group(1)))
    return None


__all__ = ["Deadline", "KINDS", "Occurrence", "Period", "parse", "split_title_period"]
