"""Building real databases for package tests: a registry, an own organization, a key."""

from __future__ import annotations

from pathlib import Path

from ersoko_desktop.db import open_database, session_scope
from ersoko_desktop.db.models import Organization
from ersoko_desktop.settings import set_own_organization

# region R → municipalities M1, M2 → schools S1, S2 (M1) and S3 (M2)
REGISTRY = [("R", "Область", "region", None), ("M1", "Степной район", "municipality", "R"),
            ("M2", "Город", "municipality", "R"), ("S1", "СОШ №1", "school", "M1"),
            ("S2", "СОШ №2", "school", "M1"), ("S3", "СОШ №3", "school", "M2")]


def add_registry(session, rows=REGISTRY) -> None:
    by_code: dict[str, Organization] = {}
    for code, name, kind, parent in rows:
        org = Organization(code=code, name=name, kind=kind, parent=by_code.get(parent))
        session.add(org)
        by_code[code] = org
    session.flush()


def make_db(path: Path, own: str, *, key: bool = False, rows=REGISTRY):
    """A migrated SQLite database with the registry and its own organization (and key)."""
    engine = open_database(str(path))
    with session_scope(engine) as session:
        add_registry(session, rows)
        set_own_organization(session, own)
        if key:
            from ersoko_desktop.services.keys import init_key

            init_key(session)
    return engine
