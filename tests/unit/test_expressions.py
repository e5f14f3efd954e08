"""The safe expression language: arithmetic, undefined values, vectors, and what it refuses."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ersoko_desktop.domain.expressions import ExpressionError, compile_expression, evaluate
from ersoko_desktop.errors import InputError


def test_indicator_formula_on_scalars():
    expr = compile_expression("(n4 + n5) / N * 100")
    assert expr.names == frozenset({"n4", "n5", "N"})
    # 3 «4» and 1 «5» of 8 participants: 4/8 = 50 %
    assert expr.evaluate({"n4": 3, "n5": 1, "N": 8}) == 50.0


def test_division_by_zero_is_undefined_not_an_error():
    assert evaluate("a / N", {"a": 0, "N": 0}) is None
    assert evaluate("a // b", {"a": 3, "b": 0}) is None
    assert evaluate("a % b", {"a": 3, "b": 0}) is None
    assert evaluate("a / b + 1", {"a": 1, "b": 0}) is None  # undefined propagates


def test_vectorised_division_gives_nan_where_undefined():
    n = pd.Series([4, 0, 10])
    good = pd.Series([1, 0, 5])
    out = compile_expression("good / n * 100").evaluate({"good": good, "n": n})
    assert out.iloc[0] == 25.0
    assert math.isnan(out.iloc[1])
    assert out.iloc[2] == 50.0
    arr = compile_expression("a / b").evaluate({"a": np.array([1.0, 2.0]), "b": np.array([0.0, 4.0])})
    assert math.isnan(arr[0]) and arr[1] == 0.5


def test_vectorised_boolean_and_conditional():
    q = pd.Series([10.0, 40.0, 80.0])
    flags = compile_expression("q >= 30 and q < 70 or q == 10").evaluate({"q": q})
    assert flags.tolist() == [True, True, False]
    picked = compile_expression("1 if q > 50 else 0").evaluate({"q": q})
    assert picked.tolist() == [0, 0, 1]
    assert compile_expression("not (q > 50)").evaluate({"q": q}).tolist() == [True, True, False]


def test_validation_style_rules_on_scalars():
    assert evaluate("total >= girls + boys", {"total": 30, "girls": 14, "boys": 16}) is True
    assert evaluate("total >= girls + boys", {"total": 29, "girls": 14, "boys": 16}) is False
    assert evaluate("0 <= share <= 100", {"share": 100}) is True
    assert evaluate("0 <= share <= 100", {"share": 101}) is False
    assert evaluate("kind in ['school', 'municipality']", {"kind": "school"}) is True
    assert evaluate("kind not in ('a', 'b')", {"kind": "a"}) is False
    assert evaluate("x == None", {"x": None}) is True
    assert evaluate("is_empty(x) or x > 3", {"x": ""}) is True
    assert evaluate("coalesce(x, 7)", {"x": None}) == 7
    assert evaluate("max(a, b, 2) + min([a, b]) + abs(c)", {"a": 1, "b": 5, "c": -3}) == 5 + 1 + 3
    assert evaluate("round(mean(a, b, c), 2)", {"a": 1, "b": 2, "c": 2}) == 1.67
    assert evaluate("len(items) == 2 and items[1] == 'b'", {"items": ["a", "b"]}) is True
    assert evaluate("rural and students < 100", {"rural": True, "students": 99}) is True


def test_none_in_arithmetic_and_ordering():
    assert evaluate("a + 1", {"a": None}) is None
    assert evaluate("-a", {"a": None}) is None
    assert evaluate("a > 1", {"a": None}) is False
    assert evaluate("a != None", {"a": 0}) is True


@pytest.mark.parametrize("source", [
    "__import__('os').system('echo hi')",
    "x.__class__",
    "open('/etc/passwd')",
    "[i for i in range(10)]",
    "lambda: 1",
    "(x := 3)",
    "{'a': 1}",
    "f'{x}'",
])
def test_forbidden_constructs_are_refused_in_russian(source):
    with pytest.raises(ExpressionError) as info:
        compile_expression(source)
    assert "не разрешена" in info.value.message or "синтаксическая" in info.value.message


def test_errors_are_input_errors_naming_the_formula():
    with pytest.raises(InputError) as info:
        compile_expression("a +")
    assert "«a +»" in info.value.message
    with pytest.raises(ExpressionError) as info:
        compile_expression("n6 / N", allowed_names={"N", "n5"})
    assert "n6" in info.value.message
    with pytest.raises(ExpressionError) as info:
        compile_expression("a + b").evaluate({"a": 1})
    assert "неизвестные величины b" in info.value.message
    with pytest.raises(ExpressionError):
        evaluate("2 ** 1000", {})
    with pytest.raises(ExpressionError):
        compile_expression("")
    with pytest.raises(ExpressionError):
        compile_expression("+".join(["a"] * 500))


def test_compiled_expression_is_reusable():
    expr = compile_expression("a * 2")
    assert [expr.evaluate({"a": v}) for v in (1, 2, 3)] == [2, 4, 6]
