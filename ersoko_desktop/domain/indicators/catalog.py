"""The declarative indicator catalog: what each indicator is, as data (``forms/indicators/*.yaml``).

An entry names a formula over the group aggregates (:data:`AGGREGATES`); the evaluator is
generic, so a methodologist can add an indicator to the YAML without touching code. Formulas are
checked at load time with the safe expression language (unknown names, forbidden constructs →
a Russian error naming the file and the indicator).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import yaml

from ..expressions import Expression, ExpressionError, compile_expression

LEVELS = ("class", "school", "municipality", "region")
LEVEL_NAMES = {"class": "класс", "school": "ОО", "municipality": "муниципалитет", "region": "регион"}

# Named aggregates of a group (class/school/municipality/region × procedure), all additive sums
# except max_score (a property of the procedure).
AGGREGATES: dict[str, str] = {
    "N": "участники с отметкой",
    "n1": "число «1»", "n2": "число «2»", "n3": "число «3»", "n4": "число «4»", "n5": "число «5»",
    "score_n": "участники с первичным баллом",
    "score_sum": "сумма первичных баллов",
    "max_score": "максимальный первичный балл по спецификации",
    "n_both": "участники с отметкой за работу и по журналу",
    "n_lowered": "понизили отметку по журналу (отметка за работу ниже)",
    "n_confirmed": "подтвердили отметку по журналу",
    "n_raised": "повысили отметку по журналу (отметка за работу выше)",
}


@dataclass(frozen=True)
class IndicatorDef:
    key: str
    name: str
    unit: str
    formula: str
    rounding: int
    levels: tuple[str, ...]
    description: str
    expression: Expression

    @property
    def title(self) -> str:
        return f"{self.name}, {self.unit}" if self.unit == "%" else self.name


@dataclass(frozen=True)
class Catalog:
    indicators: tuple[IndicatorDef, ...]
    version: str  # content hash: changes whenever a definition changes (cache key)

    def get(self, key: str) -> IndicatorDef:
        for ind in self.indicators:
            if ind.key == key:
                return ind
        raise KeyError(key)

    @property
    def keys(self) -> list[str]:
        return [i.key for i in self.indicators]

    def for_level(self, level: str) -> list[IndicatorDef]:
        return [i for i in self.indicators if level in i.levels]


def parse_catalog(texts: dict[str, str]) -> Catalog:
    """Build a catalog from YAML texts keyed by file name (several files are merged in name order)."""
    indicators: list[IndicatorDef] = []
    seen: dict[str, str] = {}
    digest = hashlib.sha256()
    for file_name in sorted(texts):
        text = texts[file_name]
        digest.update(file_name.encode() + b"\0" + text.encode())
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ExpressionError(f"Каталог показателей «{file_name}»: ошибка YAML: {exc}") from exc
        entries = data.get("indicators") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ExpressionError(f"Каталог показателей «{file_name}»: нет списка «indicators».")
        for pos, entry in enumerate(entries, start=1):
            indicators.append(_parse_entry(file_name, pos, entry, seen))
    return Catalog(indicators=tuple(indicators), version=digest.hexdigest()[:16])


def _parse_entry(file_name: str, pos: int, entry: object, seen: dict[str, str]) -> IndicatorDef:
    where = f"Каталог показателей «{file_name}», показатель №{pos}"
    if not isinstance(entry, dict):
        raise ExpressionError(f"{where}: ожидался словарь с полями key, name, formula.")
    missing = [f for f in ("key", "name", "formula") if not entry.get(f)]
    if missing:
        raise ExpressionError(f"{where}: не заполнены поля {', '.join(missing)}.")
    key = str(entry["key"])
    if key in seen:
        raise ExpressionError(f"{where}: ключ «{key}» уже определён в «{seen[key]}».")
    seen[key] = file_name
    levels = tuple(entry.get("levels") or LEVELS)
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise ExpressionError(f"{where} («{key}»): неизвестный уровень {', '.join(bad)}; допустимы: {', '.join(LEVELS)}.")
    try:
        expression = compile_expression(str(entry["formula"]), allowed_names=AGGREGATES)
    except ExpressionError as exc:
        raise ExpressionError(f"{where} («{key}»): {exc.message}") from exc
    rounding = entry.get("rounding", 1)
    if not isinstance(rounding, int) or not 0 <= rounding <= 6:
        raise ExpressionError(f"{where} («{key}»): rounding должно быть целым от 0 до 6, получено {rounding!r}.")
    return IndicatorDef(
        key=key, name=str(entry["name"]), unit=str(entry.get("unit", "")), formula=str(entry["formula"]),
        rounding=rounding, levels=levels, description=str(entry.get("description", "")), expression=expression,
    )
