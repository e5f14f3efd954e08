"""``ersoko backup create|list|restore``: the same backups the program makes by itself."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .context import CliContext, add_format, emit_json, info


def register(sub) -> None:
    p = sub.add_parser("backup", help="резервные копии базы: создать, список, восстановить")
    actions = p.add_subparsers(dest="backup_action", metavar="ДЕЙСТВИЕ")
    actions.required = True
    create = actions.add_parser("create", help="сделать резервную копию сейчас")
    add_format(create)
    create.set_defaults(handler=run_create)
    listing = actions.add_parser("list", help="резервные копии этой базы, новые сверху")
    add_format(listing)
    listing.set_defaults(handler=run_list)
    restore = actions.add_parser("restore", help="заменить базу резервной копией (текущая сохраняется)")
    restore.add_argument("file", nargs="?", help="файл копии; без него — самая новая копия")
    restore.set_defaults(handler=run_restore)


def _db_file(ctx: CliContext) -> Path:
    from ..db import resolve_db, sqlite_path

    path = sqlite_path(resolve_db(ctx.db))
    if path is None:
        raise InputError("Резервные копии делаются только для файла SQLite; базу на сервере "
                         "PostgreSQL копирует администратор сервера (pg_dump).")
    return path


def run_create(args, ctx: CliContext) -> int:
    from ..db.backup import backup_sqlite

    db_file = _db_file(ctx)
    ctx.open()
    path = backup_sqlite(db_file, "manual")
    if args.format == "json":
        emit_json({"backup": str(path), "size": path.stat().st_size})
    info(f"Резервная копия создана: {path}")
    return 0


def run_list(args, ctx: CliContext) -> int:
    from ..db.backup import list_backups

    backups = list_backups(_db_file(ctx))
    if args.format == "json":
        emit_json([{"path": str(b.path), "reason": b.reason, "created": b.created.isoformat(timespec="seconds"),
                    "size": b.size} for b in backups])
        return 0
    if not backups:
        info("Резервных копий этой базы нет.")
    for b in backups:
        print(f"{b.label:<45} {b.size / 1e6:8.1f} МБ  {b.path}")
    return 0


def run_restore(args, ctx: CliContext) -> int:
    from ..db.backup import latest_backup, restore_backup
    from ..safety.lock import acquire

    db_file = _db_file(ctx)
    if args.file:
        source = Path(args.file)
        if not source.is_file():
            raise InputError(f"Файл резервной копии «{source}» не найден.")
    else:
        newest = latest_backup(db_file)
        if newest is None:
            raise InputError(f"Для базы «{db_file}» нет ни одной резервной копии.")
        source = newest.path
    with acquire(db_file, program="ersoko backup restore"):
        safety = restore_backup(source, db_file)
    info(f"База «{db_file}» восстановлена из копии «{source}».")
    if safety is not None:
        info(f"Прежнее состояние базы сохранено: {safety}")
    return 0
