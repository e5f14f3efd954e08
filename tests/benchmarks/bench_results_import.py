"""Benchmark: import of a 1 000 000-row ВПР results XLSX (GUIDE §8, issue 4).

Run as a script (``python tests/benchmarks/bench_results_import.py``) or with
``pytest -m benchmark tests/benchmarks/bench_results_import.py``. In one process it times

(a) the naive baseline: ``pandas.read_excel(engine="openpyxl")`` + ``DataFrame.to_sql``;
(b) a floor: calamine rows → ``sqlite3.executemany`` into the same table, no validation;
(c) our import (``services.results_import.import_results``), all checks on;

and prints the ratios and the peak RSS of each stage. The XLSX is generated once (streamed XML;
openpyxl write-only would take far longer) into ``$ERSOKO_BENCH_CACHE`` (default: the temp dir) and reused.
The naive baseline is slow: by default it runs on the first 100 000 rows and is extrapolated
linearly (the output says so); ``--full-baseline`` runs it on the whole file.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROWS = 1_000_000
SCHOOLS = 300
TASKS = 20
SUBSET = 100_000
TASK_MAX = [1] * 10 + [2] * 6 + [3] * 4  # 10 + 12 + 12 = 34
THRESHOLDS = {"3": 10, "4": 19, "5": 27}
TITLE = ["Всероссийские проверочные работы 2024", "Предмет: Математика", "Класс: 8"]
HEADER = (["Код ОО", "Код участника", "Класс", "Вариант", "Пол"] + [str(i + 1) for i in range(TASKS)]
          + ["Первичный балл", "Отметка", "Отметка за предыдущую четверть"])


def cache_dir() -> Path:
    path = Path(os.environ.get("ERSOKO_BENCH_CACHE") or Path(tempfile.gettempdir()) / "ersoko-bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def school_code(i: int) -> str:
    return f"08{i + 1:05d}"


def bench_spec() -> dict:
    tasks = [{"id": str(i + 1), "max": m, "level": "базовый" if i < 14 else "повышенный"} for i, m in enumerate(TASK_MAX)]
    return {"tasks": tasks, "max_score": sum(TASK_MAX), "thresholds": THRESHOLDS, "source": "benchmark"}


def _mark(score: int) -> int:
    for mark in (5, 4, 3):
        if score >= THRESHOLDS[str(mark)]:
            return mark
    return 2


def generate_xlsx(path: Path, rows: int = ROWS) -> Path:
    """A realistic municipal summary: three title rows, header on row 4, 300 schools.

    openpyxl's write-only mode needs ~40 minutes for this file on a busy machine, so the sheet XML
    is streamed straight into the ZIP (shared strings, as Excel writes them); openpyxl and calamine
    read it like any Excel file.
    """
    import zipfile

    import numpy as np

    rng = np.random.default_rng(2024)
    tmp = path.with_suffix(".part.xlsx")
    strings: dict[str, int] = {}

    def sst(text: str) -> int:
        if text not in strings:
            strings[text] = len(strings)
        return strings[text]

    def cell_s(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="s"><v>{sst(text)}</v></c>'

    cols = [_col_letter(j) for j in range(len(HEADER))]
    maxima = np.array(TASK_MAX)
    per_school = rows // SCHOOLS + 1
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            r = 0
            for line in TITLE:
                r += 1
                f.write(f'<row r="{r}">{cell_s(f"A{r}", line)}</row>'.encode())
            r += 1
            f.write((f'<row r="{r}">' + "".join(cell_s(f"{c}{r}", h) for c, h in zip(cols, HEADER)) + "</row>").encode())
            done = 0
            while done < rows:
                n = min(50_000, rows - done)
                ability = rng.random(n)
                scores = ((rng.random((n, TASKS)) < ability[:, None]) * maxima).astype(int)
                primary = scores.sum(axis=1)
                journal = rng.integers(3, 6, n)
                out = []
                for k in range(n):
                    i = done + k
                    r += 1
                    p = int(primary[k])
                    texts = [school_code(i // per_school), f"{10000 + i % per_school}", f"8{'АБВГ'[i % 4]}",
                             str(1 + i % 2), "МЖ"[i % 2]]
                    nums = [*scores[k].tolist(), p, _mark(p), int(journal[k])]
                    out.append(f'<row r="{r}">'
                               + "".join(cell_s(f"{cols[j]}{r}", t) for j, t in enumerate(texts))
                               + "".join(f'<c r="{cols[5 + j]}{r}"><v>{v}</v></c>' for j, v in enumerate(nums))
                               + "</row>")
                f.write("".join(out).encode())
                done += n
                print(f"  сгенерировано {done:,} строк", file=sys.stderr, flush=True)
            f.write(b"</sheetData></worksheet>")
        from xml.sax.saxutils import escape

        items = "".join(f"<si><t>{escape(t)}</t></si>" for t in strings)
        zf.writestr("xl/sharedStrings.xml",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
                    f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
    tmp.replace(path)
    return path


def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, rem = divmod(j - 1, 26)
        s = chr(65 + rem) + s
    return s


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>")
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="ВПР Математика 8" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>')


def bench_file(rows: int = ROWS) -> Path:
    path = cache_dir() / f"vpr_results_{rows}.xlsx"
    if not path.exists():
        print(f"Генерирую {path} ({rows:,} строк, один раз)…", file=sys.stderr)
        generate_xlsx(path, rows)
    return path


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--generate-only":
    bench_file()
    sys.exit(0)
