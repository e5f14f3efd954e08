"""First run: a wizard — role → own organization → signing key → where the data lives.

The wizard only renders ``services.setup.FirstRunState`` (tested without Qt); each page checks
its step when «Далее» is pressed and shows the problem in red on the page itself. After
«Готово» ``self.ctx`` is the database to open — a new one when the user chose another folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from ...db.engine import sqlite_path
from ...errors import ErsokoError
from ...services.orgs import KIND_RU
from ...services.setup import ROLES, FirstRunState, check_data_folder

ROLE_HINTS = {
    "school": "Школа ведёт ВСОКО: загружает результаты, заполняет формы, отправляет пакеты в муниципалитет.",
    "municipality": "Муниципалитет принимает пакеты школ, проверяет формы, ведёт МСОКО и дорожные карты.",
    "region": "ЦОКО собирает пакеты муниципалитетов, считает показатели по региону и рассылает ключи.",
}
ROLE_PAGE, ORG_PAGE, KEY_PAGE, LOCATION_PAGE, FINISH_PAGE = range(5)


def _error_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("error")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b42318;")
    return label


def _say(label: QLabel, text: str, *, ok: bool = False) -> None:
    label.setStyleSheet(f"color: {'#1f6f43' if ok else '#b42318'};")
    label.setText(text)


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setProperty("role", "hint")
    return label


class RolePage(QWizardPage):
    def __init__(self, wizard: "FirstRunDialog"):
        super().__init__()
        self.w = wizard
        self.setTitle("Кто работает в программе")
        self.setSubTitle("Роль определяет, какие формы и пакеты вы готовите. Её можно увидеть в строке состояния.")
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for key, title in ROLES.items():
            button = QRadioButton(title)
            button.setToolTip(ROLE_HINTS[key])
            self.group.addButton(button)
            self.buttons[key] = button
            layout.addWidget(button)
            hint = _hint(ROLE_HINTS[key])
            hint.setContentsMargins(26, 0, 0, 8)
            layout.addWidget(hint)
        self.buttons[wizard.state.role].setChecked(True)
        layout.addStretch(1)
        self.demo_button = QPushButton("Открыть демонстрационную базу")
        self.demo_button.setToolTip("Посмотреть программу на придуманной области: 22 школы, результаты ВПР, "
                                    "дорожная карта, формы. Ваша база не изменится.")
        self.demo_button.clicked.connect(wizard.open_demo)
        row = QHBoxLayout()
        row.addWidget(self.demo_button)
        row.addStretch(1)
        layout.addLayout(row)

    def role(self) -> str:
        return next(k for k, b in self.buttons.items() if b.isChecked())

    def set_role(self, role: str) -> None:
        self.buttons[role].setChecked(True)

    def validatePage(self) -> bool:  # noqa: N802 - Qt name
        self.w.state.role = self.role()
        return True


class OrgPage(QWizardPage):
    def __init__(self, wizard: "FirstRunDialog"):
        super().__init__()
        self.w = wizard
        self.setTitle("Ваша организация")
        self.setSubTitle("Выберите её в реестре (файл CSV или XLSX от муниципалитета или ЦОКО) "
                         "или, если реестра пока нет, введите вручную.")
        layout = QVBoxLayout(self)
        self.from_registry = QRadioButton("Из реестра организаций")
        self.manual = QRadioButton("Ввести вручную")
        self.from_registry.setChecked(True)
        self.from_registry.toggled.connect(self._source_changed)
        layout.addWidget(self.from_registry)
        registry = QFormLayout()
        registry.setContentsMargins(24, 0, 0, 0)
        self.org = QComboBox()
        self.org.setMinimumWidth(420)
        self.org.setToolTip("Организации выбранной роли из загруженного реестра")
        self.registry_button = QPushButton("Загрузить реестр…")
        self.registry_button.setToolTip("Файл CSV или XLSX со столбцами Код, Наименование, Тип, Код вышестоящей")
        self.registry_button.clicked.connect(self._load_registry)
        row = QHBoxLayout()
        row.addWidget(self.org, 1)
        row.addWidget(self.registry_button)
        registry.addRow("Организация:", row)
        self.registry_info = _hint("")
        registry.addRow("", self.registry_info)
        layout.addLayout(registry)
        layout.addWidget(self.manual)
        manual = QFormLayout()
        manual.setContentsMargins(24, 0, 0, 0)
        self.code = QLineEdit()
        self.code.setPlaceholderText("например, 0801001")
        self.code.setToolTip("Код организации: логин ОО в ФИС ОКО или код по региональному реестру")
        self.name = QLineEdit()
        self.name.setPlaceholderText("полное наименование")
        self.name.setToolTip("Наименование, как в уставе или в реестре")
        self.kind = QLabel()
        self.kind.setToolTip("Тип следует из выбранной роли (шаг назад — чтобы изменить)")
        self.parent_org = QComboBox()
        self.parent_org.setToolTip("Кому организация отправляет пакеты: школа — муниципалитету, муниципалитет — региону")
        manual.addRow("Код:", self.code)
        manual.addRow("Наименование:", self.name)
        manual.addRow("Тип:", self.kind)
        manual.addRow("Вышестоящая:", self.parent_org)
        layout.addLayout(manual)
        self.manual_fields = [self.code, self.name, self.parent_org]
        layout.addStretch(1)
        self.error = _error_label()
        layout.addWidget(self.error)
        self.setTabOrder(self.from_registry, self.org)
        self.setTabOrder(self.org, self.registry_button)
        self.setTabOrder(self.registry_button, self.manual)
        self.setTabOrder(self.manual, self.code)
        self.setTabOrder(self.code, self.name)
        self.setTabOrder(self.name, self.parent_org)

    def initializePage(self) -> None:  # noqa: N802 - Qt name
        self.fill()

    def fill(self) -> None:
        state = self.w.state
        with self.w.ctx.session() as session:
            candidates = state.candidates(session)
            parents = state.parent_candidates(session)
        current = self.org.currentData()
        self.org.clear()
        for code, name in candidates:
            self.org.addItem(f"{name} ({code})", code)
        if current is not None and self.org.findData(current) >= 0:
            self.org.setCurrentIndex(self.org.findData(current))
        self.registry_info.setText(
            f"В реестре организаций этого типа: {len(candidates)}." if candidates
            else "В базе нет организаций этого типа: загрузите реестр или введите организацию вручную.")
        self.kind.setText(KIND_RU[state.role])
        self.parent_org.clear()
        self.parent_org.addItem("(не указана)" if parents else "(нет)", None)
        for code, name in parents:
            self.parent_org.addItem(f"{name} ({code})", code)
        self.parent_org.setEnabled(self.manual.isChecked() and bool(parents))
        if not candidates and not self.manual.isChecked() and self.org.count() == 0:
            self.registry_button.setFocus()
        self._source_changed()

    def _source_changed(self) -> None:
        registry = self.from_registry.isChecked()
        self.org.setEnabled(registry)
        self.registry_button.setEnabled(registry)
        for widget in self.manual_fields:
            widget.setEnabled(not registry)
        self.parent_org.setEnabled(not registry and self.parent_org.count() > 1)
        self.error.setText("")

    def load_registry_file(self, path: str) -> bool:
        try:
            with self.w.ctx.session() as session:
                report = self.w.state.load_registry(session, path)
        except ErsokoError as exc:
            self.error.setText(str(exc) + "".join(f"\n• {d}" for d in getattr(exc, "diagnostics", [])[:5]))
            return False
        self.fill()
        self.error.setText("")
        self.registry_info.setText(f"Реестр «{Path(path).name}» загружен: добавлено {report.created}, "
                                   f"изменено {report.updated}. " + self.registry_info.text())
        return True

    def _load_registry(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Реестр организаций", "", "Таблицы (*.csv *.xlsx *.xls)")
        if path:
            self.load_registry_file(path)

    def validatePage(self) -> bool:  # noqa: N802 - Qt name
        state = self.w.state
        state.org_source = "registry" if self.from_registry.isChecked() else "manual"
        state.org_code = self.org.currentData() if state.org_source == "registry" else None
        state.manual.code, state.manual.name = self.code.text(), self.name.text()
        state.manual.parent_code = self.parent_org.currentData()
        try:
            with self.w.ctx.session() as session:
                org = state.apply_org(session)
                self.w.org_title = f"{org.name} ({org.code})"
        except ErsokoError as exc:
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        return True


class KeyPage(QWizardPage):
    def __init__(self, wizard: "FirstRunDialog"):
        super().__init__()
        self.w = wizard
        self.setTitle("Ключ подписи организации")
        self.setSubTitle("Пакеты с данными подписываются ключом организации; получатель сверяет отпечаток ключа "
                         "с карточкой, которую вы ему передадите (распечатайте и подпишите).")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("необязательно")
        self.passphrase.setToolTip("Пароль защищает файл ключа, если компьютером пользуются другие люди. "
                                   "Его придётся вводить при каждой выгрузке пакета; восстановить его нельзя.")
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setToolTip("Повторите пароль ключа")
        form.addRow("Пароль ключа:", self.passphrase)
        form.addRow("Повторите пароль:", self.repeat)
        layout.addLayout(form)
        self.create_button = QPushButton("Создать ключ")
        self.create_button.setToolTip("Создать пару ключей Ed25519 для своей организации")
        self.create_button.clicked.connect(self.create_key)
        row = QHBoxLayout()
        row.addWidget(self.create_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.key_caption = QLabel("")
        self.key_caption.setWordWrap(True)
        layout.addWidget(self.key_caption)
        self.fingerprint = QLabel("")
        self.fingerprint.setObjectName("fingerprint")
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(13)
        self.fingerprint.setFont(font)
        self.fingerprint.setStyleSheet("background: #ffffff; border: 1px solid #d5dae1; border-radius: 6px; "
                                       "padding: 8px 12px; color: #0b3d91;")
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setToolTip("Отпечаток ключа: получатель сверяет его с карточкой ключа")
        layout.addWidget(self.fingerprint)
        self.card_button = QPushButton("Сохранить карточку ключа (PDF) для печати…")
        self.card_button.setToolTip("Карточка с отпечатком и QR-кодом: распечатайте, подпишите и передайте "
                                    "в муниципалитет или ЦОКО")
        self.card_button.clicked.connect(self._save_card)
        self.card_button.setVisible(False)
        row = QHBoxLayout()
        row.addWidget(self.card_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.later = QCheckBox("Создать ключ позже (страница «Пакеты»)")
        self.later.setToolTip("Без ключа нельзя выгружать пакеты; всё остальное работает")
        self.later.toggled.connect(self.completeChanged)
        layout.addWidget(self.later)
        layout.addStretch(1)
        self.error = _error_label()
        layout.addWidget(self.error)

    def initializePage(self) -> None:  # noqa: N802 - Qt name
        from ...services.keys import own_key, show_key

        with self.w.ctx.session() as session:
            existing = show_key(session) if own_key(session) is not None else None
        self.w.state.key = existing
        self._show_key()

    def _show_key(self) -> None:
        key = self.w.state.key
        has_key = key is not None
        for widget in (self.passphrase, self.repeat, self.create_button):
            widget.setEnabled(not has_key)
        self.later.setVisible(not has_key)
        self.card_button.setVisible(has_key)
        self.fingerprint.setVisible(has_key)
        if has_key:
            groups = key.fingerprint.split()
            self.key_caption.setText(f"Ключ организации {key.org_code} создан"
                                     + (", файл ключа защищён паролем" if key.encrypted else "")
                                     + ". Отпечаток ключа — сверьте его с карточкой у получателя:")
            self.fingerprint.setText(" ".join(groups[:8]) + "\n" + " ".join(groups[8:]))
        else:
            self.key_caption.setText("")
            self.fingerprint.setText("")
        self.completeChanged.emit()

    def create_key(self) -> bool:
        state = self.w.state
        try:
            passphrase = state.check_passphrase(self.passphrase.text(), self.repeat.text())
            with self.w.ctx.session() as session:
                state.create_key(session, passphrase=passphrase)
        except ErsokoError as exc:
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        self.passphrase.clear()
        self.repeat.clear()
        self._show_key()
        self.card_button.setFocus()
        return True

    def save_key_card(self, path: str) -> bool:
        try:
            with self.w.ctx.session() as session:
                self.w.state.save_key_card(session, path)
        except ErsokoError as exc:
            self.error.setText(str(exc))
            return False
        _say(self.error, f"Карточка сохранена: {path}", ok=True)
        return True

    def _save_card(self) -> None:
        key = self.w.state.key
        default = str(Path.home() / f"Карточка ключа {key.org_code if key else ''}.pdf")
        path, _ = QFileDialog.getSaveFileName(self, "Карточка ключа", default, "PDF (*.pdf)")
        if path and self.save_key_card(path):
            if QMessageBox.question(self, "Карточка ключа", "Открыть карточку для печати?") == \
                    QMessageBox.StandardButton.Yes:
                QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def isComplete(self) -> bool:  # noqa: N802 - Qt name
        return self.w.state.key is not None or self.later.isChecked()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt name
        """Enter before the key exists creates it (instead of trying «Далее», which waits for the key)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.w.state.key is None \
                and not self.later.isChecked():
            self.create_key()
            event.accept()
            return
        super().keyPressEvent(event)


class LocationPage(QWizardPage):
    def __init__(self, wizard: "FirstRunDialog"):
        super().__init__()
        self.w = wizard
        self.setTitle("Где хранятся данные")
        self.setSubTitle("База данных — один файл на диске этого компьютера. Резервные копии делаются "
                         "автоматически каждый день и перед каждой загрузкой.")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.current = QLabel()
        self.current.setWordWrap(True)
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Сейчас:", self.current)
        self.folder = QLineEdit()
        self.folder.setToolTip("Папка, в которой будет храниться база данных")
        self.folder.textChanged.connect(self._check)
        self.browse = QPushButton("Выбрать другую папку…")
        self.browse.setToolTip("Не выбирайте сетевую папку и флешку: SQLite там портится")
        self.browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse)
        form.addRow("Папка базы:", row)
        layout.addLayout(form)
        self.verdict = QLabel("")
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        layout.addStretch(1)
        from ...paths import backups_dir, keys_dir

        layout.addWidget(_hint(f"Резервные копии: {backups_dir()}\nКлючи подписи: {keys_dir()}\n"
                               "Не храните базу в сетевой папке или на флешке: при обрыве связи или извлечении "
                               "носителя файл SQLite портится. Для обмена данными есть пакеты."))
        self.check = None

    def initializePage(self) -> None:  # noqa: N802 - Qt name
        db_file = self.w.db_file
        if db_file is None:
            self.current.setText(f"{self.w.ctx.db_label} (сервер: расположение задаёт администратор)")
            self.folder.setEnabled(False)
            self.browse.setEnabled(False)
            return
        self.current.setText(str(db_file))
        if not self.folder.text():
            self.folder.setText(str(db_file.parent))
        self._check()

    def choose_folder(self, folder: str) -> None:
        self.folder.setText(folder)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Папка для базы данных", self.folder.text())
        if folder:
            self.choose_folder(folder)

    def _check(self) -> None:
        db_file = self.w.db_file
        text = self.folder.text().strip()
        if db_file is None:
            return
        if not text:
            self.check = None
            self.verdict.setText("Укажите папку.")
            self.verdict.setStyleSheet("color: #b42318;")
        else:
            self.check = check_data_folder(text, db_file.name)
            if self.check.error:
                self.verdict.setText(self.check.error)
                self.verdict.setStyleSheet("color: #b42318;")
            elif self.check.warnings:
                self.verdict.setText("\n".join(self.check.warnings))
                self.verdict.setStyleSheet("color: #9a6700;")
            else:
                self.verdict.setText("Локальный диск — подходит.")
                self.verdict.setStyleSheet("color: #1f6f43;")
        self.completeChanged.emit()

    def target_folder(self) -> Path | None:
        """The chosen folder when it differs from where the database is now."""
        db_file = self.w.db_file
        if db_file is None or self.check is None:
            return None
        folder = Path(self.folder.text().strip())
        return None if folder.absolute() == db_file.parent.absolute() else folder

    def isComplete(self) -> bool:  # noqa: N802 - Qt name
        return self.w.db_file is None or (self.check is not None and self.check.ok)


class FinishPage(QWizardPage):
    def __init__(self, wizard: "FirstRunDialog"):
        super().__init__()
        self.w = wizard
        self.setTitle("Всё готово")
        self.setSubTitle("Проверьте выбранное и нажмите «Готово» — откроется главное окно.")
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(_hint("Дальше: загрузите результаты процедур (страница «Результаты»), дорожные карты и "
                               "формы. Справка — клавиша F1."))

    def initializePage(self) -> None:  # noqa: N802 - Qt name
        w = self.w
        key = w.state.key
        folder = w.location_page.target_folder()
        db = str(folder / w.db_file.name) if folder and w.db_file else (str(w.db_file) if w.db_file else w.ctx.db_label)
        self.summary.setText(
            f"<p><b>Роль:</b> {ROLES[w.state.role]}</p><p><b>Организация:</b> {w.org_title}</p>"
            f"<p><b>Ключ подписи:</b> {key.fingerprint if key else 'будет создан позже'}</p>"
            f"<p><b>База данных:</b> {db}{' (будет перенесена)' if folder else ''}</p>")


class FirstRunDialog(QWizard):
    """Kept under its first name: ``application.run`` shows it before the main window."""

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.state = FirstRunState()
        self.use_demo = False
        self.org_title = ""
        self.db_file: Path | None = sqlite_path(str(ctx.engine.url))
        self.setWindowTitle("Первый запуск — ЕРСОКО Desktop")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(720, 520)
        for button, text in ((QWizard.WizardButton.BackButton, "< Назад"),
                             (QWizard.WizardButton.NextButton, "Далее >"),
                             (QWizard.WizardButton.FinishButton, "Готово"),
                             (QWizard.WizardButton.CancelButton, "Выход")):
            self.setButtonText(button, text)
        self.button(QWizard.WizardButton.CancelButton).setToolTip("Закрыть программу, ничего не настраивая (Esc)")
        self.button(QWizard.WizardButton.NextButton).setToolTip("Следующий шаг (Enter)")
        self.button(QWizard.WizardButton.FinishButton).setToolTip("Открыть главное окно (Enter)")
        self.role_page = RolePage(self)
        self.org_page = OrgPage(self)
        self.key_page = KeyPage(self)
        self.location_page = LocationPage(self)
        self.finish_page = FinishPage(self)
        for page_id, page in enumerate((self.role_page, self.org_page, self.key_page, self.location_page,
                                        self.finish_page)):
            self.setPage(page_id, page)

    # Kept for the first version's callers and tests.
    def load_registry_file(self, path: str) -> bool:
        return self.org_page.load_registry_file(path)

    def open_demo(self) -> None:
        self.use_demo = True
        self.accept()

    def accept(self) -> None:
        if not self.use_demo and not self._move_database():
            return
        super().accept()

    def _move_database(self) -> bool:
        """Put the database where the user chose (copy, reopen, delete the first file)."""
        from ...services.setup import copy_database, remember_database, remove_database_files
        from ..application import open_context

        folder = self.location_page.target_folder()
        if folder is None or self.db_file is None:
            return True
        old = self.db_file
        try:
            new = copy_database(old, folder)
        except (ErsokoError, OSError) as exc:
            QMessageBox.warning(self, "База не перенесена", str(exc))
            return False
        demo = self.ctx.demo
        self.ctx.close()
        remove_database_files(old)
        remember_database(new)
        self.ctx = open_context(str(new), demo=demo)
        self.db_file = new
        return True
