"""Record who changed what (audit_event)."""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy.orm import Session

from ..db.models import AuditEvent


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name on some Windows service accounts
        return "неизвестный пользователь"


def record(session: Session, *, action: str, entity: str, entity_id: Any = None,
           before: dict | None = None, after: dict | None = None, actor: str | None = None) -> AuditEvent:
    event = AuditEvent(actor=actor or current_user(), action=action, entity=entity,
                       entity_id=None if entity_id is None else str(entity_id), before=before, after=after)
    session.add(event)
    return event
