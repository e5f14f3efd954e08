"""The «Результаты» page: import wizard (file → preview → import in the worker, cancel) and lazy table."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from ersoko_desktop.db.models import ImportBatch, ParticipantResult
from ersoko_desktop.services import results_import as ri
from ersoko_desktop.ui.context import AppContext
from ersoko_desktop.ui.views.results import Page
from tests.services.results_files import (
    FULL, MATH5_TITLE, SCHOOLS, SEVEN, add_registry, math5_header, math5_row, write_xlsx,
)

S1, S2, _ = SCHOOLS


@pytest.fixture
def ctx(engine):
    with AppContext(engine=engine, db_label="t").session() as s:
        add_registry(s)
    return AppContext(engine=engine, db_label="t")


def rows_in_db(ctx) -> int:
    with ctx.session() as s:
        return s.scalar(select(func.count()).select_from(ParticipantResult))


def test_wizard_previews_then_imports_and_the_table_shows_rows(qtbot, ctx, tmp_path):
    header = math5_header()
    header.insert(2, "ФИО")
    rows = [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S2, "2", SEVEN, 7, 3, 3)]
    for r in rows:
        r.insert(2, "Иванов Иван")
    path = write_xlsx(tmp_path / "vpr.xlsx", [*MATH5_TITLE, header, *rows])
    page = Page(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert page.count.text() == "Нет загруженных результатов"
    dialog = page.open_import(path)
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    assert dialog.stack.currentIndex() == 1
    assert "Будет загружено: 2" in dialog.summary.text()
    assert dialog.problems.item(0, 0).text() == "Предупреждение" and dialog.problems.item(0, 2).text() == "ФИО"
    assert dialog.import_button.isEnabled() and rows_in_db(ctx) == 0  # the preview wrote nothing
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.result_report is not None, timeout=20000)
    assert rows_in_db(ctx) == 2 and "Загружено: 2" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()
    qtbot.waitUntil(lambda: page.table.model() is not None and len(page.table.model().rows) == 2, timeout=5000)
    assert page.count.text() == "Участников: 2"
    assert [r[1] for r in page.table.model().rows] == ["1", "2"]


def test_wizard_lists_errors_and_refuses_to_import(qtbot, ctx, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", [*MATH5_TITLE, math5_header(), math5_row("0000000", "1", FULL, 20, 5, 5)])
    page = Page(ctx)
    qtbot.addWidget(page)
    dialog = page.open_import(path)
    dialog.check()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    assert dialog.problems.item(0, 0).text() == "Ошибка"
    assert (dialog.problems.item(0, 1).text(), dialog.problems.item(0, 2).text()) == ("5", "Код ОО")
    assert "не может быть загружен" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()


def test_wizard_options_reach_the_service(qtbot, ctx, tmp_path):
    path = write_xlsx(tmp_path / "plain.xlsx", [math5_header(school=None), math5_row(None, "1", FULL, 20, 5, 5)])
    page = Page(ctx)
    qtbot.addWidget(page)
    dialog = page.open_import(path)
    dialog.kind.setCurrentIndex(dialog.kind.findData("VPR"))
    dialog.subject.setText("Математика")
    dialog.grade.setValue(5)
    dialog.year.setValue(2024)
    dialog.school.setText(S2)
    dialog.check()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    assert dialog.report.errors == []
    assert (dialog.report.procedure, dialog.report.grade, dialog.report.year) == ("VPR", 5, 2024)


def test_cancel_in_the_worker_leaves_the_database_unchanged(qtbot, ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(ri, "CHUNK_ROWS", 50)
    messages = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: messages.append(a[2]))
    path = write_xlsx(tmp_path / "big.xlsx", [*MATH5_TITLE, math5_header(),
                                              *[math5_row(S1, str(i), SEVEN, 7, 3, 3) for i in range(1500)]])
    page = Page(ctx)
    qtbot.addWidget(page)
    dialog = page.open_import(path)
    dialog.start_import()
    dialog.task.cancel()
    qtbot.waitUntil(lambda: dialog.task.finished, timeout=60000)
    assert dialog.result_report is None
    assert messages and "отменена" in messages[0]
    assert rows_in_db(ctx) == 0
    with ctx.session() as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
