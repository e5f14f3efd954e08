"""Main window: navigation list on the left, one page per capability on the right."""

from __future__ import annotations

from importlib import import_module
from typing import Iterator

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from .. import APP_NAME
from .context import AppContext

# (key, title, module under ersoko_desktop.ui.views). Each module defines ``Page(ctx)``.
PAGES: list[tuple[str, str, str]] = [
    ("overview", "Обзор", "overview"),
    ("results", "Результаты", "results"),
    ("indicators", "Показатели", "indicators"),
    ("roadmaps", "Дорожные карты", "roadmaps"),
    ("forms", "Формы", "forms"),
    ("packages", "Пакеты", "packages"),
    ("settings", "Настройки", "settings"),
]


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(APP_NAME + (" — демонстрационная база" if ctx.demo else ""))
        self.resize(1200, 760)
        self.setMinimumSize(QSize(900, 600))

        self.nav = QListWidget(objectName="nav")
        self.nav.setFixedWidth(210)
        self.stack = QStackedWidget()
        self._pages: dict[str, QWidget] = {}
        for key, title, _module in PAGES:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._show_row)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.org_label = QLabel()
        self.db_label = QLabel()
        self.statusBar().addWidget(self.org_label, 1)
        self.statusBar().addPermanentWidget(self.db_label)
        self._build_menu()
        self.refresh_status()
        self.nav.setCurrentRow(0)

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&Файл")
        backups = QAction("Резервные копии…", self)
        backups.setToolTip("Создать резервную копию базы или восстановить базу из копии")
        backups.triggered.connect(self.show_backups)
        file_menu.addAction(backups)
        reports = QAction("Отчёты…", self)
        reports.setShortcut(QKeySequence("Ctrl+P"))
        reports.setToolTip("Сформировать отчёт PDF или Excel")
        reports.triggered.connect(lambda: self.show_reports())
        file_menu.addAction(reports)
        server = QAction("Подключение к серверу…", self)
        server.setToolTip("Работать с базой на сервере PostgreSQL регионального центра (ЦОКО)")
        server.triggered.connect(self.show_server_dialog)
        file_menu.addAction(server)
        file_menu.addSeparator()
        quit_action = QAction("Выход", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setToolTip("Закрыть программу (Ctrl+Q)")
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        go_menu = self.menuBar().addMenu("&Переход")
        for i, (_key, title, _m) in enumerate(PAGES):
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.setToolTip(f"Открыть страницу «{title}» (Ctrl+{i + 1})")
            action.triggered.connect(lambda _=False, row=i: self.nav.setCurrentRow(row))
            go_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Справка")
        guide = QAction("Руководство пользователя", self)
        guide.setShortcut(QKeySequence(Qt.Key.Key_F1))
        guide.setToolTip("Краткое руководство по работе с программой (F1)")
        guide.triggered.connect(self.show_user_guide)
        help_menu.addAction(guide)
        about = QAction("О программе", self)
        about.triggered.connect(self.show_about)
        about.setToolTip("Версия программы и лицензии")
        help_menu.addAction(about)
        for menu in (file_menu, go_menu, help_menu):
            menu.setToolTipsVisible(True)

    def refresh_status(self) -> None:
        org = self.ctx.own_org()
        if org:
            self.org_label.setText(f"Организация: {org[1]} ({org[0]})")
        else:
            self.org_label.setText("Организация не выбрана")
        self.db_label.setText(f"База: {self.ctx.db_label}")

    def page(self, key: str) -> QWidget:
        """The page for ``key``, created on first use (keeps start-up fast)."""
        if key not in self._pages:
            module = next(m for k, _t, m in PAGES if k == key)
            widget = import_module(f"{__package__}.views.{module}").Page(self.ctx)
            self._pages[key] = widget
            self.stack.addWidget(widget)
        return self._pages[key]

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        key = PAGES[row][0]
        widget = self.page(key)
        self.stack.setCurrentWidget(widget)
        if hasattr(widget, "refresh"):
            widget.refresh()

    def visit_all_pages(self) -> Iterator[QWidget]:
        """Open every page once (self-test, screenshots)."""
        for row in range(len(PAGES)):
            self.nav.setCurrentRow(row)
            yield self.stack.currentWidget()
        self.nav.setCurrentRow(0)

    def show_user_guide(self) -> None:
        from .dialogs.user_guide import UserGuideDialog

        UserGuideDialog(self).show()

    def _settings(self):
        from PySide6.QtCore import QSettings

        from ..paths import user_data_dir

        # An INI file in the data folder (not the registry): travels with the data, private in tests.
        return QSettings(str(user_data_dir() / "window.ini"), QSettings.Format.IniFormat)

    def restore_window_state(self) -> None:
        settings = self._settings()
        geometry = settings.value("main/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        row = settings.value("main/page", 0, type=int)
        if 0 <= row < len(PAGES):
            self.nav.setCurrentRow(row)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        settings = self._settings()
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/page", self.nav.currentRow())
        settings.sync()
        super().closeEvent(event)

    def show_backups(self) -> None:
        from .dialogs.backups import BackupsDialog

        BackupsDialog(self.ctx, self).exec()
        self.refresh_status()

    def show_reports(self, kind: str | None = None) -> None:
        from .dialogs.report_dialog import ReportDialog

        ReportDialog(self.ctx, self, kind=kind).exec()

    def show_server_dialog(self) -> None:
        from .dialogs.server import ServerDialog

        dialog = ServerDialog(self.ctx, self)
        if dialog.exec() and dialog.saved_url:
            self.switch_database(dialog.saved_url)

    def switch_database(self, db: str) -> bool:
        """Open ``db`` (the safe way, as at start-up) and rebuild the pages on it; the old one stays
        open if the new one cannot be opened."""
        from PySide6.QtWidgets import QMessageBox

        from ..errors import ErsokoError
        from .application import open_context

        try:
            new = open_context(db)
        except ErsokoError as exc:
            QMessageBox.warning(self, APP_NAME, str(exc))
            return False
        row = self.nav.currentRow()
        self.ctx.switch_to(new)
        for widget in self._pages.values():
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self._pages.clear()
        self.setWindowTitle(APP_NAME + (" — демонстрационная база" if self.ctx.demo else ""))
        self.refresh_status()
        self._show_row(row)
        return True

    def show_about(self) -> None:
        from .dialogs.about import AboutDialog

        AboutDialog(self).exec()
