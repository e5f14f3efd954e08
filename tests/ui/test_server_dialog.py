"""«Подключение к серверу» against the session's real PostgreSQL server, and switching the main window."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QDialog

from ersoko_desktop.paths import user_data_dir
from ersoko_desktop.ui.context import AppContext
from ersoko_desktop.ui.dialogs.server import ServerDialog
from ersoko_desktop.ui.main_window import MainWindow
from tests.server_fixtures import keyring_file, no_keyring, private_pgpass, server_roles  # noqa: F401


def _dialog(qtbot, engine, roles, role: str, password: str) -> ServerDialog:
    ctx = AppContext(engine=engine, db_label="local.sqlite")
    dialog = ServerDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(roles.port)
    dialog.database.setText(roles.database)
    dialog.user.setText(role)
    dialog.password.setText(password)
    return dialog


def _wait_result(qtbot, dialog: ServerDialog) -> str:
    qtbot.waitUntil(lambda: dialog.check_button.isEnabled() and dialog.last_result is not None, timeout=60_000)
    return dialog.report.toPlainText()


def test_check_reports_version_schema_and_rights(qtbot, engine, server_roles, pg_server, no_keyring, private_pgpass):
    with pg_server.admin_connect() as admin:
        number = admin.info.server_version
    dialog = _dialog(qtbot, engine, server_roles, server_roles.importer, server_roles.passwords[server_roles.importer])
    assert "файле паролей" in dialog.store_hint.text() and "нет доступного хранилища" in dialog.store_hint.text()
    dialog.check_button.click()
    text = _wait_result(qtbot, dialog)
    assert f"Сервер: PostgreSQL {number // 10000}.{number % 10000}." in text
    assert "импортёр: чтение и загрузка данных" in text
    assert "схема базы актуальна" in text
    assert dialog.saved_url is None and not private_pgpass.exists()   # a check saves nothing


def test_wrong_password_and_empty_fields_are_explained(qtbot, engine, server_roles, no_keyring, private_pgpass):
    dialog = _dialog(qtbot, engine, server_roles, server_roles.analyst, "wrong")
    dialog.check_button.click()
    assert "Неверный пароль или имя роли" in _wait_result(qtbot, dialog)
    dialog.host.setText("")
    dialog.last_result = None
    dialog.check_button.click()
    assert "Не указан адрес сервера" in dialog.report.toPlainText()   # validated before any connection


def test_save_stores_password_in_keyring_and_the_window_switches_to_the_server(
        qtbot, db_path, server_roles, keyring_file, private_pgpass):
    from ersoko_desktop.ui.application import open_context

    local = open_context(str(db_path))                 # a local SQLite database, locked as at start-up
    window = MainWindow(local)
    qtbot.addWidget(window)
    role, password = server_roles.analyst, server_roles.passwords[server_roles.analyst]
    dialog = _dialog(qtbot, local.engine, server_roles, role, password)
    assert "хранилище паролей системы (FileKeyring)" in dialog.store_hint.text()
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.saved_url is not None, timeout=60_000)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert "аналитик: только чтение" in dialog.report.toPlainText()
    assert dialog.password.text() == ""
    assert password in keyring_file.read_text() and not private_pgpass.exists()
    settings_text = (user_data_dir() / "settings.json").read_text(encoding="utf-8")
    assert json.loads(settings_text)["db"] == dialog.saved_url and password not in settings_text

    assert window.switch_database(dialog.saved_url)
    try:
        assert window.ctx is local and local.engine.dialect.name == "postgresql"
        assert server_roles.database in window.db_label.text()
        with local.session() as session:
            assert session.connection().exec_driver_sql("SELECT current_user").scalar_one() == role
        assert _lock_free(db_path)
        # Pages are rebuilt on the server database: «Настройки» shows it.
        page = window.page("settings")
        page.refresh()
        assert server_roles.database in page.db.text()
    finally:
        local.close()


def _lock_free(db_path) -> bool:
    """The local database's single-instance lock was released: acquiring it again succeeds."""
    from ersoko_desktop.safety.lock import acquire

    lock = acquire(db_path, program="test")
    lock.release()
    return True


def test_dialog_starts_from_the_current_server(qtbot, server_roles, no_keyring):
    from ersoko_desktop.db import make_engine

    engine = make_engine(server_roles.url(server_roles.importer) + "?sslmode=disable")
    try:
        dialog = ServerDialog(AppContext(engine=engine, db_label="server"))
        qtbot.addWidget(dialog)
        assert (dialog.host.text(), dialog.port.value(), dialog.database.text(), dialog.user.text(),
                dialog.sslmode.currentData()) == ("127.0.0.1", server_roles.port, server_roles.database,
                                                  server_roles.importer, "disable")
    finally:
        engine.dispose()


def test_file_menu_offers_the_server_dialog(qtbot, engine):
    window = MainWindow(AppContext(engine=engine, db_label="x"))
    qtbot.addWidget(window)
    file_menu = window.menuBar().actions()[0].menu()
    assert "Подключение к серверу…" in [a.text() for a in file_menu.actions()]
