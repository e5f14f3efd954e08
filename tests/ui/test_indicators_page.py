"""The «Показатели» page on the demo region: table, charts, objectivity tab, ШНОР, export."""

from __future__ import annotations

import openpyxl
import pytest
from PySide6.QtCore import Qt

from ersoko_desktop.services.demo import YEARS
from ersoko_desktop.services.indicators import compute_indicators
from ersoko_desktop.ui.context import AppContext
from ersoko_desktop.ui.views.indicators import Page


@pytest.fixture
def page(qtbot, demo_engine):
    ctx = AppContext(engine=demo_engine, db_label="demo.sqlite", demo=True)
    widget = Page(ctx)
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh()
    return widget


def computed(qtbot, page):
    page.compute()
    qtbot.waitUntil(lambda: page.data is not None and page.compute_button.isEnabled(), timeout=120_000)
    return page


def test_page_computes_table_chart_flags_and_shnor(qtbot, page, demo_session):
    assert page.year.currentData() == YEARS[-1]     # the latest year is preselected
    computed(qtbot, page)
    expected = compute_indicators(demo_session, level="school", year=YEARS[-1])
    model = page.table.model()
    assert model.rowCount() == len(expected)
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    quality_col = headers.index("Качество знаний, %")
    first = expected.iloc[0]
    assert model.index(0, 0).data() == first["org"]
    assert model.index(0, quality_col).data() == f"{first['quality']:.1f}".replace(".", ",")
    # Charts: marks (3 bar sets: school, municipality, region), levels, dynamics over 3 years
    chart = page.chart_view.chart()
    assert len(chart.series()) == 1 and chart.series()[0].count() == 3
    page.chart_kind.setCurrentIndex(2)
    lines = page.chart_view.chart().series()
    assert [s.name() for s in lines] == ["Успеваемость", "Качество", "СОУ"] and lines[1].count() == 3
    # Objectivity tab lists DEMO-S07 with its S2 evidence
    flags = page.flags_table.model()
    orgs = [flags.index(r, 0).data() for r in range(flags.rowCount())]
    assert "DEMO-S07" in orgs
    row = orgs.index("DEMO-S07")
    assert "S2: понизили отметку по журналу" in flags.index(row, 4).data()
    page.flags_table.selectRow(row)
    assert "Несоответствие отметкам по журналу" in page.evidence.toPlainText()
    # the roadmap service opens a task for the flagged school (services.roadmaps.create_task_for_flag)
    assert not page.roadmap_button.isHidden() and page.roadmap_button.isEnabled()
    page._open_roadmap_task()
    qtbot.waitUntil(lambda: "Создана задача дорожной карты" in page.status.text(), timeout=30_000)
    from sqlalchemy import select

    from ersoko_desktop.db.models import RoadmapTask

    demo_session.rollback()                         # see what the worker committed
    titles = demo_session.scalars(select(RoadmapTask.title).where(RoadmapTask.title.contains("DEMO-S07"))).all()
    assert len(titles) == 1 and "S2:" in titles[0]
    shnor = page.shnor_table.model()
    assert {"DEMO-S15", "DEMO-S21"} <= {shnor.index(r, 0).data() for r in range(shnor.rowCount())}


def test_level_switch_and_export_suppresses_small_groups(qtbot, page, tmp_path):
    computed(qtbot, page)
    page.level.setCurrentIndex(3)                   # classes
    classes = page.view_frame
    assert set(classes["level"]) == {"class"}
    page.level.setCurrentIndex(1)                   # municipalities
    assert list(page.view_frame["org"].unique()) == ["DEMO-M1", "DEMO-M2"]
    page.level.setCurrentIndex(3)
    # A class of 3 participants: the export hides its numbers
    import pandas as pd

    small = page.view_frame.iloc[:1].copy()
    small["n"] = 3
    page.view_frame = pd.concat([small, page.view_frame.iloc[1:2]])
    out = tmp_path / "показатели.xlsx"
    page.export_to(str(out))
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    col = rows[0].index("Качество знаний, %")
    assert rows[1][col] == "—" and rows[2][col] != "—"


def test_flags_tab_shows_municipalities_compared_with_the_region(qtbot, engine):
    """A small region (hand-computed in tests/services/test_indicators_service.py::
    test_municipalities_are_compared_with_the_region): with N ≥ 1, municipality M2 has S1 and S5 vs the
    region and is on the risk list. Schools vs their municipality: S1 2025 (marks 5,5,4,3,2) quality 3/5 =
    60 % vs M1 3/9 = 33.3 % (+26.7 ≥ 25 p.p.) → S1; lowered 2/5 = 40 % ≥ 30 % → S2. S3 (alone in M2, one
    «4», advanced task solved, basic not) → S5."""
    from ersoko_desktop.db import session_scope
    from ersoko_desktop.services.thresholds import save_thresholds
    from tests.services.test_indicators_service import fill

    with session_scope(engine) as s:
        fill(s, {("S1", 2025): [(5, 4), (5, 5), (4, 4), (3, 4), (2, 3), (None, None)],
                 ("S2", 2025): [(3, 3)] * 4, ("S3", 2025): [(4, None)],
                 ("S1", 2024): [(3, 3), (3, 3), (4, 4), (4, 4)]})
        save_thresholds(s, {"objectivity.min_n": 1})
    page = Page(AppContext(engine=engine, db_label="small.sqlite"))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    computed(qtbot, page)
    flags = page.flags_table.model()
    assert [(flags.index(r, 0).data(), flags.index(r, 3).data()) for r in range(flags.rowCount())] == [
        ("S1", "S1, S2"), ("S3", "S5")]
    assert "у муниципалитетов (в сравнении с регионом): 1" in page.status.text()
    page.flag_level.setCurrentIndex(1)              # муниципалитеты — с регионом
    flags = page.flags_table.model()
    assert [(flags.index(r, 0).data(), flags.index(r, 3).data()) for r in range(flags.rowCount())] == [("M2", "S1, S5")]
    assert "качество знаний 100,0 % при 40,0 % по региону" in flags.index(0, 4).data()
    page.flags_table.selectRow(0)
    text = page.evidence.toPlainText()
    assert "Район 2 (M2)" in text and "Список риска: 2 признака в одной процедуре" in text
    assert not page.roadmap_button.isEnabled()      # roadmap tasks are opened for schools
    page.flag_level.setCurrentIndex(0)
    assert page.flags_table.model().index(0, 0).data() == "S1"
