"""Результаты: procedures and their participant results (lazy table)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTableView

from ...services.results_browse import count_results, fetch_results, list_procedures
from ..table_models.lazy_query import LazyQueryModel
from ..widgets import PageBase

HEADERS = ["Код ОО", "Код участника", "Класс", "Вариант", "Баллы по заданиям", "Первичный балл", "Отметка",
           "Отметка по журналу"]


class Page(PageBase):
    title = "Результаты оценочных процедур"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Процедура:"))
        self.procedure = QComboBox()
        self.procedure.setMinimumWidth(420)
        self.procedure.currentIndexChanged.connect(self._load)
        bar.addWidget(self.procedure)
        bar.addStretch(1)
        self.count = QLabel()
        bar.addWidget(self.count)
        self.body.addLayout(bar)
        self.table = QTableView()
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.body.addWidget(self.table, 1)

    def refresh(self) -> None:
        current = self.procedure.currentData()
        with self.ctx.session() as session:
            procs = list_procedures(session)
        self.procedure.blockSignals(True)
        self.procedure.clear()
        for p in procs:
            self.procedure.addItem(p.label, p.id)
        self.procedure.blockSignals(False)
        index = self.procedure.findData(current)
        self.procedure.setCurrentIndex(index if index >= 0 else 0)
        self._load()

    def _load(self) -> None:
        proc_id = self.procedure.currentData()
        if proc_id is None:
            self.table.setModel(None)
            self.count.setText("Нет загруженных результатов")
            return
        with self.ctx.session() as session:
            total = count_results(session, procedure_id=proc_id)

        def fetch(offset: int, limit: int):
            with self.ctx.session() as session:
                return fetch_results(session, procedure_id=proc_id, offset=offset, limit=limit)

        model = LazyQueryModel(HEADERS, fetch, total, self.table)
        self.table.setModel(model)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.count.setText(f"Участников: {total}")
        self.table.horizontalHeader().resizeSection(4, 260)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
