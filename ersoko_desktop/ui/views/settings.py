"""Настройки: the database (and the server connection), this organization, the thresholds of the signs.

Thresholds are described, validated and stored by :mod:`services.thresholds` (Qt-free); this page
shows one row per parameter: value, unit, default, and a tooltip saying what it means.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ... import __version__
from ...errors import ErsokoError, InputError
from ...paths import user_data_dir
from ...services.thresholds import GROUPS, SPEC_BY_KEY, format_number, reset_thresholds, save_thresholds, threshold_rows
from ..widgets import PageBase, hint_label

ERROR_STYLE = "QLineEdit { border: 1px solid #c62828; background: #fdecea; }"


class Page(PageBase):
    title = "Настройки"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 12, 0)
        scroll.setWidget(content)
        self.body.addWidget(scroll, 1)

        general = QGroupBox("База данных и организация")
        form = QFormLayout(general)
        self.db = QLabel()
        self.org = QLabel()
        self.data_dir = QLabel()
        self.version = QLabel(__version__)
        for w in (self.db, self.org, self.data_dir):
            w.setWordWrap(True)
        self.server_button = QPushButton("Подключение к серверу…")
        self.server_button.setToolTip("Работать с базой на сервере PostgreSQL регионального центра (ЦОКО): "
                                      "адрес, роль, пароль, проверка подключения")
        self.server_button.clicked.connect(self.open_server_dialog)
        db_row = QHBoxLayout()
        db_row.addWidget(self.db, 1)
        db_row.addWidget(self.server_button)
        form.addRow("База данных:", db_row)
        form.addRow("Организация:", self.org)
        form.addRow("Папка данных:", self.data_dir)
        form.addRow("Версия программы:", self.version)
        column.addWidget(general)

        self.fields: dict[str, QLineEdit] = {}
        self.defaults: dict[str, QLabel] = {}
        groups: dict[str, QFormLayout] = {}
        for group, title in GROUPS.items():
            box = QGroupBox(f"Пороги: {title}")
            groups[group] = QFormLayout(box)
            column.addWidget(box)
        for spec in SPEC_BY_KEY.values():
            edit = QLineEdit()
            edit.setMaximumWidth(90)
            edit.setToolTip(spec.tooltip)
            edit.setObjectName(spec.key)
            unit = QLabel(spec.unit)
            unit.setMinimumWidth(36)
            default = QLabel(f"по умолчанию {format_number(spec.default)}")
            default.setProperty("role", "hint")
            row = QHBoxLayout()
            row.addWidget(edit)
            row.addWidget(unit)
            row.addWidget(default)
            row.addStretch(1)
            label = QLabel(spec.label + ":")  # one line: wrapped labels get clipped in a form layout
            label.setToolTip(spec.tooltip)
            groups[spec.group].addRow(label, row)
            self.fields[spec.key] = edit
            self.defaults[spec.key] = default
        column.addWidget(hint_label(
            "Пороги действуют для этой базы: на странице «Показатели», в отчётах и в «ersoko objectivity» "
            "(параметры командной строки важнее). Наведите указатель на параметр — появится пояснение."))
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Сохранить пороги")
        self.save_button.setToolTip("Проверить значения и сохранить их в базе")
        self.save_button.clicked.connect(self.save_thresholds)
        self.reset_button = QPushButton("Сбросить по умолчанию")
        self.reset_button.setToolTip("Вернуть все пороги к значениям по умолчанию (методика, GUIDE §4)")
        self.reset_button.clicked.connect(self.reset_thresholds)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.status = QLabel()
        self.status.setWordWrap(True)
        column.addWidget(self.status)
        column.addStretch(1)

    def refresh(self) -> None:
        self.db.setText(self.ctx.db_label)
        org = self.ctx.own_org()
        self.org.setText(f"{org[1]} ({org[0]})" if org else "не выбрана")
        self.data_dir.setText(str(user_data_dir()))
        self.load_thresholds()

    def load_thresholds(self) -> None:
        with self.ctx.session() as session:
            rows = threshold_rows(session)
        for row in rows:
            edit = self.fields[row.spec.key]
            edit.setText(format_number(row.value))
            edit.setStyleSheet("")
            self.defaults[row.spec.key].setText(
                f"по умолчанию {format_number(row.spec.default)}" + ("" if row.is_default else " · изменено"))

    def values(self) -> dict[str, str]:
        return {key: edit.text() for key, edit in self.fields.items()}

    def save_thresholds(self) -> None:
        for edit in self.fields.values():
            edit.setStyleSheet("")
        try:
            with self.ctx.session() as session:
                changed = save_thresholds(session, self.values())
        except InputError as exc:
            labels = {d.column for d in exc.diagnostics}
            for key, edit in self.fields.items():
                if SPEC_BY_KEY[key].label in labels:
                    edit.setStyleSheet(ERROR_STYLE)
            self.status.setText("\n".join([exc.message] + [d.message for d in exc.diagnostics]))
            return
        except ErsokoError as exc:  # e.g. a read-only server role
            self.status.setText(str(exc))
            return
        self.load_thresholds()
        self.status.setText("Пороги сохранены: " + "; ".join(changed) + "." if changed
                            else "Пороги не изменились.")
        self.ctx.data_changed()

    def reset_thresholds(self, *, confirm: bool = True) -> None:
        if confirm and QMessageBox.question(
                self, "Сбросить пороги", "Вернуть все пороги признаков и ШНОР к значениям по умолчанию?"
        ) != QMessageBox.StandardButton.Yes:
            return
        try:
            with self.ctx.session() as session:
                changed = reset_thresholds(session)
        except ErsokoError as exc:
            self.status.setText(str(exc))
            return
        self.load_thresholds()
        self.status.setText(f"Восстановлены значения по умолчанию ({len(changed)} изменено)." if changed
                            else "Все пороги уже по умолчанию.")
        self.ctx.data_changed()

    def open_server_dialog(self) -> None:
        window = self.window()
        if hasattr(window, "show_server_dialog"):
            window.show_server_dialog()  # the main window switches the database after saving
            return
        from ..dialogs.server import ServerDialog

        ServerDialog(self.ctx, self).exec()
