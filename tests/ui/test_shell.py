"""The GUI shell: main window pages, status bar, first-run dialog, worker tasks with cancel."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from ersoko_desktop.errors import InputError
from ersoko_desktop.progress import Progress
from ersoko_desktop.ui import tasks
from ersoko_desktop.ui.context import AppContext
from ersoko_desktop.ui.main_window import PAGES, MainWindow


def test_main_window_shows_every_page_and_the_demo_district(qtbot, demo_ctx):
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.show()
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles == ["Обзор", "Результаты", "Показатели", "Дорожные карты", "Формы", "Пакеты", "Настройки"]
    assert "Степной район" in window.org_label.text()
    assert "demo.sqlite" in window.db_label.text()
    pages = list(window.visit_all_pages())
    assert len(pages) == len(PAGES)
    overview = window.page("overview")
    assert "школ — 22" in overview.footer.text()  # schools in the demo registry


def test_results_page_loads_lazily(qtbot, demo_ctx):
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.show()
    window.nav.setCurrentRow(1)
    page = window.page("results")
    model = page.table.model()
    qtbot.waitUntil(lambda: len(model.rows) > 0, timeout=5000)
    assert model.total > 300
    assert 0 < len(model.rows) <= model.total  # not everything is loaded up front
    assert model.rows[0][0].startswith("DEMO-S")


def test_first_run_dialog_loads_registry_and_applies_choice(qtbot, engine, tmp_path):
    from PySide6.QtWidgets import QWizard

    from ersoko_desktop.settings import own_organization
    from ersoko_desktop.ui.dialogs.first_run import FirstRunDialog

    ctx = AppContext(engine=engine, db_label="t")
    dialog = FirstRunDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.next()  # role: school
    assert dialog.org_page.org.count() == 0
    reg = tmp_path / "r.csv"
    reg.write_text("Код;Наименование;Тип;Код вышестоящей\n08;Регион;регион;\n0801;Район;муниципалитет;08\n"
                   "080101;Школа №1;школа;0801\n", encoding="utf-8")
    assert dialog.load_registry_file(str(reg))
    assert dialog.org_page.org.count() == 1 and dialog.org_page.org.currentData() == "080101"
    dialog.back()
    dialog.role_page.set_role("municipality")
    dialog.next()
    assert dialog.org_page.org.currentData() == "0801"
    dialog.next()
    assert dialog.currentId() == 2
    with ctx.session() as s:
        assert own_organization(s).code == "0801"
    assert isinstance(dialog, QWizard)


def test_task_runs_in_worker_and_returns_on_gui_thread(qtbot):
    seen = {}

    def work(*, progress: Progress, n: int) -> int:
        seen["thread"] = threading.current_thread()
        progress.step(0.5, "половина")
        return n * 2

    results = []
    task = tasks.run(None, work, n=21, on_done=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == [42]
    assert seen["thread"] is not threading.main_thread()


def test_task_cancel_raises_inside_service_and_reports_cancel(qtbot):
    started = threading.Event()
    release = threading.Event()

    def work(*, progress: Progress) -> str:
        started.set()
        release.wait(5)
        progress.step(0.9, "почти")  # raises CancelledError after cancel
        return "не должно вернуться"

    errors, done = [], []
    task = tasks.run(None, work, on_done=done.append, on_error=errors.append)
    assert started.wait(5)
    task.cancel()
    release.set()
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert done == []
    assert type(errors[0]).__name__ == "CancelledError"


def test_task_error_goes_to_callback(qtbot):
    def work(*, progress):
        raise InputError("плохой файл")

    errors = []
    tasks.run(None, work, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert str(errors[0]) == "плохой файл"


@pytest.mark.slow  # the self-test fills a demo database and builds reports: a minute or more under load
def test_self_test_entry_point(tmp_path):
    out = subprocess.run([sys.executable, "-m", "ersoko_desktop", "--self-test"], capture_output=True, text=True,
                         timeout=600, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert "самопроверка пройдена" in out.stdout
