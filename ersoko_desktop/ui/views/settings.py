"""Настройки: the database, this organization, the data folder."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel

from ... import __version__
from ...paths import user_data_dir
from ..widgets import PageBase


class Page(PageBase):
    title = "Настройки"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        form = QFormLayout()
        self.db = QLabel()
        self.org = QLabel()
        self.data_dir = QLabel()
        self.version = QLabel(__version__)
        for w in (self.db, self.org, self.data_dir):
            w.setWordWrap(True)
        form.addRow("База данных:", self.db)
        form.addRow("Организация:", self.org)
        form.addRow("Папка данных:", self.data_dir)
        form.addRow("Версия программы:", self.version)
        self.body.addLayout(form)
        self.body.addStretch(1)

    def refresh(self) -> None:
        self.db.setText(self.ctx.db_label)
        org = self.ctx.own_org()
        self.org.setText(f"{org[1]} ({org[0]})" if org else "не выбрана")
        self.data_dir.setText(str(user_data_dir()))
