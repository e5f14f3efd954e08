"""What procedure a results file is about: kind, subject, grade, year, date, school.

Read from the title rows above the header («Предмет: Математика», «ВПР 2024, 5 класс»), from the
sheet name, or given as options. Each source yields candidates; different values from two
sources are a conflict the caller reports — never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .headers import clean, normalize

PROCEDURE_KINDS = {
    "VPR": "ВПР", "OGE": "ОГЭ", "EGE": "ЕГЭ", "RDR": "РДР", "SCHOOL": "Школьная работа",
}
_KIND_WORDS = {
    "VPR": ("впр", "vpr", "всероссийская проверочная работа", "всероссийские проверочные работы",
            "всероссийских проверочных работ"),
    "OGE": ("огэ", "oge", "основной государственный экзамен"),
    "EGE": ("егэ", "ege", "единый государственный экзамен"),
    "RDR": ("рдр", "rdr", "региональная диагностическая работа", "региональные диагностические работы"),
    "SCHOOL": ("school", "школьная работа", "школьная", "внутришкольная работа", "административная контрольная работа"),
}
SUBJECTS = (
    "Математика", "Русский язык", "Окружающий мир", "История", "Обществознание", "География", "Биология",
    "Физика", "Химия", "Информатика", "Литература", "Английский язык", "Немецкий язык", "Французский язык",
    "Иностранный язык", "Естествознание", "Алгебра", "Геометрия",
)
_SUBJECT_ALIASES = {
    "русский": "Русский язык", "рус. яз": "Русский язык", "рус.яз": "Русский язык", "рус яз": "Русский язык",
    "матем": "Математика", "мат": "Математика", "окр. мир": "Окружающий мир", "окружающий": "Окружающий мир",
    "английский": "Английский язык", "немецкий": "Немецкий язык", "французский": "Французский язык",
}
_KEYS = {
    "subject": ("предмет", "учебный предмет", "дисциплина"),
    "kind": ("процедура", "оценочная процедура", "вид работы", "работа", "мероприятие", "вид процедуры"),
    "grade": ("класс", "параллель", "классы"),
    "year": ("год", "год проведения"),
    "date": ("дата", "дата проведения", "дата проведения работы"),
    "school": ("код оо", "логин оо", "код школы", "логин", "код образовательной организации", "код организации"),
}
_KEY_LOOKUP = {k: attr for attr, keys in _KEYS.items() for k in keys}

ATTR_TITLES = {"kind": "процедура", "subject": "предмет", "grade": "класс", "year": "год", "date": "дата",
               "school": "код ОО"}


@dataclass(frozen=True)
class Found:
    value: Any
    where: str  # «строка 2», «лист «Математика 5»», «параметр --subject»


@dataclass
class Candidates:
    values: dict[str, list[Found]] = field(default_factory=dict)

    def add(self, attr: str, value: Any, where: str) -> None:
        if value is not None and value != "":
            self.values.setdefault(attr, []).append(Found(value, where))

    def extend(self, other: "Candidates") -> None:
        for attr, found in other.values.items():
            self.values.setdefault(attr, []).extend(found)


def canonical_kind(text: Any) -> str | None:
    s = normalize(text)
    if not s:
        return None
    if s.upper() in PROCEDURE_KINDS:
        return s.upper()
    for kind, words in _KIND_WORDS.items():
        if s in words or s == normalize(PROCEDURE_KINDS[kind]):
            return kind
    return None


def canonical_subject(text: Any) -> str | None:
    """A subject as stored: one of SUBJECTS by its name or a common abbreviation; else the text
    with a capital first letter (other subjects exist; they are not guessed into known ones)."""
    s = normalize(text)
    if not s:
        return None
    for name in SUBJECTS:
        if s == name.lower():
            return name
    if s in _SUBJECT_ALIASES:
        return _SUBJECT_ALIASES[s]
    raw = clean(text)
    return raw[:1].upper() + raw[1:]


def parse_grade(text: Any) -> int | None:
    s = normalize(text)
    m = re.fullmatch(r"(\d{1,2})\s*(?:-?й)?\s*(?:[а-я]|класс|кл)?", s)
    if m and 1 <= int(m.group(1)) <= 11:
        return int(m.group(1))
    return None


def parse_year(text: Any) -> int | None:
    s = clean(text)
    m = re.fullmatch(r"(20\d\d)(?:\s*г(?:од|\.)?)?", s)
    return int(m.group(1)) if m else None


def parse_date(text: Any) -> dt.date | None:
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    s = clean(text)
    m = re.search(r"\b(\d{1,2})\.(\d{1,2})\.(20\d\d)\b", s)
    parts = (m.group(3), m.group(2), m.group(1)) if m else None
    m = re.search(r"\b(20\d\d)-(\d{2})-(\d{2})\b", s)
    if parts is None and m:
        parts = (m.group(1), m.group(2), m.group(3))
    if parts is None:
        return None
    try:
        return dt.date(*(int(p) for p in parts))
    except ValueError:
        return None  # «31.02.2024» is not a date; the year is not guessed from it either


def _keyed(attr: str, value: Any, where: str, out: Candidates) -> None:
    if attr == "subject":
        out.add("subject", canonical_subject(value), where)
    elif attr == "kind":
        out.add("kind", canonical_kind(value), where)
        _free_text(clean(value), where, out, only=("kind", "year"))
    elif attr == "grade":
        out.add("grade", parse_grade(value), where)
    elif attr == "year":
        out.add("year", parse_year(value), where)
    elif attr == "date":
        date = parse_date(value)
        out.add("date", date, where)
        if date:
            out.add("year", date.year, where)
    elif attr == "school":
        out.add("school", clean(value), where)


def _free_text(text: str, where: str, out: Candidates, only: tuple[str, ...] = ("kind", "subject", "grade", "year")) -> None:
    """Words in a title line or sheet name: «ВПР 2024. Математика, 5 класс»."""
    low = " " + text.lower().replace("ё", "е") + " "
    if "kind" in only:
        kinds = {kind for kind, words in _KIND_WORDS.items()
                 for w in words if re.search(rf"(?<![а-яa-z]){re.escape(w)}(?![а-яa-z])", low)}
        for kind in sorted(kinds):
            out.add("kind", kind, where)
    if "year" in only:
        # A school year («2023-2024 учебный год», «2023/24») is not the procedure's calendar year.
        stripped = re.sub(r"20\d\d\s*[-–/]\s*(?:20)?\d\d", " ", low)
        for y in sorted({int(y) for y in re.findall(r"(?<!\d)(20\d\d)(?!\d)", stripped)}):
            out.add("year", y, where)
    if "grade" in only:
        for g in sorted({int(g) for g in re.findall(r"(?<!\d)(\d{1,2})\s*(?:-?й\s*)?(?:класс|кл\b|кл\.)", low)}):
            if 1 <= g <= 11:
                out.add("grade", g, where)
    if "subject" in only:
        for name in SUBJECTS:
            if re.search(rf"(?<![а-я]){re.escape(name.lower())}(?![а-я])", low):
                out.add("subject", name, where)


def from_title_rows(rows: list[list[Any]], first_row_number: int = 1) -> Candidates:
    """Candidates from the lines above the header: «Ключ: значение», «Ключ» | «значение», free text."""
    out = Candidates()
    for offset, row in enumerate(rows):
        where = f"строка {first_row_number + offset}"
        cells = [c for c in row if clean(c)]
        i = 0
        keyed = False
        while i < len(cells):
            cell = cells[i]
            text = clean(cell)
            if ":" in text:
                key, _, value = text.partition(":")
                attr = _KEY_LOOKUP.get(normalize(key))
                if attr:
                    keyed = True
                    if value.strip():
                        _keyed(attr, value.strip(), where, out)
                    elif i + 1 < len(cells):
                        _keyed(attr, cells[i + 1], where, out)
                        i += 1
                    i += 1
                    continue
            attr = _KEY_LOOKUP.get(normalize(text))
            if attr and i + 1 < len(cells):
                keyed = True
                _keyed(attr, cells[i + 1], where, out)
                i += 2
                continue
            i += 1
        if not keyed:
            for cell in cells:
                if isinstance(cell, (dt.date, dt.datetime)):
                    _keyed("date", cell, where, out)
                else:
                    _free_text(clean(cell), where, out)
    return out


def from_sheet_name(name: str) -> Candidates:
    out = Candidates()
    if name:
        _free_text(name.replace("_", " "), f"лист «{name}»", out)
    return out
