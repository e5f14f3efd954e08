"""``ersoko init [--demo] [--org CODE]``."""

from __future__ import annotations

from .context import CliContext, info, terminal_progress


def register(sub) -> None:
    p = sub.add_parser("init", help="создать или обновить базу данных")
    p.add_argument("--demo", action="store_true", help="заполнить демонстрационной областью")
    p.add_argument("--org", metavar="CODE", help="своя организация этой базы (код из реестра)")
    p.set_defaults(handler=run)


def run(args, ctx: CliContext) -> int:
    from ..db import resolve_db
    from ..db.engine import display_url

    opened = ctx.open(check_integrity=True, daily=True)
    result = opened.migration
    assert result is not None
    if opened.daily_backup:
        info(f"Ежедневная резервная копия: {opened.daily_backup}")
    if result.before == result.after:
        info(f"База данных в актуальном состоянии (схема {result.after}): {display_url(resolve_db(ctx.db))}")
    else:
        info(f"База данных обновлена до схемы {result.after}: {display_url(resolve_db(ctx.db))}")
        if result.backup:
            info(f"Резервная копия перед обновлением: {result.backup}")
    if args.demo:
        from ..services.demo import fill_demo

        with ctx.session() as session:
            summary = fill_demo(session, progress=terminal_progress("Демо"))
        info(f"Демонстрационные данные: организаций {summary.organizations}, процедур {summary.procedures}, "
             f"результатов {summary.results}, дорожных карт {summary.roadmaps}.")
    if args.org:
        from ..settings import set_own_organization

        with ctx.session() as session:
            org = set_own_organization(session, args.org)
            info(f"Организация этой базы: {org.code} — {org.name}")
    return 0
