"""Where a server password lives: the system keyring if it has a usable one, else libpq's pgpass file.

The URL saved in settings never holds a password. Connecting with such a URL looks the password up
in this order: the password in the URL itself (typed on the command line), the keyring
(service ``ersoko-desktop``, user ``role@host:port/database``), then libpq's own pgpass file
(libpq reads it by itself when no password is passed).

``keyring`` is optional: without the package, or with only its ``fail``/``null`` backend (a Linux
server without a desktop session, CI) or a backend that keeps passwords in a plain file
(``priority`` < 1, e.g. ``keyrings.alt`` PlaintextKeyring), passwords go to the 0600 pgpass file
and the caller is told why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from . import pgpass
from .pgerrors import Target, explain

SERVICE = "ersoko-desktop"


@dataclass(frozen=True)
class KeyringStatus:
    usable: bool
    backend: str   # class name of the backend, "" without the package
    reason: str    # why it is not used (Russian), "" when usable


@dataclass(frozen=True)
class StoredPassword:
    store: str          # "keyring" | "pgpass"
    location: str       # "хранилище паролей системы (…)" or the pgpass file path
    note: str = ""      # why the keyring was not used, if it was not


def account(url: str, user: str | None = None) -> str:
    """The keyring user name for a server database: ``role@host:port/database``."""
    u = make_url(url)
    role = user or u.username or ""
    return f"{role}@{u.host or 'localhost'}:{u.port or 5432}/{u.database or role}"


_checked: list = [None, None]  # [backend, its KeyringStatus]: a backend's priority may probe D-Bus


def keyring_status() -> KeyringStatus:
    """Is there a keyring backend that keeps passwords safely? Never raises."""
    try:
        import keyring
    except ImportError:
        return KeyringStatus(False, "", "пакет keyring не установлен")
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - a broken backend must not stop the program
        return KeyringStatus(False, "", f"хранилище паролей недоступно: {exc}")
    if _checked[0] is not backend:
        _checked[:] = [backend, _backend_status(backend)]
    return _checked[1]


def _backend_status(backend) -> KeyringStatus:
    from keyring.backends import fail, null

    try:
        name = type(backend).__name__
        if isinstance(backend, (fail.Keyring, null.Keyring)):
            return KeyringStatus(False, _qualified(backend),
                                 "в системе нет доступного хранилища паролей (keyring)")
        if backend.priority < 1:
            return KeyringStatus(False, _qualified(backend),
                                 f"хранилище паролей {name} не шифрует пароли — оно не используется")
    except Exception as exc:  # noqa: BLE001 - a broken backend must not stop the program
        return KeyringStatus(False, "", f"хранилище паролей недоступно: {exc}")
    return KeyringStatus(True, _qualified(backend), "")


def _qualified(backend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def keyring_password(url: str, user: str | None = None) -> str | None:
    """The password kept in the keyring for this server database, or None (also when unusable)."""
    if not keyring_status().usable:
        return None
    import keyring

    try:
        return keyring.get_password(SERVICE, account(url, user))
    except Exception:  # noqa: BLE001 - a locked or broken keyring: libpq still tries pgpass
        return None


def stored_password(url: str, user: str | None = None, *, pgpass_path: Path | None = None) -> tuple[str, str] | None:
    """(password, "keyring"|"pgpass") found for this database, keyring first; None if neither has it."""
    role = user or make_url(url).username or ""
    found = keyring_password(url, role)
    if found is not None:
        return found, "keyring"
    found = pgpass.lookup(url, role, pgpass_path)
    return (found, "pgpass") if found is not None else None


def save_password(url: str, user: str, password: str, *, pgpass_path: Path | None = None,
                  use_keyring: bool = True) -> StoredPassword:
    """Keep the password in the keyring when usable, else in the 0600 pgpass file."""
    status = keyring_status() if use_keyring else KeyringStatus(False, "", "выбран файл паролей pgpass")
    if status.usable:
        import keyring

        try:
            keyring.set_password(SERVICE, account(url, user), password)
            return StoredPassword("keyring", f"хранилище паролей системы ({status.backend})")
        except Exception as exc:  # noqa: BLE001 - fall back to the file, and say so
            status = KeyringStatus(False, status.backend, f"хранилище паролей отказало: {exc}")
    path = pgpass.remember(pgpass.entry_for(url, user, password), pgpass_path)
    return StoredPassword("pgpass", str(path), status.reason)


def forget_keyring_password(url: str, user: str | None = None) -> bool:
    """Remove the keyring entry (True if there was one)."""
    if not keyring_status().usable:
        return False
    import keyring
    from keyring.errors import PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, account(url, user))
    except PasswordDeleteError:
        return False
    return True


def attach(engine: Engine) -> None:
    """Prepare a PostgreSQL engine: the keyring's password at each connect when its URL has none
    (without a keyring entry nothing is passed and libpq reads its pgpass file), and a failed
    connection reported in Russian (``DatabaseError``) instead of a driver error."""
    url = engine.url
    text_url = url.render_as_string(hide_password=False)
    sslmode = url.query.get("sslmode", "prefer")
    target = Target(url.host or "localhost", url.port or 5432, url.database or "", url.username or "",
                    sslmode if isinstance(sslmode, str) else sslmode[0])

    if url.password is None:
        @event.listens_for(engine, "do_connect")
        def _password_from_keyring(_dialect, _conn_rec, _cargs, cparams) -> None:
            if cparams.get("password") is None:
                found = keyring_password(text_url, cparams.get("user"))
                if found is not None:
                    cparams["password"] = found

    @event.listens_for(engine, "handle_error")
    def _explain_connect_failure(context) -> None:
        from sqlalchemy.exc import OperationalError

        from ..errors import DatabaseError

        if context.connection is None and isinstance(context.sqlalchemy_exception, OperationalError):
            raise DatabaseError(explain(str(context.original_exception), target)) from context.original_exception
