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
XLSX_SUFFIXES = {".xlsx", ".xlsm"}


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


def read_table(path: str | Path) -> TableFile:
    """Every sheet of a small table file, as lists (rows from row 1, cells from column A)."""
    source = open_rows(path)
    try:
        sheets = [Sheet(name, [list(row) for row in source.rows(i)[0]]) for i, name in enumerate(source.sheet_names)]
    finally:
        source.close()
    return TableFile(path=source.path, sheets=sheets, encoding=source.encoding, delimiter=source.delimiter)


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
    exists at once, neither as Python objects nor in calamine (XLSX is read in slices, see
    :mod:`xlsx_slices`). Rows start at the sheet's row 1 and cells at column A (empty leading
    rows and columns kept), so a row's position + 1 is the row number the user sees. Rows may
    differ in length: missing trailing cells are empty.
    """

    path: Path
    sheet_names: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    _workbook: Any = None  # calamine, for XLS/ODS and sheets the slicer cannot read
    _slices: Any = None  # XlsxSlices for XLSX/XLSM
    _text: str | None = None

    @property
    def is_excel(self) -> bool:
        return self._workbook is not None

    def rows(self, index: int) -> tuple[Iterator[list[Any]], int | None]:
        """(row iterator, number of rows if known or estimated) of sheet ``index``."""
        name = self.sheet_names[index]
        if self._slices is not None and self._slices.has(name):
            return self._slices.rows(name), self._slices.height(name)
        if self._workbook is not None:
            sheet = self._workbook.get_sheet_by_index(index)
            return _from_column_a(sheet), (sheet.end[0] + 1) if sheet.end else 0
        text = self._text or ""
        return csv.reader(io.StringIO(text), delimiter=self.delimiter or ";"), text.count("\n") + 1

    def close(self) -> None:
        for resource in (self._slices, self._workbook):
            if resource is not None:
                try:
                    resource.close()
                except Exception:  # pragma: no cover - closing is best effort
                    pass


def _from_column_a(sheet) -> Iterator[list[Any]]:
    """calamine's iter_rows starts at row 1 but at the first used column: put column A back."""
    pad = [""] * (sheet.start[1] if sheet.start else 0)
    for row in sheet.iter_rows():
        yield pad + row if pad else row


def open_rows(path: str | Path) -> RowSource:
    """Open a CSV/TXT/XLSX/XLS/ODS file for streaming; CSV encoding and delimiter are detected."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"Файл «{path}» не найден.")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        wb = _open_workbook(path)
        slices = None
        if suffix in XLSX_SUFFIXES:
            from .xlsx_slices import XlsxSlices

            try:
                slices = XlsxSlices(path)
            except Exception:  # calamine read the package; anything odd in it is left to calamine
                slices = None
        return RowSource(path, list(wb.sheet_names), _workbook=wb, _slices=slices)
    if suffix in CSV_SUFFIXES or suffix == "":
        text, encoding = decode_text(path.read_bytes(), path.name)
        return RowSource(path, [path.stem], encoding=encoding, delimiter=sniff_delimiter(text), _text=text)
    raise InputError(f"Файл «{path.name}»: формат «{suffix}» не поддерживается (ожидались CSV, TXT, XLSX, XLS).")
