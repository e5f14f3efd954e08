"""A small, safe expression language for formulas written in data files (never ``eval``).

Used by the indicator catalog (``forms/indicators/*.yaml``: ``(n4 + n5) / N * 100``) and by form
validation rules (``total >= girls + boys``). The source is parsed with :mod:`ast` and only a
whitelist of node types is accepted; names come from a mapping the caller passes, functions from
a fixed table. No attributes, no imports, no comprehensions, no lambdas, no assignment.

Public API::

    expr = compile_expression("(n4 + n5) / N * 100")      # ExpressionError on bad syntax/nodes
    expr.names                                            # frozenset({"n4", "n5", "N"})
    expr.evaluate({"n4": 3, "n5": 1, "N": 8})            # 50.0
    expr.evaluate({"n4": series4, "n5": series5, "N": n}) # vectorised: numpy arrays / pandas Series
    evaluate("a if a > 0 else 0", {"a": 2})               # one-shot helper

Semantics, chosen so that "undefined" stays visible instead of becoming a wrong number:

- ``x / 0`` is undefined: ``None`` for scalars, ``NaN`` element-wise for arrays/Series.
- ``None`` in arithmetic gives ``None``; ordering comparisons with ``None`` are ``False``;
  ``==``/``!=`` compare normally (``x == None`` tests for an empty field).
- ``and``/``or``/``not`` and ``a if c else b`` work on scalars (Python rules) and element-wise
  on arrays/Series (``&``, ``|``, ``~``, ``numpy.where``).
- Functions: ``abs``, ``min``, ``max``, ``round``, ``sum``, ``len``, ``mean``, ``where(c, a, b)``,
  ``coalesce(a, b, ...)``, ``is_empty(x)``. ``**`` is allowed with exponents up to 100.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ..errors import InputError

MAX_SOURCE_LENGTH = 2000
MAX_NODES = 400
MAX_POWER = 100


class ExpressionError(InputError):
    """A formula that cannot be parsed, uses a forbidden construct, or names an unknown value."""


def _is_vector(value: Any) -> bool:
    return hasattr(value, "__array__") and not isinstance(value, (str, bytes)) and getattr(value, "ndim", 1) > 0


def _any_vector(*values: Any) -> bool:
    return any(_is_vector(v) for v in values)


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        return op(a, b)

    return apply


def _div(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if _any_vector(a, b):
        import numpy as np

        if _is_vector(b):
            b = b.astype(float) if hasattr(b, "astype") else np.asarray(b, dtype=float)
            b = b.where(b != 0) if hasattr(b, "where") and not isinstance(b, np.ndarray) else np.where(b == 0, np.nan, b)
            return a / b
        return a / b if b != 0 else a * np.nan
    return None if b == 0 else a / b


def _floordiv(a: Any, b: Any) -> Any:
    q = _div(a, b)
    if q is None:
        return None
    if _is_vector(q):
        import numpy as np

        return np.floor(q)
    return math.floor(q)


def _mod(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if not _any_vector(a, b) and b == 0:
        return None
    return a % b


def _pow(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if not _is_vector(b) and abs(b) > MAX_POWER:
        raise ExpressionError(f"Слишком большая степень в формуле: {b} (допустимо до {MAX_POWER}).")
    return a ** b


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _arith(operator.add),
    ast.Sub: _arith(operator.sub),
    ast.Mult: _arith(operator.mul),
    ast.Div: _div,
    ast.FloorDiv: _floordiv,
    ast.Mod: _mod,
    ast.Pow: _pow,
}


def _ordered(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return False
        return op(a, b)

    return apply


def _in(a: Any, b: Any) -> Any:
    if b is None:
        return False
    if _is_vector(a) and hasattr(a, "isin"):
        return a.isin(list(b))
    return a in b


_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: _ordered(operator.lt),
    ast.LtE: _ordered(operator.le),
    ast.Gt: _ordered(operator.gt),
    ast.GtE: _ordered(operator.ge),
    ast.Eq: lambda a, b: (a.isna() if hasattr(a, "isna") else a is None) if b is None else a == b,
    ast.NotEq: lambda a, b: (a.notna() if hasattr(a, "notna") else a is not None) if b is None else a != b,
    ast.In: _in,
    ast.NotIn: lambda a, b: _not(_in(a, b)),
}


def _not(value: Any) -> Any:
    if _is_vector(value):
        return ~value.astype(bool)
    return not value


def _and(values: list[Any]) -> Any:
    if _any_vector(*values):
        out = values[0]
        for v in values[1:]:
            out = out & v
        return out
    result = values[0]
    for v in values:
        result = v
        if not v:
            return v
    return result


def _or(values: list[Any]) -> Any:
    if _any_vector(*values):
        out = values[0]
        for v in values[1:]:
            out = out | v
        return out
    for v in values:
        if v:
            return v
    return values[-1]


def _where(cond: Any, a: Any, b: Any) -> Any:
    if _any_vector(cond, a, b):
        import numpy as np

        result = np.where(np.asarray(cond, dtype=bool), a, b)
        for v in (cond, a, b):
            if hasattr(v, "index") and _is_vector(v):
                import pandas as pd

                return pd.Series(result, index=v.index)
        return result
    return a if cond else b


def _is_empty(value: Any) -> Any:
    if _is_vector(value) and hasattr(value, "isna"):
        return value.isna()
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, (str, list, tuple, dict)) and len(value) == 0


def _mean(*values: Any) -> Any:
    items = list(values[0]) if len(values) == 1 and isinstance(values[0], (list, tuple)) else list(values)
    items = [v for v in items if v is not None]
    return sum(items) / len(items) if items else None


def _round(value: Any, digits: int = 0) -> Any:
    if value is None:
        return None
    if _is_vector(value):
        return value.round(digits)
    return round(value, digits)


def _minmax(fn: Callable[..., Any]) -> Callable[..., Any]:
    def apply(*values: Any) -> Any:
        items = list(values[0]) if len(values) == 1 and isinstance(values[0], (list, tuple)) else list(values)
        items = [v for v in items if v is not None]
        return fn(items) if items else None

    return apply


DEFAULT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": lambda x: None if x is None else abs(x),
    "min": _minmax(min),
    "max": _minmax(max),
    "round": _round,
    "sum": lambda *v: sum(x for x in (v[0] if len(v) == 1 and isinstance(v[0], (list, tuple)) else v) if x is not None),
    "len": len,
    "mean": _mean,
    "where": _where,
    "coalesce": lambda *v: next((x for x in v if not _is_empty(x)), None),
    "is_empty": _is_empty,
}

_CONSTANTS = {"True": True, "False": False, "None": None, "true": True, "false": False, "null": None}

_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name,
    ast.Constant, ast.Load, ast.Subscript, ast.List, ast.Tuple,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.USub, ast.UAdd, ast.Not,
    ast.And, ast.Or, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq, ast.In, ast.NotIn,
)

Evaluator = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Expression:
    """A compiled formula; ``evaluate`` can be called many times with different values."""

    source: str
    names: frozenset[str]
    _run: Evaluator = field(repr=False, compare=False)

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        missing = sorted(n for n in self.names if n not in variables and n not in _CONSTANTS)
        if missing:
            raise ExpressionError(
                f"Формула «{self.source}»: неизвестные величины {', '.join(missing)}; "
                f"доступны: {', '.join(sorted(variables)) or 'нет'}."
            )
        try:
            return self._run(variables)
        except ExpressionError:
            raise
        except (TypeError, ValueError, OverflowError, KeyError, IndexError) as exc:
            raise ExpressionError(f"Формула «{self.source}» не вычисляется: {exc}.") from exc


def compile_expression(source: str, *, allowed_names: Iterable[str] | None = None,
                       functions: Mapping[str, Callable[..., Any]] | None = None) -> Expression:
    """Parse and check ``source``; ``allowed_names`` (if given) restricts the names it may use."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("Пустая формула.")
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(f"Формула длиннее {MAX_SOURCE_LENGTH} символов.")
    text = " ".join(source.strip().splitlines())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"Формула «{source}»: синтаксическая ошибка в позиции {exc.offset}.") from exc
    funcs = dict(DEFAULT_FUNCTIONS)
    funcs.update(functions or {})
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"Формула «{source}» слишком сложная (более {MAX_NODES} элементов).")
    names: set[str] = set()
    func_nodes = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    for node in nodes:
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"Формула «{source}»: конструкция «{type(node).__name__}» не разрешена.")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in funcs or node.keywords:
                called = node.func.id if isinstance(node.func, ast.Name) else "?"
                raise ExpressionError(
                    f"Формула «{source}»: функция «{called}» не разрешена; доступны: {', '.join(sorted(funcs))}."
                )
        elif isinstance(node, ast.Name) and node.id not in _CONSTANTS and id(node) not in func_nodes:
            names.add(node.id)
        elif isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool, type(None))):
            raise ExpressionError(f"Формула «{source}»: недопустимая константа {node.value!r}.")
    if allowed_names is not None:
        unknown = sorted(names - set(allowed_names))
        if unknown:
            raise ExpressionError(
                f"Формула «{source}»: неизвестные величины {', '.join(unknown)}; "
                f"доступны: {', '.join(sorted(allowed_names))}."
            )
    return Expression(source=source, names=frozenset(names), _run=_compile(tree.body, funcs))


def evaluate(source: str, variables: Mapping[str, Any]) -> Any:
    """Compile and evaluate once (for rules evaluated rarely; cache ``compile_expression`` otherwise)."""
    return compile_expression(source).evaluate(variables)


def _compile(node: ast.AST, funcs: Mapping[str, Callable[..., Any]]) -> Evaluator:
    """Turn the checked tree into nested closures (parsed once, evaluated many times)."""
    if isinstance(node, ast.Constant):
        value = node.value
        return lambda env: value
    if isinstance(node, ast.Name):
        name = node.id
        if name in _CONSTANTS:
            const = _CONSTANTS[name]
            return lambda env: const
        return lambda env: env[name]
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_compile(e, funcs) for e in node.elts]
        return lambda env: [item(env) for item in items]
    if isinstance(node, ast.BinOp):
        left, right, op = _compile(node.left, funcs), _compile(node.right, funcs), _BINARY[type(node.op)]
        return lambda env: op(left(env), right(env))
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, funcs)
        if isinstance(node.op, ast.Not):
            return lambda env: _not(operand(env))
        sign = -1 if isinstance(node.op, ast.USub) else 1
        return lambda env: (lambda v: None if v is None else (-v if sign < 0 else +v))(operand(env))
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, funcs) for v in node.values]
        is_and = isinstance(node.op, ast.And)

        def bool_op(env: Mapping[str, Any]) -> Any:
            # Scalars short-circuit like Python ("is_empty(x) or x > 3"); vectors combine element-wise.
            values = []
            for part in parts:
                value = part(env)
                values.append(value)
                if not _any_vector(*values) and (not value if is_and else value):
                    return value
            return _and(values) if is_and else _or(values)

        return bool_op
    if isinstance(node, ast.Compare):
        first = _compile(node.left, funcs)
        rest = [(_COMPARE[type(op)], _compile(c, funcs)) for op, c in zip(node.ops, node.comparators)]

        def compare(env: Mapping[str, Any]) -> Any:
            left = first(env)
            results = []
            for op, right_fn in rest:
                right = right_fn(env)
                results.append(op(left, right))
                left = right
            return results[0] if len(results) == 1 else _and(results)

        return compare
    if isinstance(node, ast.IfExp):
        cond, then, other = _compile(node.test, funcs), _compile(node.body, funcs), _compile(node.orelse, funcs)

        def if_exp(env: Mapping[str, Any]) -> Any:
            c = cond(env)
            if _is_vector(c):
                return _where(c, then(env), other(env))
            return then(env) if c else other(env)

        return if_exp
    if isinstance(node, ast.Call):
        fn = funcs[node.func.id]  # type: ignore[attr-defined]
        args = [_compile(a, funcs) for a in node.args]
        return lambda env: fn(*[a(env) for a in args])
    if isinstance(node, ast.Subscript):
        target, index = _compile(node.value, funcs), _compile(node.slice, funcs)

        def subscript(env: Mapping[str, Any]) -> Any:
            container = target(env)
            return None if container is None else container[index(env)]

        return subscript
    raise ExpressionError(f"конструкция «{type(node).__name__}» не разрешена")  # pragma: no cover - checked above
