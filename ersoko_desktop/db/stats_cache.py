"""Invalidation of the ``result_stats`` cache (see ``services.result_stats``) — where results change.

Bulk writers (results import, package import, demo) call :func:`invalidate` for the school ×
procedure blocks they wrote. Changes made through the ORM (``session.add``/``delete`` of a
``ParticipantResult``, an edited mark) are caught here by a ``before_flush`` hook on every
session, so a hand edit can never leave stale statistics behind.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

UPSERT_STALE = text(
    "INSERT INTO result_stats (procedure_id, school_id, generation) VALUES (:p, :s, 1) "
    "ON CONFLICT (procedure_id, school_id) DO UPDATE SET generation = result_stats.generation + 1, "
    "data = NULL, classes = NULL, rows = NULL, computed_at = NULL"
)


def invalidate(session: Session, *, procedure_id: int, school_ids) -> None:
    """Mark the statistics of these school × procedure blocks stale (creating missing cache rows) and
    bump their generation. Call it in the same transaction as the change of ``participant_result``."""
    params = [{"p": int(procedure_id), "s": int(s)} for s in sorted({int(s) for s in school_ids})]
    if params:
        # The connection, not session.execute: this also runs inside before_flush (no autoflush).
        session.connection().execute(UPSERT_STALE, params)


@event.listens_for(Session, "before_flush")
def _invalidate_flushed(session: Session, _context, _instances) -> None:
    from .models import ParticipantResult

    blocks: dict[int, set[int]] = defaultdict(set)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, ParticipantResult):
            continue
        state = inspect(obj)
        for attr in ("procedure_id", "school_id"):
            history = state.attrs[attr].history
            for old in history.deleted or ():
                if old is not None:
                    blocks[old if attr == "procedure_id" else obj.procedure_id].add(
                        obj.school_id if attr == "procedure_id" else old)
        pid = obj.procedure_id if obj.procedure_id is not None else getattr(obj.procedure, "id", None)
        sid = obj.school_id if obj.school_id is not None else getattr(obj.school, "id", None)
        if pid is not None and sid is not None:
            blocks[pid].add(sid)
        elif obj in session.new:
            # ids are assigned during this flush (new procedure or school): invalidate after it
            session.info.setdefault("stats_pending", []).append(obj)
    for pid, schools in blocks.items():
        invalidate(session, procedure_id=pid, school_ids=schools)


@event.listens_for(Session, "after_flush")
def _invalidate_new_ids(session: Session, _context) -> None:
    pending = session.info.pop("stats_pending", None)
    if pending:
        blocks: dict[int, set[int]] = defaultdict(set)
        for obj in pending:
            blocks[obj.procedure_id].add(obj.school_id)
        for pid, schools in blocks.items():
            invalidate(session, procedure_id=pid, school_ids=schools)
