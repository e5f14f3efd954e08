"""Excel round trip of a form: a protected template with data validation (many schools fill Excel
first), and reading a filled copy back with the sheet and cell of every value, so that problems
are reported where the person typed them.

Layout: sheet «Форма» — column A (hidden) field ids, B label, C value (the only unlocked
column), D unit, E help; one sheet per table field (row 1 hidden column ids, row 2 headers, data
from row 3); a very hidden «_meta» sheet with the form id, version, hash, organization, period;
a very hidden «_lists» sheet with the choice options.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import Diagnostic, InputError
from ..fileio import atomic_write_bytes
from ..reports.safe_cells import looks_like_formula
from .schema import FieldSpec, FormSpec
from .values import display

FORMAT_NAME = "ersoko-form-xlsx"
FORMAT_VERSION = "1"
MAIN_SHEET = "Форма"
META_SHEET = "_meta"
LISTS_SHEET = "_lists"
VALUE_COLUMN = "C"
TABLE_ROWS = 40  # empty rows offered in a table sheet (more can be inserted above the last one)
TABLE_FIRST_ROW = 3


@dataclass
class CellRef:
    sheet: str
    cell: str
    label: str

    def __str__(self) -> str:
        return f"лист «{self.sheet}», ячейка {self.cell}"


@dataclass
class FilledWorkbook:
    """What a filled template says, with where each value came from."""

    file_name: str
    meta: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, CellRef] = field(default_factory=dict)  # field id → its cell (tables: the sheet's A1)
    table_rows: dict[str, list[int]] = field(default_factory=dict)  # table id → Excel row of each kept row
    table_columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table id → column id → letter
    problems: list[Diagnostic] = field(default_factory=list)

    @property
    def form_id(self) -> str:
        return self.meta.get("form_id", "")

    @property
    def version(self) -> str:
        return self.meta.get("form_version", "")

    @property
    def org_code(self) -> str:
        return self.meta.get("org", "")

    @property
    def period(self) -> str:
        return self.meta.get("period", "")

    def locate(self, field_id: str | None, *, row: int | None = None, column: str | None = None) -> CellRef | None:
        """The cell of a field, or of one cell of a table row (row is the n-th filled row)."""
        if field_id is None or field_id not in self.cells:
            return None
        ref = self.cells[field_id]
        if row is not None and field_id in self.table_rows:
            rows = self.table_rows[field_id]
            excel_row = rows[row - 1] if 0 < row <= len(rows) else TABLE_FIRST_ROW
            letter = self.table_columns[field_id].get(column or "", "A")
            return CellRef(ref.sheet, f"{letter}{excel_row}", ref.label)
        return ref


def _put(ws, ref: str, value: Any):
    """Write a cell; text that looks like a formula (from a school's answer or a received
    definition) stays text and is never executed by Excel."""
    cell = ws[ref]
    cell.value = value
    if looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _table_sheet_name(f: FieldSpec, used: set[str]) -> str:
    base = "".join(ch for ch in f.label if ch not in "[]:*?/\\")[:28].strip() or f.id[:28]
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:26]} {n}"
        n += 1
    used.add(name.lower())
    return name


def _excel_value(f: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if f.type in ("yesno", "choice"):
        return display(f, value)
    if f.type == "date":
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            return str(value)
    if f.type in ("file", "table"):
        return display(f, value)
    return value


def _validation(f: FieldSpec, list_ref: str | None):
    from openpyxl.worksheet.datavalidation import DataValidation

    rng = ""
    if f.min is not None and f.max is not None:
        rng = f" от {f.min:g} до {f.max:g}"
    elif f.min is not None:
        rng = f" не меньше {f.min:g}"
    elif f.max is not None:
        rng = f" не больше {f.max:g}"
    if f.type in ("integer", "decimal", "percent"):
        kind = "whole" if f.type == "integer" else "decimal"
        if f.min is not None and f.max is not None:
            dv = DataValidation(type=kind, operator="between", formula1=str(f.min), formula2=str(f.max))
        elif f.min is not None:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=str(f.min))
        elif f.max is not None:
            dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=str(f.max))
        else:
            dv = DataValidation(type=kind, operator="between", formula1="-1E+15", formula2="1E+15")
        what = "целое число" if f.type == "integer" else "число"
        dv.error = f"Введите {what}{rng}."
    elif f.type == "yesno":
        dv = DataValidation(type="list", formula1='"Да,Нет"')
        dv.error = "Выберите «Да» или «Нет»."
    elif f.type == "choice" and list_ref:
        dv = DataValidation(type="list", formula1=list_ref)
        dv.error = "Выберите значение из списка."
    elif f.type == "date":
        dv = DataValidation(type="date", operator="between", formula1="1", formula2="73051")  # 1900–2099
        dv.error = "Введите дату в формате ДД.ММ.ГГГГ."
    else:
        return None
    dv.errorTitle = f.label[:32]
    dv.showErrorMessage = True
    dv.allow_blank = True
    if f.help:
        dv.prompt = f.help[:255]
        dv.showInputMessage = True
    return dv


def write_template(spec: FormSpec, path: str | Path, *, org_code: str, org_name: str, period: str,
                   values: Mapping[str, Any] | None = None, status: str | None = None) -> Path:
    """Write the form as a protected XLSX: only value cells are editable, each with data validation."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.workbook.protection import WorkbookProtection

    path = Path(path)
    values = values or {}
    wb = Workbook()
    ws = wb.active
    ws.title = MAIN_SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    meta = wb.create_sheet(META_SHEET)
    bold = Font(bold=True)
    section_fill = PatternFill("solid", fgColor="DBE8FB")
    input_fill = PatternFill("solid", fgColor="FFF9DB")
    computed_fill = PatternFill("solid", fgColor="EEEEEE")
    unlocked = Protection(locked=False)
    wrap = Alignment(wrap_text=True, vertical="top")

    _put(ws, "B1", spec.title)
    ws["B1"].font = Font(bold=True, size=13)
    _put(ws, "B2", f"Организация: {org_name} ({org_code})")
    _put(ws, "B3", f"Период: {period}")
    _put(ws, "B4", f"Форма {spec.id}, версия {spec.version}" + (f"; состояние: {status}" if status else ""))
    ws["B5"] = ("Заполняйте только жёлтые ячейки столбца «Значение». Серые ячейки вычисляются программой. "
                "Не меняйте структуру листа.")
    ws["B5"].alignment = wrap
    header_row = 6
    for col, title in zip("ABCDE", ("Код поля", "Показатель", "Значение", "Ед. изм.", "Пояснение")):
        ws[f"{col}{header_row}"] = title
        ws[f"{col}{header_row}"].font = bold
    ws.column_dimensions["A"].hidden = True
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 22
    ws.column_dimensions["D"].width = 10
    ws.column_dimensions["E"].width = 60

    meta_rows = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "form_id": spec.id,
                 "form_version": spec.version, "sha256": spec.sha256, "org": org_code, "period": period,
                 "exported_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()}
    list_col = 0
    used_names = {MAIN_SHEET.lower(), META_SHEET.lower(), LISTS_SHEET.lower()}
    row = header_row + 1

    def list_ref_for(f: FieldSpec) -> str | None:
        nonlocal list_col
        if f.type != "choice":
            return None
        list_col += 1
        from openpyxl.utils import get_column_letter

        letter = get_column_letter(list_col)
        for i, option in enumerate(f.options, start=1):
            _put(lists, f"{letter}{i}", option.label)
        return f"{LISTS_SHEET}!${letter}$1:${letter}${len(f.options)}"

    for section in spec.sections:
        _put(ws, f"B{row}", section.title)
        for col in "BCDE":
            ws[f"{col}{row}"].fill = section_fill
        ws[f"B{row}"].font = bold
        row += 1
        for f in section.fields:
            ws[f"A{row}"] = f.id
            _put(ws, f"B{row}", f.label + (" *" if f.required else ""))
            ws[f"B{row}"].alignment = wrap
            _put(ws, f"D{row}", f.unit or ("%" if f.type == "percent" else ""))
            cell = ws[f"{VALUE_COLUMN}{row}"]
            note = f.help or ""
            if f.type == "table":
                name = _table_sheet_name(f, used_names)
                meta_rows[f"table:{f.id}"] = name
                _write_table_sheet(wb.create_sheet(name), f, values.get(f.id) or [], list_ref_for)
                cell.value = f"см. лист «{name}»"
                cell.fill = computed_fill
            elif f.type == "file":
                _put(ws, cell.coordinate, display(f, values.get(f.id)) or "прикрепляется в программе")
                cell.fill = computed_fill
            elif f.computed:
                _put(ws, cell.coordinate, _excel_value(f, values.get(f.id)))
                cell.fill = computed_fill
                note = (note + " " if note else "") + "(вычисляется программой)"
            else:
                _put(ws, cell.coordinate, _excel_value(f, values.get(f.id)))
                cell.fill = input_fill
                cell.protection = unlocked
                if f.type == "date":
                    cell.number_format = "DD.MM.YYYY"
                dv = _validation(f, list_ref_for(f))
                if dv is not None:
                    ws.add_data_validation(dv)
                    dv.add(cell)
            if f.points:
                note = (note + " " if note else "") + f"Баллов: {f.points:g}."
            _put(ws, f"E{row}", note)
            ws[f"E{row}"].alignment = wrap
            row += 1
    for i, (key, value) in enumerate(meta_rows.items(), start=1):
        _put(meta, f"A{i}", key)
        _put(meta, f"B{i}", value)
    ws.protection.sheet = True
    ws.protection.formatRows = False  # people may resize rows to read long labels
    ws.protection.formatColumns = False
    meta.sheet_state = "veryHidden"
    lists.sheet_state = "veryHidden"
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    buffer = io.BytesIO()
    wb.save(buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def _write_table_sheet(ws, f: FieldSpec, rows: list[dict], list_ref_for) -> None:
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    input_fill = PatternFill("solid", fgColor="FFF9DB")
    for j, col in enumerate(f.columns, start=1):
        letter = get_column_letter(j)
        ws[f"{letter}1"] = col.id
        _put(ws, f"{letter}2", col.label + (" *" if col.required else "") + (f", {col.unit}" if col.unit else ""))
        ws[f"{letter}2"].font = Font(bold=True)
        ws.column_dimensions[letter].width = max(12, min(40, len(col.label) + 4))
        dv = _validation(col, list_ref_for(col))
        last = TABLE_FIRST_ROW + max(TABLE_ROWS, len(rows) + 10) - 1
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}{TABLE_FIRST_ROW}:{letter}{last}")
        for i in range(TABLE_FIRST_ROW, last + 1):
            cell = ws[f"{letter}{i}"]
            cell.protection = Protection(locked=False)
            cell.fill = input_fill
            if col.type == "date":
                cell.number_format = "DD.MM.YYYY"
        for i, data in enumerate(rows, start=TABLE_FIRST_ROW):
            _put(ws, f"{letter}{i}", _excel_value(col, data.get(col.id)))
    ws.row_dimensions[1].hidden = True
    ws.protection.sheet = True
    ws.protection.insertRows = False
    ws.protection.deleteRows = False


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_filled(path: str | Path) -> FilledWorkbook:
    """Read a filled template; structural problems are raised at once, values are checked later
    against the definition (so that every problem is reported with its cell)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    try:
        wb = load_workbook(path, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(f"Файл «{path.name}» не открывается как книга Excel (.xlsx): {exc}.") from exc
    if META_SHEET not in wb.sheetnames or MAIN_SHEET not in wb.sheetnames:
        raise InputError(f"Файл «{path.name}» — не шаблон формы ЕРСОКО (нет листа «{MAIN_SHEET}» или служебного "
                         f"листа). Выгрузите шаблон: ersoko form export ФОРМА --org КОД --period ПЕРИОД --out файл.xlsx")
    meta = {str(r[0]): "" if r[1] is None else str(r[1]) for r in wb[META_SHEET].iter_rows(values_only=True)
            if r and r[0] is not None and len(r) > 1}
    if meta.get("format") != FORMAT_NAME:
        raise InputError(f"Файл «{path.name}»: служебный лист повреждён (нет отметки формата {FORMAT_NAME}).")
    filled = FilledWorkbook(file_name=path.name, meta=meta)
    ws = wb[MAIN_SHEET]
    for row in ws.iter_rows(min_row=1):
        fid = row[0].value if row else None
        if not isinstance(fid, str) or not fid or len(row) < 3:
            continue
        label = _cell(row[1].value) or fid
        filled.cells[fid] = CellRef(MAIN_SHEET, f"{VALUE_COLUMN}{row[0].row}", str(label).rstrip(" *"))
        filled.values[fid] = _cell(row[2].value)
    for key, sheet_name in meta.items():
        if not key.startswith("table:"):
            continue
        fid = key.removeprefix("table:")
        if sheet_name not in wb.sheetnames:
            filled.problems.append(Diagnostic(f"нет листа «{sheet_name}» с таблицей «{fid}»", file=path.name))
            continue
        _read_table_sheet(wb[sheet_name], fid, filled)
    return filled


def _read_table_sheet(ws, fid: str, filled: FilledWorkbook) -> None:
    from openpyxl.utils import get_column_letter

    header = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]
    columns = {str(v): get_column_letter(j) for j, v in enumerate(header, start=1) if v}
    filled.table_columns[fid] = columns
    rows: list[dict] = []
    excel_rows: list[int] = []
    for row in ws.iter_rows(min_row=TABLE_FIRST_ROW):
        data = {str(header[j]): _cell(c.value) for j, c in enumerate(row) if j < len(header) and header[j]}
        if all(v is None for v in data.values()):
            continue
        rows.append(data)
        excel_rows.append(row[0].row)
    filled.values[fid] = rows
    filled.table_rows[fid] = excel_rows
    filled.cells[fid] = CellRef(ws.title, "A1", fid)
