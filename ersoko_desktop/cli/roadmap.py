"""``ersoko roadmap import|list|check|status`` (GUIDE §7)."""

from __future__ import annotations

import datetime as dt

from ..errors import InputError
from .context import CliContext, add_format, emit_json, respond, terminal_progress


def register(sub) -> None:
    p = sub.add_parser("roadmap", help="дорожные карты: импорт, список, контроль сроков, исполнение")
    rsub = p.add_subparsers(dest="roadmap_command", metavar="ДЕЙСТВИЕ")
    rsub.required = True

    imp = rsub.add_parser("import", help="загрузить дорожную карту из DOCX/XLSX/CSV/TXT")
    imp.add_argument("file")
    period = imp.add_mutually_exclusive_group()
    period.add_argument("--years", metavar="2018-2020", help="календарные годы периода")
    period.add_argument("--school-year", metavar="2022/23", help="учебный год периода")
    imp.add_argument("--org", metavar="КОД", help="организация, утвердившая дорожную карту")
    imp.add_argument("--dry-run", action="store_true", help="проверить без записи")
    add_format(imp)
    imp.set_defaults(handler=run_import)

    ls = rsub.add_parser("list", help="дорожные карты с мероприятиями и сроками")
    ls.add_argument("--roadmap", type=int, metavar="ID")
    ls.add_argument("--executor", metavar="ТЕКСТ", help="только мероприятия, где исполнитель содержит текст")
    ls.add_argument("--mine", action="store_true", help="только «мои задачи» (своя организация среди исполнителей)")
    add_format(ls)
    ls.set_defaults(handler=run_list)

    ch = rsub.add_parser("check", help="просроченные и наступающие в ближайшие 14 дней сроки")
    ch.add_argument("--today", metavar="ГГГГ-ММ-ДД")
    ch.add_argument("--roadmap", type=int, metavar="ID")
    ch.add_argument("--mine", action="store_true")
    add_format(ch)
    ch.set_defaults(handler=run_check)

    st = rsub.add_parser("status", help="отметить исполнение срока (номер из roadmap list)")
    st.add_argument("occurrence", type=int, metavar="OCCURRENCE_ID")
    st.add_argument("--status", required=True,
                    help="planned|in_progress|done|cancelled (или запланировано|в работе|выполнено|отменено)")
    st.add_argument("--date", metavar="ГГГГ-ММ-ДД", help="дата выполнения (для done; по умолчанию сегодня)")
    st.add_argument("--comment")
    st.add_argument("--evidence", action="append", default=[], metavar="ФАЙЛ",
                    help="файл-подтверждение (можно повторять)")
    add_format(st)
    st.set_defaults(handler=run_status)


def _date(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"Параметр {option}: «{text}» не дата (ожидается ГГГГ-ММ-ДД).") from exc


def run_import(args, ctx: CliContext) -> int:
    from ..services.roadmaps import ImportOptions, import_roadmaps

    options = ImportOptions(years=args.years, school_year=args.school_year, org_code=args.org,
                            dry_run=args.dry_run)
    with ctx.session() as session:
        report = import_roadmaps(session, args.file, options=options,
                                 progress=terminal_progress("Импорт", enabled=args.format != "json"))
    verdict = {"imported": "загружено", "updated": "обновлено", "unchanged": "файл уже загружен, изменений нет",
               "dry_run": "проверка (ничего не записано)"}[report.status]
    lines = [f"«{report.file}»: {verdict}."]
    lines += [f"  [{rm.id or '—'}] {rm.title} ({rm.period}): разделов {rm.sections}, мероприятий {rm.tasks}, "
              f"сроков {rm.occurrences}; новых {rm.created}, изменено {rm.updated}, удалено {rm.removed}"
              for rm in report.roadmaps]
    lines += [f"  предупреждение: {w}" for w in report.warnings]
    return respond(args, report.as_dict(), lines, summary=True)


def run_list(args, ctx: CliContext) -> int:
    from ..services.roadmaps import STATUS_LABELS, list_roadmaps, load_roadmaps, roadmap_progress, task_filter

    with ctx.session() as session:
        if args.format == "json":
            emit_json(list_roadmaps(session, roadmap_id=args.roadmap, executor=args.executor, mine=args.mine))
            return 0
        accept = task_filter(session, executor=args.executor, mine=args.mine)
        today = dt.date.today()
        for rm in load_roadmaps(session, roadmap_id=args.roadmap):
            pr = roadmap_progress(rm, today)
            pct = f"{pr.percent:.0f} %" if pr.percent is not None else "—"
            print(f"[{rm.id}] {rm.title} ({rm.period}) — выполнено {pr.done} из {pr.due} наступивших сроков "
                  f"({pct}), просрочено {pr.overdue}")
            for t in rm.tasks:
                if not accept(t):
                    continue
                print(f"  {t.number or '•'} {t.title.splitlines()[0][:90]} — {t.deadline_text or 'срок не указан'}"
                      f" [{t.executors or ''}]")
                for o in t.occurrences:
                    span = f"{o.start}…{o.end}" if o.start else "без даты"
                    print(f"      #{o.id} {span}: {STATUS_LABELS[o.status]}")
    return 0


def run_check(args, ctx: CliContext) -> int:
    from ..services.roadmaps import check

    today = _date(args.today, "--today") or dt.date.today()
    with ctx.session() as session:
        report = check(session, today=today, roadmap_id=args.roadmap, mine=args.mine)
    return respond(args, report.as_dict(), _check_lines(report, today))


def _check_lines(report, today: dt.date):
    yield f"На {today.isoformat()}: просрочено {len(report.overdue)}, в ближайшие 14 дней {len(report.due_soon)}."
    for title, items in (("Просрочено", report.overdue), ("Скоро срок", report.due_soon)):
        if items:
            yield f"{title}:"
        for i in items:
            yield (f"  #{i.occurrence_id} {i.end.isoformat() if i.end else ''} {i.number or '•'} "
                   f"{i.title.splitlines()[0][:80]} — {i.executors or ''} ({i.roadmap[:40]})")


def run_status(args, ctx: CliContext) -> int:
    from ..services.roadmaps import STATUS_LABELS, set_status

    with ctx.session() as session:
        state = set_status(session, occurrence_id=args.occurrence, status=args.status,
                           done_at=_date(args.date, "--date"), comment=args.comment, evidence=args.evidence)
    return respond(args, state.as_dict(), [
        f"#{state.id} {state.task_number or ''} {state.task_title.splitlines()[0][:60]}: {STATUS_LABELS[state.status]}"
        + (f" {state.done_at}" if state.done_at else "")
        + (f", файлов-подтверждений: {len(state.evidence)}" if state.evidence else "")], summary=True)
