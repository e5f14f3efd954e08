"""Dialogs of the «Пакеты» page: the export wizard and the verification report shown before import."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

KIND_RU = {"school-report": "отчёт школы", "municipal-report": "отчёт муниципалитета", "trust-list": "список доверия"}
KEY_STATUS_RU = {"active": "действует", "retired": "выведен из обращения", "revoked": "отозван"}
STATUS_RU = {"new": "новый, ещё не загружен", "duplicate": "уже загружен ранее", "refused": "отклонён"}


@dataclass
class ExportChoice:
    out: Path
    recipient: str | None
    period: str | None
    encrypt_to: Path | None


def _browse_row(edit: QLineEdit, pick) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = QPushButton("Обзор…")
    button.clicked.connect(pick)
    layout.addWidget(button)
    return row


class ExportDialog(QDialog):
    """Мастер выгрузки: получатель, период, шифрование, файл."""

    def __init__(self, parent: QWidget | None, recipients: list[tuple[str, str]], default_recipient: str | None,
                 suggested_name: str):
        super().__init__(parent)
        self.setWindowTitle("Выгрузка пакета")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Пакет подписывается ключом вашей организации. Номер пакета растёт с каждой выгрузкой."))
        form = QFormLayout()
        self.recipient = QComboBox()
        for code, name in recipients:
            self.recipient.addItem(f"{code} — {name}", code)
        if default_recipient:
            self.recipient.setCurrentIndex(max(0, self.recipient.findData(default_recipient)))
        form.addRow("Получатель:", self.recipient)
        self.period = QLineEdit()
        self.period.setPlaceholderText("например 2024/25 или 2025; пусто — все данные")
        form.addRow("Период:", self.period)
        self.encrypt = QCheckBox("Зашифровать для получателя (для отправки по электронной почте)")
        form.addRow("", self.encrypt)
        self.pubfile = QLineEdit()
        self.pubfile.setEnabled(False)
        self.encrypt.toggled.connect(self.pubfile.setEnabled)
        form.addRow("Открытый ключ получателя:", _browse_row(self.pubfile, self._pick_pub))
        self.out = QLineEdit(suggested_name)
        form.addRow("Сохранить в файл:", _browse_row(self.out, self._pick_out))
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Выгрузить")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Отмена")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _pick_pub(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Открытый ключ получателя", "", "Ключ ЕРСОКО (*.json);;Все файлы (*)")
        if name:
            self.pubfile.setText(name)

    def _pick_out(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Сохранить пакет", self.out.text(), "Пакет ЕРСОКО (*.zip *.ersoko)")
        if name:
            self.out.setText(name)

    def choice(self) -> ExportChoice | None:
        out = self.out.text().strip()
        if not out:
            self.error.setText("Укажите файл, в который сохранить пакет.")
            return None
        encrypt_to = None
        if self.encrypt.isChecked():
            if not self.pubfile.text().strip():
                self.error.setText("Для шифрования выберите файл открытого ключа получателя.")
                return None
            encrypt_to = Path(self.pubfile.text().strip())
        return ExportChoice(Path(out), self.recipient.currentData(), self.period.text().strip() or None, encrypt_to)

    def _accept(self) -> None:
        if self.choice() is not None:
            self.accept()


def report_html(report) -> str:
    """The verification report as the user reads it before deciding to import."""
    e = html.escape
    ok = report.valid
    head = ("<h3 style='color:#1b7f3b'>Пакет действителен</h3>" if ok
            else "<h3 style='color:#b00020'>Пакет отклонён</h3>")
    parts = [head]
    if report.reason:
        parts.append(f"<p><b>Причина:</b> {e(report.reason)}</p>")
    rows = [("Файл", report.file), ("Состояние", STATUS_RU.get(report.status, report.status))]
    if report.package_id:
        rows += [("Отправитель", f"{report.sender_org} {report.sender_name or ''}"),
                 ("Ключ отправителя", f"{report.sender_fingerprint} ({KEY_STATUS_RU.get(report.key_status, '')})"),
                 ("Номер пакета", str(report.seq)), ("Получатель", report.recipient or "не указан"),
                 ("Содержание", KIND_RU.get(report.dataset_kind, report.dataset_kind or "")),
                 ("Период", report.period or "все данные"), ("Создан", report.created_at or ""),
                 ("Зашифрован", "да" if report.encrypted else "нет"), ("Файлов", str(report.files))]
    labels = {"results": "результатов", "submissions": "заполненных форм", "roadmaps": "дорожных карт",
              "occurrences": "сроков мероприятий", "evidence": "файлов-подтверждений", "keys": "ключей"}
    for key, value in report.counts.items():
        rows.append((f"Записей: {labels.get(key, key)}", str(value)))
    parts.append("<table cellpadding='3'>" + "".join(
        f"<tr><td style='color:#52606d'>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in rows) + "</table>")
    if report.nested:
        items = "".join(
            f"<li>{e(n.sender_org or '')} №{n.seq}: {'действителен' if n.valid else 'отклонён'}, "
            f"{e(STATUS_RU.get(n.status, n.status))}, результатов {n.counts.get('results', 0)}</li>"
            for n in report.nested)
        parts.append(f"<p><b>Вложенные пакеты школ ({len(report.nested)}):</b></p><ul>{items}</ul>")
    if report.corrections:
        c = report.corrections
        parts.append(f"<p><b>Исправления муниципалитета</b> данных школ {e(', '.join(c['orgs']))}: результатов "
                     f"{c['results']}, форм {c['submissions']}. Пакеты школ вложены без изменений; где исправления "
                     "расходятся с данными школ, при загрузке будут показаны конфликты и оставлены данные школ "
                     "(если не выбрано «Принять входящие данные»).</p>")
    if report.warnings:
        parts.append("<p><b>Предупреждения:</b></p><ul>" + "".join(f"<li>{e(w)}</li>" for w in report.warnings) + "</ul>")
    return "".join(parts)


class VerifyReportDialog(QDialog):
    """Shows what was verified; «Загрузить» is offered only for a valid package not loaded before."""

    def __init__(self, parent: QWidget | None, report):
        super().__init__(parent)
        self.setWindowTitle("Проверка пакета")
        self.resize(640, 520)
        layout = QVBoxLayout(self)
        self.text = QTextBrowser()
        self.text.setHtml(report_html(report))
        layout.addWidget(self.text)
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("Загрузить в базу", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(report.valid and report.status == "new")
        self.buttons.addButton("Закрыть", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.accept_incoming = QCheckBox("Принять входящие данные при конфликтах (заменить данные этой базы; "
                                         "каждая замена записывается в журнал аудита)")
        self.accept_incoming.setVisible(report.valid and report.status == "new")
        layout.insertWidget(1, self.accept_incoming)
        if report.valid and report.status == "new":
            layout.addWidget(QLabel("Перед загрузкой будет сделана резервная копия базы."))
