"""Alembic migrations shipped inside the package; upgrade with a backup first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import DBAPIError

from ..errors import DatabaseError
from ..paths import migrations_dir
from .backup import backup_sqlite
from .engine import sqlite_path

__all__ = ["MigrationResult", "alembic_config", "backup_sqlite", "current_revision", "head_revision", "upgrade"]


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    script = ScriptDirectory(str(migrations_dir()))
    heads = script.get_heads()
    if len(heads) != 1:
        raise DatabaseError(f"В программе несколько веток миграций ({', '.join(heads)}); сообщите разработчикам.")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str
    backup: Path | None


def upgrade(engine: Engine) -> MigrationResult:
    """Bring the database to the code's schema. Refuses a database written by a newer program."""
    script = ScriptDirectory(str(migrations_dir()))
    head = head_revision()
    before = current_revision(engine)
    if before is not None and not _safe_known(script, before):
        raise DatabaseError(
            f"База данных создана более новой версией программы (схема {before}). "
            "Обновите ЕРСОКО Desktop или откройте другую базу; эта база не изменена."
        )
    if before == head:
        return MigrationResult(before, head, None)
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


def _safe_known(script: ScriptDirectory, rev: str) -> bool:
    try:
        return script.get_revision(rev) is not None
    except Exception:
        return False


def downgrade(engine: Engine, target: str = "base") -> None:
    command.downgrade(alembic_config(engine), target)
