"""``ersoko keys init|show|export-public|trust|revoke|retire|list``."""

from __future__ import annotations

import os
import sys

from .context import CliContext, add_format, emit_json, info

PASSPHRASE_ENV = "ERSOKO_KEY_PASSPHRASE"


def register(sub) -> None:
    p = sub.add_parser("keys", help="ключи подписи пакетов и список доверенных ключей")
    ksub = p.add_subparsers(dest="keys_command", metavar="ДЕЙСТВИЕ")
    ksub.required = True
    init = ksub.add_parser("init", help="создать ключ своей организации (если его нет)")
    init.add_argument("--passphrase", action="store_true",
                      help=f"защитить закрытый ключ паролем (из {PASSPHRASE_ENV} или запрос)")
    add_format(init)
    init.set_defaults(handler=run_init)
    show = ksub.add_parser("show", help="показать свой ключ и его отпечаток")
    add_format(show)
    show.set_defaults(handler=run_show)
    exp = ksub.add_parser("export-public", help="сохранить файл открытого ключа для вышестоящей организации")
    exp.add_argument("--out", required=True, metavar="FILE")
    exp.set_defaults(handler=run_export_public)
    trust = ksub.add_parser("trust", help="добавить открытый ключ другой организации в доверенные")
    trust.add_argument("file")
    trust.add_argument("--role", choices=("school", "municipality", "region"),
                       help="роль ключа (по умолчанию — тип организации из файла)")
    add_format(trust)
    trust.set_defaults(handler=run_trust)
    for name, help_text in (("revoke", "отозвать доверенный ключ (навсегда)"),
                            ("retire", "вывести доверенный ключ из обращения")):
        cmd = ksub.add_parser(name, help=help_text)
        cmd.add_argument("fingerprint", metavar="FP", help="отпечаток (можно без пробелов)")
        cmd.set_defaults(handler=run_status, status_action=name)
    ls = ksub.add_parser("list", help="список доверенных ключей")
    add_format(ls)
    ls.set_defaults(handler=run_list)


def passphrase(prompt: bool = False) -> str | None:
    """The key passphrase from the environment, or asked on a terminal when ``prompt``."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if prompt and sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Пароль закрытого ключа: ")
        if first and getpass.getpass("Повторите пароль: ") != first:
            from ..errors import InputError

            raise InputError("Пароли не совпадают; ключ не создан.")
        return first or None
    return None


def run_init(args, ctx: CliContext) -> int:
    from ..services.keys import init_key

    with ctx.session() as session:
        key = init_key(session, passphrase=passphrase(prompt=args.passphrase) if args.passphrase else None)
    if args.format == "json":
        emit_json(key.as_dict())
        return 0
    if key.created:
        info(f"Создан ключ организации {key.org_code}. Закрытый ключ: {key.private_key_file}")
    else:
        info(f"У организации {key.org_code} уже есть ключ; новый не создан.")
    print(key.fingerprint)
    return 0


def run_show(args, ctx: CliContext) -> int:
    from ..services.keys import show_key

    with ctx.session() as session:
        key = show_key(session)
    if args.format == "json":
        emit_json(key.as_dict())
    else:
        print(f"Организация: {key.org_code} — {key.org_name}")
        print(f"Отпечаток:   {key.fingerprint}")
        print(f"Создан:      {key.created_at:%Y-%m-%d %H:%M} UTC")
        print(f"Следующий номер пакета: {key.next_seq}")
        print(f"Закрытый ключ: {key.private_key_file}" + (" (защищён паролем)" if key.encrypted else ""))
    return 0


def run_export_public(args, ctx: CliContext) -> int:
    from ..services.keys import export_public, show_key

    with ctx.session() as session:
        path = export_public(session, out=args.out, passphrase=passphrase())
        key = show_key(session)
    info(f"Открытый ключ сохранён в {path}. Сверьте отпечаток по карточке ключа: {key.fingerprint}")
    return 0


def run_trust(args, ctx: CliContext) -> int:
    from ..services.keys import trust_file

    with ctx.session() as session:
        result = trust_file(session, args.file, role=args.role)
    if args.format == "json":
        emit_json(result.key.as_dict() | {"created": result.created, "message": result.message})
    else:
        info(f"{result.key.org_code} ({result.key.role}): {result.message}.")
        print(result.key.fingerprint)
    return 0


def run_status(args, ctx: CliContext) -> int:
    from ..services.keys import retire, revoke

    with ctx.session() as session:
        view = (revoke if args.status_action == "revoke" else retire)(session, args.fingerprint)
    info(f"Ключ {view.fingerprint} организации {view.org_code}: статус «{view.status}».")
    return 0


def run_list(args, ctx: CliContext) -> int:
    from ..services.keys import list_trusted

    with ctx.session() as session:
        keys = list_trusted(session)
    if args.format == "json":
        emit_json([k.as_dict() for k in keys])
    else:
        for k in keys:
            print(f"{k.org_code:<14} {k.role:<13} {k.status:<8} {k.fingerprint}")
    return 0
