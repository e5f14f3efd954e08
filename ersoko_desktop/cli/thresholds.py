"""``ersoko thresholds show|set|reset`` — the thresholds of the objectivity signs and of ШНОР/ШФНСУ
stored in the database (the same service as the «Настройки» page: services.thresholds)."""

from __future__ import annotations

from .context import CliContext, add_format, respond


def register(sub) -> None:
    p = sub.add_parser("thresholds", help="пороги признаков необъективности, ШНОР и ШФНСУ в этой базе")
    tsub = p.add_subparsers(dest="thresholds_command", metavar="ДЕЙСТВИЕ")
    tsub.required = True
    show = tsub.add_parser("show", help="все пороги: действующее значение, по умолчанию, допустимый диапазон")
    add_format(show)
    show.set_defaults(handler=run_show)
    put = tsub.add_parser("set", help="изменить пороги: ersoko thresholds set objectivity.min_n=15 shnor.share2=20,5")
    put.add_argument("values", nargs="+", metavar="КЛЮЧ=ЗНАЧЕНИЕ", help="ключ из «thresholds show» и новое значение")
    add_format(put)
    put.set_defaults(handler=run_set)
    reset = tsub.add_parser("reset", help="вернуть значения по умолчанию (методика GUIDE §4)")
    add_format(reset)
    reset.set_defaults(handler=run_reset)


def _rows_as_dicts(session) -> list[dict]:
    from ..services.thresholds import threshold_rows

    return [{"key": r.spec.key, "label": r.spec.label, "value": r.value, "default": r.spec.default,
             "unit": r.spec.unit, "min": r.spec.minimum, "max": r.spec.maximum, "is_default": r.is_default}
            for r in threshold_rows(session)]


def run_show(args, ctx: CliContext) -> int:
    from ..services.thresholds import format_number

    with ctx.session() as session:
        rows = _rows_as_dicts(session)

    def line(r: dict) -> str:
        unit = f" {r['unit']}" if r["unit"] else ""
        mark = "" if r["is_default"] else f"  (по умолчанию {format_number(r['default'])})"
        return f"{r['key']:<30} {format_number(r['value']):>6}{unit:<6} {r['label']}{mark}"

    return respond(args, rows, (line(r) for r in rows))


def run_set(args, ctx: CliContext) -> int:
    from ..errors import Diagnostic, InputError
    from ..services.thresholds import save_thresholds

    values: dict[str, str] = {}
    bad = [Diagnostic(f"ожидается КЛЮЧ=ЗНАЧЕНИЕ, например objectivity.min_n=15; получено «{item}»")
           for item in args.values if "=" not in item]
    if bad:
        raise InputError("Пороги не сохранены.", diagnostics=bad)
    for item in args.values:
        key, _, value = item.partition("=")
        values[key.strip()] = value
    with ctx.session() as session:
        changed = save_thresholds(session, values)
        rows = _rows_as_dicts(session)
    text = (f"Пороги сохранены: {'; '.join(changed)}." if changed else "Пороги не изменились.")
    return respond(args, {"changed": changed, "thresholds": rows}, [text], summary=True)


def run_reset(args, ctx: CliContext) -> int:
    from ..services.thresholds import reset_thresholds

    with ctx.session() as session:
        changed = reset_thresholds(session)
        rows = _rows_as_dicts(session)
    text = (f"Восстановлены значения по умолчанию (изменено: {len(changed)})." if changed
            else "Все пороги уже имеют значения по умолчанию.")
    return respond(args, {"changed": changed, "thresholds": rows}, [text], summary=True)
