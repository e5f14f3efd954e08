"""School and municipal ВПР reports on the demo region. Expected figures are counted here from
the raw marks in the database, not taken from the indicators engine."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import delete, select

from ersoko_desktop.db.models import Organization, ParticipantResult, Procedure
from ersoko_desktop.errors import InputError
from ersoko_desktop.reports import model
from ersoko_desktop.services.reports import build_report, generate_report


def _marks(session, school: str, subject: str, grade: int, year: int) -> list[int]:
    return list(session.scalars(
        select(ParticipantResult.mark).join(Procedure).join(Organization, ParticipantResult.school_id == Organization.id)
        .where(Organization.code == school, Procedure.subject == subject, Procedure.grade == grade,
               Procedure.year == year, ParticipantResult.mark.is_not(None))))


def _ru(value: float, decimals: int = 1) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def test_school_summary_matches_hand_counted_marks(demo_session):
    report = build_report(demo_session, kind="school", org_code="DEMO-S03", year=2026)
    assert report.organization == "МКОУ «Ульяновская СОШ»" and report.period == "ВПР 2026 года"
    summary = report.tables()[0]
    titles = [c.title for c in summary.columns]
    rows = {r[0]: r for r in summary.rows}
    assert set(rows) == {f"{s}, {g} кл." for s in ("Математика", "Русский язык") for g in (4, 5, 6, 7, 8)}
    for label, row in rows.items():
        subject, grade = label.split(", ")[0], int(label.split(", ")[1].split()[0])
        marks = _marks(demo_session, "DEMO-S03", subject, grade, 2026)
        n = len(marks)
        assert row[titles.index("N")] == n
        assert row[titles.index("Успеваемость, %")] == pytest.approx(sum(m >= 3 for m in marks) / n * 100, abs=0.051)
        assert row[titles.index("Качество, %")] == pytest.approx(sum(m >= 4 for m in marks) / n * 100, abs=0.051)
        assert row[titles.index("Средняя отметка")] == pytest.approx(sum(marks) / n, abs=0.0051)
    # DEMO-S03 is the planted inflated school: its high results are flagged (S1) somewhere.
    assert any("S1" in (r[-1] or "") for r in rows.values())


def test_school_pdf_has_sections_charts_and_russian_numbers(demo_session, tmp_path):
    result = generate_report(demo_session, kind="school", fmt="pdf", out=tmp_path / "s.pdf", org_code="DEMO-S03",
                             year=2026)
    pages = [p.extract_text() for p in PdfReader(result.path).pages]
    text = "\n".join(pages).replace("\u00a0", " ")
    assert f"Стр. 1 из {len(pages)}" in pages[0] and f"Стр. {len(pages)} из {len(pages)}" in pages[-1]
    for heading in ("Общие сведения", "2.1. Математика, 4 кл.", "Распределение отметок", "Решаемость заданий",
                    "Сравнение с муниципалитетом и регионом", "Динамика результатов", "Признаки необъективности"):
        assert heading in text, heading
    marks = _marks(demo_session, "DEMO-S03", "Математика", 4, 2026)
    quality = sum(m >= 4 for m in marks) / len(marks) * 100
    assert f"{_ru(quality)} %" in text
    assert f"{_ru(sum(marks) / len(marks), 2)}" in text


def test_school_report_is_refused_for_a_municipality(demo_session):
    with pytest.raises(InputError, match="--kind municipal"):
        build_report(demo_session, kind="school", org_code="DEMO-M1", year=2026)


def _shrink_group(session, school: str, subject: str, grade: int, year: int, keep: int) -> None:
    """Leave only ``keep`` participants of one school in one procedure (a small-school case)."""
    proc = session.scalar(select(Procedure.id).where(Procedure.subject == subject, Procedure.grade == grade,
                                                     Procedure.year == year))
    school_id = session.scalar(select(Organization.id).where(Organization.code == school))
    ids = list(session.scalars(select(ParticipantResult.id).where(
        ParticipantResult.procedure_id == proc, ParticipantResult.school_id == school_id)
        .order_by(ParticipantResult.id)))
    session.execute(delete(ParticipantResult).where(ParticipantResult.id.in_(ids[keep:])))
    session.flush()


def test_municipal_report_suppresses_small_groups_and_lists_risks(demo_session, tmp_path):
    _shrink_group(demo_session, "DEMO-S01", "Математика", 4, 2026, keep=3)
    report = build_report(demo_session, kind="municipal", org_code="DEMO-M1", year=2026)
    titles = [s.title for s in report.sections]
    assert titles[0] == "1. Общие результаты" and "3. Признаки необъективности результатов" in titles
    assert "4. Школы с низкими образовательными результатами (ШНОР)" in titles
    math4 = report.sections[titles.index("2.1. Математика, 4 кл.")].blocks[0]
    s01 = next(r for r in math4.display_rows() if "(DEMO-S01)" in r[0])
    assert s01[1] == 3 and s01[2:10] == ["—"] * 8
    risk = next(t for t in report.tables() if t.sheet == "Список риска")
    assert any("(DEMO-S03)" in r[0] for r in risk.rows)

    pdf = generate_report(demo_session, kind="municipal", fmt="pdf", out=tmp_path / "m.pdf", org_code="DEMO-M1",
                          year=2026)
    text = "\n".join(p.extract_text() for p in PdfReader(pdf.path).pages)
    lines = text.split("\n")
    at = lines.index(next(x for x in lines if x.endswith("(DEMO-S01)") and "2.1." not in x))
    assert lines[at + 1].split() == ["3"] + ["—"] * 8 + ["нет"]  # N stays, figures suppressed
    assert "Список ОО с признаками необъективности" in text and "Обоснование" in text

    xlsx = generate_report(demo_session, kind="municipal", fmt="xlsx", out=tmp_path / "m.xlsx",
                           org_code="DEMO-M1", year=2026)
    wb = load_workbook(xlsx.path)
    assert {"Сводка", "Результаты ОО", "Признаки", "Список риска", "ШНОР", "Диаграмма"} <= set(wb.sheetnames)
    ws = wb["Результаты ОО"]
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True)
               if r[0] == "DEMO-S01" and r[2] == "Математика" and r[3] == 4)
    assert row[header.index("N")] == 3 and row[header.index("Качество, %")] == "—"
    other = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "DEMO-S02" and r[2].value == "Математика"
                 and r[3].value == 4)
    marks = _marks(demo_session, "DEMO-S02", "Математика", 4, 2026)
    quality_cell = other[header.index("Качество, %")]
    assert quality_cell.value == pytest.approx(sum(m >= 4 for m in marks) / len(marks) * 100, abs=0.051)
    assert quality_cell.number_format == '0.0" %"'
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert rules and "да" in rules[0].formula[0]


def test_region_report_compares_municipalities_and_keeps_every_school_in_excel(demo_session, tmp_path):
    report = build_report(demo_session, kind="municipal", org_code="DEMO-R", year=2026)
    titles = [s.title for s in report.sections if s.level == 0]
    assert titles == ["1. Общие результаты", "2. Результаты муниципалитетов",
                      "3. Результаты образовательных организаций", "4. Признаки необъективности результатов",
                      "5. Школы с низкими образовательными результатами (ШНОР)", "6. Критерии ММУКО: динамика"]
    assert not [s for s in report.sections if s.title.startswith("3.")  and s.level == 1]  # no school tables in PDF
    munis = report.sections[1]
    math4 = next(b for b in munis.blocks if isinstance(b, model.Table) and b.title == "Математика, 4 кл.")
    schools = {o.code: o.parent.code for o in demo_session.scalars(select(Organization).where(
        Organization.kind == "school"))}
    for row in math4.rows:
        code = row[0].rsplit("(", 1)[1].rstrip(")")
        marks = [m for school in schools if schools[school] == code
                 for m in _marks(demo_session, school, "Математика", 4, 2026)]
        assert row[1] == len(marks) and marks
        assert row[7] == pytest.approx(sum(m >= 4 for m in marks) / len(marks) * 100, abs=0.051)  # качество
    assert {r[0].rsplit("(", 1)[1] for r in math4.rows} == {"DEMO-M1)", "DEMO-M2)"}

    xlsx = generate_report(demo_session, kind="municipal", fmt="xlsx", out=tmp_path / "r.xlsx", org_code="DEMO-R",
                           year=2026)
    wb = load_workbook(xlsx.path)
    assert {"Муниципалитеты", "Результаты ОО"} <= set(wb.sheetnames)
    in_excel = {r[0] for r in wb["Результаты ОО"].iter_rows(min_row=2, values_only=True)}
    assert in_excel == set(schools)


def test_municipal_report_is_refused_for_a_school(demo_session):
    with pytest.raises(InputError, match="--kind school"):
        build_report(demo_session, kind="municipal", org_code="DEMO-S01", year=2026)


def test_charts_compare_school_municipality_and_region(demo_session):
    report = build_report(demo_session, kind="school", org_code="DEMO-S03", year=2026)
    dist = next(c for c in report.charts() if c.title.startswith("Распределение отметок"))
    assert [name for name, _v in dist.series] == ["Школа", "Муниципалитет", "Регион"]
    marks = _marks(demo_session, "DEMO-S03", "Математика", 4, 2026)
    expected = [sum(m == k for m in marks) / len(marks) * 100 for k in (2, 3, 4, 5)]
    assert dist.series[0][1] == pytest.approx(expected, abs=0.051)
    assert isinstance(dist, model.Chart) and dist.sheet == "Диаграмма"


def test_municipal_report_shows_mmuko_criteria_dynamics(demo_session):
    # The demo district's ММУКО forms (services/demo_forms.py): criterion 1.1 scored 15 of 25 points in 2024
    # and 24 of 25 in 2025; criterion 1.2 scored 3 of 27, then 25 of 27.
    report = build_report(demo_session, kind="municipal", org_code="DEMO-M1", year=2026)
    section = next(s for s in report.sections if s.title.startswith("5. Критерии ММУКО"))
    table = next(b for b in section.blocks if isinstance(b, model.Table))
    assert [(r[0], r[2], r[3], r[4], r[5], r[6]) for r in table.rows] == [
        ("1.1", "2024", 15, 25, 60.0, None), ("1.1", "2025", 24, 25, 96.0, 60.0),
        ("1.2", "2024", 3, 27, 11.1, None), ("1.2", "2025", 25, 27, 92.6, 11.1)]
    text = next(b for b in section.blocks if isinstance(b, model.Text)).text.replace("\u00a0", " ")
    assert "1.1: 60,0 % → 96,0 %" in text and "1.2: 11,1 % → 92,6 %" in text
    chart = next(b for b in section.blocks if isinstance(b, model.Chart))
    assert chart.categories == ["1.1", "1.2"]
    assert chart.series == [("2024", [60.0, 11.1]), ("2025", [96.0, 92.6])]
