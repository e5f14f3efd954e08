"""A workstation connecting to the regional server: keyring or pgpass, the connection check, saving.

Runs against the session's real PostgreSQL server; the keyring is keyring's own pluggable backend API
with a real file-based backend (tests/keyring_backend.py) or keyring's ``fail``/``null`` backends.
"""

from __future__ import annotations

import json
import stat

import keyring
import psycopg
import pytest
from keyring.backends import fail, null
from sqlalchemy import text

from ersoko_desktop.db import credentials, make_engine, pgpass, resolve_db
from ersoko_desktop.db.migrate import head_revision
from ersoko_desktop.errors import DatabaseError, InputError
from ersoko_desktop.paths import user_data_dir
from ersoko_desktop.services.server import ServerConnection, check_connection, save_connection
from tests.keyring_backend import FileKeyring, PlainFileKeyring
from tests.server_fixtures import keyring_file, no_keyring, private_pgpass, server_roles  # noqa: F401


def _conn(roles, role: str, **kw) -> ServerConnection:
    fields = {"host": "127.0.0.1", "port": roles.port, "database": roles.database, "user": role} | kw
    return ServerConnection(**fields)


def _current_user(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(text("SELECT current_user")).scalar_one()
    finally:
        engine.dispose()


# --- which keyring backends are used ------------------------------------------------------------------

@pytest.mark.parametrize("backend, usable, reason", [
    (fail.Keyring(), False, "нет доступного хранилища"),
    (null.Keyring(), False, "нет доступного хранилища"),
    (PlainFileKeyring("/nonexistent/kr.json"), False, "не шифрует"),
    (FileKeyring("/nonexistent/kr.json"), True, ""),
])
def test_keyring_status_refuses_missing_and_plaintext_backends(backend, usable, reason):
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        status = credentials.keyring_status()
    finally:
        keyring.set_keyring(previous)
    assert status.usable is usable
    assert reason in status.reason
    assert status.backend.endswith(type(backend).__name__)


def test_account_names_role_host_port_database():
    assert credentials.account("postgresql+psycopg://an@srv.cokor.local:6543/ersoko") == "an@srv.cokor.local:6543/ersoko"
    assert credentials.account("postgresql://an@srv/ersoko", "im") == "im@srv:5432/ersoko"


# --- saving the password ------------------------------------------------------------------------------

def test_save_goes_to_keyring_when_usable_and_not_to_pgpass(keyring_file, private_pgpass):
    url = "postgresql+psycopg://ersoko_analyst@srv:5432/ersoko"
    stored = credentials.save_password(url, "ersoko_analyst", "s3cr:et\\x")
    assert stored.store == "keyring" and "FileKeyring" in stored.location
    assert json.loads(keyring_file.read_text()) == {"ersoko-desktop|ersoko_analyst@srv:5432/ersoko": "s3cr:et\\x"}
    assert not private_pgpass.exists()
    assert credentials.stored_password(url) == ("s3cr:et\\x", "keyring")
    assert credentials.forget_keyring_password(url) is True
    assert credentials.stored_password(url) is None


def test_save_falls_back_to_private_pgpass_without_keyring(no_keyring, private_pgpass):
    url = "postgresql+psycopg://ersoko_analyst@srv:5432/ersoko"
    stored = credentials.save_password(url, "ersoko_analyst", "pw:1")
    assert stored.store == "pgpass" and stored.location == str(private_pgpass)
    assert "нет доступного хранилища паролей" in stored.note
    assert private_pgpass.read_text() == "srv:5432:ersoko:ersoko_analyst:pw\\:1\n"
    assert stat.S_IMODE(private_pgpass.stat().st_mode) == 0o600
    assert credentials.stored_password(url) == ("pw:1", "pgpass")


# --- connecting with a saved URL (no password in it) ------------------------------------------------

def test_saved_url_connects_with_the_keyring_password(server_roles, keyring_file, private_pgpass):
    role = server_roles.analyst
    url = server_roles.url(role)
    keyring.set_password("ersoko-desktop", f"{role}@127.0.0.1:{server_roles.port}/{server_roles.database}",
                         server_roles.passwords[role])
    assert not private_pgpass.exists()  # libpq has nothing to fall back on: the keyring must be used
    assert _current_user(url) == role


def test_keyring_wins_over_pgpass_and_pgpass_is_the_fallback(server_roles, keyring_file, private_pgpass):
    role = server_roles.importer
    url = server_roles.url(role)
    # Only the pgpass file knows the password: libpq finds it by itself.
    pgpass.remember(pgpass.entry_for(url, role, server_roles.passwords[role]))
    assert _current_user(url) == role
    # A wrong password in the keyring is used first (and fails), proving the order.
    credentials.save_password(url, role, "wrong-password")
    with pytest.raises(DatabaseError, match=f"не принял пароль роли «{role}».*password authentication failed"):
        _current_user(url)
    # The right one in the keyring and a wrong one in pgpass: connects.
    credentials.save_password(url, role, server_roles.passwords[role])
    pgpass.remember(pgpass.entry_for(url, role, "wrong-password"))
    assert _current_user(url) == role


# --- the connection check ------------------------------------------------------------------------------

def test_check_reports_version_schema_and_rights_per_role(server_roles, pg_server, no_keyring, private_pgpass):
    with pg_server.admin_connect() as admin:
        number = admin.info.server_version          # e.g. 150014 → "15.14"
    expected_version = f"{number // 10000}.{number % 10000}"
    typed = check_connection(_conn(server_roles, server_roles.analyst),
                             password=server_roles.passwords[server_roles.analyst])
    assert (typed.server_version, typed.schema, typed.access, typed.password_source) == (
        expected_version, head_revision(), "read", "typed")
    assert typed.at_head and typed.can_open
    assert "аналитик: только чтение" in "\n".join(typed.lines())
    # The importer's password from the pgpass file.
    pgpass.remember(pgpass.entry_for(server_roles.url(server_roles.importer), server_roles.importer,
                                     server_roles.passwords[server_roles.importer]))
    importer = check_connection(_conn(server_roles, server_roles.importer))
    assert (importer.access, importer.password_source) == ("write", "pgpass")
    owner = check_connection(_conn(server_roles, "ersoko_test_admin"), password=pg_server.password)
    assert owner.access == "owner"


def test_check_of_an_empty_database(pg_url, pg_server, server_roles, no_keyring, private_pgpass):
    database = pg_url.rsplit("/", 1)[1]
    as_owner = check_connection(ServerConnection("127.0.0.1", pg_server.port, database, "ersoko_test_admin"),
                                password=pg_server.password)
    assert (as_owner.schema, as_owner.access, as_owner.can_open) == (None, "owner", True)
    assert "база пуста" in "\n".join(as_owner.lines())
    # An analyst of another database may connect (PUBLIC has CONNECT) but has no rights here: not saved.
    conn = ServerConnection("127.0.0.1", pg_server.port, database, server_roles.analyst)
    with pytest.raises(DatabaseError, match="Подключение не сохранено.*нет прав"):
        save_connection(conn, password=server_roles.passwords[server_roles.analyst])
    assert not (user_data_dir() / "settings.json").exists()


@pytest.mark.parametrize("change, message", [
    ({"password": "wrong"}, "Неверный пароль или имя роли"),
    ({"database": "no_such_db"}, "нет базы «no_such_db»"),
    ({"sslmode": "require"}, "не поддерживает шифрование"),
    ({"port": 1}, "не отвечает"),
])
def test_check_explains_failures_in_russian(server_roles, no_keyring, private_pgpass, change, message):
    password = change.pop("password", server_roles.passwords[server_roles.analyst])
    conn = _conn(server_roles, server_roles.analyst, **change)
    with pytest.raises(DatabaseError, match=message):
        check_connection(conn, password=password)


def test_missing_password_is_named(server_roles, no_keyring, private_pgpass):
    with pytest.raises(DatabaseError, match="не введён и не сохранён|не найден ни в хранилище"):
        check_connection(_conn(server_roles, server_roles.analyst))


# --- saving a connection -------------------------------------------------------------------------------

def test_save_connection_keeps_password_out_of_settings(server_roles, keyring_file, private_pgpass):
    role, password = server_roles.analyst, server_roles.passwords[server_roles.analyst]
    saved = save_connection(_conn(server_roles, role), password=password)
    assert saved.stored.store == "keyring"
    settings_text = (user_data_dir() / "settings.json").read_text(encoding="utf-8")
    assert json.loads(settings_text)["db"] == server_roles.url(role)
    assert password not in settings_text
    assert password in keyring_file.read_text()
    # The saved URL is enough to connect again (the keyring supplies the password), and the next start
    # without --db opens it.
    assert _current_user(json.loads(settings_text)["db"]) == role
    assert resolve_db(None) == server_roles.url(role)


def test_an_unreachable_or_passwordless_server_is_reported_in_russian_not_as_a_driver_error(
        server_roles, no_keyring, private_pgpass):
    with pytest.raises(DatabaseError, match="Сервер 127.0.0.1:1 не отвечает"):
        _current_user(f"postgresql://{server_roles.analyst}@127.0.0.1:1/{server_roles.database}")
    with pytest.raises(DatabaseError, match="Сохраните пароль: «Файл → Подключение к серверу…»"):
        _current_user(server_roles.url(server_roles.analyst))


def test_save_connection_without_keyring_uses_pgpass_and_says_why(server_roles, no_keyring, private_pgpass):
    role, password = server_roles.importer, server_roles.passwords[server_roles.importer]
    saved = save_connection(_conn(server_roles, role, sslmode="disable"), password=password)
    assert saved.stored.store == "pgpass"
    text_ = "\n".join(saved.lines())
    assert str(private_pgpass) in text_ and "нет доступного хранилища паролей" in text_
    url = json.loads((user_data_dir() / "settings.json").read_text(encoding="utf-8"))["db"]
    assert url.endswith("?sslmode=disable") and password not in url
    assert _current_user(url) == role


# --- the form's validation and URL ----------------------------------------------------------------------

def test_connection_fields_validate_in_russian():
    bad = ServerConnection(host="", port=70000, database=" ", user="", sslmode="always")
    with pytest.raises(InputError) as info:
        bad.validate()
    message = str(info.value)
    for part in ("Не указан адрес сервера", "Порт 70000 вне диапазона", "Не указано имя базы",
                 "Не указано имя роли", "Режим SSL «always» неизвестен"):
        assert part in message


def test_url_round_trip_has_no_password():
    conn = ServerConnection("srv.cokor.local", 6543, "ersoko", "ersoko_analyst", "verify-full")
    assert conn.url() == "postgresql+psycopg://ersoko_analyst@srv.cokor.local:6543/ersoko?sslmode=verify-full"
    assert ServerConnection.from_url(conn.url()) == conn
    assert ServerConnection.from_url("postgresql://a:pw@h/db") == ServerConnection("h", 5432, "db", "a", "prefer")
    with pytest.raises(InputError, match="не адрес сервера PostgreSQL"):
        ServerConnection.from_url("sqlite:////tmp/x.sqlite")


def test_psycopg_is_what_reads_pgpass(server_roles, private_pgpass):
    """Sanity for the fallback: the file our code writes is the one libpq reads."""
    role = server_roles.analyst
    pgpass.remember(pgpass.entry_for(server_roles.url(role), role, server_roles.passwords[role]))
    with psycopg.connect(host="127.0.0.1", port=server_roles.port, dbname=server_roles.database, user=role) as c:
        assert c.execute("SELECT current_user").fetchone() == (role,)
