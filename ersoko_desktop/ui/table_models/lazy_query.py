"""A read-only table model over rows fetched in pages (``fetchMore``): a million-row table
scrolls without loading every row."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

# fetch(offset, limit) -> list of row tuples
Fetcher = Callable[[int, int], Sequence[Sequence[Any]]]


class LazyQueryModel(QAbstractTableModel):
    PAGE = 500

    def __init__(self, headers: list[str], fetch: Fetcher, total: int, parent=None):
        super().__init__(parent)
        self.headers = headers
        self._fetch = fetch
        self.total = total
        self.rows: list[Sequence[Any]] = []

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                return ""
            if isinstance(value, float):
                return f"{value:g}"
            if isinstance(value, list):
                return " ".join("–" if v is None else f"{v:g}" if isinstance(v, float) else str(v) for v in value)
            return str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, (int, float)):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:  # noqa: N802
        if parent.isValid():
            return
        batch = list(self._fetch(len(self.rows), self.PAGE))
        if not batch:
            self.total = len(self.rows)
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(batch) - 1)
        self.rows.extend(batch)
        self.endInsertRows()
