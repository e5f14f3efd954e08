"""Remembered window geometry and page, F1 user guide, the light theme."""

from __future__ import annotations

from ersoko_desktop.ui.context import AppContext


def test_geometry_and_page_are_remembered(qtbot, engine, ersoko_home):
    from ersoko_desktop.ui.main_window import MainWindow

    ctx = AppContext(engine=engine, db_label="test")
    first = MainWindow(ctx)
    qtbot.addWidget(first)
    first.resize(900, 640)  # the offscreen screen is small: stay within it
    first.nav.setCurrentRow(2)
    first.close()
    assert (ersoko_home / "window.ini").is_file()

    second = MainWindow(ctx)
    qtbot.addWidget(second)
    assert second.nav.currentRow() == 0
    second.restore_window_state()
    assert second.nav.currentRow() == 2
    assert second.height() == 640 != 760  # 760 is the default height


def test_user_guide_opens_with_the_russian_text(qtbot):
    from ersoko_desktop.ui.dialogs.user_guide import UserGuideDialog

    dialog = UserGuideDialog()
    qtbot.addWidget(dialog)
    text = dialog.browser.toPlainText()
    assert "руководство пользователя" in text and "Резервные копии" in text


def test_user_guide_drops_pictures_that_are_not_shipped(tmp_path):
    from ersoko_desktop.ui.dialogs.user_guide import without_missing_images

    (tmp_path / "screenshots").mkdir()
    (tmp_path / "screenshots" / "есть.png").write_bytes(b"png")
    text = "# Обзор\n![Обзор](screenshots/есть.png)\n![Нет](screenshots/нет.png)\nТекст ![в строке](x.png)\n"
    assert without_missing_images(text, tmp_path / "user-guide.md").splitlines() == [
        "# Обзор", "![Обзор](screenshots/есть.png)", "Текст ![в строке](x.png)"]
