"""PostgreSQL passwords live in libpq's password file, never in our settings or in a URL we save.

libpq (under psycopg) reads the file by itself when a URL has no password: ``PGPASSFILE`` if set,
else ``~/.pgpass`` (Linux) or ``%APPDATA%\\postgresql\\pgpass.conf`` (Windows). One line per
``host:port:database:user:password``; ``:`` and ``\\`` inside a field are escaped with ``\\``.
On Linux libpq ignores the file unless only its owner can read it, so it is written with mode 0600.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


def default_pgpass_path() -> Path:
    env = os.environ.get("PGPASSFILE")
    if env:
        return Path(env)
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", Path.home())) / "postgresql" / "pgpass.conf"
    return Path.home() / ".pgpass"


@dataclass(frozen=True)
class PgpassEntry:
    host: str
    port: str
    database: str
    user: str
    password: str

    def key(self) -> tuple[str, str, str, str]:
        return (self.host, self.port, self.database, self.user)

    def line(self) -> str:
        return ":".join(_escape(f) for f in (self.host, self.port, self.database, self.user, self.password))


def _escape(field: str) -> str:
    return field.replace("\\", "\\\\").replace(":", "\\:")


def _split(line: str) -> list[str]:
    fields, current, escaped = [], [], False
    for ch in line:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields


def entry_for(url: str, user: str, password: str) -> PgpassEntry:
    """The entry that libpq will match for ``url`` connected as ``user``."""
    u = make_url(url)
    host = u.host or "localhost"  # libpq matches a unix-socket connection against "localhost"
    return PgpassEntry(host, str(u.port or 5432), u.database or user, user, password)


def read_entries(path: Path | None = None) -> list[PgpassEntry]:
    path = path or default_pgpass_path()
    if not path.exists():
        return []
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = _split(raw)
        if len(fields) == 5:
            out.append(PgpassEntry(*fields))
    return out


def lookup(url: str, user: str, path: Path | None = None) -> str | None:
    """The stored password for ``user`` at ``url`` (exact match or ``*`` wildcards, as libpq does)."""
    want = entry_for(url, user, "").key()
    for e in read_entries(path):
        if all(f == "*" or f == w for f, w in zip(e.key(), want)):
            return e.password
    return None


def remember(entry: PgpassEntry, path: Path | None = None) -> Path:
    """Add or replace the line for the same host/port/database/user; other lines stay as they were."""
    path = path or default_pgpass_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [ln for ln in lines if not (len(_split(ln)) == 5 and tuple(_split(ln)[:4]) == entry.key())]
    kept.append(entry.line())
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(kept) + "\n")
    os.replace(tmp, path)
    if os.name != "nt":
        os.chmod(path, 0o600)
    return path


def strip_password(url: str) -> str:
    """The URL without its password (what may be saved in settings or shown on screen)."""
    if "://" not in url:
        return url
    u = make_url(url)
    if u.password is None:
        return url
    return u._replace(password=None).render_as_string(hide_password=False)  # .set() cannot unset
