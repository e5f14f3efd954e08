"""Regional server mode: prepare a PostgreSQL database for ЦОКО (schema, roles, GRANTs).

Two login roles, so that most staff cannot change data by accident:

- ``ersoko_analyst`` — read-only: ``SELECT`` on every table (and every table later migrations add);
- ``ersoko_importer`` — ``SELECT/INSERT/UPDATE/DELETE`` and the sequences: imports packages and
  results, but cannot change the schema or the migration stamp.

The schema itself belongs to the role that runs ``ersoko server init`` (the owner/administrator).
Generated passwords go to libpq's password file (``db.pgpass``), never into settings or output.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from ..db import pgpass
from ..db.engine import display_url
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
