"""``ersoko server init|remember|check`` — the regional PostgreSQL server (ЦОКО)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from .context import CliContext, add_format, emit_json, info


def register(sub) -> None:
    p = sub.add_parser("server", help="региональный сервер PostgreSQL (ЦОКО)")
    ssub = p.add_subparsers(dest="server_command", metavar="ДЕЙСТВИЕ")
    ssub.required = True

    init = ssub.add_parser("init", help="обновить схему на сервере и создать роли аналитика и импортёра с правами")
    init.add_argument("--analyst-role", default="ersoko_analyst", help="роль только для чтения (SELECT)")
    init.add_argument("--importer-role", default="ersoko_importer", help="роль для загрузки данных")
    init.add_argument("--pgpass", type=Path, metavar="FILE",
                      help="файл паролей libpq (по умолчанию PGPASSFILE, ~/.pgpass или %%APPDATA%%\\postgresql\\pgpass.conf)")
    init.add_argument("--reset-passwords", action="store_true", help="задать ролям новые пароли")
    add_format(init)
    init.set_defaults(handler=run_init)

    rem = ssub.add_parser("remember", help="сохранить пароль для --db в хранилище паролей системы "
                                           "(keyring) или в файле паролей libpq — не в настройках")
    rem.add_argument("--pgpass", type=Path, metavar="FILE",
                     help="сохранить в этот файл паролей libpq, а не в хранилище паролей системы")
    rem.set_defaults(handler=run_remember)

    check = ssub.add_parser("check", help="проверить подключение к --db: версия сервера, схема, права роли")
    check.add_argument("--pgpass", type=Path, metavar="FILE", help="файл паролей libpq")
    add_format(check)
    check.set_defaults(handler=run_check)


def run_init(args, ctx: CliContext) -> int:
    from ..db.engine import make_engine
    from ..services.server import init_server

    engine = make_engine(ctx.db)
    ctx._engine = engine
    report = init_server(engine, analyst_role=args.analyst_role, importer_role=args.importer_role,
                         pgpass_path=args.pgpass, reset_passwords=args.reset_passwords)
    if args.format == "json":
        emit_json(report.as_dict())
    if report.schema_before == report.schema_after:
        info(f"Схема на сервере в актуальном состоянии ({report.schema_after}): {report.url}")
    else:
        info(f"Схема на сервере обновлена до {report.schema_after}: {report.url}")
    info(f"Владелец схемы: {report.owner}")
    for role in report.roles:
        what = "только чтение" if role.access == "read" else "чтение и загрузка данных"
        state = "создана" if role.created else ("новый пароль" if role.password_saved else "уже была, пароль не менялся")
        info(f"Роль {role.name} ({what}): {state}")
    if any(r.password_saved for r in report.roles):
        info(f"Пароли ролей записаны в файл паролей {report.pgpass} (доступ только владельцу). "
             "На рабочих местах сохраните пароль командой «ersoko --db URL server remember».")
    return 0


def run_remember(args, ctx: CliContext) -> int:
    from sqlalchemy.engine import make_url

    from ..db import pgpass, resolve_db
    from ..db.credentials import save_password
    from ..db.engine import display_url
    from ..errors import InputError

    url = resolve_db(ctx.db)
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise InputError("Пароль сохраняется только для сервера PostgreSQL: укажите --db postgresql://роль@сервер/база.")
    if not parsed.username:
        raise InputError(f"В адресе {display_url(url)} не указано имя роли (postgresql://РОЛЬ@сервер/база).")
    password = parsed.password
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass(f"Пароль роли {parsed.username}: ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InputError("Пустой пароль не сохранён.")
    stored = save_password(url, parsed.username, password, pgpass_path=args.pgpass, use_keyring=args.pgpass is None)
    where = ("хранилище паролей системы" if stored.store == "keyring"
             else f"файл паролей {stored.location}" + (f" ({stored.note})" if stored.note else ""))
    info(f"Пароль роли {parsed.username} для {display_url(pgpass.strip_password(url))} сохранён: {where}.")
    info("Дальше указывайте адрес без пароля: ersoko --db " + pgpass.strip_password(url) + " …")
    return 0


def run_check(args, ctx: CliContext) -> int:
    from sqlalchemy.engine import make_url

    from ..db import resolve_db
    from ..services.server import ServerConnection, check_connection

    url = resolve_db(ctx.db)
    password = make_url(url).password if "://" in url else None
    report = check_connection(ServerConnection.from_url(url), password=password, pgpass_path=args.pgpass)
    if args.format == "json":
        emit_json(report.as_dict())
    for line in report.lines():
        info(line)
    return 0 if report.can_open else 1
