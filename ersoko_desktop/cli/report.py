"""``ersoko report pdf|xlsx --kind school|municipal|roadmap|keycard [--org CODE] [--year Y] --out FILE``."""

from __future__ import annotations

import datetime as dt

from .context import CliContext, add_format, emit_json, info, terminal_progress


def register(sub) -> None:
    from ..services.reports import KINDS

    p = sub.add_parser("report", help="отчёты PDF и Excel")
    p.add_argument("fmt", choices=("pdf", "xlsx"), metavar="pdf|xlsx", help="формат файла")
    p.add_argument("--kind", required=True, choices=tuple(KINDS),
                   help="; ".join(f"{k} — {v}" for k, v in KINDS.items()))
    p.add_argument("--org", metavar="CODE", help="организация (по умолчанию — своя организация базы)")
    p.add_argument("--year", type=int, metavar="Y", help="год (по умолчанию — последний год с данными)")
    p.add_argument("--today", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="дата отчёта для просрочек дорожной карты (по умолчанию — сегодня)")
    p.add_argument("--out", required=True, metavar="FILE", help="файл отчёта")
    add_format(p)
    p.set_defaults(handler=run)


def run(args, ctx: CliContext) -> int:
    from ..services.reports import generate_report

    with ctx.session() as session:
        result = generate_report(session, kind=args.kind, fmt=args.fmt, out=args.out, org_code=args.org,
                                 year=args.year, today=args.today,
                                 progress=terminal_progress("Отчёт", enabled=args.format != "json"))
    if args.format == "json":
        emit_json(result.as_dict())
    else:
        info(f"Отчёт «{result.title}» ({result.period}) сохранён: {result.path}")
    return 0
