"""Validate a set of values against a definition: types, required, min/max, table rows, computed
fields and cross-field rules. Pure function: the GUI calls it on every edit, the import and the
workflow call it before writing, a receiving level calls it again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .expr import ExpressionError, names_in, run
from .schema import NUMERIC_TYPES, FieldSpec, FormSpec, Rule, computed_order
from .values import CoercionError, coerce, display, expression_value, is_empty


@dataclass(frozen=True)
class Issue:
    """One problem. ``field_id`` is the field shown red; ``fields`` all fields a rule involves."""

    field_id: str | None
    message: str
    severity: str = "error"
    rule_id: str | None = None
    row: int | None = None  # table row, 1-based
    column: str | None = None  # table column id
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"field": self.field_id, "message": self.message, "severity": self.severity, "rule": self.rule_id,
                "row": self.row, "column": self.column}


@dataclass
class ValidationResult:
    values: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def for_field(self, field_id: str) -> list[Issue]:
        return [i for i in self.issues if i.field_id == field_id or field_id in i.fields]


def _number_text(x: float) -> str:
    return (f"{x:g}").replace(".", ",")


def _range_issue(f: FieldSpec, value: Any, *, row: int | None = None, table: str | None = None) -> Issue | None:
    if f.type not in NUMERIC_TYPES or value is None:
        return None
    unit = f" {f.unit}" if f.unit else ""
    if f.min is not None and value < f.min:
        message = f"«{f.label}»: значение {_number_text(value)}{unit} меньше допустимого минимума {_number_text(f.min)}"
    elif f.max is not None and value > f.max:
        message = f"«{f.label}»: значение {_number_text(value)}{unit} больше допустимого максимума {_number_text(f.max)}"
    else:
        return None
    return Issue(table or f.id, message, row=row, column=f.id if table else None)


def _check_field(f: FieldSpec, raw: Any, issues: list[Issue], check_required: bool) -> Any:
    try:
        value = coerce(f, raw)
    except CoercionError as exc:
        issues.append(Issue(f.id, f"«{f.label}»: {exc}"))
        return None
    if value is None:
        if check_required and f.required:
            issues.append(Issue(f.id, f"«{f.label}»: обязательное поле не заполнено"))
        return None
    if f.type == "table":
        return _check_table(f, value, issues, check_required)
    issue = _range_issue(f, value)
    if issue:
        issues.append(issue)
    return value


def _check_table(f: FieldSpec, rows: list[dict], issues: list[Issue], check_required: bool) -> list[dict]:
    out: list[dict] = []
    for raw_row in rows:
        if all(is_empty(raw_row.get(c.id)) for c in f.columns):
            continue  # a blank row in Excel or the GUI is not data
        n = len(out) + 1
        row: dict[str, Any] = {}
        for c in f.columns:
            try:
                value = coerce(c, raw_row.get(c.id))
            except CoercionError as exc:
                issues.append(Issue(f.id, f"«{f.label}», строка {n}, «{c.label}»: {exc}", row=n, column=c.id))
                value = None
            else:
                if value is None and c.required and check_required:
                    issues.append(Issue(f.id, f"«{f.label}», строка {n}: не заполнен столбец «{c.label}»",
                                        row=n, column=c.id))
                issue = _range_issue(c, value, row=n, table=f.id)
                if issue:
                    issues.append(Issue(f.id, f"«{f.label}», строка {n}: {issue.message}", row=n, column=c.id))
            row[c.id] = value
        for rule in f.row_rules:
            result = _run_rule(rule, {c.id: expression_value(c, row[c.id]) for c in f.columns})
            if result is not None:
                issues.append(Issue(f.id, f"«{f.label}», строка {n}: {result}", rule.severity, rule.id, row=n,
                                    column=rule.fields[0] if rule.fields else None))
        out.append(row)
    if check_required and len(out) < f.min_rows:
        issues.append(Issue(f.id, f"«{f.label}»: нужно не меньше {f.min_rows} строк, заполнено {len(out)}"))
    if f.max_rows is not None and len(out) > f.max_rows:
        issues.append(Issue(f.id, f"«{f.label}»: допускается не больше {f.max_rows} строк, заполнено {len(out)}"))
    return out


def expression_names(spec: FormSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """What rules and formulas see: plain fields by id (and ``<id>_filled``, never empty, for
    "fill B when A" rules), tables as ``<id>_count`` and ``<id>_<column>_sum``, evidence fields
    as ``<id>_count``."""
    names: dict[str, Any] = {}
    for f in spec.fields:
        value = values.get(f.id)
        if f.type == "table":
            rows = value or []
            names[f"{f.id}_count"] = len(rows)
            for c in f.columns:
                if c.type in NUMERIC_TYPES:
                    names[f"{f.id}_{c.id}_sum"] = sum(r.get(c.id) or 0 for r in rows)
        elif f.type == "file":
            names[f"{f.id}_count"] = len(value or [])
        else:
            names[f.id] = expression_value(f, value)
            names[f"{f.id}_filled"] = not is_empty(value)
    return names


def _run_rule(rule: Rule, names: Mapping[str, Any]) -> str | None:
    """The message if the rule fails; None if it holds or cannot be checked yet (a value missing)."""
    used = names_in(rule.expr)
    if any(names.get(n) is None for n in used):
        return None
    try:
        ok = run(rule.expr, names)
    except ExpressionError as exc:
        return f"правило «{rule.id}» не вычислено: {exc.message}"
    return None if ok is None or ok else rule.message  # None: undefined (division by zero)


def compute_value(f: FieldSpec, names: Mapping[str, Any]) -> Any:
    """Value of a computed field, None while an input is missing or on division by zero."""
    assert f.compute is not None
    if any(names.get(n) is None for n in names_in(f.compute)):
        return None
    value = run(f.compute, names)
    if value is None:
        return None
    if f.type == "yesno":
        return bool(value)
    if f.type == "integer":
        return int(round(value))
    value = float(value)
    return round(value, f.round) if f.round is not None else value


def validate(spec: FormSpec, raw: Mapping[str, Any], *, check_required: bool = True) -> ValidationResult:
    """Coerce every field, compute formulas, run rules. ``check_required=False`` for drafts."""
    issues: list[Issue] = []
    values: dict[str, Any] = {}
    for f in spec.fields:
        if f.compute:
            continue
        if f.aggregate:
            try:
                values[f.id] = coerce(f, raw.get(f.id))
            except CoercionError:
                values[f.id] = None
            continue
        values[f.id] = _check_field(f, raw.get(f.id), issues, check_required)
    names = expression_names(spec, values)
    for f in computed_order(spec.fields):
        try:
            value = compute_value(f, names)
        except ExpressionError as exc:
            issues.append(Issue(f.id, f"«{f.label}»: формула не вычислена: {exc.message}"))
            value = None
        values[f.id] = value
        names[f.id] = value
        issue = _range_issue(f, value)
        if issue:
            inputs = tuple(sorted(n for n in names_in(f.compute or "") if spec.has_field(n)))
            issues.append(Issue(f.id, issue.message + " — проверьте исходные данные: "
                                + ", ".join(f"«{spec.field(n).label}»" for n in inputs), fields=inputs))
    for rule in spec.rules:
        message = _run_rule(rule, names)
        if message is not None:
            issues.append(Issue(rule.fields[0] if rule.fields else None, message, rule.severity, rule.id,
                                fields=rule.fields))
    return ValidationResult(values, issues)


def score(spec: FormSpec, values: Mapping[str, Any]) -> tuple[float, float]:
    """Checklist points achieved and the maximum (ММУКО criteria)."""
    got = 0.0
    for f in spec.fields:
        if not f.max_points:
            continue
        value = values.get(f.id)
        if value is None:
            continue
        if f.type == "yesno":
            got += (f.points or 0) if value else 0
        elif f.type == "integer":
            got += max(0, min(value, f.max_points))
        elif f.type == "choice":
            option = f.option(str(value))
            got += (option.points or 0) if option else 0
    return got, spec.max_points


def filled_share(spec: FormSpec, values: Mapping[str, Any]) -> float:
    """Share (0–100) of the required input fields that have a value."""
    required = [f for f in spec.fields if f.required and not f.computed]
    if not required:
        inputs = [f for f in spec.fields if not f.computed]
        required = inputs
    if not required:
        return 100.0
    filled = sum(1 for f in required if not is_empty(values.get(f.id)))
    return round(filled / len(required) * 100, 1)


__all__ = ["Issue", "ValidationResult", "validate", "score", "filled_share", "expression_names", "display"]
