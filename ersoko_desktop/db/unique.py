"""Rows that must exist once, even when two sessions create them at the same moment.

On the regional PostgreSQL server two analysts import at the same time: both may find no
procedure «ВПР, Математика, 5 кл., 2025» and both insert it. The unique constraint lets one
insert through and makes the other wait until the first transaction ends, then fail. Here the
loser's insert runs in a SAVEPOINT: only that savepoint is rolled back and the row the winner
committed is read instead (READ COMMITTED sees it). On SQLite writers are serialized by the
file lock, so the fallback is not reached there, but the code path is the same.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


def insert_once(session: Session, obj: Any) -> bool:
    """Add and flush ``obj``; False (and nothing added) if a unique constraint says it exists.

    Waits for a concurrent transaction that inserted the same key to commit or roll back.
    """
    try:
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except IntegrityError:
        return False
    return True


def get_or_create(session: Session, model: type[T], *, where: dict[str, Any],
                  values: dict[str, Any] | None = None) -> tuple[T, bool]:
    """The row of ``model`` matching ``where`` (its unique key), created with ``values`` if missing.

    Returns ``(row, created)``.
    """
    stmt = select(model).filter_by(**where)
    row = session.scalar(stmt)
    if row is not None:
        return row, False
    row = model(**where, **(values or {}))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = session.scalar(stmt)
        if existing is None:  # another constraint refused the row: the caller must see that
            raise
        return existing, False
    return row, True
