"""Organization registry import: encodings, delimiters, header synonyms, hierarchy, all-or-nothing."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import func, select

from ersoko_desktop.db.models import AuditEvent, Organization
from ersoko_desktop.errors import InputError
from ersoko_desktop.services.orgs import descendants, get_org, import_registry, list_organizations

pytestmark = pytest.mark.both_dbs  # the same behaviour on SQLite and PostgreSQL

REGISTRY = [
    ("08", "Республика Калмыкия", "регион", ""),
    ("0801", "Черноземельский район", "муниципалитет", "08"),
    ("080101", "МКОУ «Комсомольская СОШ им. Н. Очирова»", "школа", "0801"),
    ("080102", "МКОУ «Адыковская СОШ»", "ОО", "0801"),
]


def write_csv(path, header, rows, *, delimiter=";", encoding="utf-8"):
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize(
    "header,delimiter,encoding,expected_encoding",
    [
        (("Код", "Наименование", "Тип", "Код вышестоящей"), ";", "utf-8", "utf-8"),
        (("Код ОО", "Название", "Вид", "Код родителя"), ",", "utf-8-sig", "utf-8-sig"),
        (("Логин", "Наименование", "Тип", "Муниципалитет (код)"), ";", "cp1251", "cp1251"),
        (("code", "name", "kind", "parent_code"), "\t", "utf-8", "utf-8"),
    ],
)
def test_csv_variants_are_imported(session, tmp_path, header, delimiter, encoding, expected_encoding):
    path = write_csv(tmp_path / "реестр.csv", header, REGISTRY, delimiter=delimiter, encoding=encoding)
    report = import_registry(session, path)
    assert report.encoding == expected_encoding
    assert report.created == 4
    school = get_org(session, "080101")
    assert school.name == "МКОУ «Комсомольская СОШ им. Н. Очирова»"
    assert school.kind == "school" and school.parent.code == "0801"
    assert get_org(session, "080102").kind == "school"
    assert [o.code for o in descendants(session, get_org(session, "08"))] == ["08", "0801", "080101", "080102"]


def test_xlsx_with_title_row_is_imported(session, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Реестр образовательных организаций на 01.09.2024"])
    ws.append([])
    ws.append(["Код", "Наименование", "Тип", "Код вышестоящей"])
    for code, name, kind, parent in REGISTRY:
        ws.append([int(code) if code.isdigit() and not code.startswith("0") else code, name, kind, parent or None])
    path = tmp_path / "реестр.xlsx"
    wb.save(path)
    report = import_registry(session, path)
    assert report.created == 4 and report.encoding is None
    assert len(list_organizations(session, kind="school")) == 2


def test_reimport_is_unchanged_and_rename_is_audited(session, tmp_path):
    path = write_csv(tmp_path / "r.csv", ("Код", "Наименование", "Тип", "Код вышестоящей"), REGISTRY)
    import_registry(session, path)
    again = import_registry(session, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    renamed = [r if r[0] != "080102" else (r[0], "МКОУ «Адыковская СОШ им. Героя»", r[2], r[3]) for r in REGISTRY]
    path2 = write_csv(tmp_path / "r2.csv", ("Код", "Наименование", "Тип", "Код вышестоящей"), renamed)
    third = import_registry(session, path2)
    assert third.updated == 1
    event = session.scalar(select(AuditEvent).where(AuditEvent.entity == "organization"))
    assert event.entity_id == "080102"
    assert event.before["name"] == "МКОУ «Адыковская СОШ»"
    assert event.after["name"] == "МКОУ «Адыковская СОШ им. Героя»"


@pytest.mark.parametrize(
    "rows,needle",
    [
        ([("08", "Регион", "регион", ""), ("0801", "Район", "район", "08")], "неизвестный тип «район»"),
        ([("08", "Регион", "регион", ""), ("080101", "Школа", "школа", "0899")], "«0899»"),
        ([("08", "Регион", "регион", ""), ("080101", "Школа", "школа", "08")], "не может подчиняться"),
        ([("08", "Регион", "регион", ""), ("08", "Дубль", "регион", "")], "повторяется"),
        ([("08", "Регион", "регион", ""), ("0801", "Район", "муниципалитет", "")], "не указан код вышестоящей"),
    ],
)
def test_bad_rows_write_nothing(session, tmp_path, rows, needle):
    path = write_csv(tmp_path / "bad.csv", ("Код", "Наименование", "Тип", "Код вышестоящей"), rows)
    with pytest.raises(InputError) as info:
        import_registry(session, path)
    assert needle in str(info.value)
    assert session.scalar(select(func.count()).select_from(Organization)) == 0


def test_bad_row_diagnostic_names_row_and_column(session, tmp_path):
    path = write_csv(tmp_path / "bad.csv", ("Код", "Наименование", "Тип", "Код вышестоящей"),
                     [("08", "Регион", "регион", ""), ("0801", "Район", "область??", "08")])
    with pytest.raises(InputError) as info:
        import_registry(session, path)
    diag = info.value.diagnostics[0]
    assert (diag.row, diag.column, diag.file) == (3, "Тип", "bad.csv")


def test_missing_header_lists_what_was_seen(session, tmp_path):
    path = write_csv(tmp_path / "x.csv", ("ИНН", "Адрес"), [("123", "ул. Ленина")])
    with pytest.raises(InputError, match="Ожидались столбцы «Код».*ИНН, Адрес"):
        import_registry(session, path)


def test_dry_run_writes_nothing(session, tmp_path):
    path = write_csv(tmp_path / "r.csv", ("Код", "Наименование", "Тип", "Код вышестоящей"), REGISTRY)
    report = import_registry(session, path, dry_run=True)
    assert report.created == 4
    assert session.scalar(select(func.count()).select_from(Organization)) == 0
