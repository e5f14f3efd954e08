"""Read a roadmap document (DOCX, XLSX, CSV, TXT) into the blocks ``domain.roadmap_table`` parses.

Word: every paragraph and every table of the body in document order; merged cells repeat their
text over the grid cells they cover (python-docx), a row that is one cell across the table is
marked ``merged_across``, an all-italic row ``italic``. Excel: every sheet, merged ranges filled
with their top-left value. Text: lines with tabs are rows, other lines paragraphs.
"""

from __future__ import annotations

from pathlib import Path

from .domain.roadmap_table import Block, Paragraph, Row, TableStart, blocks_from_text
from .errors import InputError
from .tabular import cell_text, decode_text, read_text_table

SUFFIXES = (".docx", ".xlsx", ".xlsm", ".csv", ".txt", ".tsv")


def read_blocks(path: str | Path) -> list[Block]:
    path = Path(path)
    if not path.exists():
        raise InputError(f"Файл «{path}» не найден.")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _docx_blocks(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_blocks(path)
    if suffix in (".txt", ".tsv", ""):
        text, _ = decode_text(path.read_bytes(), path.name)
        return blocks_from_text(text)
    if suffix == ".csv":
        table = read_text_table(path)
        return [Row([cell_text(c) for c in r], row=i) for i, r in enumerate(table.rows, start=1)]
    if suffix in (".xls", ".ods"):  # merged cells matter in roadmaps; these formats would lose them
        raise InputError(f"Файл «{path.name}»: формат «{suffix}» для дорожных карт не читается — сохраните "
                         f"таблицу как .xlsx (Excel 2007 и новее).")
    if suffix == ".doc":
        raise InputError(f"Файл «{path.name}»: старый формат Word (.doc) не читается — сохраните его как .docx.")
    raise InputError(f"Файл «{path.name}»: формат «{suffix}» не поддерживается "
                     f"(ожидались DOCX, XLSX, CSV или TXT с таблицей через табуляцию).")


def _docx_blocks(path: Path) -> list[Block]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a damaged or foreign file
        raise InputError(f"Файл «{path.name}» не читается как документ Word (.docx): {exc}") from exc
    blocks: list[Block] = []
    table_no = 0
    for item in document.iter_inner_content():
        if isinstance(item, DocxParagraph):
            blocks.append(Paragraph(item.text))
        elif isinstance(item, Table):
            table_no += 1
            where = f"таблица {table_no}"
            blocks.append(TableStart(where))
            for r_no, row in enumerate(item.rows, start=1):
                cells = row.cells
                tcs = row._tr.tc_lst
                merged = len(tcs) == 1 and tcs[0].grid_span > 1
                blocks.append(Row([c.text for c in cells], row=r_no, where=where, merged_across=merged,
                                  italic=_all_italic(cells)))
    return blocks


def _all_italic(cells) -> bool:
    runs = [run for c in {id(c._tc): c for c in cells}.values() for p in c.paragraphs for run in p.runs
            if run.text.strip()]
    return bool(runs) and all(run.italic for run in runs)


def _xlsx_blocks(path: Path) -> list[Block]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(str(path), data_only=True)
    except Exception as exc:
        raise InputError(f"Файл «{path.name}» не читается как книга Excel: {exc}") from exc
    blocks: list[Block] = []
    for ws in wb.worksheets:
        where = f"лист «{ws.title}»" if len(wb.worksheets) > 1 else ""
        blocks.append(TableStart(where))
        fill: dict[tuple[int, int], object] = {}
        across: set[int] = set()
        width = ws.max_column or 1
        for rng in ws.merged_cells.ranges:
            value = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    fill[(r, c)] = value
            if rng.min_row == rng.max_row and rng.max_col - rng.min_col + 1 >= max(2, width - 1):
                across.add(rng.min_row)
        for r_no, row in enumerate(ws.iter_rows(min_row=1, max_row=ws.max_row), start=1):
            values = [fill.get((r_no, c.column), c.value) for c in row]
            filled = [c for c in row if c.value not in (None, "")]
            italic = bool(filled) and all(c.font is not None and c.font.i for c in filled)
            blocks.append(Row([cell_text(v) for v in values], row=r_no, where=where,
                              merged_across=r_no in across, italic=italic))
    return blocks
