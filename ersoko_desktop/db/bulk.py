"""The one place where bulk writes differ by database.

SQLite: DBAPI ``executemany`` in the session's own transaction. PostgreSQL gets a COPY path
here (regional server issue) without touching the callers.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]] | Iterable[dict[str, Any]],
                *, chunk: int = 50_000) -> int:
    """Insert plain dict rows (column name → value) inside the session's transaction.

    JSON columns take Python objects; types are bound by SQLAlchemy, so the call is dialect-neutral.
    Returns the number of rows written.
    """
    count = 0
    batch: list[dict[str, Any]] = []
    stmt = insert(table)
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            session.execute(stmt, batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(stmt, batch)
        count += len(batch)
    return count
