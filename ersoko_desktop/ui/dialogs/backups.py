"""Резервные копии: list, make one now, restore one (the current state is kept as a copy)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from ...db import open_database, sqlite_path
from ...db.backup import backup_sqlite, list_backups, restore_backup
from ...errors import ErsokoError
from ...paths import backups_dir


def restore_into_context(ctx, backup: Path) -> Path | None:
    """Close the database, put the copy in place, reopen; pages refresh through ``data_changed``."""
    db_file = sqlite_path(str(ctx.engine.url))
    if db_file is None:
        raise ErsokoError("Восстановление из копии доступно только для файла SQLite.")
    if getattr(ctx, "opened", None) is not None:
        ctx.opened.wait_for_background()  # the day's backup may still be copying the file
    ctx.engine.dispose()
    try:
        safety = restore_backup(backup, db_file)
    finally:
        ctx.engine = open_database(str(db_file))
        if getattr(ctx, "opened", None) is not None:
            ctx.opened.engine = ctx.engine
    ctx.data_changed()
    return safety


class BackupsDialog(QDialog):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.db_file = sqlite_path(str(ctx.engine.url))
        self.setWindowTitle("Резервные копии базы данных")
        self.setMinimumSize(620, 420)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Программа сама делает копию базы каждый день при первом запуске, перед обновлением схемы "
            "и перед загрузкой данных; хранятся последние копии каждого вида. "
            "При восстановлении текущее состояние базы тоже сохраняется копией."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget()
        self.list.setToolTip("Выберите копию и нажмите «Восстановить»")
        self.list.itemDoubleClicked.connect(lambda _item: self.restore_selected())
        layout.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.create_button = QPushButton("Создать копию сейчас")
        self.create_button.setToolTip("Сохранить копию текущей базы в папку резервных копий")
        self.create_button.clicked.connect(self.create_now)
        self.restore_button = QPushButton("Восстановить…")
        self.restore_button.setToolTip("Заменить базу выбранной копией (текущая база сохраняется)")
        self.restore_button.clicked.connect(self.restore_selected)
        folder = QPushButton("Открыть папку")
        folder.setToolTip(str(backups_dir()))
        folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(backups_dir()))))
        close = QPushButton("Закрыть")
        close.clicked.connect(self.accept)
        for b in (self.create_button, self.restore_button, folder):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        if self.db_file is None:
            self.create_button.setEnabled(False)
            self.restore_button.setEnabled(False)
        self.reload()

    def reload(self) -> None:
        self.list.clear()
        if self.db_file is None:
            self.list.addItem("База на сервере: резервные копии делает администратор сервера.")
            return
        for info in list_backups(self.db_file):
            item = QListWidgetItem(f"{info.label}   ({info.size / 1e6:.1f} МБ)")
            item.setData(Qt.ItemDataRole.UserRole, str(info.path))
            item.setToolTip(str(info.path))
            self.list.addItem(item)
        self.restore_button.setEnabled(self.list.count() > 0)
        if self.list.count():
            self.list.setCurrentRow(0)

    def create_now(self) -> Path | None:
        try:
            path = backup_sqlite(self.db_file, "manual")  # type: ignore[arg-type]
        except (ErsokoError, OSError) as exc:
            QMessageBox.warning(self, "Копия не создана", str(exc))
            return None
        self.reload()
        return path

    def selected(self) -> Path | None:
        item = self.list.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item else None
        return Path(value) if value else None

    def restore_selected(self, *, confirm: bool = True) -> bool:
        backup = self.selected()
        if backup is None:
            return False
        if confirm and QMessageBox.question(
            self, "Восстановить базу",
            f"Заменить текущую базу копией «{self.list.currentItem().text()}»?\n"
            "Изменения, сделанные после этой копии, пропадут из базы (текущее состояние будет сохранено отдельной копией).",
        ) != QMessageBox.StandardButton.Yes:
            return False
        try:
            restore_into_context(self.ctx, backup)
        except (ErsokoError, OSError) as exc:
            QMessageBox.warning(self, "База не восстановлена", str(exc))
            return False
        self.reload()
        if confirm:
            QMessageBox.information(self, "Готово", "База восстановлена из резервной копии.")
        return True
