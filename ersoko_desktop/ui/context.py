"""What every page needs: the database and who we are. Plain object, no Qt."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..db import resolve_db, session_scope
from ..db.engine import display_url


@dataclass
class AppContext:
    engine: Engine
    db_label: str
    demo: bool = False
    listeners: list[Callable[[], None]] = field(default_factory=list)
    opened: Any = None  # safety.startup.OpenedDatabase when opened by the application (holds the lock)

    @classmethod
    def open(cls, db: str | None, *, demo: bool = False) -> "AppContext":
        from ..db import open_database

        url = resolve_db(db)
        engine = open_database(url)
        return cls(engine=engine, db_label=display_url(url), demo=demo)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session

    def own_org(self) -> tuple[str, str, str] | None:
        """(code, name, kind) of this database's organization, or None before the first run."""
        from ..settings import own_organization

        with self.session() as session:
            org = own_organization(session)
            return (org.code, org.name, org.kind) if org else None

    def close(self) -> None:
        """Close the database and release the single-instance lock."""
        self.engine.dispose()
        if self.opened is not None:
            self.opened.close()
            self.opened = None

    def switch_to(self, other: "AppContext") -> None:
        """Work with ``other``'s database from now on (this one is closed); pages must be rebuilt."""
        self.close()
        self.engine, self.db_label, self.demo, self.opened = other.engine, other.db_label, other.demo, other.opened
        self.listeners.clear()  # they belonged to the pages of the old database

    def data_changed(self) -> None:
        """Pages subscribe to refresh after imports and edits."""
        for listener in list(self.listeners):
            listener()
