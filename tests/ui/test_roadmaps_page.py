"""The «Дорожные карты» page: import wizard (preview → import), tree with status colours,
timeline, status editing and evidence — all through the real services and database."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QDialog
from sqlalchemy import select

from ersoko_desktop.db.models import RoadmapTask, TaskOccurrence
from ersoko_desktop.ui.context import AppContext
from ersoko_desktop.ui.views.roadmaps import COLOURS, Page, occurrence_colour
from tests.conftest import SEEDS_DIR

DISTRICT = SEEDS_DIR / "chernozemelsky_msoko_roadmap_2022-2023.txt"


@pytest.fixture
def ctx(engine):
    return AppContext(engine=engine, db_label="t")


def _walk(item):
    yield item
    for i in range(item.childCount()):
        yield from _walk(item.child(i))


def test_import_wizard_then_tree_timeline_and_status(qtbot, ctx, tmp_path, monkeypatch):
    page = Page(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert "Дорожных карт пока нет" in page.progress_label.text()

    dialog = page.open_import(str(DISTRICT))
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20000)
    assert dialog.tree.topLevelItemCount() == 2
    assert "мероприятий: 28" in dialog.summary.text()
    assert dialog.warnings.count() == 2  # two deadlines written with 2021 in a 2022/23 roadmap
    with qtbot.waitSignal(dialog.finished, timeout=20000):
        dialog.run_import()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.report.status == "imported"
    assert "загружен" in page.import_label.text() and "мероприятий 17" in page.import_label.text()

    page.set_today(dt.date(2022, 11, 20))
    assert page.roadmap_combo.count() == 3  # «все» + two roadmaps
    items = [it for i in range(page.tree.topLevelItemCount()) for it in _walk(page.tree.topLevelItem(i))]
    occ_items = [it for it in items if it.data(0, 256)]
    assert len(occ_items) == 30  # 17 + 13 occurrences of the two roadmaps
    overdue = [it for it in occ_items if "просрочено" in it.text(3)]
    assert len(overdue) == 5
    assert all(it.background(0).color().name() == COLOURS["overdue"] for it in overdue)
    # timeline: 6 months from November 2022; 1.2.2 has its November occurrence there
    assert page.timeline.horizontalHeaderItem(1).text() == "ноя 2022"
    labels = [page.timeline.item(r, 0).text() for r in range(page.timeline.rowCount())]
    assert "⚠ 1.2.2 Собеседование с руководителями школ с низкими образовательными результатами по итогам ВПР, " \
           "ЕГЭ и ОГЭ" in labels  # it also has an overdue September occurrence
    row = labels.index(next(lb for lb in labels if lb.startswith("⚠ 1.2.2")))
    assert page.timeline.item(row, 1).text() == "план"  # November 2022
    assert page.timeline.item(row, 2) is None  # nothing in December
    # year-long spans (постоянно, ежегодно) stay out of the timeline unless asked for
    assert not any(label.startswith("1.1.5") for label in labels)
    page.long_spans.setChecked(True)
    labels = [page.timeline.item(r, 0).text() for r in range(page.timeline.rowCount())]
    assert any(label.startswith("1.1.5") for label in labels)

    # mark 1.1.1 (September 2022) done with a date and an evidence file
    with ctx.session() as s:
        occ_id = s.scalars(select(TaskOccurrence.id).join(RoadmapTask).where(RoadmapTask.number == "1.1.1")).one()
    items = [it for i in range(page.tree.topLevelItemCount()) for it in _walk(page.tree.topLevelItem(i))]
    target = next(it for it in items if it.data(0, 256) == occ_id)
    page.tree.setCurrentItem(target)
    assert page.current_occurrence == occ_id
    page.status_combo.setCurrentIndex(page.status_combo.findData("done"))
    assert page.done_date.isEnabled()
    page.comment.setPlainText("утверждено")
    state = page.save_status()
    assert state is not None and state.status == "done" and state.comment == "утверждено"
    proof = tmp_path / "приказ.pdf"
    proof.write_bytes(b"%PDF order")
    page.attach_file(str(proof))
    assert page.evidence_list.count() == 1 and "приказ.pdf" in page.evidence_list.item(0).text()
    with ctx.session() as s:
        occ = s.get(TaskOccurrence, occ_id)
        assert (occ.status, occ.done_at, len(occ.evidence)) == ("done", dt.date(2022, 11, 20), 1)
    assert "Выполнено 1 из" in page.progress_label.text()

    # delete the second roadmap (after a confirmation)
    from PySide6.QtWidgets import QMessageBox

    assert not page.delete_button.isEnabled()  # «все дорожные карты» selected
    page.roadmap_combo.setCurrentIndex(2)
    assert page.delete_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert page.delete_selected()
    assert page.roadmap_combo.count() == 2


def test_wizard_reports_missing_period(qtbot, ctx, tmp_path, monkeypatch):
    from ersoko_desktop.ui import tasks
    from ersoko_desktop.ui.dialogs.roadmap_import import RoadmapImportDialog

    shown = []
    monkeypatch.setattr(tasks, "show_error", lambda parent, exc: shown.append(exc))
    path = tmp_path / "plan.txt"
    path.write_text("План работы\n№\tМероприятие\tСрок\n1.\tСовещание\tмай\n", encoding="utf-8")
    dialog = RoadmapImportDialog(ctx, path=str(path))
    qtbot.addWidget(dialog)
    dialog.run_preview()
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert "период" in dialog.summary.text() and not dialog.import_button.isEnabled()
    dialog.by_school.setChecked(True)
    dialog.school_edit.setText("2023/24")
    dialog.run_preview()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20000)
    assert dialog.tree.topLevelItem(0).text(3).startswith("период 2023/24")


def test_colours():
    today = dt.date(2022, 11, 20)
    assert occurrence_colour("planned", dt.date(2022, 9, 1), dt.date(2022, 9, 30), today) == COLOURS["overdue"]
    assert occurrence_colour("done", dt.date(2022, 9, 1), dt.date(2022, 9, 30), today) == COLOURS["done"]
    assert occurrence_colour("planned", dt.date(2022, 11, 1), dt.date(2022, 11, 30), today) == COLOURS["soon"]
    assert occurrence_colour("planned", dt.date(2023, 5, 1), dt.date(2023, 5, 31), today) is None
    assert occurrence_colour("planned", None, None, today) is None
