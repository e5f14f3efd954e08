"""Opening a database the safe way — the same steps for the GUI and the CLI.

1. refuse a network share, warn about a removable drive (:mod:`.location`);
2. take the single-instance lock (:mod:`.lock`);
3. ``PRAGMA quick_check``: a damaged file is not opened, the error names the newest backup;
4. the day's first backup (``daily``, rotating) — the GUI takes it on a worker thread after its
   window is shown (:meth:`OpenedDatabase.start_daily_backup`), the CLI before it goes on;
5. migrate (with its own ``before-migration`` backup) and return the engine.

PostgreSQL URLs skip 1–4: the server does its own locking and backups.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from ..db.backup import BackupInfo, daily_backup, integrity_errors, latest_backup
from ..db.engine import resolve_db, sqlite_path
from ..db.migrate import MigrationResult
from ..errors import DatabaseError
from .crash import log
from .lock import DatabaseLock, acquire
from .location import check_location


class DatabaseDamagedError(DatabaseError):
    """``quick_check`` found damage; nothing was opened or changed."""

    def __init__(self, db_file: Path, problems: list[str], latest: BackupInfo | None):
        if latest is not None:
            advice = (f"Восстановите последнюю резервную копию ({latest.label}): "
                      f"в программе — кнопкой «Восстановить», в командной строке — "
                      f"«ersoko --db \"{db_file}\" backup restore \"{latest.path}\"».")
        else:
            advice = "Резервных копий этой базы нет; обратитесь к специалисту, не удаляя файл."
        super().__init__(
            f"База данных «{db_file}» повреждена (проверка целостности: {problems[0][:200]}). "
            f"Работа с ней остановлена, файл не изменён. {advice}"
        )
        self.db_file = db_file
        self.problems = problems
        self.latest = latest


@dataclass
class OpenedDatabase:
    engine: Engine
    url: str
    db_file: Path | None
    lock: DatabaseLock | None
    warnings: list[str] = field(default_factory=list)
    daily_backup: Path | None = None
    migration: MigrationResult | None = None
    existed: bool = False  # the file had data before this opening (a new file needs no daily copy)
    background: threading.Thread | None = None

    def start_daily_backup(self, on_done: Callable[[Path | None, BaseException | None], None] | None = None) -> None:
        """Take the day's first backup on a worker thread (the SQLite backup API releases the GIL,
        so the window stays responsive). ``on_done(path or None, error or None)`` is called on that
        thread. The lock is held until :meth:`close`, which waits for the copy to finish."""
        if self.db_file is None or not self.existed or self.background is not None:
            return

        def work() -> None:
            path, error = None, None
            try:
                path = daily_backup(self.db_file)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - reported to the caller and the log, never lost
                log.exception("Ежедневная резервная копия базы %s не создана", self.db_file)
                error = exc
            self.daily_backup = path
            if on_done is not None:
                on_done(path, error)

        self.background = threading.Thread(target=work, name="daily-backup", daemon=False)
        self.background.start()

    def wait_for_background(self) -> None:
        if self.background is not None:
            self.background.join()

    def close(self) -> None:
        self.wait_for_background()
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()


def prepare_file(db_file: Path, *, program: str, check_integrity: bool = True, daily: bool = True
                 ) -> tuple[DatabaseLock, list[str], Path | None]:
    """Steps 1–4 for one SQLite file; returns the held lock, warnings and the daily backup."""
    warnings = check_location(db_file)
    lock = acquire(db_file, program=program)
    try:
        if lock.stale is not None:
            log.warning("Блокировка базы %s осталась от завершившейся программы: %s", db_file, lock.stale.describe())
        exists = db_file.exists() and db_file.stat().st_size > 0
        if exists and check_integrity:
            problems = integrity_errors(db_file)
            if problems:
                raise DatabaseDamagedError(db_file, problems, latest_backup(db_file))
        backup = daily_backup(db_file) if exists and daily else None
    except BaseException:
        lock.release()
        raise
    return lock, warnings, backup


def open_safely(db: str | os.PathLike | None = None, *, program: str = "ЕРСОКО Desktop",
                check_integrity: bool = True, daily: bool = True, migrate: bool = True) -> OpenedDatabase:
    from ..db import require_current_schema
    from ..db.engine import make_engine
    from ..db.migrate import upgrade

    url = resolve_db(db)
    db_file = sqlite_path(url)
    lock, warnings, backup = (None, [], None)
    existed = db_file is not None and db_file.exists() and db_file.stat().st_size > 0
    if db_file is not None:
        lock, warnings, backup = prepare_file(db_file, program=program, check_integrity=check_integrity, daily=daily)
    engine = make_engine(url)
    try:
        migration = upgrade(engine) if migrate else None
        if not migrate:
            require_current_schema(engine)
    except BaseException:
        engine.dispose()
        if lock is not None:
            lock.release()
        raise
    for w in warnings:
        log.warning(w)
    return OpenedDatabase(engine, url, db_file, lock, warnings, backup, migration, existed=existed)
