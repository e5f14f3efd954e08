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
