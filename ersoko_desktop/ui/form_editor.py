"""A form editor generated from a definition: no form is hand-coded in Qt.

Every field becomes an input by its type; every edit re-runs the same validation the import and
the receiving level run (``formspec.validate``), so an invalid field turns red at once with the
Russian message under it, computed fields update, and the validation panel lists the rest.
"""

from __future__ import annotations

from typing import Any, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..formspec import FieldSpec, FormSpec, ValidationResult, display, validate
from ..formspec.validation import score

INVALID_STYLE = "border: 1px solid #d64545; background: #fdecec;"
WARNING_STYLE = "border: 1px solid #d9a400; background: #fff8e1;"
COMPUTED_STYLE = "background: #eeeeee; color: #333333;"
EMPTY_CHOICE = "— не выбрано —"


class FormEditor(QWidget):
    """Inputs for one :class:`FormSpec`. ``validated`` fires after every re-validation."""

    validated = Signal(object)  # ValidationResult
    changed = Signal()
    attach_requested = Signal(str)  # field id

    def __init__(self, spec: FormSpec, values: Mapping[str, Any] | None = None, *, read_only: bool = False,
                 check_required: bool = False, evidence: Mapping[str, list[dict]] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.read_only = read_only
        self.check_required = check_required
        self.evidence = dict(evidence or {})
        self.inputs: dict[str, QWidget] = {}
        self.messages: dict[str, QLabel] = {}
        self.result: ValidationResult | None = None
        self._loading = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.score_label = QLabel()
        self.score_label.setObjectName("score")
        self.score_label.setStyleSheet("font-weight: 600; color: #0b3d91;")
        self.score_label.setVisible(spec.is_checklist)
        layout.addWidget(self.score_label)
        for section in spec.sections:
            box = QGroupBox(section.title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            if section.help:
                hint = QLabel(section.help)
                hint.setWordWrap(True)
                hint.setProperty("role", "hint")
                form.addRow(hint)
            for f in section.fields:
                label = QLabel(f.label + (" *" if f.required else "") + (f", {f.unit}" if f.unit else ""))
                label.setWordWrap(True)
                label.setMinimumWidth(260)
                if f.help:
                    label.setToolTip(f.help)
                holder = QWidget()
                column = QVBoxLayout(holder)
                column.setContentsMargins(0, 0, 0, 0)
                column.setSpacing(2)
                widget = self._make_input(f)
                widget.setObjectName(f.id)
                self.inputs[f.id] = widget
                column.addWidget(widget)
                if f.type == "table" and not read_only:
                    add = QPushButton("Добавить строку")
                    add.clicked.connect(lambda _=False, t=widget: self._add_row(t))
                    column.addWidget(add, 0, Qt.AlignmentFlag.AlignLeft)
                if f.type == "file" or f.evidence:
                    column.addWidget(self._evidence_row(f))
                message = QLabel()
                message.setObjectName(f"{f.id}__message")
                message.setWordWrap(True)
                message.setStyleSheet("color: #b42318;")
                message.hide()
                self.messages[f.id] = message
                column.addWidget(message)
                form.addRow(label, holder)
            layout.addWidget(box)
        layout.addStretch(1)
        self.set_values(values or {})

    # -------------------------------------------------------------- building inputs

    def _make_input(self, f: FieldSpec) -> QWidget:
        if f.type == "table":
            table = QTableWidget(0, len(f.columns))
            table.setHorizontalHeaderLabels([c.label + (f", {c.unit}" if c.unit else "") for c in f.columns])
            table.horizontalHeader().setStretchLastSection(True)
            table.setMinimumHeight(140)
            if self.read_only:
                table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.itemChanged.connect(self._on_edit)
            return table
        if f.type in ("yesno", "choice") and not f.computed:
            combo = QComboBox()
            combo.addItem(EMPTY_CHOICE, None)
            if f.type == "yesno":
                combo.addItem("Да", True)
                combo.addItem("Нет", False)
            else:
                for option in f.options:
                    combo.addItem(option.label, option.value)
            combo.setEnabled(not self.read_only)
            combo.currentIndexChanged.connect(self._on_edit)
            return combo
        line = QLineEdit()
        if f.computed or f.type == "file":
            line.setReadOnly(True)
            line.setStyleSheet(COMPUTED_STYLE)
            line.setPlaceholderText("вычисляется" if f.computed else "")
        else:
            line.setReadOnly(self.read_only)
            if f.type == "date":
                line.setPlaceholderText("ДД.ММ.ГГГГ")
            elif f.min is not None and f.max is not None:
                line.setPlaceholderText(f"от {f.min:g} до {f.max:g}")
            line.textChanged.connect(self._on_edit)
        return line

    def _evidence_row(self, f: FieldSpec) -> QWidget:
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        files = self.evidence.get(f.id, [])
        names = ", ".join(x["file_name"] for x in files) or "документы не прикреплены"
        label = QLabel(f"Подтверждение: {names}")
        label.setObjectName(f"{f.id}__evidence")
        label.setProperty("role", "hint")
        label.setWordWrap(True)
        h.addWidget(label, 1)
        if not self.read_only:
            button = QPushButton("Прикрепить…")
            button.clicked.connect(lambda _=False, fid=f.id: self.attach_requested.emit(fid))
            h.addWidget(button)
        return row

    def _add_row(self, table: QTableWidget) -> None:
        table.insertRow(table.rowCount())

    # -------------------------------------------------------------- values

    def set_values(self, values: Mapping[str, Any]) -> None:
        self._loading = True
        try:
            for f in self.spec.fields:
                widget = self.inputs[f.id]
                value = values.get(f.id)
                if isinstance(widget, QTableWidget):
                    rows = value or []
                    widget.setRowCount(len(rows) + (0 if self.read_only else 1))
                    for i, row in enumerate(rows):
                        for j, col in enumerate(f.columns):
                            widget.setItem(i, j, QTableWidgetItem(display(col, row.get(col.id))))
                elif isinstance(widget, QComboBox):
                    index = widget.findData(value) if value is not None else 0
                    widget.setCurrentIndex(max(index, 0))
                elif isinstance(widget, QLineEdit):
                    widget.setText(display(f, value))
        finally:
            self._loading = False
        self.revalidate()

    def raw_values(self) -> dict[str, Any]:
        """What the person entered, as raw values for ``formspec.validate`` (computed fields left out)."""
        out: dict[str, Any] = {}
        for f in self.spec.fields:
            if f.computed or f.type == "file":
                continue
            widget = self.inputs[f.id]
            if isinstance(widget, QTableWidget):
                rows = []
                for i in range(widget.rowCount()):
                    row = {}
                    for j, col in enumerate(f.columns):
                        item = widget.item(i, j)
                        row[col.id] = item.text() if item is not None else None
                    rows.append(row)
                out[f.id] = rows
            elif isinstance(widget, QComboBox):
                out[f.id] = widget.currentData()
            elif isinstance(widget, QLineEdit):
                out[f.id] = widget.text()
        return out

    # -------------------------------------------------------------- validation

    def _on_edit(self, *_args) -> None:
        if self._loading:
            return
        self.revalidate()
        self.changed.emit()

    def revalidate(self) -> ValidationResult:
        result = validate(self.spec, self.raw_values(), check_required=self.check_required)
        self.result = result
        self._loading = True
        try:
            for f in self.spec.fields:
                if f.computed:
                    line = self.inputs[f.id]
                    if isinstance(line, QLineEdit):
                        line.setText(display(f, result.values.get(f.id)))
            for f in self.spec.fields:
                issues = result.for_field(f.id)
                errors = [i for i in issues if i.severity == "error"]
                self._mark(f, errors or issues)
        finally:
            self._loading = False
        for box in self.findChildren(QGroupBox):  # messages appeared or vanished: rows change height
            box.layout().invalidate()
        if self.spec.is_checklist:
            got, top = score(self.spec, result.values)
            pct = got / top * 100 if top else 0
            self.score_label.setText(f"Баллы: {got:g} из {top:g} ({pct:.1f} %)".replace(".", ","))
        self.validated.emit(result)
        return result

    def _mark(self, f: FieldSpec, issues) -> None:
        widget = self.inputs[f.id]
        message = self.messages[f.id]
        severity = "error" if any(i.severity == "error" for i in issues) else ("warning" if issues else "")
        widget.setProperty("invalid", severity == "error")
        base = COMPUTED_STYLE if (f.computed or f.type == "file") else ""
        style = {"error": INVALID_STYLE, "warning": WARNING_STYLE}.get(severity, base)
        if isinstance(widget, QTableWidget):
            self._mark_cells(f, widget, issues)
            widget.setStyleSheet(f"QTableWidget {{{style}}}" if severity else "")
        else:
            widget.setStyleSheet(style)
        text = "\n".join(dict.fromkeys(i.message for i in issues))
        widget.setToolTip(text or (f.help or ""))
        message.setText(text)
        message.setStyleSheet("color: #b42318;" if severity == "error" else "color: #8a6100;")
        message.setVisible(bool(text))

    def _mark_cells(self, f: FieldSpec, table: QTableWidget, issues) -> None:
        from PySide6.QtGui import QBrush, QColor

        bad = {(i.row, i.column) for i in issues if i.row is not None}
        # issue rows count filled rows only; map them back to the table's rows
        filled = [r for r in range(table.rowCount())
                  if any((table.item(r, j) and table.item(r, j).text().strip()) for j in range(len(f.columns)))]
        for n, r in enumerate(filled, start=1):
            for j, col in enumerate(f.columns):
                item = table.item(r, j)
                if item is None:
                    item = QTableWidgetItem("")
                    table.setItem(r, j, item)
                item.setBackground(QBrush(QColor("#fdecec")) if (n, col.id) in bad else QBrush())

    def is_invalid(self, field_id: str) -> bool:
        return bool(self.inputs[field_id].property("invalid"))

    def message(self, field_id: str) -> str:
        return self.messages[field_id].text()
