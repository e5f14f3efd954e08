"""Rotating backups of a SQLite database, and restore.

A backup is a consistent copy made with the SQLite online backup API (correct in WAL mode and
while other connections are open), named ``<db stem>-<reason>-<YYYYmmdd-HHMMSS-ffffff>.sqlite``
in the user's ``backups/`` folder. Each reason (``daily``, ``before-migration``,
``before-import``, …) keeps its own newest ``keep`` copies, so a burst of imports never pushes
out the last daily copy.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from ..errors import DatabaseError
from ..fileio import atomic_copy, replace_with_retry
from ..paths import backups_dir
from .engine import sqlite_path

DEFAULT_KEEP = 10
STAMP_FORMAT = "%Y%m%d-%H%M%S-%f"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    reason: str
    created: dt.datetime
    size: int

    @property
    def label(self) -> str:
        """How the GUI names it: «14.11.2026 10:30 — ежедневная»."""
        return f"{self.created:%d.%m.%Y %H:%M} — {REASON_TITLES.get(self.reason, self.reason)}"


REASON_TITLES = {
    "daily": "ежедневная",
    "manual": "вручную",
    "before-migration": "перед обновлением схемы",
    "before-import": "перед загрузкой",
    "before-restore": "перед восстановлением",
}


def backup_sqlite(db_file: Path, reason: str, directory: Path | None = None, *,
                  keep: int | None = DEFAULT_KEEP) -> Path:
    """Copy a live SQLite database with the backup API, then drop old copies of this reason.

    The copy is written under a temporary name and renamed when complete, so a crash during
    the backup never leaves a half copy that looks like a good one.
    """
    directory = directory or backups_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime(STAMP_FORMAT)
    target = directory / f"{Path(db_file).stem}-{reason}-{stamp}.sqlite"
    partial = target.with_suffix(".partial")
    src = sqlite3.connect(str(db_file))
    dst = sqlite3.connect(str(partial))
    try:
        src.backup(dst)
        # A backup of a WAL database is itself in WAL mode; make it one self-contained file.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    replace_with_retry(partial, target)
    if keep is not None:
        rotate(Path(db_file), reason, keep=keep, directory=directory)
    return target


def backup_engine(engine: Engine, reason: str, *, keep: int | None = DEFAULT_KEEP) -> Path | None:
    """Back up the database behind ``engine`` (None for PostgreSQL or an empty new file)."""
    db_file = sqlite_path(str(engine.url))
    if db_file is None or not db_file.exists() or db_file.stat().st_size == 0:
        return None
    return backup_sqlite(db_file, reason, keep=keep)


def list_backups(db_file: Path, directory: Path | None = None, *, reason: str | None = None) -> list[BackupInfo]:
    """Backups of this database (by file stem), newest first."""
    directory = directory or backups_dir()
    stem = Path(db_file).stem
    found: list[BackupInfo] = []
    for path in directory.glob(f"{stem}-*.sqlite"):
        parsed = _parse_name(path.name, stem)
        if parsed is None:
            continue
        r, created = parsed
        if reason is not None and r != reason:
            continue
        found.append(BackupInfo(path, r, created, path.stat().st_size))
    found.sort(key=lambda b: b.created, reverse=True)
    return found


def latest_backup(db_file: Path, directory: Path | None = None) -> BackupInfo | None:
    backups = list_backups(db_file, directory)
    return backups[0] if backups else None


def rotate(db_file: Path, reason: str, *, keep: int = DEFAULT_KEEP, directory: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` backups of ``reason``; returns what was deleted."""
    removed = []
    for old in list_backups(db_file, directory, reason=reason)[keep:]:
        old.path.unlink(missing_ok=True)
        removed.append(old.path)
    return removed


def daily_backup(db_file: Path, *, today: dt.date | None = None, keep: int = DEFAULT_KEEP,
                 directory: Path | None = None) -> Path | None:
    """One backup per calendar day (the first start of the day makes it); None if already done."""
    today = today or dt.date.today()
    if not Path(db_file).exists() or Path(db_file).stat().st_size == 0:
        return None
    for existing in list_backups(db_file, directory, reason="daily"):
        if existing.created.date() == today:
            return None
    return backup_sqlite(Path(db_file), "daily", directory, keep=keep)


def integrity_errors(db_file: Path) -> list[str]:
    """``PRAGMA quick_check`` messages (empty list = healthy). Unreadable files count as damaged."""
    try:
        conn = sqlite3.connect(f"file:{Path(db_file).as_posix()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def restore_backup(backup: Path, db_file: Path) -> Path | None:
    """Put ``backup`` in place of ``db_file``; returns the safety copy of what was there.

    The caller must have closed every connection (dispose the engine) and hold the database
    lock. The backup is checked first; the current file, if it can still be read, is kept as a
    ``before-restore`` backup (damaged files are kept beside it as ``.damaged``) so a restore
    can itself be undone. The WAL and shared-memory files of the old database are removed,
    otherwise SQLite would replay the old journal over the restored pages.
    """
    backup, db_file = Path(backup), Path(db_file)
    problems = integrity_errors(backup)
    if problems:
        raise DatabaseError(f"Резервная копия «{backup.name}» повреждена и не может быть восстановлена: "
                            f"{problems[0]}. Выберите другую копию.")
    safety: Path | None = None
    if db_file.exists():
        if integrity_errors(db_file):
            safety = db_file.with_name(f"{db_file.name}.{dt.datetime.now():%Y%m%d-%H%M%S}.damaged")
            replace_with_retry(db_file, safety)
        else:
            safety = backup_sqlite(db_file, "before-restore")
    for suffix in ("-wal", "-shm", "-journal"):
        side = db_file.with_name(db_file.name + suffix)
        if side.exists():
            os.remove(side)
    atomic_copy(backup, db_file)
    return safety


def _parse_name(name: str, stem: str) -> tuple[str, dt.datetime] | None:
    if not name.startswith(stem + "-") or not name.endswith(".sqlite"):
        return None
    parts = name[len(stem) + 1 : -len(".sqlite")].split("-")
    if len(parts) < 4:
        return None
    try:
        created = dt.datetime.strptime("-".join(parts[-3:]), STAMP_FORMAT)
    except ValueError:
        return None
    return "-".join(parts[:-3]), created
