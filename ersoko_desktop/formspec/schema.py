"""The form definition schema: parse a YAML mapping into frozen dataclasses, or say in Russian
exactly which key of which field is wrong. Nothing is guessed: an unknown key is an error, so a
typo (``reqired``) cannot silently switch a check off."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from .expr import ExpressionError, names_in
from ..errors import Diagnostic, InputError

FIELD_TYPES = ("integer", "decimal", "percent", "text", "choice", "date", "yesno", "file", "table")
NUMERIC_TYPES = ("integer", "decimal", "percent")
LEVELS = ("school", "municipality", "region")
PERIOD_TYPES = ("school_year", "calendar_year", "procedure")
SEVERITIES = ("error", "warning")
AGGREGATE_OPS = ("sum", "mean", "min", "max", "count_yes", "share_yes", "count")
ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

FORM_KEYS = {"id", "version", "title", "level", "period", "description", "source", "mmuko_criterion",
             "sections", "rules"}
SECTION_KEYS = {"id", "title", "help", "fields"}
FIELD_KEYS = {"id", "type", "label", "required", "unit", "help", "min", "max", "options", "compute", "round",
              "points", "evidence", "columns", "min_rows", "max_rows", "aggregate", "row_rules"}
RULE_KEYS = {"id", "expr", "message", "fields", "severity"}
OPTION_KEYS = {"value", "label", "points"}
AGGREGATE_KEYS = {"form", "field", "op", "weight"}


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    points: float | None = None


@dataclass(frozen=True)
class Aggregate:
    """How a municipal field is built from school submissions of another form."""

    form: str
    field: str
    op: str
    weight: str | None = None  # weighted mean: another field of the source form


@dataclass(frozen=True)
class Rule:
    id: str
    expr: str
    message: str
    fields: tuple[str, ...]
    severity: str = "error"


@dataclass(frozen=True)
class FieldSpec:
    id: str
    type: str
    label: str
    section: str = ""
    required: bool = False
    unit: str | None = None
    help: str | None = None
    min: float | None = None
    max: float | None = None
    options: tuple[Option, ...] = ()
    compute: str | None = None
    round: int | None = None
    points: float | None = None
    evidence: bool = False
    columns: tuple["FieldSpec", ...] = ()
    min_rows: int = 0
    max_rows: int | None = None
    aggregate: Aggregate | None = None
    row_rules: tuple[Rule, ...] = ()

    @property
    def computed(self) -> bool:
        return self.compute is not None or self.aggregate is not None

    @property
    def max_points(self) -> float:
        """The most points this checklist item can give (0 if it gives none)."""
        if self.type == "choice" and any(o.points is not None for o in self.options):
            return max(o.points or 0 for o in self.options)
        return self.points or 0

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    fields: tuple[FieldSpec, ...]
    help: str | None = None


@dataclass(frozen=True)
class FormSpec:
    id: str
    version: str
    title: str
    level: str
    period: str
    sections: tuple[Section, ...]
    rules: tuple[Rule, ...] = ()
    description: str | None = None
    source: str | None = None
    mmuko_criterion: str | None = None
    sha256: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def fields(self) -> list[FieldSpec]:
        return [f for s in self.sections for f in s.fields]

    def field(self, field_id: str) -> FieldSpec:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    def has_field(self, field_id: str) -> bool:
        return any(f.id == field_id for f in self.fields)

    @property
    def max_points(self) -> float:
        return sum(f.max_points for f in self.fields)

    @property
    def is_checklist(self) -> bool:
        return self.max_points > 0

    def rule_names(self) -> set[str]:
        """Names a rule or a computed field may read (see validation.expression_names)."""
        names: set[str] = set()
        for f in self.fields:
            if f.type == "table":
                names.add(f"{f.id}_count")
                names |= {f"{f.id}_{c.id}_sum" for c in f.columns if c.type in NUMERIC_TYPES}
            elif f.type == "file":
                names.add(f"{f.id}_count")
            else:
                names |= {f.id, f"{f.id}_filled"}
        return names

    def as_summary(self) -> dict:
        return {"id": self.id, "version": self.version, "title": self.title, "level": self.level,
                "period": self.period, "sha256": self.sha256, "mmuko_criterion": self.mmuko_criterion}


class _Collector:
    """Gathers every problem of one definition so the author sees them all at once."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Diagnostic] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Diagnostic(f"{where}: {message}" if where else message, file=self.source))

    def keys(self, where: str, data: dict, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.add(where, f"неизвестный ключ «{key}» (допустимы: {', '.join(sorted(allowed))})")


def _text(c: _Collector, where: str, data: dict, key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            c.add(where, f"нет обязательного ключа «{key}»")
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
        c.add(where, f"«{key}» должен быть непустой строкой, получено {value!r}")
        return None
    return str(value).strip()


def _number(c: _Collector, where: str, data: dict, key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        c.add(where, f"«{key}» должен быть числом, получено {value!r}")
        return None
    return value


def _int(c: _Collector, where: str, data: dict, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        c.add(where, f"«{key}» должен быть целым неотрицательным числом, получено {value!r}")
        return None
    return value


def _bool(c: _Collector, where: str, data: dict, key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        c.add(where, f"«{key}» должен быть true или false, получено {value!r}")
        return False
    return value


def _ident(c: _Collector, where: str, data: dict) -> str | None:
    ident = _text(c, where, data, "id")
    if ident is not None and not ID_RE.match(ident):
        c.add(where, f"идентификатор «{ident}» должен состоять из латинских строчных букв, цифр и «_» "
                     f"и начинаться с буквы")
        return None
    return ident


def _rule(c: _Collector, where: str, data: Any) -> Rule | None:
    if not isinstance(data, dict):
        c.add(where, "правило должно быть словарём с ключами id, expr, message")
        return None
    c.keys(where, data, RULE_KEYS)
    ident = _ident(c, where, data)
    where = f"{where} «{ident}»" if ident else where
    expr = _text(c, where, data, "expr")
    message = _text(c, where, data, "message")
    severity = data.get("severity", "error")
    if severity not in SEVERITIES:
        c.add(where, f"severity «{severity}»: ожидалось error или warning")
    fields = data.get("fields")
    if fields is not None and (not isinstance(fields, list) or not all(isinstance(x, str) for x in fields)):
        c.add(where, "«fields» должен быть списком идентификаторов полей")
        fields = None
    if ident is None or expr is None or message is None:
        return None
    try:
        used = names_in(expr)
    except ExpressionError as exc:
        c.add(where, exc.message)
        return None
    return Rule(ident, expr, message, tuple(fields) if fields else (), severity)


def _options(c: _Collector, where: str, data: Any) -> tuple[Option, ...]:
    if not isinstance(data, list) or not data:
        c.add(where, "у поля типа choice должен быть непустой список «options»")
        return ()
    out, seen = [], set()
    for i, item in enumerate(data, start=1):
        here = f"{where}, вариант {i}"
        if isinstance(item, str):
            item = {"value": item, "label": item}
        if not isinstance(item, dict):
            c.add(here, "вариант должен быть строкой или словарём {value, label, points}")
            continue
        c.keys(here, item, OPTION_KEYS)
        value = _text(c, here, item, "value")
        label = _text(c, here, item, "label", required=False) or value
        if value is None:
            continue
        if value in seen:
            c.add(here, f"вариант «{value}» повторяется")
        seen.add(value)
        out.append(Option(value, label or value, _number(c, here, item, "points")))
    return tuple(out)


def _aggregate(c: _Collector, where: str, data: Any) -> Aggregate | None:
    if not isinstance(data, dict):
        c.add(where, "«aggregate» должен быть словарём {form, field, op}")
        return None
    c.keys(where, data, AGGREGATE_KEYS)
    form = _text(c, where, data, "form")
    fld = _text(c, where, data, "field", required=data.get("op") != "count")
    op = _text(c, where, data, "op")
    if op is not None and op not in AGGREGATE_OPS:
        c.add(where, f"операция «{op}» неизвестна (допустимы: {', '.join(AGGREGATE_OPS)})")
        return None
    weight = _text(c, where, data, "weight", required=False)
    if weight and op != "mean":
        c.add(where, "«weight» допустим только для операции mean")
    if form is None or op is None or (fld is None and op != "count"):
        return None
    return Aggregate(form, fld or "", op, weight)


def _field(c: _Collector, where: str, data: Any, section: str, *, in_table: bool = False) -> FieldSpec | None:
    if not isinstance(data, dict):
        c.add(where, "поле должно быть словарём с ключами id, type, label")
        return None
    c.keys(where, data, FIELD_KEYS)
    ident = _ident(c, where, data)
    where = f"{where} «{ident}»" if ident else where
    ftype = _text(c, where, data, "type")
    label = _text(c, where, data, "label")
    if ftype is not None and ftype not in FIELD_TYPES:
        c.add(where, f"неизвестный тип «{ftype}» (допустимы: {', '.join(FIELD_TYPES)})")
        return None
    if in_table and ftype in ("table", "file"):
        c.add(where, f"в таблице не может быть столбца типа {ftype}")
        return None
    if ident is None or ftype is None or label is None:
        return None
    lo, hi = _number(c, where, data, "min"), _number(c, where, data, "max")
    if ftype == "percent":
        lo = 0 if lo is None else lo
        hi = 100 if hi is None else hi
    if (lo is not None or hi is not None) and ftype not in NUMERIC_TYPES:
        c.add(where, f"min/max допустимы только для числовых полей, а тип поля — {ftype}")
    if lo is not None and hi is not None and lo > hi:
        c.add(where, f"min ({lo}) больше max ({hi})")
    options = _options(c, where, data.get("options")) if ftype == "choice" else ()
    if ftype != "choice" and "options" in data:
        c.add(where, "«options» допустим только для поля типа choice")
    compute = _text(c, where, data, "compute", required=False)
    if compute is not None:
        try:
            names_in(compute)
        except ExpressionError as exc:
            c.add(where, exc.message)
            compute = None
    aggregate = _aggregate(c, where, data["aggregate"]) if "aggregate" in data else None
    if compute and aggregate:
        c.add(where, "поле не может одновременно вычисляться (compute) и агрегироваться (aggregate)")
    if (compute or aggregate) and ftype not in NUMERIC_TYPES + ("yesno",):
        c.add(where, "вычисляемым может быть только числовое поле или да/нет")
    points = _number(c, where, data, "points")
    if points is not None and ftype not in ("yesno", "integer"):
        c.add(where, "«points» задаётся для полей yesno (баллы за «да») и integer (баллы от 0 до points); "
                     "для choice баллы указываются у вариантов")
    if points is not None and ftype == "integer":
        lo, hi = 0 if lo is None else lo, points if hi is None else hi
    columns: tuple[FieldSpec, ...] = ()
    row_rules: tuple[Rule, ...] = ()
    if ftype == "table":
        cols = data.get("columns")
        if not isinstance(cols, list) or not cols:
            c.add(where, "у таблицы должен быть непустой список «columns»")
        else:
            parsed = [_field(c, f"{where}, столбец {i}", col, section, in_table=True)
                      for i, col in enumerate(cols, start=1)]
            columns = tuple(p for p in parsed if p is not None)
            _unique(c, where, [col.id for col in columns], "столбец")
        rr = data.get("row_rules", [])
        if not isinstance(rr, list):
            c.add(where, "«row_rules» должен быть списком правил")
        else:
            row_rules = tuple(r for r in (_rule(c, f"{where}, правило строки", x) for x in rr) if r)
            col_names = {col.id for col in columns}
            for r in row_rules:
                unknown = names_in(r.expr) - col_names
                if unknown:
                    c.add(where, f"правило строки «{r.id}» ссылается на неизвестные столбцы: {', '.join(sorted(unknown))}")
    else:
        for key in ("columns", "min_rows", "max_rows", "row_rules"):
            if key in data:
                c.add(where, f"«{key}» допустим только для поля типа table")
    rnd = _int(c, where, data, "round")
    return FieldSpec(
        id=ident, type=ftype, label=label, section=section, required=_bool(c, where, data, "required"),
        unit=_text(c, where, data, "unit", required=False), help=_text(c, where, data, "help", required=False),
        min=lo, max=hi, options=options, compute=compute, round=rnd, points=points,
        evidence=_bool(c, where, data, "evidence"), columns=columns,
        min_rows=_int(c, where, data, "min_rows") or 0, max_rows=_int(c, where, data, "max_rows"),
        aggregate=aggregate, row_rules=row_rules,
    )


def _unique(c: _Collector, where: str, ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            c.add(where, f"{what} «{ident}» повторяется")
        seen.add(ident)


def computed_order(fields: list[FieldSpec]) -> list[FieldSpec]:
    """Computed fields in dependency order; a cycle is a definition error."""
    computed = {f.id: f for f in fields if f.compute}
    order: list[FieldSpec] = []
    state: dict[str, int] = {}

    def visit(fid: str, chain: list[str]) -> None:
        if state.get(fid) == 2:
            return
        if state.get(fid) == 1:
            raise InputError(f"Вычисляемые поля ссылаются друг на друга по кругу: {' → '.join(chain + [fid])}.")
        state[fid] = 1
        for dep in sorted(names_in(computed[fid].compute or "")):
            if dep in computed:
                visit(dep, chain + [fid])
        state[fid] = 2
        order.append(computed[fid])

    for fid in computed:
        visit(fid, [])
    return order


def parse_definition(data: Any, *, source: str = "", sha256: str = "") -> FormSpec:
    """Check a definition mapping against the schema and build a :class:`FormSpec`."""
    c = _Collector(source)
    if not isinstance(data, dict):
        raise InputError(f"Определение формы «{source}» должно быть словарём (YAML mapping).")
    c.keys("", data, FORM_KEYS)
    ident = _ident(c, "", data)
    version = _text(c, "", data, "version")
    title = _text(c, "", data, "title")
    level = _text(c, "", data, "level")
    if level is not None and level not in LEVELS:
        c.add("", f"уровень «{level}» неизвестен (допустимы: {', '.join(LEVELS)})")
    period = _text(c, "", data, "period")
    if period is not None and period not in PERIOD_TYPES:
        c.add("", f"тип периода «{period}» неизвестен (допустимы: {', '.join(PERIOD_TYPES)})")
    sections: list[Section] = []
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        c.add("", "нет непустого списка разделов «sections»")
        raw_sections = []
    for i, sdata in enumerate(raw_sections, start=1):
        where = f"раздел {i}"
        if not isinstance(sdata, dict):
            c.add(where, "раздел должен быть словарём с ключами id, title, fields")
            continue
        c.keys(where, sdata, SECTION_KEYS)
        sid = _ident(c, where, sdata)
        where = f"раздел «{sid}»" if sid else where
        stitle = _text(c, where, sdata, "title")
        raw_fields = sdata.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            c.add(where, "нет непустого списка полей «fields»")
            raw_fields = []
        fields = [_field(c, f"{where}, поле {j}", f, sid or "") for j, f in enumerate(raw_fields, start=1)]
        sections.append(Section(sid or "", stitle or "", tuple(f for f in fields if f), _text(
            c, where, sdata, "help", required=False)))
    _unique(c, "", [s.id for s in sections], "раздел")
    all_fields = [f for s in sections for f in s.fields]
    _unique(c, "", [f.id for f in all_fields], "поле")
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        c.add("", "«rules» должен быть списком правил")
        raw_rules = []
    rules = tuple(r for r in (_rule(c, f"правило {i}", x) for i, x in enumerate(raw_rules, start=1)) if r)
    _unique(c, "", [r.id for r in rules], "правило")
    rules = tuple(r if r.fields else replace(r, fields=_fields_of(r.expr, all_fields)) for r in rules)
    spec = FormSpec(
        id=ident or "", version=version or "", title=title or "", level=level or "", period=period or "",
        sections=tuple(sections), rules=rules, description=_text(c, "", data, "description", required=False),
        source=_text(c, "", data, "source", required=False),
        mmuko_criterion=_text(c, "", data, "mmuko_criterion", required=False), sha256=sha256, raw=data,
    )
    if not c.problems:
        _check_references(c, spec)
    if c.problems:
        raise InputError(f"Определение формы «{source or ident}» не соответствует схеме: {len(c.problems)} ошибок.",
                         diagnostics=c.problems)
    return spec


def _fields_of(expr: str, fields: list[FieldSpec]) -> tuple[str, ...]:
    """The fields an expression reads, derived names (``t_count``, ``x_filled``) mapped to their field."""
    owners: dict[str, str] = {}
    for f in fields:
        owners[f.id] = owners[f"{f.id}_filled"] = owners[f"{f.id}_count"] = f.id
        for col in f.columns:
            owners[f"{f.id}_{col.id}_sum"] = f.id
    try:
        used = names_in(expr)
    except ExpressionError:
        return ()
    in_order = [m.group(0) for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", expr) if m.group(0) in used]
    return tuple(dict.fromkeys(owners[n] for n in in_order if n in owners))


def _check_references(c: _Collector, spec: FormSpec) -> None:
    """Every name in a rule or a computed field must be a field of this form."""
    names = spec.rule_names()
    ids = {f.id for f in spec.fields}
    for r in spec.rules:
        unknown = sorted(names_in(r.expr) - names)
        if unknown:
            c.add(f"правило «{r.id}»", f"неизвестные имена в выражении: {', '.join(unknown)}")
        bad = [x for x in r.fields if x not in ids]
        if bad:
            c.add(f"правило «{r.id}»", f"в «fields» неизвестные поля: {', '.join(bad)}")
    for f in spec.fields:
        if f.compute:
            unknown = sorted(names_in(f.compute) - names)
            if unknown:
                c.add(f"поле «{f.id}»", f"неизвестные имена в формуле: {', '.join(unknown)}")
        if f.aggregate and spec.level == "school":
            c.add(f"поле «{f.id}»", "агрегирование допустимо только в формах муниципального или регионального уровня")
    try:
        computed_order(spec.fields)
    except InputError as exc:
        c.add("", exc.message)
