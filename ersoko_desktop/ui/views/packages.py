"""Пакеты: own key, export wizard, verify-then-import, the package journal and the trust list."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...db import session_scope
from ...services import keys as key_service
from ...services import packages as package_service
from .. import tasks
from ..dialogs.packages import KEY_STATUS_RU, ExportDialog, VerifyReportDialog
from ..widgets import PageBase, hint_label

DIRECTION_RU = {"export": "выгружен", "import": "загрузка", "verify": "проверка"}
RESULT_RU = {"ok": "успешно", "refused": "отклонён", "duplicate": "повтор (без изменений)", "error": "ошибка"}
ROLE_RU = {"school": "школа", "municipality": "муниципалитет", "region": "регион"}


# Worker-thread calls: each opens its own session (one transaction) and calls one service.
def _export(*, engine, choice, passphrase, progress):
    with session_scope(engine) as s:
        return package_service.export_package(s, out=choice.out, recipient=choice.recipient, period=choice.period,
                                              encrypt_to=choice.encrypt_to, passphrase=passphrase, progress=progress)


def _export_trust(*, engine, out, passphrase, progress):
    with session_scope(engine) as s:
        return package_service.export_trust_list(s, out=out, passphrase=passphrase, progress=progress)


def _verify(*, engine, path, passphrase, progress):
    with session_scope(engine) as s:
        return package_service.verify_package(s, path, passphrase=passphrase, progress=progress)


def _import(*, engine, path, passphrase, accept_incoming, progress):
    with session_scope(engine) as s:
        return package_service.import_package(s, path, passphrase=passphrase, accept_incoming=accept_incoming,
                                              progress=progress)


def _table(headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
    table.resizeColumnsToContents()


class Page(PageBase):
    title = "Пакеты"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.key_label = QLabel()
        self.key_label.setWordWrap(True)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.key_label)
        actions = QHBoxLayout()
        self.create_key_button = QPushButton("Создать ключ подписи")
        self.create_key_button.setToolTip("Создать ключ подписи своей организации (один раз)")
        self.create_key_button.clicked.connect(self.create_key)
        self.export_public_button = QPushButton("Сохранить открытый ключ…")
        self.export_public_button.setToolTip("Файл открытого ключа для муниципалитета или ЦОКО: они сверят его "
                                             "отпечаток с карточкой ключа")
        self.export_public_button.clicked.connect(self.export_public)
        self.export_button = QPushButton("Выгрузить пакет…")
        self.export_button.setToolTip("Подписать и сохранить пакет с данными за период для вышестоящей организации "
                                      "(Ctrl+E)")
        self.export_button.setShortcut("Ctrl+E")
        self.export_button.clicked.connect(self.open_export)
        self.import_button = QPushButton("Проверить и загрузить пакет…")
        self.import_button.setToolTip("Проверить подпись и содержимое пакета, затем загрузить его (Ctrl+O)")
        self.import_button.setShortcut("Ctrl+O")
        self.import_button.clicked.connect(self.open_import)
        self.trust_export_button = QPushButton("Выгрузить список доверия…")
        self.trust_export_button.setToolTip("Подписанный список ключей, которым доверяет эта организация, — "
                                            "для школ или ЦОКО")
        self.trust_export_button.clicked.connect(self.export_trust)
        # Two rows (the key under its description, then the packages): five buttons in one row are cut
        # at 1280 px.
        key_actions = QHBoxLayout()
        for button in (self.create_key_button, self.export_public_button, self.trust_export_button):
            key_actions.addWidget(button)
        key_actions.addStretch(1)
        self.body.addLayout(key_actions)
        self.export_button.setProperty("accent", True)
        for button in (self.export_button, self.import_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.body.addLayout(actions)

        self.tabs = QTabWidget()
        journal_tab = QWidget()
        journal_layout = QVBoxLayout(journal_tab)
        filters = QHBoxLayout()
        self.direction_filter = QComboBox()
        self.direction_filter.addItem("Все действия", None)
        for code, title in DIRECTION_RU.items():
            self.direction_filter.addItem(title.capitalize(), code)
        self.direction_filter.setToolTip("Показать только выгрузки, загрузки или проверки")
        self.result_filter = QComboBox()
        self.result_filter.addItem("Любой результат", None)
        for code, title in RESULT_RU.items():
            self.result_filter.addItem(title.capitalize(), code)
        self.result_filter.setToolTip("Показать только успешные, отклонённые или повторные пакеты")
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Организация, файл или текст…")
        self.text_filter.setToolTip("Показать строки журнала, где есть этот текст (код организации, имя файла, сообщение)")
        self.text_filter.setClearButtonEnabled(True)
        for caption, widget in (("Действие:", self.direction_filter), ("Результат:", self.result_filter),
                                ("Поиск:", self.text_filter)):
            label = QLabel(caption)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addStretch(1)
        journal_layout.addLayout(filters)
        self.journal = _table(["Когда (UTC)", "Действие", "Результат", "Отправитель", "№", "Получатель", "Файл",
                               "Сообщение"], 7)
        journal_layout.addWidget(self.journal, 1)
        self.tabs.addTab(journal_tab, "Журнал пакетов")
        self.direction_filter.currentIndexChanged.connect(self._fill_journal)
        self.result_filter.currentIndexChanged.connect(self._fill_journal)
        self.text_filter.textChanged.connect(self._fill_journal)
        trust_tab = QWidget()
        trust_layout = QVBoxLayout(trust_tab)
        self.trusted = _table(["Организация", "Роль", "Статус", "Отпечаток", "Добавлен", "Примечание"], 3)
        trust_layout.addWidget(self.trusted)
        trust_buttons = QHBoxLayout()
        for text, slot, tip in (
                ("Добавить ключ из файла…", self.trust_file,
                 "Доверять открытому ключу другой организации — только сверив отпечаток с карточкой"),
                ("Вывести из обращения", self.retire_selected,
                 "Ключ больше не используется; старые пакеты, подписанные им, остаются действительными"),
                ("Отозвать", self.revoke_selected, "Ключ скомпрометирован: его пакеты больше не принимаются (необратимо)")):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            trust_buttons.addWidget(button)
        trust_buttons.addStretch(1)
        trust_layout.addLayout(trust_buttons)
        trust_layout.addWidget(hint_label("Добавляйте ключ, только сверив его отпечаток с бумажной карточкой ключа. "
                                          "Отзыв ключа необратим: пакеты, подписанные им, больше не принимаются."))
        self.tabs.addTab(trust_tab, "Доверенные ключи")
        self.body.addWidget(self.tabs, 1)
        from ..remember import Remember

        self.remember = Remember(ctx, "packages")
        self.remember.combo("direction", self.direction_filter)
        self.remember.combo("result", self.result_filter)
        self.remember.line("text", self.text_filter)
        self.remember.tabs("tab", self.tabs)
        self.journal_rows = []
        self.last_report = None
        self.last_import = None
        self.last_export = None

    # ------------------------------------------------------------------ state
    def refresh(self) -> None:
        with self.ctx.session() as s:
            org = self._own_org(s)
            info = key_service.show_key(s) if org is not None and key_service.own_key(s) else None
            journal = package_service.list_packages(s)
            trusted = key_service.list_trusted(s)
        if org is None:
            self.key_label.setText("У базы не выбрана своя организация — пройдите первый запуск (Настройки).")
        elif info is None:
            self.key_label.setText(f"<b>{org.code} — {org.name}</b>: ключа подписи ещё нет. Создайте его, "
                                   "чтобы выгружать пакеты.")
        else:
            lock = " (защищён паролем)" if info.encrypted else ""
            self.key_label.setText(f"<b>{info.org_code} — {info.org_name}</b><br>Отпечаток ключа{lock}: "
                                   f"<span style='font-family:monospace'>{info.fingerprint}</span><br>"
                                   f"Следующий номер пакета: {info.next_seq}")
        has_key = info is not None
        self.create_key_button.setVisible(org is not None and not has_key)
        for button in (self.export_public_button, self.export_button):
            button.setEnabled(has_key)
        self.import_button.setEnabled(org is not None)
        self.trust_export_button.setVisible(org is not None and org.kind in ("municipality", "region"))
        self.trust_export_button.setEnabled(has_key)
        self.journal_rows = journal
        self.remember.restore(quiet=True)
        self._fill_journal()
        _fill(self.trusted, [[k.org_code, ROLE_RU.get(k.role, k.role), KEY_STATUS_RU.get(k.status, k.status),
                              k.fingerprint, f"{k.added_at:%d.%m.%Y}", k.note] for k in trusted])

    def _fill_journal(self) -> None:
        direction, result = self.direction_filter.currentData(), self.result_filter.currentData()
        text = self.text_filter.text().strip().casefold()
        rows = []
        for r in self.journal_rows:
            if direction and r.direction != direction or result and r.result != result:
                continue
            values = [f"{r.created_at:%d.%m.%Y %H:%M}", DIRECTION_RU.get(r.direction, r.direction),
                      RESULT_RU.get(r.result, r.result), r.sender_org, r.seq, r.recipient_org, r.file_name, r.message]
            if text and text not in " ".join("" if v is None else str(v) for v in values).casefold():
                continue
            rows.append(values)
        _fill(self.journal, rows)

    @staticmethod
    def _own_org(session):
        from ...settings import own_organization

        return own_organization(session)

    def _passphrase(self) -> tuple[bool, str | None]:
        """Ask for the key password only when the private key has one."""
        with self.ctx.session() as s:
            info = key_service.show_key(s) if key_service.own_key(s) else None
        if info is None or not info.encrypted:
            return True, None
        text, ok = QInputDialog.getText(self, "Пароль ключа", "Пароль закрытого ключа:", QLineEdit.EchoMode.Password)
        return ok, text or None

    # ------------------------------------------------------------------ keys
    def create_key(self) -> None:
        text, ok = QInputDialog.getText(self, "Ключ подписи", "Пароль для закрытого ключа (можно оставить пустым):",
                                        QLineEdit.EchoMode.Password)
        if not ok:
            return
        try:
            with self.ctx.session() as s:
                info = key_service.init_key(s, passphrase=text or None)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            tasks.show_error(self, exc)
            return
        QMessageBox.information(self, "Ключ создан", f"Отпечаток ключа:\n{info.fingerprint}\n\n"
                                "Распечатайте карточку ключа и передайте её вышестоящей организации.")
        self.refresh()

    def export_public(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Сохранить открытый ключ", "public-key.json", "Ключ ЕРСОКО (*.json)")
        if not name:
            return
        try:
            with self.ctx.session() as s:
                key_service.export_public(s, out=name)
        except Exception as exc:  # noqa: BLE001
            tasks.show_error(self, exc)

    def trust_file(self, path: str | None = None, role: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Открытый ключ организации", "", "Ключ ЕРСОКО (*.json);;Все файлы (*)")
        if not path:
            return
        try:
            with self.ctx.session() as s:
                doc = key_service.parse_public_key_file(path)
            answer = QMessageBox.question(
                self, "Доверять ключу?",
                f"Организация: {doc.org_code} {doc.org_name}\nРоль: {ROLE_RU.get(doc.kind, doc.kind)}\n\n"
                f"Отпечаток:\n{doc.fingerprint}\n\nОтпечаток совпадает с бумажной карточкой ключа?")
            if answer != QMessageBox.StandardButton.Yes:
                return
            with self.ctx.session() as s:
                key_service.trust_file(s, path, role=role)
        except Exception as exc:  # noqa: BLE001
            tasks.show_error(self, exc)
        self.refresh()

    def _selected_fingerprint(self) -> str | None:
        row = self.trusted.currentRow()
        item = self.trusted.item(row, 3) if row >= 0 else None
        return item.text() if item else None

    def _change_status(self, action, question: str) -> None:
        fp = self._selected_fingerprint()
        if fp is None:
            QMessageBox.information(self, "Ключи", "Выберите ключ в таблице.")
            return
        if QMessageBox.question(self, "Ключи", f"{question}\n{fp}") != QMessageBox.StandardButton.Yes:
            return
        try:
            with self.ctx.session() as s:
                action(s, fp)
        except Exception as exc:  # noqa: BLE001
            tasks.show_error(self, exc)
        self.refresh()

    def retire_selected(self) -> None:
        self._change_status(key_service.retire, "Вывести ключ из обращения?")

    def revoke_selected(self) -> None:
        self._change_status(key_service.revoke, "Отозвать ключ навсегда? Пакеты, подписанные им, больше не будут приниматься.")

    # ------------------------------------------------------------------ export
    def export_dialog(self) -> ExportDialog:
        from sqlalchemy import select

        from ...db.models import Organization

        with self.ctx.session() as s:
            org = self._own_org(s)
            recipients = [(o.code, o.name) for o in s.scalars(
                select(Organization).where(Organization.kind != "school").order_by(Organization.kind, Organization.code))
                if o.code != org.code]
            default = org.parent.code if org.parent else None
            seq = key_service.show_key(s).next_seq
            suggested = str(Path.home() / f"{org.code}-{seq}.zip")
        return ExportDialog(self, recipients, default, suggested)

    def open_export(self) -> None:
        dialog = self.export_dialog()
        dialog.accepted.connect(lambda: self.start_export(dialog.choice()))
        dialog.open()

    def start_export(self, choice) -> tasks.Task | None:
        ok, passphrase = self._passphrase()
        if not ok or choice is None:
            return None
        return tasks.run(self, _export, title="Выгрузка пакета", on_done=self._exported, engine=self.ctx.engine,
                         choice=choice, passphrase=passphrase)

    def _exported(self, result) -> None:
        self.last_export = result
        self.refresh()
        text = f"Пакет №{result.seq} сохранён:\n{result.path}"
        if result.nested:
            text += f"\n\nВложены пакеты школ: {', '.join(result.nested)}"
        if result.warnings:
            text += "\n\nПредупреждения:\n" + "\n".join(result.warnings)
        QMessageBox.information(self, "Выгрузка пакета", text)

    def export_trust(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Сохранить список доверия", "trust-list.zip", "Пакет ЕРСОКО (*.zip)")
        if not name:
            return
        ok, passphrase = self._passphrase()
        if ok:
            tasks.run(self, _export_trust, title="Список доверия", on_done=self._exported, engine=self.ctx.engine,
                      out=Path(name), passphrase=passphrase)

    # ------------------------------------------------------------------ verify → import
    def open_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Пакет для загрузки", "", "Пакет ЕРСОКО (*.zip *.ersoko *.bin);;Все файлы (*)")
        if name:
            self.start_verify(Path(name))

    def start_verify(self, path: Path) -> tasks.Task | None:
        ok, passphrase = self._passphrase()
        if not ok:
            return None
        self._pending = (path, passphrase)
        return tasks.run(self, _verify, title="Проверка пакета", on_done=self._verified, engine=self.ctx.engine,
                         path=path, passphrase=passphrase)

    def _verified(self, report) -> None:
        """No data has been written yet, only the verification journalled: the user sees the report and decides."""
        self.last_report = report
        self.refresh()
        self.report_dialog = VerifyReportDialog(self, report)
        self.report_dialog.accepted.connect(self.start_import)
        self.report_dialog.open()

    def start_import(self) -> tasks.Task:
        path, passphrase = self._pending
        dialog = getattr(self, "report_dialog", None)
        accept = dialog is not None and dialog.accept_incoming.isChecked()
        return tasks.run(self, _import, title="Загрузка пакета", on_done=self._imported, engine=self.ctx.engine,
                         path=path, passphrase=passphrase, accept_incoming=accept)

    def _imported(self, result) -> None:
        self.last_import = result
        self.refresh()
        self.ctx.data_changed()
        lines = [result.message]
        if result.stats and result.stats.conflicts:
            lines.append("\nКонфликты (оставлены данные этой базы):")
            lines += [f"• {c.entity} {c.key}: {c.message}" for c in result.stats.conflicts[:30]]
        if result.stats and result.stats.overridden:
            lines.append("\nПриняты данные пакета (записано в журнал аудита):")
            lines += [f"• {c.entity} {c.key}: {c.message}" for c in result.stats.overridden[:30]]
        if result.backup:
            lines.append(f"\nРезервная копия базы: {result.backup}")
        box = QMessageBox.warning if result.status == "refused" else QMessageBox.information
        box(self, "Загрузка пакета", "\n".join(lines))
