"""The Обзор page: tiles show the demo's deadlines and forms, fill in the flags in the background,
and each tile opens its page (mouse and keyboard)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ersoko_desktop.ui.main_window import PAGES, MainWindow


def _window(qtbot, demo_ctx):
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.show()
    return window


def test_tiles_show_demo_numbers_and_flags_arrive(qtbot, demo_ctx):
    window = _window(qtbot, demo_ctx)
    page = window.page("overview")
    tiles = page.tiles
    # Forms the district (DEMO-M1) must decide on include the two submitted ВСОКО self-evaluations.
    assert int(tiles["forms"].value.text()) >= 2
    assert "наших на проверке выше: 2" in tiles["forms"].detail.text()  # ММУКО 1.1 and 1.2 of 2025
    assert tiles["imports"].value.text() == "—"
    assert tiles["packages"].value.text() == "0"
    assert "школ — 22" in page.footer.text()
    qtbot.waitUntil(lambda: page.flags is not None, timeout=120_000)
    assert page.flags.year == 2026
    assert int(tiles["flags"].value.text()) == page.flags.schools > 0
    assert "DEMO-S03" in page.attention.text()  # the planted inflated school is listed
    for tile in tiles.values():
        assert tile.toolTip().startswith("Открыть страницу «")


def test_tile_click_and_enter_open_the_page(qtbot, demo_ctx):
    window = _window(qtbot, demo_ctx)
    page = window.page("overview")
    keys = [k for k, _t, _m in PAGES]
    qtbot.mouseClick(page.tiles["packages"], Qt.MouseButton.LeftButton)
    assert window.nav.currentRow() == keys.index("packages")
    window.nav.setCurrentRow(0)
    page.tiles["flags"].setFocus()
    qtbot.keyClick(page.tiles["flags"], Qt.Key.Key_Return)
    assert window.nav.currentRow() == keys.index("indicators")
    indicators = window.page("indicators")
    assert indicators.tabs.tabText(indicators.tabs.currentIndex()).startswith("Признаки")
    window.nav.setCurrentRow(0)
    qtbot.mouseClick(page.tiles["overdue"], Qt.MouseButton.LeftButton)
    assert window.nav.currentRow() == keys.index("roadmaps")


def test_quitting_while_signs_compute_waits_for_the_worker(qtbot, demo_ctx):
    from PySide6.QtCore import QThreadPool

    window = _window(qtbot, demo_ctx)
    page = window.page("overview")
    page._flags_timer.stop()
    page._start_flags()
    assert page.flags_task is not None
    page._stop_flags()  # what QApplication.aboutToQuit calls
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    qtbot.waitUntil(lambda: page.flags_task is None, timeout=10_000)  # cancelled or finished, reported back
