"""Per-database settings (own organization) and per-user preferences (a JSON file)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db.models import AppSetting, Organization
from .errors import NotFoundError
from .fileio import atomic_write_text
from .paths import user_data_dir

OWN_ORG_KEY = "own_org"


def get_db_setting(session: Session, key: str, default: str | None = None) -> str | None:
    row = session.get(AppSetting, key)
    return row.value if row else default


def set_db_setting(session: Session, key: str, value: str) -> None:
    row = session.get(AppSetting, key)
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value


def own_organization(session: Session) -> Organization | None:
    """The organization this database acts for (set by ``init --org`` or the first-run dialog)."""
    code = get_db_setting(session, OWN_ORG_KEY)
    if not code:
        return None
    return session.scalar(select(Organization).where(Organization.code == code))


def set_own_organization(session: Session, code: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.code == code))
    if org is None:
        raise NotFoundError(
            f"Организация с кодом «{code}» не найдена в реестре. Сначала загрузите реестр: ersoko org import ФАЙЛ."
        )
    set_db_setting(session, OWN_ORG_KEY, code)
    return org


def _prefs_file():
    return user_data_dir() / "settings.json"


def load_preferences() -> dict[str, Any]:
    try:
        return json.loads(_prefs_file().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def save_preferences(prefs: dict[str, Any]) -> None:
    """Write user preferences; a database URL is saved without its password (that lives in pgpass)."""
    from .db.pgpass import strip_password

    prefs = {k: strip_password(v) if isinstance(v, str) and "://" in v else v for k, v in prefs.items()}
    atomic_write_text(_prefs_file(), json.dumps(prefs, ensure_ascii=False, indent=2))
