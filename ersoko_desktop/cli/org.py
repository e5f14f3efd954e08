"""``ersoko org import FILE`` and ``ersoko org list``."""

from __future__ import annotations

from .context import CliContext, add_format, respond


def register(sub) -> None:
    p = sub.add_parser("org", help="реестр организаций")
    osub = p.add_subparsers(dest="org_command", metavar="ДЕЙСТВИЕ")
    osub.required = True
    imp = osub.add_parser("import", help="загрузить реестр (CSV/XLSX: код;наименование;тип;код вышестоящей)")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="проверить без записи")
    add_format(imp)
    imp.set_defaults(handler=run_import)
    ls = osub.add_parser("list", help="список организаций")
    ls.add_argument("--kind", choices=("region", "municipality", "school"))
    add_format(ls)
    ls.set_defaults(handler=run_list)


def run_import(args, ctx: CliContext) -> int:
    from ..services.orgs import import_registry

    with ctx.session() as session:
        report = import_registry(session, args.file, dry_run=args.dry_run)
    prefix = "Проверка (ничего не записано): " if args.dry_run else ""
    enc = f", кодировка {report.encoding}" if report.encoding else ""
    return respond(args, report.as_dict(), [
        f"{prefix}реестр «{report.file}»{enc}: добавлено {report.created}, изменено {report.updated}, "
        f"без изменений {report.unchanged}."], summary=True)


def run_list(args, ctx: CliContext) -> int:
    from ..services.orgs import list_organizations, org_as_dict

    with ctx.session() as session:
        orgs = [org_as_dict(o) for o in list_organizations(session, kind=args.kind)]
    return respond(args, orgs, (f"{o['code']:<14} {o['kind']:<13} {o['parent_code'] or '':<12} {o['name']}"
                                for o in orgs))
