"""Formula-injection escaping for spreadsheets we write (CSV and XLSX).

A participant code or a school name that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab /
carriage return) is executed by Excel as a formula when the file is opened. Text we write is
always text: in XLSX the cell is stored as a string with the "quote prefix" style, so even
editing it in Excel keeps it text; in CSV a leading apostrophe is added (OWASP advice).
Numbers stay numbers: only ``str`` values are touched.
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_safe(value: Any) -> Any:
    """The value to put into a CSV field: risky text gets a leading apostrophe."""
    if looks_like_formula(value):
        return "'" + value
    return value


def write_xlsx_cell(ws, row: int, column: int, value: Any, *, number_format: str | None = None):
    """Set one openpyxl cell; text that looks like a formula is stored as text, never a formula."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif number_format and not isinstance(value, str):
        cell.number_format = number_format
    return cell


def safe_row(ws, values) -> list:
    """A row for ``ws.append`` (normal or write-only sheet) with risky text wrapped as text cells."""
    from openpyxl.cell import WriteOnlyCell

    out = []
    for value in values:
        if looks_like_formula(value):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"
            cell.quotePrefix = True
            out.append(cell)
        else:
            out.append(value)
    return out
