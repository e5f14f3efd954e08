"""Form rules and formulas use the shared expression language (``domain.expressions``); rules run
on every keystroke in the GUI, so each source is compiled once per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from ..domain.expressions import Expression, ExpressionError, compile_expression

__all__ = ["ExpressionError", "compiled", "names_in", "run"]


@lru_cache(maxsize=4096)
def compiled(source: str) -> Expression:
    return compile_expression(source)


def names_in(source: str) -> frozenset[str]:
    """The value names a rule or formula reads (functions and constants excluded)."""
    return compiled(source).names


def run(source: str, names: Mapping[str, Any]) -> Any:
    """Value of ``source``; division by zero and missing inputs give None (undefined)."""
    return compiled(source).evaluate(names)
