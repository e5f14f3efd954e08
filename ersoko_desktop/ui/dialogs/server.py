"""«Подключение к серверу»: connect this workstation to the regional PostgreSQL server (ЦОКО).

The logic is in :mod:`services.server` (``check_connection`` / ``save_connection``); this dialog only
collects the fields, runs them in the worker (``ui.tasks``) and shows the answer. After «Сохранить и
подключиться» ``saved_url`` holds the URL (without the password) for the main window to switch to.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...db.credentials import keyring_status
from ...db.pgpass import default_pgpass_path
from ...errors import ErsokoError, InputError
from ...services.server import SSL_MODES, ServerConnection, check_connection, save_connection
from .. import tasks


class ServerDialog(QDialog):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.saved_url: str | None = None
        self.last_result = None
        self.setWindowTitle("Подключение к серверу ЦОКО")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel("Региональный центр (ЦОКО) хранит данные на сервере PostgreSQL. Укажите, куда "
                       "подключаться, и проверьте подключение. Пароль не записывается в настройки программы.")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        form = QFormLayout()
        self.host = QLineEdit()
        self.host.setPlaceholderText("например, cokor-db.local или 10.0.0.5")
        self.host.setToolTip("Имя или IP-адрес сервера PostgreSQL регионального центра")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.port.setToolTip("Порт PostgreSQL на сервере (обычно 5432)")
        self.database = QLineEdit("ersoko")
        self.database.setToolTip("Имя базы данных на сервере, подготовленной командой «ersoko server init»")
        self.user = QLineEdit()
        self.user.setPlaceholderText("ersoko_analyst или ersoko_importer")
        self.user.setToolTip("Роль PostgreSQL: аналитик — только чтение, импортёр — загрузка данных")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("оставьте пустым, если пароль уже сохранён")
        self.password.setToolTip("Пароль роли. Сохраняется в хранилище паролей системы или в файле pgpass")
        self.sslmode = QComboBox()
        for mode, label in SSL_MODES.items():
            self.sslmode.addItem(label, mode)
        self.sslmode.setCurrentIndex(list(SSL_MODES).index("prefer"))
        self.sslmode.setToolTip("Шифрование соединения. В сети регионального центра обычно «require» или выше")
        form.addRow("Сервер:", self.host)
        form.addRow("Порт:", self.port)
        form.addRow("База данных:", self.database)
        form.addRow("Роль:", self.user)
        form.addRow("Пароль:", self.password)
        form.addRow("Шифрование (SSL):", self.sslmode)
        layout.addLayout(form)

        self.store_hint = QLabel(_store_hint())
        self.store_hint.setWordWrap(True)
        self.store_hint.setProperty("role", "hint")
        layout.addWidget(self.store_hint)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("Здесь появится результат проверки: версия сервера, схема, права роли.")
        self.report.setMinimumHeight(120)
        layout.addWidget(self.report)

        buttons = QDialogButtonBox()
        self.check_button = QPushButton("Проверить подключение")
        self.check_button.setToolTip("Подключиться к серверу и показать версию, состояние схемы и права роли")
        self.save_button = QPushButton("Сохранить и подключиться")
        self.save_button.setToolTip("Проверить, сохранить пароль и открыть эту базу в программе")
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Закрыть", QDialogButtonBox.ButtonRole.RejectRole)
        self.check_button.clicked.connect(self.check)
        self.save_button.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._prefill()

    def _prefill(self) -> None:
        """Start from the server the program works with now, if it is one."""
        url = self.ctx.engine.url
        if url.get_backend_name() != "postgresql":
            return
        conn = ServerConnection.from_url(url.render_as_string(hide_password=True))
        self.host.setText(conn.host)
        self.port.setValue(conn.port)
        self.database.setText(conn.database)
        self.user.setText(conn.user)
        if conn.sslmode in SSL_MODES:
            self.sslmode.setCurrentIndex(list(SSL_MODES).index(conn.sslmode))

    def connection(self) -> ServerConnection:
        return ServerConnection(host=self.host.text().strip(), port=self.port.value(),
                                database=self.database.text().strip(), user=self.user.text().strip(),
                                sslmode=self.sslmode.currentData())

    def _start(self, fn, title: str, on_done) -> None:
        conn = self.connection()
        try:
            conn.validate()
        except InputError as exc:
            self._failed(exc)
            return
        self._busy(True)
        self.report.setPlainText("Подключение…")
        tasks.run(self, fn, connection=conn, password=self.password.text() or None, title=title,
                  on_done=on_done, on_error=self._failed)

    def check(self) -> None:
        self._start(check_connection, "Проверка подключения", self._checked)

    def save(self) -> None:
        self._start(save_connection, "Сохранение подключения", self._saved)

    def _busy(self, busy: bool) -> None:
        self.check_button.setEnabled(not busy)
        self.save_button.setEnabled(not busy)

    def _checked(self, check) -> None:
        self._busy(False)
        self.last_result = check
        self.report.setPlainText("\n".join(check.lines()))

    def _saved(self, saved) -> None:
        self._busy(False)
        self.last_result = saved
        self.password.clear()
        self.report.setPlainText("\n".join(saved.check.lines() + saved.lines()))
        self.saved_url = saved.check.url
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        self.last_result = exc
        if isinstance(exc, ErsokoError):
            self.report.setPlainText(str(exc))
        else:
            tasks.show_error(self, exc)
            self.report.setPlainText("Непредвиденная ошибка: подробности в журнале программы.")


def _store_hint() -> str:
    status = keyring_status()
    if status.usable:
        return f"Пароль будет сохранён в хранилище паролей системы ({status.backend.rsplit('.', 1)[-1]})."
    return (f"Пароль будет сохранён в файле паролей {default_pgpass_path()} (доступ только вашей учётной "
            f"записи): {status.reason}.")
