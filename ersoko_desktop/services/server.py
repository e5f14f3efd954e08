"""Regional server mode: prepare a PostgreSQL database for ЦОКО (schema, roles, GRANTs).

Two login roles, so that most staff cannot change data by accident:

- ``ersoko_analyst`` — read-only: ``SELECT`` on every table (and every table later migrations add);
- ``ersoko_importer`` — ``SELECT/INSERT/UPDATE/DELETE`` and the sequences: imports packages and
  results, but cannot change the schema or the migration stamp.

The schema itself belongs to the role that runs ``ersoko server init`` (the owner/administrator).
Generated passwords go to libpq's password file (``db.pgpass``), never into settings or output.
A workstation connects with :func:`check_connection` / :func:`save_connection` (the GUI dialog and
``ersoko server check``); the typed password goes to the keyring where usable (``db.credentials``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from ..db import pgpass
from ..db.credentials import StoredPassword
from ..db.engine import display_url
from ..db.pgerrors import Target, explain
from ..db.migrate import upgrade
from ..errors import DatabaseError, InputError
from ..progress import Progress

ANALYST_ROLE = "ersoko_analyst"
IMPORTER_ROLE = "ersoko_importer"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
READ = "SELECT"
WRITE = "SELECT, INSERT, UPDATE, DELETE"


@dataclass(frozen=True)
class RoleReport:
    name: str
    access: str  # "read" | "write"
    created: bool
    password_saved: bool  # a new password was written to the password file in this run

    def as_dict(self) -> dict:
        return {"role": self.name, "access": self.access, "created": self.created,
                "password_saved": self.password_saved}


@dataclass(frozen=True)
class ServerInitReport:
    url: str
    schema_before: str | None
    schema_after: str
    owner: str
    roles: list[RoleReport] = field(default_factory=list)
    pgpass: str | None = None

    def as_dict(self) -> dict:
        return {"url": self.url, "schema_before": self.schema_before, "schema_after": self.schema_after,
                "owner": self.owner, "roles": [r.as_dict() for r in self.roles], "pgpass": self.pgpass}


def init_server(engine: Engine, *, analyst_role: str = ANALYST_ROLE, importer_role: str = IMPORTER_ROLE,
                pgpass_path: Path | None = None, reset_passwords: bool = False,
                progress: Progress | None = None) -> ServerInitReport:
    """Migrate the server database and (re)create the two roles with their GRANTs; safe to repeat."""
    progress = progress or Progress.none()
    if engine.dialect.name != "postgresql":
        raise InputError(
            f"«ersoko server init» работает только с PostgreSQL, а указана база {display_url(str(engine.url))}. "
            "Укажите сервер: ersoko --db postgresql://администратор@сервер/ersoko server init"
        )
    for role in (analyst_role, importer_role):
        if not ROLE_NAME.match(role):
            raise InputError(f"Недопустимое имя роли «{role}»: только строчные латинские буквы, цифры и «_».")
    if analyst_role == importer_role:
        raise InputError("Роли аналитика и импортёра должны различаться.")
    progress.step(0.1, "Миграции схемы")
    migration = upgrade(engine)
    progress.step(0.6, "Роли и права")
    pending: list[pgpass.PgpassEntry] = []
    reports: list[RoleReport] = []
    try:
        with engine.begin() as conn:
            owner = conn.execute(text("SELECT current_user")).scalar_one()
            for role, access in ((analyst_role, "read"), (importer_role, "write")):
                created, password = _ensure_role(conn, role, reset_passwords)
                if password is not None:
                    pending.append(pgpass.entry_for(str(engine.url), role, password))
                reports.append(RoleReport(role, access, created, password is not None))
            _grant(conn, owner, analyst_role, importer_role)
    except DBAPIError as exc:
        raise DatabaseError(
            f"Сервер отказал в создании ролей или прав: {str(exc.orig).strip()}. "
            "Запустите команду от имени владельца базы с правом CREATEROLE (например, postgres)."
        ) from exc
    # Written only after the roles really exist with these passwords (the transaction committed).
    path = None
    for entry in pending:
        path = pgpass.remember(entry, pgpass_path)
    progress.step(1.0, "Готово")
    return ServerInitReport(
        url=display_url(str(engine.url)), schema_before=migration.before, schema_after=migration.after,
        owner=owner, roles=reports, pgpass=str(path or pgpass_path or pgpass.default_pgpass_path()),
    )


def _ensure_role(conn: Connection, role: str, reset_password: bool) -> tuple[bool, str | None]:
    """Create a login role with a generated password; an existing role keeps its password unless reset."""
    quoted = conn.dialect.identifier_preparer.quote(role)
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None
    if exists and not reset_password:
        return False, None
    # token_urlsafe gives [A-Za-z0-9_-] only, so the literal needs no escaping.
    password = secrets.token_urlsafe(24)
    verb = "ALTER" if exists else "CREATE"
    conn.exec_driver_sql(
        f"{verb} ROLE {quoted} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{password}'"
    )
    return not exists, password


def _grant(conn: Connection, owner: str, analyst: str, importer: str) -> None:
    q = conn.dialect.identifier_preparer.quote
    a, i, o = q(analyst), q(importer), q(owner)
    database = q(conn.execute(text("SELECT current_database()")).scalar_one())
    schema = q(conn.execute(text("SELECT current_schema()")).scalar_one())
    statements = [
        f"GRANT CONNECT ON DATABASE {database} TO {a}, {i}",
        f"GRANT USAGE ON SCHEMA {schema} TO {a}, {i}",
        f"GRANT {READ} ON ALL TABLES IN SCHEMA {schema} TO {a}",
        f"GRANT {WRITE} ON ALL TABLES IN SCHEMA {schema} TO {i}",
        f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {a}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {i}",
        # The migration stamp is the owner's alone: an importer must not fake the schema version.
        f"REVOKE INSERT, UPDATE, DELETE ON TABLE {schema}.alembic_version FROM {i}",
        # Tables and sequences that later migrations create get the same rights.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {schema} GRANT {READ} ON TABLES TO {a}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {schema} GRANT {WRITE} ON TABLES TO {i}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {schema} GRANT SELECT ON SEQUENCES TO {a}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {i}",
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)


# --- Connecting a workstation to the server (the «Подключение к серверу» dialog, ``server check``) ---

SSL_MODES: dict[str, str] = {
    "disable": "disable — без шифрования",
    "allow": "allow — шифрование, если сервер требует",
    "prefer": "prefer — шифрование, если сервер умеет (по умолчанию)",
    "require": "require — только с шифрованием",
    "verify-ca": "verify-ca — шифрование и проверка сертификата",
    "verify-full": "verify-full — шифрование, сертификат и имя сервера",
}
ACCESS_LABELS: dict[str, str] = {
    "owner": "администратор: владелец схемы (обновляет схему, загружает и читает данные)",
    "write": "импортёр: чтение и загрузка данных",
    "read": "аналитик: только чтение",
    "none": "нет прав на таблицы программы",
}
CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class ServerConnection:
    """What a person types to reach the server; the URL built from it never holds a password."""

    host: str
    port: int = 5432
    database: str = "ersoko"
    user: str = ""
    sslmode: str = "prefer"

    def problems(self) -> list[str]:
        out = []
        if not self.host.strip():
            out.append("Не указан адрес сервера (имя или IP-адрес).")
        elif any(c in self.host for c in " /@?#"):
            out.append(f"Адрес сервера «{self.host}» содержит недопустимые символы (пробел, «/», «@», «?», «#»).")
        if not 1 <= int(self.port) <= 65535:
            out.append(f"Порт {self.port} вне диапазона 1–65535 (обычно 5432).")
        if not self.database.strip():
            out.append("Не указано имя базы данных на сервере (например, ersoko).")
        if not self.user.strip():
            out.append("Не указано имя роли (пользователя PostgreSQL), например ersoko_analyst.")
        if self.sslmode not in SSL_MODES:
            out.append(f"Режим SSL «{self.sslmode}» неизвестен; допустимы: {', '.join(SSL_MODES)}.")
        return out

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise InputError("Параметры подключения заданы неверно:\n" + "\n".join(problems))

    def url(self) -> str:
        from sqlalchemy.engine import URL

        query = {} if self.sslmode == "prefer" else {"sslmode": self.sslmode}
        return URL.create("postgresql+psycopg", username=self.user.strip(), host=self.host.strip(),
                          port=int(self.port), database=self.database.strip(), query=query
                          ).render_as_string(hide_password=False)

    @classmethod
    def from_url(cls, url: str) -> "ServerConnection":
        from sqlalchemy.engine import make_url

        u = make_url(url)
        if u.get_backend_name() != "postgresql":
            raise InputError(f"{display_url(url)} — не адрес сервера PostgreSQL.")
        sslmode = u.query.get("sslmode", "prefer")
        return cls(host=u.host or "localhost", port=u.port or 5432, database=u.database or "",
                   user=u.username or "", sslmode=sslmode if isinstance(sslmode, str) else sslmode[0])


@dataclass(frozen=True)
class ConnectionCheck:
    url: str                 # without a password
    server_version: str
    schema: str | None       # the database's migration revision (None: empty database)
    head: str                # the program's revision
    access: str              # "owner" | "write" | "read" | "none"
    password_source: str     # "typed" | "keyring" | "pgpass" | "none"

    @property
    def at_head(self) -> bool:
        return self.schema == self.head

    @property
    def can_open(self) -> bool:
        """The program can work with this database as this role (an owner migrates it on opening)."""
        if self.access == "none":
            return False
        return self.at_head or self.access == "owner"

    def lines(self) -> list[str]:
        source = {"typed": "введён в окне", "keyring": "из хранилища паролей системы",
                  "pgpass": "из файла паролей pgpass", "none": "не понадобился"}[self.password_source]
        if self.at_head:
            schema = f"схема базы актуальна ({self.schema})"
        elif self.schema is None:
            schema = "база пуста: схему создаст «ersoko server init» (или первое открытие от имени владельца)"
        else:
            schema = f"схема базы {self.schema} не совпадает с версией программы {self.head}"
            schema += (": она будет обновлена при открытии" if self.access == "owner"
                       else ": администратор должен выполнить «ersoko server init»")
        return [f"Подключение к {display_url(self.url)} установлено.",
                f"Сервер: PostgreSQL {self.server_version}.",
                f"Права роли: {ACCESS_LABELS[self.access]}.",
                f"Миграции: {schema}.",
                f"Пароль: {source}."]

    def as_dict(self) -> dict:
        return {"url": display_url(self.url), "server_version": self.server_version, "schema": self.schema,
                "head": self.head, "at_head": self.at_head, "access": self.access,
                "password_source": self.password_source, "can_open": self.can_open}


def check_connection(connection: ServerConnection, *, password: str | None = None,
                     pgpass_path: Path | None = None, progress: Progress | None = None) -> ConnectionCheck:
    """Connect once and report the server version, the schema revision and the role's rights."""
    from sqlalchemy.pool import NullPool

    from ..db.credentials import stored_password
    from ..db.migrate import current_revision, head_revision

    progress = progress or Progress.none()
    connection.validate()
    url = connection.url()
    connect_args: dict = {"connect_timeout": CONNECT_TIMEOUT_S}
    if pgpass_path:
        connect_args["passfile"] = str(pgpass_path)
    if password:
        source = "typed"
        connect_args["password"] = password
    else:
        found = stored_password(url, pgpass_path=pgpass_path)
        source = found[1] if found else "none"
        if found and found[1] == "keyring":
            connect_args["password"] = found[0]  # a pgpass password is read by libpq itself
    progress.step(0.2, f"Подключение к {connection.host}:{connection.port}")
    # A plain engine: the failure is explained below knowing where the password came from.
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
            access = _access(conn)
        progress.step(0.7, "Проверка схемы")
        schema = current_revision(engine)
    except DBAPIError as exc:
        raise DatabaseError(explain_connect_error(exc, connection, source)) from exc
    finally:
        engine.dispose()
    progress.step(1.0, "Готово")
    return ConnectionCheck(url=url, server_version=version.split(" ")[0], schema=schema, head=head_revision(),
                           access=access, password_source=source)


def _access(conn: Connection) -> str:
    """The role's rights on the program's tables (``organization`` stands for all: GRANTs are per schema)."""
    row = conn.execute(text(
        "SELECT has_schema_privilege(current_schema(), 'CREATE'), to_regclass('organization') IS NOT NULL, "
        "to_regclass('alembic_version') IS NOT NULL")).one()
    can_create, has_tables, has_stamp = row
    stamp_ok = True
    if has_stamp:
        stamp_ok = conn.execute(text("SELECT has_table_privilege('alembic_version', 'UPDATE')")).scalar_one()
    if can_create and stamp_ok:
        return "owner"
    if not has_tables:
        return "none"
    insert, select_ = conn.execute(text(
        "SELECT has_table_privilege('organization', 'INSERT'), has_table_privilege('organization', 'SELECT')")).one()
    return "write" if insert else ("read" if select_ else "none")


def explain_connect_error(exc: DBAPIError, connection: ServerConnection, password_source: str) -> str:
    """A Russian sentence for the usual ways a connection fails (the server's text is kept at the end)."""
    target = Target(connection.host, connection.port, connection.database, connection.user, connection.sslmode)
    return explain(str(exc.orig), target, password_given=password_source != "none")


@dataclass(frozen=True)
class SavedConnection:
    check: ConnectionCheck
    stored: StoredPassword | None   # None: no password typed (one is already kept, or none is needed)

    def lines(self) -> list[str]:
        out = [f"Программа будет работать с базой {display_url(self.check.url)}."]
        if self.stored is None:
            out.append("Пароль не вводился: используется сохранённый ранее.")
        elif self.stored.store == "keyring":
            out.append(f"Пароль сохранён в {self.stored.location}.")
        else:
            why = f" ({self.stored.note})" if self.stored.note else ""
            out.append(f"Пароль сохранён в файле паролей {self.stored.location}, доступном только вам{why}.")
        return out


def save_connection(connection: ServerConnection, *, password: str | None = None, pgpass_path: Path | None = None,
                    use_keyring: bool = True, remember: bool = True,
                    progress: Progress | None = None) -> SavedConnection:
    """Check the connection, keep the typed password (keyring, else pgpass) and make it the program's
    database (preference ``db``, without the password). Nothing is saved when the check fails."""
    from ..db.credentials import save_password

    check = check_connection(connection, password=password, pgpass_path=pgpass_path, progress=progress)
    if not check.can_open:
        raise DatabaseError("Подключение не сохранено: " + " ".join(check.lines()[2:4]))
    stored = None
    if password:
        stored = save_password(check.url, connection.user.strip(), password, pgpass_path=pgpass_path,
                               use_keyring=use_keyring)
    if remember:
        remember_database_url(check.url)
    return SavedConnection(check, stored)


def remember_database_url(url: str) -> None:
    """Later starts without ``--db`` open this database (preference ``db``; never with a password)."""
    from ..settings import load_preferences, save_preferences

    prefs = load_preferences()
    prefs["db"] = pgpass.strip_password(url)
    save_preferences(prefs)
