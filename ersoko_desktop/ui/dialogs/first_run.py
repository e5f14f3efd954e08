"""First run: choose the role and this database's organization, or open the demo."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from ...errors import ErsokoError
from ...services.orgs import import_registry
from ...services.setup import ROLES, FirstRunState


class FirstRunDialog(QDialog):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.state = FirstRunState()
        self.use_demo = False
        self.setWindowTitle("Первый запуск — ЕРСОКО Desktop")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel("Выберите, кто работает в программе, и свою организацию из реестра. "
                       "Реестр (CSV или XLSX) выдаёт муниципалитет или ЦОКО.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.role = QComboBox()
        for key, title in ROLES.items():
            self.role.addItem(title, key)
        self.role.currentIndexChanged.connect(self._role_changed)
        form.addRow("Роль:", self.role)
        self.org = QComboBox()
        self.org.setMinimumWidth(380)
        form.addRow("Организация:", self.org)
        layout.addLayout(form)
        self.registry_button = QPushButton("Загрузить реестр организаций…")
        self.registry_button.clicked.connect(self._load_registry)
        layout.addWidget(self.registry_button)
        buttons = QHBoxLayout()
        self.demo_button = QPushButton("Открыть демонстрационную базу")
        self.demo_button.clicked.connect(self._demo)
        self.ok_button = QPushButton("Начать работу")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self._accept)
        cancel = QPushButton("Выход")
        cancel.clicked.connect(self.reject)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok_button)
        layout.addLayout(buttons)
        self._role_changed()

    def _role_changed(self) -> None:
        self.state.role = self.role.currentData()
        with self.ctx.session() as session:
            candidates = self.state.candidates(session)
        self.org.clear()
        for code, name in candidates:
            self.org.addItem(f"{name} ({code})", code)
        self.ok_button.setEnabled(bool(candidates))

    def load_registry_file(self, path: str) -> None:
        try:
            with self.ctx.session() as session:
                report = import_registry(session, path)
        except ErsokoError as exc:
            QMessageBox.warning(self, "Реестр не загружен", str(exc))
            return
        QMessageBox.information(self, "Реестр загружен",
                                f"Добавлено организаций: {report.created}, изменено: {report.updated}.")
        self._role_changed()

    def _load_registry(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Реестр организаций", "", "Таблицы (*.csv *.xlsx *.xls)")
        if path:
            self.load_registry_file(path)

    def _demo(self) -> None:
        self.use_demo = True
        self.accept()

    def _accept(self) -> None:
        self.state.org_code = self.org.currentData()
        try:
            with self.ctx.session() as session:
                self.state.apply(session)
        except ErsokoError as exc:
            QMessageBox.warning(self, "Проверьте выбор", str(exc))
            return
        self.accept()
