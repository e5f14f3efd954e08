"""``ersoko package export|export-trust|verify|import|list``."""

from __future__ import annotations

from .context import CliContext, add_format, emit_json, info, terminal_progress
from .keys import passphrase


def register(sub) -> None:
    p = sub.add_parser("package", help="подписанные пакеты: выгрузка, проверка, загрузка")
    psub = p.add_subparsers(dest="package_command", metavar="ДЕЙСТВИЕ")
    psub.required = True
    exp = psub.add_parser("export", help="выгрузить данные своей организации в подписанный пакет")
    exp.add_argument("--out", required=True, metavar="FILE")
    exp.add_argument("--recipient", metavar="CODE", help="получатель (по умолчанию — вышестоящая организация)")
    exp.add_argument("--period", help="календарный год (2025) или учебный год (2024/25); по умолчанию всё")
    exp.add_argument("--encrypt-to", metavar="PUBFILE", help="зашифровать для получателя по файлу его открытого ключа")
    add_format(exp)
    exp.set_defaults(handler=run_export)
    trust = psub.add_parser("export-trust", help="выгрузить подписанный список доверенных ключей")
    trust.add_argument("--out", required=True, metavar="FILE")
    trust.add_argument("--recipient", metavar="CODE")
    trust.add_argument("--encrypt-to", metavar="PUBFILE")
    add_format(trust)
    trust.set_defaults(handler=run_export_trust)
    ver = psub.add_parser("verify", help="проверить пакет, ничего не записывая")
    ver.add_argument("file")
    add_format(ver)
    ver.set_defaults(handler=run_verify)
    imp = psub.add_parser("import", help="проверить и загрузить пакет (с резервной копией базы)")
    imp.add_argument("file")
    imp.add_argument("--accept-incoming", action="store_true",
                     help="при конфликтах (более новые данные здесь, исправления муниципалитета) принять данные "
                          "пакета; каждая замена записывается в журнал аудита")
    add_format(imp)
    imp.set_defaults(handler=run_import)
    ls = psub.add_parser("list", help="журнал выгруженных и загруженных пакетов")
    add_format(ls)
    ls.set_defaults(handler=run_list)


COUNT_LABELS = {"orgs": "организации", "results": "результатов участников", "submissions": "форм",
                "roadmaps": "дорожных карт", "occurrences": "сроков мероприятий", "evidence": "подтверждающих файлов",
                "keys": "ключей", "nested": "вложенных пакетов школ"}


def count_lines(counts: dict) -> list[str]:
    """What a package holds, in words: «результатов участников: 12», corrections on their own line."""
    lines = []
    for key, value in counts.items():
        if key == "corrections" and isinstance(value, dict):
            lines.append(f"исправления муниципалитета (школы {', '.join(value.get('orgs', []))}): "
                         f"результатов {value.get('results', 0)}, форм {value.get('submissions', 0)}")
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else value
        lines.append(f"{COUNT_LABELS.get(key, key)}: {shown}")
    return lines


def _print_export(result, args) -> None:
    if args.format == "json":
        emit_json(result.as_dict())
        return
    info(f"Пакет №{result.seq} ({result.dataset_kind}) для «{result.recipient or 'без адресата'}» сохранён: "
         f"{result.path}" + (" (зашифрован)" if result.encrypted else ""))
    for line in count_lines(result.counts):
        info(f"  {line}")
    for w in result.warnings:
        info(f"  Предупреждение: {w}")
    print(result.package_id)


def run_export(args, ctx: CliContext) -> int:
    from ..services.packages import export_package

    with ctx.session() as session:
        result = export_package(session, out=args.out, recipient=args.recipient, period=args.period,
                                encrypt_to=args.encrypt_to, passphrase=passphrase(),
                                progress=terminal_progress("Выгрузка", enabled=args.format != "json"))
    _print_export(result, args)
    return 0


def run_export_trust(args, ctx: CliContext) -> int:
    from ..services.packages import export_trust_list

    with ctx.session() as session:
        result = export_trust_list(session, out=args.out, recipient=args.recipient, encrypt_to=args.encrypt_to,
                                   passphrase=passphrase())
    _print_export(result, args)
    return 0


def _print_report(report) -> None:
    state = {"new": "новый", "duplicate": "уже импортирован", "refused": "ОТКЛОНЁН"}[report.status]
    print(f"Пакет: {report.file} — {'действителен' if report.valid else 'НЕДЕЙСТВИТЕЛЕН'} ({state})")
    if report.reason:
        print(f"Причина: {report.reason}")
    if report.package_id:
        print(f"Отправитель: {report.sender_org} {report.sender_name or ''} (ключ {report.sender_fingerprint}, "
              f"{report.key_status})")
        print(f"Номер: {report.seq}; получатель: {report.recipient or '—'}; вид: {report.dataset_kind}; "
              f"период: {report.period or 'весь'}; файлов: {report.files}")
    for line in count_lines(report.counts):
        print(f"  {line}")
    if report.corrections:
        c = report.corrections
        print(f"Исправления муниципалитета данных школ {', '.join(c['orgs'])}: результатов {c['results']}, "
              f"форм {c['submissions']} — при загрузке отличия от данных школ покажутся конфликтами "
              "(принять их: --accept-incoming)")
    for n in report.nested:
        print(f"  вложен: {n.sender_org} №{n.seq} — {'действителен' if n.valid else 'недействителен'} ({n.status})")
    for w in report.warnings:
        print(f"Предупреждение: {w}")


def run_verify(args, ctx: CliContext) -> int:
    from ..services.packages import verify_package

    with ctx.session() as session:
        report = verify_package(session, args.file, passphrase=passphrase())
    if args.format == "json":
        emit_json(report.as_dict())
    else:
        _print_report(report)
    if not report.valid:
        info(f"Ошибка: {report.reason}")
        return 2
    return 0


def run_import(args, ctx: CliContext) -> int:
    from ..services.packages import import_package

    with ctx.session() as session:
        result = import_package(session, args.file, passphrase=passphrase(), accept_incoming=args.accept_incoming,
                                progress=terminal_progress("Загрузка", enabled=args.format != "json"))
    if args.format == "json":
        emit_json(result.as_dict())
    else:
        _print_report(result.verification)
        print(result.message)
        if result.stats:
            for c in result.stats.conflicts:
                print(f"Конфликт: {c.entity} {c.key}: {c.message}")
            for c in result.stats.overridden:
                print(f"Принято из пакета: {c.entity} {c.key}: {c.message}")
            for w in result.stats.warnings:
                print(f"Предупреждение: {w}")
        if result.backup:
            info(f"Резервная копия базы перед загрузкой: {result.backup}")
    if not result.ok:
        info(f"Ошибка: {result.message}")
        return 2
    return 0


def run_list(args, ctx: CliContext) -> int:
    from ..services.packages import list_packages

    with ctx.session() as session:
        rows = list_packages(session)
    if args.format == "json":
        emit_json([r.as_dict() for r in rows])
    else:
        for r in rows:
            print(f"{r.created_at:%Y-%m-%d %H:%M} {r.direction:<7} {r.result:<9} {r.sender_org or '':<10} "
                  f"№{r.seq or '':<4} {r.file_name or ''}")
    return 0
