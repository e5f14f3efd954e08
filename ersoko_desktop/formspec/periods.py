"""Reporting periods: a school year is written ``2024/25`` everywhere, a calendar year ``2024``."""

from __future__ import annotations

import re

from ..errors import InputError

_SCHOOL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_CALENDAR_YEAR = re.compile(r"^\d{4}$")


def check_period(period_type: str, period: str) -> str:
    """Return ``period`` if it fits the form's period type, else a Russian error with an example."""
    period = (period or "").strip()
    if period_type == "school_year":
        m = _SCHOOL_YEAR.match(period)
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise InputError(f"Период «{period}» не является учебным годом: ожидалось, например, «2024/25».")
        return period
    if period_type == "calendar_year":
        if not _CALENDAR_YEAR.match(period):
            raise InputError(f"Период «{period}» не является календарным годом: ожидалось, например, «2024».")
        return period
    if not period or len(period) > 20:
        raise InputError(f"Период «{period}» не задан или длиннее 20 символов.")
    return period


def period_sort_key(period: str) -> tuple[int, str]:
    """Chronological order of periods of one type (``2023/24`` < ``2024/25``; ``2023`` < ``2024``)."""
    digits = re.match(r"^(\d{4})", period)
    return (int(digits.group(1)) if digits else 0, period)


def school_year_of(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"
