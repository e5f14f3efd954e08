"""``ersoko indicators compute|tasks`` and ``ersoko objectivity`` (GUIDE §7).

JSON goes to stdout unchanged (numbers, null where undefined); CSV/XLSX are exported documents,
so rows with N < 5 are suppressed there («—», 152-ФЗ).
"""

from __future__ import annotations

import sys
from dataclasses import fields

from ..errors import InputError
from .context import CliContext, emit_json, info

LEVEL_CHOICES = ("school", "municipality", "region", "class")
PROCEDURE_SYNONYMS = {"ВПР": "VPR", "ОГЭ": "OGE", "ЕГЭ": "EGE", "РДР": "RDR", "ШКОЛЬНАЯ": "SCHOOL"}
SIGN_OPTIONS = {  # CLI option → ObjectivityParams field
    "min_n": "минимальное N для признаков (10)",
    "s1_quality_gap": "S1: превышение качества над муниципалитетом, п.п. (25)",
    "s1_five_ratio": "S1: доля «5» во столько раз выше муниципальной (2)",
    "s1_five_min": "S1: и не ниже, % (30)",
    "s2_lowered": "S2: доля понизивших, % (30)",
    "s2_mismatch": "S2: понизили + повысили, % (50)",
    "s3_quality_delta": "S3: изменение качества, п.п. (25)",
    "s3_mean_mark_delta": "S3: изменение средней отметки (0,5)",
    "s4_min_n": "S4: минимальное N (30)",
    "s4_below_ratio": "S4: доля баллов ниже порога не больше этой доли муниципальной (0,25)",
    "s4_above_ratio": "S4: доля баллов у порога не меньше, раз (1,4)",
    "s5_gap": "S5: повышенный уровень лучше базового, п.п. (10)",
    "risk_min_signs": "признаков в одной процедуре для списка риска (2)",
}


def register(sub) -> None:
    p = sub.add_parser("indicators", help="показатели: успеваемость, качество, СОУ, решаемость заданий")
    isub = p.add_subparsers(dest="indicators_command", metavar="ДЕЙСТВИЕ")
    isub.required = True
    comp = isub.add_parser("compute", help="рассчитать показатели по уровню (ОО, муниципалитет, регион, класс)")
    comp.add_argument("--level", choices=LEVEL_CHOICES, default="school", help="уровень (по умолчанию school)")
    _filters(comp)
    _output(comp)
    comp.set_defaults(handler=run_compute)
    tasks = isub.add_parser("tasks", help="решаемость заданий")
    tasks.add_argument("--level", choices=LEVEL_CHOICES, default="school")
    _filters(tasks)
    _output(tasks)
    tasks.set_defaults(handler=run_tasks)

    obj = sub.add_parser("objectivity", help="признаки необъективности (S1–S5), список риска, ШНОР")
    _filters(obj)
    obj.add_argument("--level", choices=("school", "municipality"), default="school",
                     help="school — ОО в сравнении с муниципалитетом (по умолчанию); "
                          "municipality — муниципалитеты в сравнении с регионом")
    obj.add_argument("--list", choices=("flags", "risk", "shnor"), default="flags",
                     help="flags — ОО × процедуры с признаками (по умолчанию); risk — список риска; shnor — ШНОР")
    for name, help_text in SIGN_OPTIONS.items():
        obj.add_argument("--" + name.replace("_", "-"), dest=name, type=float, default=None, metavar="ЧИСЛО",
                         help=help_text)
    _output(obj)
    obj.set_defaults(handler=run_objectivity)


def _filters(p) -> None:
    p.add_argument("--org", metavar="CODE", help="организация (и все подведомственные)")
    p.add_argument("--year", type=int, metavar="ГОД", help="календарный год процедуры (ВПР весны 2025 → 2025)")
    p.add_argument("--procedure", metavar="ВИД", help="вид процедуры: VPR|OGE|EGE|RDR|SCHOOL (или ВПР, ОГЭ…)")
    p.add_argument("--subject", metavar="ПРЕДМЕТ")
    p.add_argument("--grade", type=int, metavar="N")


def _output(p) -> None:
    p.add_argument("--format", choices=("text", "json", "csv", "xlsx"), default="text", help="формат вывода")
    p.add_argument("--out", metavar="FILE", help="записать в файл (для xlsx обязательно)")


def _procedure(value: str | None) -> str | None:
    if not value:
        return None
    return PROCEDURE_SYNONYMS.get(value.strip().upper(), value.strip().upper())


def _common(args) -> dict:
    return {"year": args.year, "procedure_kind": _procedure(args.procedure), "subject": args.subject,
            "grade": args.grade, "org_code": args.org}


def run_compute(args, ctx: CliContext) -> int:
    from ..services.indicators import compute_indicators, indicator_records

    with ctx.session() as session:
        frame = compute_indicators(session, level=args.level, **_common(args))
    if args.format == "json":
        return _emit(args, indicator_records(frame))
    return _export(args, frame, title="Показатели")


def run_tasks(args, ctx: CliContext) -> int:
    from ..services.indicators import indicator_records, task_solve_rates

    with ctx.session() as session:
        frame = task_solve_rates(session, level=args.level, **_common(args))
    frame = frame.drop(columns=["procedure_id"])
    if args.format == "json":
        return _emit(args, indicator_records(frame, tuple(frame.columns)))
    return _export(args, frame, title="Решаемость заданий")


def run_objectivity(args, ctx: CliContext) -> int:
    from ..services.objectivity import ObjectivityParams, objectivity_flags, objectivity_params, risk_list, shnor_list

    known = {f.name for f in fields(ObjectivityParams)}
    overrides = {k: getattr(args, k) for k in known if getattr(args, k, None) is not None}
    common = _common(args)
    with ctx.session() as session:
        if args.list == "shnor":
            if args.level != "school":
                raise InputError("Список ШНОР составляется только для ОО: уберите --level municipality.")
            items = [e.as_dict() for e in shnor_list(session, year=args.year, org_code=args.org)]
        else:
            params = objectivity_params(session, overrides)
            flags = objectivity_flags(session, params=params, level=args.level, **common)
            items = [f.as_dict() for f in (flags if args.list == "flags" else [])]
            if args.list == "risk":
                items = [r.as_dict() for r in risk_list(flags)]
    if args.format == "json":
        return _emit(args, items)
    import pandas as pd

    frame = pd.DataFrame([_flatten(item) for item in items])
    if args.format == "text" and not args.out:
        _print_objectivity(args.list, items)
        return 0
    return _export(args, frame, title={"flags": "Признаки", "risk": "Список риска", "shnor": "ШНОР"}[args.list],
                   suppress=False)


def _flatten(item: dict) -> dict:
    out = {}
    for key, value in item.items():
        if isinstance(value, dict):
            out[key] = "; ".join(f"{k}: {v if not isinstance(v, list) else ', '.join(map(str, v))}"
                                 for k, v in value.items())
        elif isinstance(value, list):
            out[key] = "; ".join(str(v) if not isinstance(v, dict) else str(v.get("subject", v)) for v in value)
        else:
            out[key] = value
    return out


def _print_objectivity(kind: str, items: list[dict]) -> None:
    if not items:
        info("Ничего не найдено.")
        return
    for item in items:
        if kind == "flags":
            mark = " [СПИСОК РИСКА]" if item["risk"] else ""
            print(f"{item['org']} {item['org_name']} — {item['procedure']} {item['year']} {item['subject']} "
                  f"{item['grade']} кл.: {', '.join(item['signs'])}{mark}")
            for sign, text in item["evidence"].items():
                print(f"    {sign}: {text}")
        elif kind == "risk":
            print(f"{item['org']} {item['org_name']} ({item['year']}):")
            for reason in item["reasons"]:
                print(f"    {reason}")
        else:
            shfnsu = {True: "ШФНСУ: да", False: "ШФНСУ: нет", None: "ШФНСУ: нет данных"}[item["shfnsu"]]
            print(f"{item['org']} {item['org_name']} ({item['year']}), {shfnsu}")
            for year, procs in item["low_procedures"].items():
                for text in procs:
                    print(f"    {text}")


def _emit(args, data) -> int:
    if args.out:
        from ..fileio import atomic_write_text
        import json

        atomic_write_text(args.out, json.dumps(data, ensure_ascii=False, indent=2))
        info(f"Записано: {args.out}")
    else:
        emit_json(data)
    return 0


def _export(args, frame, *, title: str, suppress: bool = True) -> int:
    from ..services.indicators import suppress_small_cells, table_csv, write_table

    if args.format == "text" and not args.out:
        if frame.empty:
            info("Нет данных для выбранных условий.")
            return 0
        with _wide_pandas():
            print(frame.to_string(index=False, na_rep="—"))
        return 0
    fmt = "csv" if args.format == "text" else args.format
    if suppress and "n" in frame.columns:
        frame = suppress_small_cells(frame)
    if fmt == "xlsx" and not args.out:
        raise InputError("Для формата xlsx укажите файл: --out ФАЙЛ.xlsx")
    if not args.out:
        sys.stdout.write(table_csv(frame))
        return 0
    write_table(frame, args.out, fmt=fmt, title=title)
    info(f"Записано строк: {len(frame)} → {args.out}")
    return 0


class _wide_pandas:
    def __enter__(self):
        import pandas as pd

        self._ctx = pd.option_context("display.width", 250, "display.max_columns", 40, "display.max_rows", 100000)
        self._ctx.__enter__()

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
