"""Обзор: what is in the database, what is overdue, what is due soon."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem

from ...services.overview import dashboard
from ..widgets import PageBase, card, hint_label


def _fmt_date(d) -> str:
    return d.strftime("%d.%m.%Y") if d else ""


class Page(PageBase):
    title = "Обзор"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.cards = QGridLayout()
        self.body.addLayout(self.cards)
        self.body.addWidget(QLabel("<b>Просроченные мероприятия дорожных карт</b>"))
        self.overdue = self._table()
        self.body.addWidget(self.overdue)
        self.body.addWidget(QLabel("<b>Сроки в ближайшие 30 дней</b>"))
        self.upcoming = self._table()
        self.body.addWidget(self.upcoming)
        self.empty_hint = hint_label("")
        self.body.addWidget(self.empty_hint)

    def _table(self) -> QTableWidget:
        table = QTableWidget(0, 5)
        table.setHorizontalHeaderLabels(["№", "Мероприятие", "Начало", "Срок", "Дорожная карта"])
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setMaximumHeight(200)
        return table

    def refresh(self) -> None:
        with self.ctx.session() as session:
            board = dashboard(session)
        while self.cards.count():
            self.cards.takeAt(0).widget().deleteLater()
        orgs = board.organizations
        items = [
            ("Школ в реестре", orgs.get("school", 0)),
            ("Муниципалитетов", orgs.get("municipality", 0)),
            ("Оценочных процедур", board.procedures),
            ("Результатов участников", f"{board.results:,}".replace(",", " ")),
            ("Дорожных карт", board.roadmaps),
            ("Просрочено мероприятий", len(board.overdue)),
        ]
        for i, (t, v) in enumerate(items):
            self.cards.addWidget(card(t, str(v)), i // 3, i % 3)
        for table, rows in ((self.overdue, board.overdue), (self.upcoming, board.upcoming)):
            table.setRowCount(len(rows))
            for r, item in enumerate(rows):
                for c, v in enumerate([item.number or "", item.title, _fmt_date(item.start), _fmt_date(item.end), item.roadmap]):
                    table.setItem(r, c, QTableWidgetItem(v))
            table.resizeColumnToContents(0)
        self.empty_hint.setText("" if board.results else
                                "База пуста: загрузите реестр организаций и результаты оценочных процедур.")
