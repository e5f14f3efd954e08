"""Alembic migrations shipped inside the package; upgrade with a backup first.

Opening a database whose schema is already at the code's head is the common case (every start
of the program), so it is answered without importing Alembic (about a third of a second of
start-up): the head is read from the revision files' ``revision``/``down_revision`` lines and
the database's revision from ``alembic_version`` with one query. Alembic runs only when there
is something to migrate; ``tests/db/test_migrations.py`` checks the two readings agree.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from ..errors import DatabaseError
from ..paths import migrations_dir
from .backup import backup_sqlite
from .engine import sqlite_path

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["MigrationResult", "alembic_config", "backup_sqlite", "current_revision", "head_revision",
           "known_revisions", "upgrade"]

VERSION_TABLE = "alembic_version"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def known_revisions() -> dict[str, tuple[str, ...]]:
    """revision → its parent revisions, from the text of ``migrations/versions/*.py``."""
    chain: dict[str, tuple[str, ...]] = {}
    for path in sorted((migrations_dir() / "versions").glob("*.py")):
        values = {name: ast.literal_eval(value) for name, value in _ASSIGNMENT.findall(path.read_text("utf-8"))}
        revision = values.get("revision")
        if not revision:
            continue
        down = values.get("down_revision")
        chain[revision] = tuple(down) if isinstance(down, (tuple, list)) else ((down,) if down else ())
    return chain


def head_revision() -> str:
    chain = known_revisions()
    parents = {p for downs in chain.values() for p in downs}
    heads = sorted(set(chain) - parents)
    if len(heads) != 1:
        raise DatabaseError(f"В программе несколько веток миграций ({', '.join(heads)}); сообщите разработчикам.")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None for a new, empty database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise DatabaseError(f"В базе записано несколько версий схемы ({', '.join(rows)}); сообщите разработчикам.")
    return rows[0] if rows else None


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str
    backup: Path | None


def upgrade(engine: Engine) -> MigrationResult:
    """Bring the database to the code's schema. Refuses a database written by a newer program."""
    head = head_revision()
    before = current_revision(engine)
    if before is not None and before not in known_revisions():
        raise DatabaseError(
            f"База данных создана более новой версией программы (схема {before}). "
            "Обновите ЕРСОКО Desktop или откройте другую базу; эта база не изменена."
        )
    if before == head:
        return MigrationResult(before, head, None)
    from alembic import command

    backup = None
    db_file = sqlite_path(str(engine.url))
    if db_file is not None and db_file.exists() and inspect(engine).get_table_names():
        backup = backup_sqlite(db_file, "before-migration")
    try:
        command.upgrade(alembic_config(engine), "head")
    except DBAPIError as exc:
        if engine.dialect.name == "postgresql" and getattr(exc.orig, "sqlstate", None) == "42501":
            # A read-only analyst or an importer opened a server whose schema is older than the program.
            raise DatabaseError(
                f"Схема базы на сервере ({before or 'пустая'}) старше программы ({head}), а у этой роли нет прав "
                "её обновить. Администратор должен выполнить «ersoko --db URL server init» от имени владельца базы."
            ) from exc
        raise
    return MigrationResult(before, head, backup)


def downgrade(engine: Engine, target: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), target)
