"""``ersoko form …``: forms as data — list, Excel export/import, status, workflow, ММУКО criteria."""

from __future__ import annotations

from .context import CliContext, add_format, respond


def register(sub) -> None:
    p = sub.add_parser("form", help="формы ВСОКО/МСОКО: шаблоны Excel, загрузка, статусы, ММУКО")
    fsub = p.add_subparsers(dest="form_command", metavar="ДЕЙСТВИЕ")
    fsub.required = True

    ls = fsub.add_parser("list", help="список форм (id, версия, название, уровень)")
    ls.add_argument("--level", choices=("school", "municipality", "region"))
    add_format(ls)
    ls.set_defaults(handler=run_list)

    ex = fsub.add_parser("export", help="шаблон Excel формы (заполненный, если данные есть)")
    ex.add_argument("form_id", metavar="FORM_ID")
    _target(ex)
    ex.add_argument("--out", required=True, help="файл .xlsx")
    add_format(ex)
    ex.set_defaults(handler=run_export)

    im = fsub.add_parser("import", help="загрузить заполненный шаблон Excel (все значения или ничего)")
    im.add_argument("file")
    im.add_argument("--dry-run", action="store_true", help="только проверить, ничего не записывать")
    add_format(im)
    im.set_defaults(handler=run_import)

    st = fsub.add_parser("status", help="состояние форм за период по организациям и полнота сдачи")
    st.add_argument("--period", required=True, help="учебный год 2024/25 или календарный год 2024")
    st.add_argument("--org", help="организация (по умолчанию — своя организация базы)")
    add_format(st)
    st.set_defaults(handler=run_status)

    sh = fsub.add_parser("show", help="значения, состояние и замечания одной формы")
    sh.add_argument("form_id", metavar="FORM_ID")
    _target(sh)
    add_format(sh)
    sh.set_defaults(handler=run_show)

    for name, help_text in (("submit", "отправить форму вышестоящей организации"),
                            ("approve", "принять форму (вышестоящая организация)"),
                            ("return", "вернуть форму на доработку с комментарием")):
        a = fsub.add_parser(name, help=help_text)
        a.add_argument("form_id", metavar="FORM_ID")
        _target(a)
        if name == "return":
            a.add_argument("--comment", required=True, help="что нужно исправить")
        a.add_argument("--as-org", dest="acting_org", help="действовать от имени организации (по умолчанию — своя)")
        add_format(a)
        a.set_defaults(handler=run_transition, action=name)

    at = fsub.add_parser("attach", help="прикрепить подтверждающий документ к пункту формы")
    at.add_argument("form_id", metavar="FORM_ID")
    _target(at)
    at.add_argument("--field", required=True, help="код поля (пункта чек-листа)")
    at.add_argument("file")
    add_format(at)
    at.set_defaults(handler=run_attach)

    hi = fsub.add_parser("history", help="журнал изменений формы: кто, когда, было → стало")
    hi.add_argument("form_id", metavar="FORM_ID")
    _target(hi)
    add_format(hi)
    hi.set_defaults(handler=run_history)

    mm = fsub.add_parser("mmuko", help="значения критериев ММУКО (баллы / максимум · 100 %) и динамика")
    mm.add_argument("--org", required=True, help="код муниципалитета")
    mm.add_argument("--period", action="append", help="год (можно несколько раз); по умолчанию — все")
    add_format(mm)
    mm.set_defaults(handler=run_mmuko)

    ag = fsub.add_parser("aggregate", help="свод по формам школ муниципалитета с полнотой сдачи")
    ag.add_argument("--org", required=True)
    ag.add_argument("--period", required=True)
    ag.add_argument("--form", default="municipal_summary", help="сводная форма (по умолчанию municipal_summary)")
    add_format(ag)
    ag.set_defaults(handler=run_aggregate)


def _target(parser) -> None:
    parser.add_argument("--org", required=True, help="код организации")
    parser.add_argument("--period", required=True, help="учебный год 2024/25 или календарный год 2024")


def run_list(args, ctx: CliContext) -> int:
    from ..services.forms import list_forms

    with ctx.session() as session:
        specs = [s.as_summary() for s in list_forms(session, level=args.level)]
    return respond(args, specs, (f"{s['id']:<24} {s['version']:<6} {s['level']:<13} {s['period']:<14} {s['title']}"
                                 for s in specs))


def run_export(args, ctx: CliContext) -> int:
    from ..services.forms import export_xlsx

    with ctx.session() as session:
        report = export_xlsx(session, form_id=args.form_id, org_code=args.org, period=args.period, out=args.out)
    state = "заполненный" if report.filled else "пустой"
    return respond(args, report.as_dict(), [
        f"Шаблон ({state}) формы «{report.form_id}» версии {report.version} для {report.org_code} за "
        f"{report.period}: {report.path}"], summary=True)


def run_import(args, ctx: CliContext) -> int:
    from ..services.forms import import_xlsx

    with ctx.session() as session:
        report = import_xlsx(session, args.file, dry_run=args.dry_run)
    prefix = "Проверка (ничего не записано): " if args.dry_run else ""
    return respond(args, report.as_dict(), [
        f"{prefix}форма «{report.form_id}» {report.org_code} за {report.period}: изменено полей "
        f"{len(report.changed)}, состояние — {report.status}.",
        *(f"  предупреждение: {w}" for w in report.warnings)], summary=True)


def run_status(args, ctx: CliContext) -> int:
    from ..services.forms import form_status

    with ctx.session() as session:
        report = form_status(session, period=args.period, org_code=args.org)
    return respond(args, report.as_dict(), _status_lines(report))


def _status_lines(report):
    for r in report.rows:
        yield f"{r.org_code:<12} {r.form_id:<24} {r.as_dict()['status_ru']:<11} заполнено {r.filled:5.1f} %"
    for rate in report.reporting:
        pct = "—" if rate.completeness is None else f"{rate.completeness:.1f} %"
        yield (f"{rate.parent:<12} {rate.form_id:<24} сдали {rate.submitted} из {rate.expected} ({pct}); "
               f"не сдали: {', '.join(rate.not_submitted) or 'нет'}")


def run_show(args, ctx: CliContext) -> int:
    from ..services.forms import display_values, get_spec, open_submission

    with ctx.session() as session:
        view = open_submission(session, form_id=args.form_id, org_code=args.org, period=args.period)
        spec = get_spec(session, args.form_id, view.version)
        shown = display_values(spec, view.values)
    lines = [f"{view.title} — {view.org_name} ({view.org_code}), {view.period}: {view.status_ru}"]
    lines += [f"  {f.label}: {shown[f.id]}{(' ' + f.unit) if f.unit else ''}" for f in spec.fields if f.id in shown]
    lines += [f"  [{'ошибка' if i.severity == 'error' else 'предупреждение'}] {i.message}" for i in view.issues]
    return respond(args, view.as_dict(), lines)


def run_transition(args, ctx: CliContext) -> int:
    from ..services import forms

    kwargs = dict(form_id=args.form_id, org_code=args.org, period=args.period, acting_org=args.acting_org)
    with ctx.session() as session:
        if args.action == "submit":
            view = forms.submit(session, **kwargs)
        elif args.action == "approve":
            view = forms.approve(session, **kwargs)
        else:
            view = forms.return_submission(session, comment=args.comment, **kwargs)
        data = view.as_dict()
    return respond(args, {k: data[k] for k in ("form_id", "version", "org", "period", "status", "comment")},
                   [f"Форма «{view.form_id}» {view.org_code} за {view.period}: {view.status_ru}."], summary=True)


def run_attach(args, ctx: CliContext) -> int:
    from ..services.forms import attach_evidence

    with ctx.session() as session:
        entry = attach_evidence(session, form_id=args.form_id, org_code=args.org, period=args.period,
                                field_id=args.field, path=args.file)
    return respond(args, entry, [f"Файл «{entry['file_name']}» прикреплён (SHA-256 {entry['sha256'][:16]}…)."],
                   summary=True)


def run_mmuko(args, ctx: CliContext) -> int:
    from ..services.forms import mmuko_criteria

    with ctx.session() as session:
        values = [c.as_dict() for c in mmuko_criteria(session, org_code=args.org, periods=args.period)]
    return respond(args, values, (
        f"Критерий {c['criterion']} за {c['period']}: {c['points']:g} из {c['max_points']:g} баллов = {c['value']:g} %"
        + ("" if c["delta"] is None else f" ({c['previous_value']:g} % → {c['value']:g} %, {c['delta']:+g})")
        for c in values))


def run_aggregate(args, ctx: CliContext) -> int:
    from ..services.forms import aggregate

    with ctx.session() as session:
        result = aggregate(session, org_code=args.org, period=args.period, form_id=args.form)
    data = {"org": args.org, "period": args.period, "form_id": args.form, "values": result.values,
            "reporting": [r.as_dict() for r in result.reporting.values()]}
    lines = [f"  {key}: {'—' if value is None else value}" for key, value in result.values.items()]
    lines += [f"  {r.form_id}: сдали {r.submitted} из {r.expected} ({r.completeness} %); "
              f"не сдали: {', '.join(r.not_submitted) or 'нет'}" for r in result.reporting.values()]
    return respond(args, data, lines)


def run_history(args, ctx: CliContext) -> int:
    from ..services.forms import history

    with ctx.session() as session:
        events = history(session, form_id=args.form_id, org_code=args.org, period=args.period)
    return respond(args, events, (
        f"{e['at']:%d.%m.%Y %H:%M} {e['actor']}: {e['action']} "
        + ", ".join(f"{k}: {(e['before'] or {}).get(k)!r} → {v!r}" for k, v in (e["after"] or {}).items())
        for e in events))
