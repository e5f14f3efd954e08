"""Database layer: models, engine, migrations."""

from __future__ import annotations

import os

from sqlalchemy import Engine

from . import stats_cache  # noqa: F401  (registers the result_stats invalidation hook on every session)
from .engine import make_engine, make_session_factory, resolve_db, session_scope, sqlite_path
from .migrate import MigrationResult, current_revision, head_revision, upgrade


def open_database(db: str | os.PathLike | None = None, *, migrate: bool = True) -> Engine:
    """Open (and by default migrate) a database. A database newer than the code is refused."""
    engine = make_engine(db)
    if migrate:
        upgrade(engine)
    else:
        require_current_schema(engine)
    return engine


def require_current_schema(engine: Engine) -> None:
    """Refuse a database whose schema is not exactly the code's (older or newer)."""
    from ..errors import DatabaseError

    current, head = current_revision(engine), head_revision()
    if current != head:
        raise DatabaseError(
            f"Схема базы данных ({current or 'пустая'}) не совпадает с версией программы ({head}). "
            "Выполните «ersoko init»."
        )


__all__ = [
    "MigrationResult",
    "make_engine",
    "make_session_factory",
    "open_database",
    "resolve_db",
    "session_scope",
    "sqlite_path",
    "upgrade",
]
