"""``ersoko results import FILE`` — assessment results from XLSX/XLS/CSV (GUIDE §7)."""

from __future__ import annotations

from pathlib import Path

from .context import CliContext, add_format, emit_json, info, terminal_progress

# A bar is worth showing from about 50 000 rows (~2 MB of XLSX or CSV).
PROGRESS_FROM_BYTES = 2_000_000


def register(sub) -> None:
    p = sub.add_parser("results", help="результаты оценочных процедур")
    rsub = p.add_subparsers(dest="results_command", metavar="ДЕЙСТВИЕ")
    rsub.required = True
    imp = rsub.add_parser(
        "import", help="загрузить файл результатов (XLSX, XLS, CSV)",
        description="Загрузить результаты ВПР/ОГЭ/ЕГЭ/РДР/школьной работы. Процедура, предмет, класс и год "
                    "берутся из строк над таблицей или названия листа либо из параметров; противоречие — ошибка. "
                    "Файл загружается целиком или не загружается вовсе.")
    imp.add_argument("file", help="файл результатов")
    imp.add_argument("--procedure", metavar="ВИД", help="VPR, OGE, EGE, RDR или SCHOOL (можно ВПР, ОГЭ, ЕГЭ, РДР)")
    imp.add_argument("--subject", metavar="ПРЕДМЕТ", help="предмет, например «Математика»")
    imp.add_argument("--grade", type=int, metavar="N", help="класс (параллель), 1..11")
    imp.add_argument("--year", type=int, metavar="ГОД", help="календарный год проведения (ВПР весны 2025 → 2025)")
    imp.add_argument("--school", metavar="КОД", help="код школы для файла одной школы: заполняет пустой «Код ОО»; другой код в файле — ошибка")
    imp.add_argument("--dry-run", action="store_true", help="только проверить и показать отчёт, ничего не записывать")
    imp.add_argument("--strict", action="store_true",
                     help="расхождения (отметка не по шкале, первичный балл ≠ сумме заданий) считать ошибками")
    add_format(imp)
    imp.set_defaults(handler=run_import)


def run_import(args, ctx: CliContext) -> int:
    from ..services.results_import import ImportOptions, ResultsRejected, import_results

    path = Path(args.file)
    options = ImportOptions(procedure=args.procedure, subject=args.subject, grade=args.grade, year=args.year,
                            school=args.school, strict=args.strict, dry_run=args.dry_run)
    big = path.is_file() and path.stat().st_size > PROGRESS_FROM_BYTES
    progress = terminal_progress("Загрузка результатов", enabled=big and args.format != "json")
    try:
        with ctx.session() as session:
            report = import_results(session, path, options=options, progress=progress)
    except ResultsRejected as exc:
        if args.format == "json":
            emit_json(exc.report.as_dict())
        _print_summary(exc.report, refused=True)
        return 2
    if args.format == "json":
        emit_json(report.as_dict())
    _print_summary(report)
    return 0


def _print_summary(report, *, refused: bool = False) -> None:
    """The Russian report on stderr (stdout stays pure JSON with --format json)."""
    enc = f", кодировка {report.encoding}" if report.encoding else ""
    head = f"Файл «{report.file}»{enc}"
    if report.procedure:
        head += f": {report.procedure_label}"
    info(head + ".")
    if refused:
        info(f"Файл не загружен, ничего не записано. Ошибок: {len(report.errors)}.")
        for d in report.errors:
            info(f"  ошибка: {d}")
    else:
        prefix = "Проверка (ничего не записано): " if report.dry_run else ""
        if report.already_imported:
            info(f"{prefix}этот файл уже загружен, изменений нет ({report.unchanged} строк).")
        else:
            info(f"{prefix}загружено {report.imported}, заменено {report.replaced}, без изменений {report.unchanged}, "
                 f"пропущено {report.skipped} строк; школ в файле: {report.schools}.")
            if report.replaced_schools:
                removed = f" (удалено строк, которых нет в новом файле: {report.removed})" if report.removed else ""
                info("Заменены результаты школ: " + ", ".join(report.replaced_schools) + removed + ".")
    for d in report.warnings:
        info(f"  предупреждение: {d}")
