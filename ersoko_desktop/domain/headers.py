"""Recognise the columns of a results file (ФИС ОКО exports, regional templates, school tables).

Headers are matched ignoring case, «ё», extra spaces and parenthesised parts
(«Отметка за предыдущую четверть (триместр)»). Task columns are recognised by their number
(«1», «3.1», «3(1)», «Задание 1», «К1», «1К2»); their ids are canonical («3(1)» → «3.1») so that
a file and a procedure spec can be compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Field → header texts after normalize_header (lower case, ё→е, no brackets, single spaces).
FIELD_SYNONYMS: dict[str, frozenset[str]] = {
    "school_code": frozenset({
        "код оо", "логин оо", "код школы", "логин школы", "логин", "код образовательной организации",
        "код организации", "код оу", "логин оу",
    }),
    "participant_code": frozenset({
        "код участника", "код", "№ участника", "номер участника", "код обучающегося", "код ученика",
        "id участника", "ид участника", "код работы", "№ работы",
    }),
    "class_letter": frozenset({"класс", "класс/литера", "класс литера"}),
    "letter": frozenset({"литера", "литера класса", "буква класса", "буква"}),
    "variant": frozenset({"вариант", "номер варианта", "№ варианта"}),
    "gender": frozenset({"пол"}),
    "primary_score": frozenset({
        "первичный балл", "сумма баллов", "сумма первичных баллов", "итоговый балл", "общий балл",
        "первичный балл за работу", "сумма",
    }),
    "mark": frozenset({
        "отметка", "оценка", "отметка за работу", "оценка за работу", "отметка по пятибалльной шкале",
        "отметка за впр", "оценка за впр", "отметка по 5-балльной шкале",
    }),
    "journal_mark": frozenset({
        "отметка по журналу", "оценка по журналу", "отметка за предыдущую четверть",
        "отметка за предыдущую четверть триместр", "отметка за предыдущий триместр",
        "отметка за четверть", "оценка за четверть", "оценка за предыдущую четверть",
        "отметка за предыдущую четверть/триместр", "отметка за четверть/триместр",
        "отметка в журнале", "годовая отметка", "отметка за год",
    }),
    "name": frozenset({
        "фио", "ф.и.о", "ф. и. о", "ф и о", "фамилия", "имя", "фамилия имя", "фамилия, имя",
        "фамилия имя отчество", "фамилия, имя, отчество", "фио участника", "фио обучающегося", "фио ученика",
    }),
}

FIELD_TITLES = {
    "school_code": "Код ОО",
    "participant_code": "Код участника",
    "class_letter": "Класс",
    "letter": "Литера",
    "variant": "Вариант",
    "gender": "Пол",
    "primary_score": "Первичный балл",
    "mark": "Отметка",
    "journal_mark": "Отметка по журналу",
    "name": "ФИО",
}

_HEADER_LOOKUP = {text: field for field, texts in FIELD_SYNONYMS.items() for text in texts}

# «1», «12», «3.1», «3(1)», «3 (1)», «12(1)(2)», «1К1», «К1», «Задание 1», «Зад. 3(2)», «№ 5», «З1».
_TASK_RE = re.compile(
    r"^(?:задание|задача|зад\.?|з\.?|№|n)?\s*"
    r"(?P<num>\d{1,2}(?:\s*(?:\.\s*\d{1,2}|\(\s*\d{1,2}\s*\)))*)?"
    r"\s*(?:(?P<crit>[кk])\s*(?P<cnum>\d{1,2}))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Column:
    """One recognised column: a field, or a task with its canonical id."""

    index: int
    header: str  # as written in the file (for messages)
    field: str  # a FIELD_SYNONYMS key, "task" or "unknown"
    task_id: str | None = None


def clean(text: Any) -> str:
    """A header cell as the user sees it (whole floats without «.0»)."""
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        return str(int(text))
    return " ".join(str(text).split())


def normalize(text: Any) -> str:
    """Lower case, ё→е, no bracketed parts, single spaces, no trailing dots or colons."""
    s = clean(text).lower().replace("ё", "е")
    s = re.sub(r"\([^)]*\)", " ", s)
    s = re.sub(r"\s+", " ", s)
    return s.strip(" .:")


def task_id(text: Any) -> str | None:
    """The canonical task id of a header, or None if the header does not name a task.

    >>> task_id("3(1)"), task_id("Задание 12"), task_id("1к2"), task_id("К1")
    ('3.1', '12', '1К2', 'К1')
    """
    s = clean(text)
    if not s or len(s) > 20:
        return None
    m = _TASK_RE.match(s)
    if not m or not (m.group("num") or m.group("crit")):
        return None
    num = m.group("num") or ""
    parts = re.findall(r"\d{1,2}", num)
    ident = ".".join(str(int(p)) for p in parts)
    if m.group("crit"):
        ident += f"К{int(m.group('cnum'))}"
    return ident


def classify(index: int, text: Any) -> Column:
    header = clean(text)
    field = _HEADER_LOOKUP.get(normalize(text))
    if field is not None:
        return Column(index, header, field)
    tid = task_id(text)
    if tid is not None:
        return Column(index, header, "task", tid)
    return Column(index, header, "unknown")


def is_task_group_label(text: Any) -> bool:
    """A merged label above task numbers («Баллы за задания», «Выполнение заданий»)."""
    s = normalize(text)
    return bool(s) and ("задани" in s or s.startswith("балл"))


def is_maxima_label(text: Any) -> bool:
    """The label of a row of task maxima («Максимальный балл», «Макс. балл»)."""
    return normalize(text).startswith("макс")
