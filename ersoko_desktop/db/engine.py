"""Build engines and sessions from a path or URL. No engine exists at import time."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ..paths import default_db_path

ENV_VAR = "ERSOKO_DB"


def resolve_db(db: str | os.PathLike | None = None) -> str:
    """``--db`` wins, then ``ERSOKO_DB``, then the database the user chose (preference ``db``, set by
    the first-run wizard), then the user data dir; a plain path becomes a SQLite URL. A chosen database
    file that is gone raises :class:`~ersoko_desktop.errors.RememberedDatabaseMissing`."""
    remembered = None if db or os.environ.get(ENV_VAR) else remembered_db()
    value = str(db) if db else os.environ.get(ENV_VAR) or remembered or str(default_db_path())
    if "://" in value:
        return _with_driver(value)
    path = Path(value).expanduser().absolute()
    if remembered and not path.exists():
        # an unplugged drive: creating the folder and an empty database there would split the data
        from ..errors import RememberedDatabaseMissing

        raise RememberedDatabaseMissing(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def remembered_db() -> str | None:
    """The database chosen in the program (preference ``db``), if any."""
    from ..settings import load_preferences

    value = load_preferences().get("db")
    return value if isinstance(value, str) and value else None


def _with_driver(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (the driver we ship), not psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def display_url(url: str) -> str:
    """A URL safe to show or log: the password is masked, a SQLite URL becomes its path."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(db: str | os.PathLike | None = None, **kwargs) -> Engine:
    url = resolve_db(db)
    if url.startswith("sqlite"):
        # Sessions run in GUI worker threads; the pool hands a connection to one thread at a time.
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        from .credentials import attach

        attach(engine)  # a saved URL has no password: the keyring's, else libpq's pgpass file
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error (also KeyboardInterrupt)."""
    session = make_session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
