"""A read-only table model over a pandas DataFrame (already small: aggregated indicators)."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor


class DataFrameModel(QAbstractTableModel):
    def __init__(self, frame, headers: list[str], parent=None, *, highlight_column: str | None = None):
        super().__init__(parent)
        self.frame = frame.reset_index(drop=True)
        self.headers = headers
        self._values = self.frame.to_numpy(dtype=object)
        self._highlight = (list(self.frame.columns).index(highlight_column)
                           if highlight_column in self.frame.columns else None)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._values)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._values[index.row(), index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return format_cell(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and self._highlight is not None \
                and self._values[index.row(), self._highlight]:
            return QBrush(QColor("#fdecea"))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


def format_cell(value: Any) -> str:
    """Russian decimal comma; undefined (NaN/None) shows as «—»."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "да" if value else ""
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        text = f"{value:.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:.1f}"
        return text.replace(".", ",")
    if hasattr(value, "item"):
        return format_cell(value.item())
    return str(value)
