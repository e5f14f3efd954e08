"""The roadmap execution report on the demo roadmap (expected figures counted by hand from
services/demo.py: 8 tasks; on 2026-11-23 task 1.2 is done, 1.3 (October) is overdue)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ersoko_desktop.db.models import Evidence, RoadmapTask
from ersoko_desktop.errors import NotFoundError
from ersoko_desktop.reports import model
from ersoko_desktop.services.reports import build_report, generate_report

TODAY = dt.date(2026, 11, 23)


def _summary(report: model.Report) -> dict[str, str]:
    return dict(next(b for s in report.sections for b in s.blocks if isinstance(b, model.KeyValues)).rows)


def _attach_evidence(session) -> None:
    task = session.query(RoadmapTask).filter_by(number="1.2").one()
    session.add(Evidence(occurrence=task.occurrences[0], file_name="Справка_анализ_ВПР.pdf", sha256="ab" * 32,
                         stored_path="/nowhere", size=10, added_at=dt.datetime(2026, 10, 2, 9, 0)))
    session.flush()


def test_summary_counts_statuses_and_overdue(demo_session):
    report = build_report(demo_session, kind="roadmap", org_code="DEMO-M1", today=TODAY)
    summary = _summary(report)
    assert summary["Мероприятий в отчёте"] == "8"
    assert (summary["Выполнено"], summary["В работе"], summary["Запланировано"]) == ("1", "2", "3")
    assert summary["Не выполнено в срок"] == "1"
    assert summary["Без дат (по мере необходимости)"] == "1"
    assert summary["Исполнение наступивших сроков"].replace("\u00a0", " ") == "1 из 2 (50,0 %)"


def test_official_table_has_sections_tasks_and_marks(demo_session):
    report = build_report(demo_session, kind="roadmap", org_code="DEMO-M1", today=TODAY)
    table = report.tables()[0]
    assert [c.title for c in table.columns][:6] == ["№", "Мероприятие", "Срок", "Исполнитель", "Результат",
                                                    "Отметка о выполнении"]
    assert table.rows[0] == model.GroupRow("1. Система оценки качества подготовки обучающихся")
    by_number = {r[0]: r for r in table.rows if not isinstance(r, model.GroupRow)}
    assert list(by_number) == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3"]
    assert by_number["1.2"][5] == "01.09.2026–30.09.2026: выполнено 30.09.2026"
    assert by_number["1.3"][5] == "01.10.2026–31.10.2026: не выполнено в срок" and by_number["1.3"][6] is True
    assert by_number["1.1"][5].startswith("по мере необходимости") and by_number["1.1"][6] is False
    assert by_number["2.1"][2] == "до 25 января"


def test_year_filter_keeps_tasks_with_dates_in_that_year_and_undated_ones(demo_session):
    report = build_report(demo_session, kind="roadmap", org_code="DEMO-M1", year=2027, today=TODAY)
    numbers = [r[0] for r in report.tables()[0].rows if not isinstance(r, model.GroupRow)]
    assert numbers == ["1.1", "2.1", "2.2", "2.3"]
    assert report.period == "2027 год"


def test_no_roadmap_is_a_clear_error(demo_session):
    with pytest.raises(NotFoundError, match="DEMO-S01.*нет дорожных карт"):
        build_report(demo_session, kind="roadmap", org_code="DEMO-S01", today=TODAY)


def test_pdf_and_xlsx_carry_the_table_and_the_evidence_list(demo_session, tmp_path):
    _attach_evidence(demo_session)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    pdf = generate_report(demo_session, kind="roadmap", fmt="pdf", out=tmp_path / "rm.pdf", org_code="DEMO-M1",
                          today=TODAY)
    text = "\n".join(p.extract_text() for p in PdfReader(pdf.path).pages)
    assert "Отчёт об исполнении дорожной карты" in text and "Степной район" in text
    assert "Отметка о" in text and "Мероприятие" in text
    assert "Справка_анализ_ВПР.pdf" in text and "abababab" in text
    assert "(документов: 1)" in text
    xlsx = generate_report(demo_session, kind="roadmap", fmt="xlsx", out=tmp_path / "rm.xlsx", org_code="DEMO-M1",
                           today=TODAY)
    wb = load_workbook(xlsx.path)
    assert {"Сводка", "Исполнение", "Документы"} <= set(wb.sheetnames)
    ws = wb["Исполнение"]
    assert ws.freeze_panes == "A2" and ws["A1"].value == "№" and ws["F1"].value == "Отметка о выполнении"
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2) if r[1].value}
    assert rows["1.3"][6].value == "да" and rows["1.2"][6].value == "нет"
    assert wb["Документы"]["D2"].value == "Справка_анализ_ВПР.pdf"
    assert wb["Документы"]["F2"].value.date() == dt.date(2026, 10, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rm.pdf", "rm.xlsx"]  # no temporary files left


def test_a_cancelled_report_leaves_no_file(demo_session, tmp_path):
    from ersoko_desktop.errors import CancelledError
    from ersoko_desktop.progress import Progress

    seen: list[float] = []

    def listener(fraction: float, _text: str) -> None:
        seen.append(fraction)
        if fraction > 0.3:  # the user presses «Отмена» while the PDF is being put together
            progress.cancel()

    progress = Progress(listener)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CancelledError):
        generate_report(demo_session, kind="roadmap", fmt="pdf", out=out / "rm.pdf", org_code="DEMO-M1",
                        today=TODAY, progress=progress)
    assert list(out.iterdir()) == []
    assert seen == sorted(seen)  # progress only moves forward
