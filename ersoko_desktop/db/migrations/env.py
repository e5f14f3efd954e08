"""Alembic environment: the engine comes from the caller (``db.migrate``), never from a file."""

from __future__ import annotations

from alembic import context

from ersoko_desktop.db import models  # noqa: F401  (registers the tables)
from ersoko_desktop.db.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if engine is None:
        from ersoko_desktop.db.engine import make_engine

        engine = make_engine()
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
