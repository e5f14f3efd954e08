"""Numbers as Russian readers expect them, and small-cell suppression (152-ФЗ).

One place decides: percentages with one decimal and a decimal comma followed by a thin
no-break space and "%" ("39,6 %"), marks with two decimals ("3,86"), thousands grouped by a
no-break space ("12 345"). A cell computed from fewer than :data:`MIN_N` participants is
printed as :data:`SUPPRESSED`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

MIN_N = 5
SUPPRESSED = "—"
EMPTY = "—"
NBSP = "\u00a0"

# Excel number formats for the same kinds; the decimal comma comes from the reader's locale.
XLSX_FORMATS = {
    "int": "#,##0",
    "percent": '0.0" %"',
    "mark": "0.00",
    "score": "0.0",
    "date": "DD.MM.YYYY",
}


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fixed(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def fmt_int(value: Any) -> str:
    if is_missing(value):
        return EMPTY
    return _fixed(float(value), 0)


def fmt_percent(value: Any) -> str:
    """39.63 → "39,6 %" (the value is already 0–100)."""
    if is_missing(value):
        return EMPTY
    return _fixed(float(value), 1) + NBSP + "%"


def fmt_mark(value: Any) -> str:
    """3.856 → "3,86"."""
    if is_missing(value):
        return EMPTY
    return _fixed(float(value), 2)


def fmt_score(value: Any) -> str:
    if is_missing(value):
        return EMPTY
    return _fixed(float(value), 1)


def fmt_date(value: Any) -> str:
    if is_missing(value):
        return EMPTY
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%d.%m.%Y")
    return str(value)


def fmt_text(value: Any) -> str:
    return "" if is_missing(value) else str(value)


FORMATTERS = {
    "text": fmt_text,
    "int": fmt_int,
    "percent": fmt_percent,
    "mark": fmt_mark,
    "score": fmt_score,
    "date": fmt_date,
}


def format_value(value: Any, kind: str) -> str:
    """Format ``value`` as a column of ``kind`` (text|int|percent|mark|score|date|bool);
    an already suppressed cell stays «—»."""
    if kind == "bool":
        return "" if value is None else ("да" if value else "нет")
    if value == SUPPRESSED and kind != "text":
        return SUPPRESSED
    return FORMATTERS[kind](value)


def is_suppressed(n: Any) -> bool:
    """True when a group is too small to publish figures about it (N < 5, also N unknown)."""
    return is_missing(n) or int(n) < MIN_N
