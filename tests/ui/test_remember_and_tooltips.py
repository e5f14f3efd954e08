"""Filters survive re-creating a page (and a restart: the INI file), tooltips are in Russian on the
toolbar widgets, Ctrl+1..N switch pages."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLineEdit, QMenu

from ersoko_desktop.ui.context import AppContext

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def _page(qtbot, module, ctx):
    from importlib import import_module

    page = import_module(f"ersoko_desktop.ui.views.{module}").Page(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    return page


def _choose(qtbot, combo: QComboBox, data) -> None:
    """As a user does it: focus the combo and step with the arrow keys until ``data`` is current."""
    combo.setFocus()
    target = next(i for i in range(combo.count()) if combo.itemData(i) == data)
    key = Qt.Key.Key_Down if target > combo.currentIndex() else Qt.Key.Key_Up
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, key)


def test_indicator_filters_are_restored(qtbot, demo_ctx):
    page = _page(qtbot, "indicators", demo_ctx)
    assert page.year.currentData() == 2026  # the default: the latest year
    _choose(qtbot, page.year, 2025)
    _choose(qtbot, page.subject, "Математика")
    _choose(qtbot, page.level, "municipality")
    page.close()

    again = _page(qtbot, "indicators", demo_ctx)
    assert again.year.currentData() == 2025
    assert again.subject.currentData() == "Математика"
    assert again.level.currentData() == "municipality"
    assert again.kind.currentData() is None  # never chosen: stays «Все процедуры»


def test_results_roadmaps_packages_filters_are_restored(qtbot, demo_ctx):
    results = _page(qtbot, "results", demo_ctx)
    second = results.procedure.itemData(3)
    _choose(qtbot, results.procedure, second)
    roadmaps = _page(qtbot, "roadmaps", demo_ctx)
    qtbot.mouseClick(roadmaps.mine, Qt.MouseButton.LeftButton)
    roadmaps.executor.setFocus()
    qtbot.keyClicks(roadmaps.executor, "MO")  # QTest types ASCII only
    packages = _page(qtbot, "packages", demo_ctx)
    _choose(qtbot, packages.result_filter, "refused")
    qtbot.keyClicks(packages.text_filter, "DEMO")
    for page in (results, roadmaps, packages):
        page.close()

    results = _page(qtbot, "results", demo_ctx)
    assert results.procedure.currentData() == second
    assert results.count.text().startswith("Участников:")
    roadmaps = _page(qtbot, "roadmaps", demo_ctx)
    assert roadmaps.mine.isChecked() and roadmaps.executor.text() == "MO"
    packages = _page(qtbot, "packages", demo_ctx)
    assert packages.result_filter.currentData() == "refused" and packages.text_filter.text() == "DEMO"


def test_filters_are_kept_per_database(qtbot, demo_ctx, demo_engine):
    page = _page(qtbot, "indicators", demo_ctx)
    _choose(qtbot, page.year, 2024)
    other = AppContext(engine=demo_engine, db_label="другая.sqlite", demo=True)
    fresh = _page(qtbot, "indicators", other)
    assert fresh.year.currentData() == 2026


@pytest.mark.parametrize("module", ["results", "indicators", "roadmaps", "forms", "packages", "overview"])
def test_toolbar_widgets_have_russian_tooltips(qtbot, demo_ctx, module):
    page = _page(qtbot, module, demo_ctx)
    found = [w for kind in (QAbstractButton, QComboBox, QLineEdit) for w in page.findChildren(kind)]
    widgets = [w for w in found if w.isVisibleTo(page) and not isinstance(w.parent(), QComboBox) and not w.objectName().startswith("qt_")
               and type(w).__name__ not in ("QTabBar", "QToolButton")]
    if module == "overview":
        widgets += list(page.tiles.values()) + [page.deadlines]
    assert widgets
    missing = [(type(w).__name__, getattr(w, "text", lambda: "")()) for w in widgets
               if not CYRILLIC.search(w.toolTip())]
    assert missing == []


def test_menu_actions_have_russian_tooltips(qtbot, demo_ctx):
    from ersoko_desktop.ui.main_window import MainWindow

    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    actions = [a for menu in window.menuBar().findChildren(QMenu)
               for a in menu.actions() if not a.isSeparator()]
    assert len(actions) >= 10
    assert [a.text() for a in actions if not CYRILLIC.search(a.toolTip()) or a.toolTip() == a.text()] == []


def test_ctrl_number_switches_pages(qtbot, demo_ctx):
    from ersoko_desktop.ui.main_window import PAGES, MainWindow

    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    for row in (3, 5, 0):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + row), Qt.KeyboardModifier.ControlModifier)
        assert window.nav.currentRow() == row
        assert window.stack.currentWidget() is window.page(PAGES[row][0])


@pytest.mark.parametrize("make, default", [
    (lambda ctx: __import__("ersoko_desktop.ui.views.results", fromlist=["x"]).ImportDialog(ctx), "check_button"),
    (lambda ctx: __import__("ersoko_desktop.ui.dialogs.report_dialog", fromlist=["x"]).ReportDialog(ctx), "make_button"),
    (lambda ctx: __import__("ersoko_desktop.ui.dialogs.roadmap_import", fromlist=["x"]).RoadmapImportDialog(ctx),
     "import_button"),
])
def test_dialogs_enter_is_the_main_action_and_escape_closes(qtbot, demo_ctx, make, default):
    dialog = make(demo_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    assert getattr(dialog, default).isDefault()  # Enter presses it
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == dialog.DialogCode.Rejected


def test_tab_chosen_with_ctrl_tab_is_restored_but_not_one_a_page_turns_to(qtbot, demo_ctx):
    from PySide6.QtCore import QThreadPool

    def settled(p):  # the page's background loads end before it is closed
        QThreadPool.globalInstance().waitForDone(30_000)
        return p

    page = settled(_page(qtbot, "roadmaps", demo_ctx))
    page.activateWindow()
    qtbot.waitUntil(lambda: page.isActiveWindow())
    page.tabs.currentWidget().setFocus()
    assert page.tabs.currentIndex() == 0
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert page.tabs.currentIndex() == 1              # «Ближайшие месяцы»
    page.close()
    again = settled(_page(qtbot, "roadmaps", demo_ctx))
    assert again.tabs.currentIndex() == 1
    again.setFocus()                                   # focus outside the tabs: the page itself turns
    again.tabs.setCurrentIndex(0)
    again.close()
    assert settled(_page(qtbot, "roadmaps", demo_ctx)).tabs.currentIndex() == 1
