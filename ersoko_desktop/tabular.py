"""Read the table files users really have (CSV in UTF-8/cp1251 with ; , or tab; XLSX/XLS).

Encodings are detected, never guessed silently: the result says which one was used.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .errors import InputError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]


@dataclass
class TableFile:
    path: Path
    sheets: list[Sheet]
    encoding: str | None = None  # for text files: "utf-8", "utf-8-sig" or "cp1251"
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[list[Any]]:
        return self.sheets[0].rows if self.sheets else []


def decode_text(data: bytes, file_name: str) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first; cp1251 only if the bytes are not UTF-8 and look Cyrillic."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as exc:  # pragma: no cover - cp1251 maps almost every byte
        raise InputError(f"Файл «{file_name}»: не удалось определить кодировку (ожидалась UTF-8 или Windows-1251).") from exc
    letters = sum(ch.isalpha() for ch in text)
    cyr = sum("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in text)
    if letters and cyr / letters < 0.3:
        raise InputError(
            f"Файл «{file_name}»: текст не в кодировке UTF-8 и не похож на Windows-1251. Сохраните файл как «CSV UTF-8»."
        )
    return text, "cp1251"


def sniff_delimiter(text: str) -> str:
    sample = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ";", -1
    for delim in (";", "\t", ","):
        counts = [line.count(delim) for line in sample]
        score = sum(1 for c in counts if c > 0) * 1000 + sum(counts)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_text_table(path: Path, data: bytes | None = None) -> TableFile:
    data = path.read_bytes() if data is None else data
    text, encoding = decode_text(data, path.name)
    delimiter = sniff_delimiter(text)
    rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return TableFile(path=path, sheets=[Sheet(path.stem, rows)], encoding=encoding, delimiter=delimiter)


def _open_workbook(path: Path):
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise InputError(f"Файл «{path.name}» не читается как книга Excel: {exc}") from exc


def read_excel_table(path: Path) -> TableFile:
    wb = _open_workbook(path)
    sheets = []
    for name in wb.sheet_names:
        sheets.append(Sheet(name, [list(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)]))
    return TableFile(path=path, sheets=sheets)


def read_table(path: str | Path) -> TableFile:
    path = Path(path)
    if not path.exists():
        raise InputError(f"Файл «{path}» не найден.")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return read_excel_table(path)
    if suffix in CSV_SUFFIXES or suffix == "":
        return read_text_table(path)
    raise InputError(f"Файл «{path.name}»: формат «{suffix}» не поддерживается (ожидались CSV, TXT, XLSX, XLS).")


def cell_text(value: Any) -> str:
    """A cell as the user sees it: floats that are whole become ints ("5", not "5.0")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def normalize_header(text: Any) -> str:
    """Header key: lower case, ё→е, no bracketed parts, single spaces."""
    import re

    s = cell_text(text).lower().replace("ё", "е")
    s = re.sub(r"\([^)]*\)", " ", s)
    s = re.sub(r"[\s\u00a0]+", " ", s)
    return s.strip(" .:")


@dataclass
class RowSource:
    """A table file opened for streaming: sheets are read one at a time, rows lazily.

    Large results files (a million rows) are processed in chunks, so the whole sheet never
    exists as Python objects at once. Rows start at the sheet's row 1 (title rows included),
    so a row's position + 1 is the row number the user sees.
    """

    path: Path
    sheet_names: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    _workbook: Any = None
    _text: str | None = None

    @property
    def is_excel(self) -> bool:
        return self._workbook is not None

    def rows(self, index: int) -> tuple[Iterator[list[Any]], int | None]:
        """(row iterator, number of rows if known) of sheet ``index``."""
        if self._workbook is not None:
            sheet = self._workbook.get_sheet_by_index(index)
            # iter_rows starts at row 1 but at the first used column; columns are found by header.
            return iter(sheet.iter_rows()), (sheet.end[0] + 1) if sheet.end else 0
        text = self._text or ""
        return csv.reader(io.StringIO(text), delimiter=self.delimiter or ";"), text.count("\n") + 1

    def close(self) -> None:
        if self._workbook is not None:
            try:
                self._workbook.close()
            except Exception:  # pragma: no cover - closing is best effort
                pass


def open_rows(path: str | Path) -> RowSource:
    """Open a CSV/TXT/XLSX/XLS file for streaming (encodings detected as in :func:`read_table`)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"Файл «{path}» не найден.")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        wb = _open_workbook(path)
        return RowSource(path, list(wb.sheet_names), _workbook=wb)
    if suffix in CSV_SUFFIXES or suffix == "":
        text, encoding = decode_text(path.read_bytes(), path.name)
        return RowSource(path, [path.stem], encoding=encoding, delimiter=sniff_delimiter(text), _text=text)
    raise InputError(f"Файл «{path.name}»: формат «{suffix}» не поддерживается (ожидались CSV, TXT, XLSX, XLS).")
