"""Turn what a person typed (GUI, Excel cell, JSON) into the stored value of a field, or say why
not. Stored values are JSON-friendly: int, float, str, bool, ISO date string, list of rows."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from .schema import FieldSpec

YES = {"да", "yes", "y", "true", "1", "д", "+", "истина"}
NO = {"нет", "no", "n", "false", "0", "н", "-", "ложь"}
_NUMBER_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y")


class CoercionError(ValueError):
    """The raw value does not fit the field; ``str(exc)`` is the Russian reason."""


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw)


def _number(raw: Any, field: FieldSpec) -> float:
    if isinstance(raw, bool):
        raise CoercionError(f"ожидалось число, получено «{'Да' if raw else 'Нет'}»")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and (math.isnan(raw) or math.isinf(raw)):
            raise CoercionError("ожидалось число")
        return raw
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    if field.type == "percent" and text.endswith("%"):
        text = text[:-1]
    if not _NUMBER_RE.match(text):
        kind = "целое число" if field.type == "integer" else "число"
        raise CoercionError(f"ожидалось {kind}, получено «{raw}»")
    return float(text.replace(",", "."))


def coerce(field: FieldSpec, raw: Any) -> Any:
    """The stored value for ``raw`` (None when empty); raises :class:`CoercionError`."""
    if is_empty(raw):
        return None
    t = field.type
    if t == "integer":
        number = _number(raw, field)
        if float(number) != int(number):
            raise CoercionError(f"ожидалось целое число, получено «{raw}»")
        return int(number)
    if t in ("decimal", "percent"):
        number = float(_number(raw, field))
        return round(number, field.round) if field.round is not None else number
    if t == "text":
        return str(raw).strip()
    if t == "yesno":
        if isinstance(raw, bool):
            return raw
        key = str(raw).strip().lower()
        if key in YES:
            return True
        if key in NO:
            return False
        raise CoercionError(f"ожидалось «Да» или «Нет», получено «{raw}»")
    if t == "choice":
        key = str(raw).strip()
        if isinstance(raw, float) and raw.is_integer():
            key = str(int(raw))
        for option in field.options:
            if key == option.value or key.lower() == option.label.lower():
                return option.value
        labels = "; ".join(f"«{o.label}»" for o in field.options)
        raise CoercionError(f"значение «{raw}» не из списка: {labels}")
    if t == "date":
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        text = str(raw).strip()
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise CoercionError(f"ожидалась дата ДД.ММ.ГГГГ, получено «{raw}»")
    if t == "file":
        if not isinstance(raw, list) or not all(isinstance(x, dict) and "sha256" in x for x in raw):
            raise CoercionError("файлы прикрепляются в программе, а не вводятся текстом")
        return [{"file_name": x.get("file_name", ""), "sha256": x["sha256"]} for x in raw]
    if t == "table":
        if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
            raise CoercionError("ожидался список строк таблицы")
        return raw
    raise CoercionError(f"неизвестный тип поля «{t}»")  # pragma: no cover - the schema forbids it


def display(field: FieldSpec, value: Any) -> str:
    """How a stored value is shown to a person (GUI, XLSX, reports)."""
    if value is None:
        return ""
    if field.type == "yesno":
        return "Да" if value else "Нет"
    if field.type == "choice":
        option = field.option(str(value))
        return option.label if option else str(value)
    if field.type == "date":
        try:
            return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
        except (TypeError, ValueError):
            return str(value)
    if field.type in ("decimal", "percent"):
        text = f"{value:.{field.round}f}" if field.round is not None else f"{value:g}"
        return text.replace(".", ",")
    if field.type == "file":
        return ", ".join(x.get("file_name", "") for x in value)
    if field.type == "table":
        return f"строк: {len(value)}"
    return str(value)


def expression_value(field: FieldSpec, value: Any) -> Any:
    """The value as rules see it: dates become ``date`` objects so they compare."""
    if field.type == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value
