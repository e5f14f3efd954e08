"""Excel round trip: a protected template with data validation, filled by hand, read back with
cell-level diagnostics; on any error nothing is written."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from sqlalchemy import select

from ersoko_desktop.db.models import FormSubmission
from ersoko_desktop.errors import InputError, WorkflowError
from ersoko_desktop.services import forms

from .test_forms import PERIOD, context_values, district  # noqa: F401 - fixture


def rows_by_id(ws) -> dict[str, int]:
    return {ws[f"A{r}"].value: r for r in range(1, ws.max_row + 1) if ws[f"A{r}"].value}


VSOKO = {
    "teachers_total": 20, "teachers_higher_ed": 18, "teachers_highest_category": 5, "teachers_first_category": 7,
    "teachers_under_35": 4, "teachers_trained_objectivity": 10, "students_total": 240,
    "computers_for_learning": 30, "internet_speed": "от 10 до 50 Мбит/с", "library_fund_per_student": 95,
    "fire_alarm": "Да", "video_surveillance": "Да", "security_guard": "Нет", "injuries": 0,
    "hot_meals_share": 100, "vsoko_regulation": "Да", "vsoko_regulation_date": dt.datetime(2023, 8, 30),
    "public_report": "Да", "parents_informed": "Да", "success_rate": 98.5, "quality_rate": 46.2,
    "gia9_admitted": 25, "gia9_certified": 25, "olympiad_winners": 3,
}


def fill(path, values: dict, table_rows: list[list] | None = None):
    wb = openpyxl.load_workbook(path)
    ws = wb["Форма"]
    rows = rows_by_id(ws)
    for fid, value in values.items():
        ws[f"C{rows[fid]}"] = value
    if table_rows is not None:
        sheet = next(wb[n] for n in wb.sheetnames if n.startswith("Внутренние"))
        for i, row in enumerate(table_rows, start=3):
            for j, value in enumerate(row, start=1):
                sheet.cell(row=i, column=j, value=value)
    wb.save(path)
    return rows


def test_template_is_protected_and_validated(district, tmp_path):
    out = tmp_path / "vsoko.xlsx"
    report = forms.export_xlsx(district, form_id="vsoko_self_evaluation", org_code="S1", period=PERIOD, out=out)
    assert report.filled is False and report.version == "1.0"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Форма"
    assert wb["_meta"].sheet_state == "veryHidden"
    ws = wb["Форма"]
    assert ws.protection.sheet is True
    rows = rows_by_id(ws)
    assert ws[f"C{rows['teachers_total']}"].protection.locked is False
    assert ws[f"C{rows['higher_ed_share']}"].protection.locked is True  # computed: locked
    assert ws[f"B{rows['teachers_total']}"].protection.locked is True
    validations = {str(cell): dv for dv in ws.data_validations.dataValidation for cell in dv.sqref.ranges}
    teachers = validations[f"C{rows['teachers_total']}"]
    assert (teachers.type, teachers.operator, teachers.formula1, teachers.formula2) == ("whole", "between", "0", "500")
    assert validations[f"C{rows['fire_alarm']}"].formula1 == '"Да,Нет"'
    assert validations[f"C{rows['internet_speed']}"].formula1.startswith("_lists!")
    assert validations[f"C{rows['vsoko_regulation_date']}"].type == "date"
    table = next(wb[n] for n in wb.sheetnames if n.startswith("Внутренние"))
    assert [c.value for c in table[1]][:3] == ["title", "grades", "month"]
    assert table.protection.sheet is True and table["A3"].protection.locked is False


def test_round_trip_filled_template(district, tmp_path, ersoko_home):
    s = district
    out = tmp_path / "vsoko.xlsx"
    forms.export_xlsx(s, form_id="vsoko_self_evaluation", org_code="S1", period=PERIOD, out=out)
    fill(out, VSOKO, [["Стартовая диагностика", "5-9", "Сентябрь", 110, 52.5], [None] * 5,
                      ["Итоговая работа", "2-4", "Май", 60, None]])
    report = forms.import_xlsx(s, out)
    assert any("before-import" in p.name for p in (ersoko_home / "backups").rglob("*"))  # backup first
    assert (report.form_id, report.org_code, report.period, report.status) == (
        "vsoko_self_evaluation", "S1", PERIOD, "draft")
    view = forms.open_submission(s, form_id="vsoko_self_evaluation", org_code="S1", period=PERIOD)
    v = view.values
    assert v["teachers_total"] == 20 and v["internet_speed"] == "10_50" and v["security_guard"] is False
    assert v["vsoko_regulation_date"] == "2023-08-30"
    assert v["higher_ed_share"] == 90.0  # 18 / 20 · 100
    assert v["students_per_computer"] == 8.0  # 240 / 30
    assert [r["title"] for r in v["internal_procedures"]] == ["Стартовая диагностика", "Итоговая работа"]
    # the filled export carries the values back
    again = tmp_path / "again.xlsx"
    assert forms.export_xlsx(s, form_id="vsoko_self_evaluation", org_code="S1", period=PERIOD, out=again).filled
    ws = openpyxl.load_workbook(again)["Форма"]
    rows = rows_by_id(ws)
    assert ws[f"C{rows['teachers_total']}"].value == 20
    assert ws[f"C{rows['internet_speed']}"].value == "от 10 до 50 Мбит/с"
    assert ws[f"C{rows['higher_ed_share']}"].value == 90.0
    assert forms.history(s, form_id="vsoko_self_evaluation", org_code="S1", period=PERIOD)[-1]["action"] == "form.import"


def test_bad_cells_are_reported_by_sheet_and_cell_and_nothing_is_written(district, tmp_path):
    s = district
    out = tmp_path / "vsoko.xlsx"
    forms.export_xlsx(s, form_id="vsoko_self_evaluation", org_code="S1", period=PERIOD, out=out)
    bad = dict(VSOKO, teachers_higher_ed="восемнадцать", quality_rate=99.0)  # quality above success
    rows = fill(out, bad, [["Стартовая", "5", "Сентябрь", "много", None]])
    with pytest.raises(InputError) as exc:
        forms.import_xlsx(s, out)
    messages = [str(d) for d in exc.value.diagnostics]
    r = rows["teachers_higher_ed"]
    assert any(f"лист «Форма», ячейка C{r}" in m and "ожидалось целое число, получено «восемнадцать»" in m
               for m in messages), messages
    assert any("правило «quality_le_success»" in m and f"ячейка C{rows['quality_rate']}" in m
               and "Качество знаний не может быть выше успеваемости" in m for m in messages), messages
    assert any("ячейка D3" in m and "«много»" in m for m in messages), messages  # table sheet, row 3, column D
    located = next(d for d in exc.value.diagnostics if "восемнадцать" in d.message)
    assert (located.row, located.column, located.file) == (r, "C", "vsoko.xlsx")
    assert s.scalar(select(FormSubmission.id)) is None


def test_import_refuses_a_submitted_form_and_a_foreign_file(district, tmp_path):
    s = district
    forms.save_values(s, form_id="school_context", org_code="S2", period=PERIOD, values=context_values(90, 10))
    forms.submit(s, form_id="school_context", org_code="S2", period=PERIOD)
    out = tmp_path / "ctx.xlsx"
    forms.export_xlsx(s, form_id="school_context", org_code="S2", period=PERIOD, out=out)
    with pytest.raises(WorkflowError, match="отправлено"):
        forms.import_xlsx(s, out)
    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    with pytest.raises(InputError, match="не шаблон формы ЕРСОКО"):
        forms.import_xlsx(s, plain)


def test_dry_run_writes_nothing(district, tmp_path):
    s = district
    out = tmp_path / "ctx.xlsx"
    forms.export_xlsx(s, form_id="school_context", org_code="S3", period=PERIOD, out=out)
    fill(out, {"rural": "Да", "settlement": "с. Тест", "students_total": 75, "classes_total": 9,
               "low_income_share": 40, "non_russian_share": 70, "teachers_total": 11})
    report = forms.import_xlsx(s, out, dry_run=True)
    assert report.dry_run and "students_total" in report.changed
    assert s.scalar(select(FormSubmission.id)) is None


def test_text_that_looks_like_a_formula_stays_text(district, tmp_path):
    s = district
    forms.save_values(s, form_id="school_context", org_code="S1", period=PERIOD,
                      values={"settlement": '=HYPERLINK("http://evil","x")'})
    out = tmp_path / "ctx.xlsx"
    forms.export_xlsx(s, form_id="school_context", org_code="S1", period=PERIOD, out=out)
    ws = openpyxl.load_workbook(out)["Форма"]
    cell = ws[f"C{rows_by_id(ws)['settlement']}"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil","x")'
