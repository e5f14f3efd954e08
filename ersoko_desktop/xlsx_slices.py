"""Read a big XLSX sheet in slices of rows, so memory stays bounded.

python-calamine parses a whole sheet at once: a 1,000,000-row results sheet peaks at about 2 GiB
(every cell twice in Rust while the range is built). Here the sheet's XML is streamed out of the
ZIP and cut just before a ``<row r="…">`` tag every few megabytes; each slice is wrapped into a
small in-memory workbook with the original workbook part, shared strings and styles, and handed to
calamine. Cell values (numbers, dates by cell style and the 1904 flag, booleans, shared and inline
strings, cached formula results) are therefore exactly calamine's, and the rows keep their real
positions: row 1 and column A first, empty rows where the sheet has none.

A sheet whose rows carry no ``r`` attribute cannot be cut safely and is parsed in one slice (any
writer we know of writes ``r``); such a sheet costs calamine's full memory but reads correctly.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any, Iterator

from defusedxml import ElementTree

from .errors import InputError

FIRST_SLICE_BYTES = 256 << 10  # the header search needs ~17 rows: do not parse megabytes for them
SLICE_BYTES = 16 << 20  # ≈ 20,000 rows of a 30-column results sheet: ~60 MB in calamine at a time
SHARED_STRINGS_FACTOR = 4  # each slice re-reads the shared strings: a slice is at least 4× their size
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?/>")
_DIMENSION_LAST_ROW = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref=["'][A-Z]*\d*:?[A-Z]*(\d+)["']""")
_ROW_R = re.compile(rb"""\sr=["']\d""")
_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(id, type, target part) of the relationships of ``part``; targets resolved to ZIP member names."""
    folder, name = posixpath.split(part)
    try:
        root = ElementTree.fromstring(zf.read(posixpath.join(folder, "_rels", name + ".rels")))
    except KeyError:
        return []
    out = []
    for rel in root.iter(f"{_REL_NS}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out.append((rel.get("Id", ""), rel.get("Type", "").rsplit("/", 1)[-1], target))
    return out


class XlsxSlices:
    """The worksheets of one XLSX file, readable row by row without loading a whole sheet."""

    def __init__(self, path: Path):
        self.path = path
        self._zip = zipfile.ZipFile(path)
        self._parts: dict[str, str] = {}  # sheet name → worksheet part
        self._skeleton: dict[str, bytes] = {}  # every part calamine needs besides the sheet itself
        self.slice_bytes = SLICE_BYTES
        self._read_structure()

    def _read_structure(self) -> None:
        zf = self._zip
        names = set(zf.namelist())
        workbook = next((t for _, kind, t in _rels(zf, "") if kind == "officeDocument" and t in names), None)
        if workbook is None or "[Content_Types].xml" not in names:
            return  # not a plain SpreadsheetML package: the caller falls back to calamine
        rels = _rels(zf, workbook)
        targets: dict[str, list[str]] = {}
        for _, kind, target in rels:
            if target in names:
                targets.setdefault(kind, []).append(target)
        worksheets = {rid: target for rid, kind, target in rels if kind == "worksheet" and target in names}
        for sheet in (e for e in ElementTree.fromstring(zf.read(workbook)).iter() if _local(e.tag) == "sheet"):
            rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
            if rid in worksheets:
                self._parts[sheet.get("name", "")] = worksheets[rid]
        folder, name = posixpath.split(workbook)
        root_rels = posixpath.join(folder, "_rels", name + ".rels")
        skeleton = ["[Content_Types].xml", "_rels/.rels", workbook, root_rels]
        skeleton += targets.get("sharedStrings", []) + targets.get("styles", [])
        self._skeleton = {name: zf.read(name) for name in skeleton if name in names}
        for kind in ("worksheet", "chartsheet", "dialogsheet", "macrosheet", "xlMacrosheet"):
            for target in targets.get(kind, []):
                self._skeleton[target] = _EMPTY_SHEET
        shared = sum(len(self._skeleton.get(t, b"")) for t in targets.get("sharedStrings", []))
        self.slice_bytes = max(SLICE_BYTES, SHARED_STRINGS_FACTOR * shared)

    def has(self, sheet: str) -> bool:
        return sheet in self._parts

    def height(self, sheet: str) -> int | None:
        """Rows in the sheet as its <dimension> says, else an estimate from the XML size (for progress)."""
        part = self._parts[sheet]
        with self._zip.open(part) as f:
            head = f.read(FIRST_SLICE_BYTES)
        m = _DIMENSION_LAST_ROW.search(head)
        if m and int(m.group(1)) > 1:
            return int(m.group(1))
        rows = head.count(b"</row>") + head.count(b"</x:row>")
        size = self._zip.getinfo(part).file_size
        return int(size * rows / len(head)) if rows and head else None

    def rows(self, sheet: str) -> Iterator[list[Any]]:
        """Rows from row 1, cells from column A (empty rows as ``[]``); lengths may differ."""
        next_row = 0
        for body_start, rows in self._parsed_slices(sheet):
            if body_start is None:
                continue
            first_row, first_col = body_start
            for _ in range(first_row - next_row):
                yield []
            pad = [""] * first_col
            for row in rows:
                yield pad + row if first_col else row
            next_row = first_row + len(rows)

    def _parsed_slices(self, sheet: str) -> Iterator[tuple[tuple[int, int] | None, list[list[Any]]]]:
        from python_calamine import CalamineWorkbook

        part = self._parts[sheet]
        for head, body, tail in self._slices(part):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as out:
                for name, data in self._skeleton.items():
                    if name != part:
                        out.writestr(name, data)
                with out.open(part, "w") as f:
                    f.write(head)
                    f.write(body)
                    f.write(tail)
            del body
            buffer.seek(0)
            try:
                parsed = CalamineWorkbook.from_filelike(buffer).get_sheet_by_name(sheet)
                start = parsed.start
                rows = parsed.to_python() if start is not None else []
            except Exception as exc:
                raise InputError(f"Файл «{self.path.name}», лист «{sheet}»: не читается как книга Excel: {exc}") from exc
            yield start, rows

    def _slices(self, part: str) -> Iterator[tuple[bytes, bytes, bytes]]:
        """(head up to <sheetData>, rows, closing tags) for every slice of the sheet's XML."""
        with self._zip.open(part) as f:
            buf = b""
            while True:
                block = f.read(FIRST_SLICE_BYTES)
                buf += block
                m = _SHEET_DATA.search(buf)
                if m or not block:
                    break
            if m is None or m.group(2):  # no sheetData or <sheetData/>: nothing to read
                return
            prefix = m.group(1)
            head = _DIMENSION.sub(b"", buf[:m.end()])  # a stale dimension would make calamine reserve the whole sheet
            tail = b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"
            row_tag = b"<" + prefix + b"row"
            end_tag = b"</" + prefix + b"sheetData>"
            buf = buf[m.end():]
            size = FIRST_SLICE_BYTES
            while True:
                block = f.read(size)
                buf += block
                if not block:
                    end = buf.find(end_tag)
                    yield head, (buf[:end] if end >= 0 else buf), tail
                    return
                cut = _cut_point(buf, row_tag)
                if cut > 0:
                    yield head, buf[:cut], tail
                    buf = buf[cut:]
                    size = self.slice_bytes

    def close(self) -> None:
        self._zip.close()


def _cut_point(buf: bytes, row_tag: bytes, tries: int = 8) -> int:
    """Offset of the last row tag that has an ``r`` attribute (0 if none near the end)."""
    end = len(buf)
    for _ in range(tries):
        pos = buf.rfind(row_tag, 0, end)
        if pos <= 0:
            return 0
        after = buf[pos + len(row_tag):pos + len(row_tag) + 1]
        close = buf.find(b">", pos)
        if after in (b" ", b"\t", b"\n", b"\r") and close > 0 and _ROW_R.search(buf, pos, close):
            return pos
        end = pos
    return 0
