"""Thresholds of the objectivity signs and of ШНОР/ШФНСУ as a person edits them (the «Настройки» page).

Every field of :class:`ObjectivityParams` and :class:`ShnorParams` is described here once: a Russian
label, a tooltip saying what it means, the unit and the allowed range. Values are kept in the database
settings that :mod:`services.objectivity` reads (``objectivity_params`` / ``shnor_params``), so the
order stays defaults → database setting → CLI options.

    rows = threshold_rows(session)                    # label, value, default for each parameter
    save_thresholds(session, {"objectivity.min_n": "15", "shnor.share2": "20,5"})
    reset_thresholds(session)                         # back to the defaults of GUIDE §4
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace

from typing import Iterator

from sqlalchemy.orm import Session

from ..db.models import AppSetting
from ..errors import Diagnostic, InputError, WorkflowError
from .audit import record
from .objectivity import (
    OBJECTIVITY_SETTING,
    SHNOR_SETTING,
    ObjectivityParams,
    ShnorParams,
    objectivity_params,
    save_objectivity_params,
    shnor_params,
)
from ..settings import set_db_setting

GROUPS = {"objectivity": "Признаки необъективности (S1–S5)", "shnor": "ШНОР и ШФНСУ"}


@dataclass(frozen=True)
class ThresholdSpec:
    group: str        # "objectivity" | "shnor"
    name: str         # field of ObjectivityParams / ShnorParams
    label: str
    tooltip: str
    unit: str         # "п.п.", "%", "раза", "чел." or ""
    minimum: float
    maximum: float
    integer: bool = False

    @property
    def key(self) -> str:
        return f"{self.group}.{self.name}"

    @property
    def default(self) -> float:
        params = ObjectivityParams() if self.group == "objectivity" else ShnorParams()
        return getattr(params, self.name)

    def parse(self, raw: object) -> float | int:
        """A typed value («12,5» or 12.5) in range; InputError with a Russian message otherwise."""
        text = str(raw).strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
        kind = "целое число" if self.integer else "число"
        expected = f"{kind} от {format_number(self.minimum)} до {format_number(self.maximum)}"
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"«{self.label}»: ожидается {expected}, введено «{raw}».") from None
        if value != value or (self.integer and not value.is_integer()):  # NaN or 2.5 for a count
            raise InputError(f"«{self.label}»: ожидается {expected}, введено «{raw}».")
        if not self.minimum <= value <= self.maximum:
            raise InputError(f"«{self.label}»: ожидается {expected}, введено «{raw}».")
        return int(value) if self.integer else value


def format_number(value: float) -> str:
    """12.0 → «12», 0.25 → «0,25» (Russian decimal comma)."""
    return (f"{value:.6f}".rstrip("0").rstrip(".") if not float(value).is_integer() else str(int(value))).replace(".", ",")


_O, _S = "objectivity", "shnor"
SPECS: tuple[ThresholdSpec, ...] = (
    ThresholdSpec(_O, "min_n", "Минимальное число участников (N)",
                  "Признаки S1–S5 считаются только там, где участников не меньше этого числа: на малых "
                  "группах проценты случайны (для S4 нужно ещё и не меньше своего порога ниже).", "чел.", 1, 1000,
                  True),
    ThresholdSpec(_O, "s1_quality_gap", "S1: качество знаний выше муниципального на",
                  "S1 «высокие результаты»: качество знаний школы выше, чем по муниципалитету, на столько "
                  "процентных пунктов или больше.", "п.п.", 0, 100),
    ThresholdSpec(_O, "s1_five_ratio", "S1: доля «5» больше муниципальной в",
                  "S1 (второе условие): доля отметок «5» в школе во столько раз больше доли «5» по "
                  "муниципалитету — и не меньше порога ниже.", "раза", 1, 20),
    ThresholdSpec(_O, "s1_five_min", "S1: доля «5» не меньше",
                  "S1 (второе условие): доля «5» в школе не меньше этого процента.", "%", 0, 100),
    ThresholdSpec(_O, "s2_lowered", "S2: понизили отметку по журналу не меньше",
                  "S2 «несоответствие отметкам»: доля участников, чья отметка за работу ниже журнальной, "
                  "не меньше этого процента.", "%", 0, 100),
    ThresholdSpec(_O, "s2_mismatch", "S2: понизили + повысили не меньше",
                  "S2 (второе условие): доля участников, чья отметка за работу не совпала с журнальной "
                  "(ниже или выше), не меньше этого процента.", "%", 0, 100),
    ThresholdSpec(_O, "s3_quality_delta", "S3: изменение качества знаний за год не меньше",
                  "S3 «резкое изменение»: качество знаний той же параллели (или того же класса год спустя) "
                  "изменилось по сравнению с прошлым годом на столько процентных пунктов или больше.",
                  "п.п.", 0, 100),
    ThresholdSpec(_O, "s3_mean_mark_delta", "S3: изменение средней отметки за год не меньше",
                  "S3 (второе условие): средняя отметка изменилась за год на столько баллов или больше.",
                  "", 0, 3),
    ThresholdSpec(_O, "s4_min_n", "S4: минимальное число участников",
                  "S4 «дотягивание до границы отметки» проверяется только при таком числе участников "
                  "или больше (и не меньше общего минимума): распределение баллов малой группы неустойчиво.", "чел.", 1,
                  1000, True),
    ThresholdSpec(_O, "s4_below_ratio", "S4: баллов перед границей не больше доли от муниципальной",
                  "S4: доля участников с баллами t−2…t−1 (сразу под границей отметки t) не больше этой доли "
                  "от такой же доли по муниципалитету (0,25 — в четыре раза меньше).", "", 0, 1),
    ThresholdSpec(_O, "s4_above_ratio", "S4: баллов на границе больше муниципальных в",
                  "S4 (второе условие): доля участников с баллами t…t+1 (на границе отметки) во столько раз "
                  "больше такой же доли по муниципалитету или ещё больше.", "раза", 1, 10),
    ThresholdSpec(_O, "s5_gap", "S5: задания повышенного уровня решены лучше базовых на",
                  "S5 «обратная сложность»: средняя решаемость заданий повышенного уровня выше, чем "
                  "базового, на столько процентных пунктов или больше.", "п.п.", 0, 100),
    ThresholdSpec(_O, "risk_min_signs", "Признаков в одной процедуре для списка риска",
                  "Школа попадает в список риска, если в одной процедуре у неё столько признаков или больше "
                  "(или один и тот же признак два года подряд).", "", 1, 5, True),
    ThresholdSpec(_S, "min_n", "ШНОР: минимальное число участников",
                  "Результаты школы в процедуре учитываются для ШНОР только при таком числе участников "
                  "или больше.", "чел.", 1, 1000, True),
    ThresholdSpec(_S, "share2", "ШНОР: доля «2» не меньше",
                  "Низкий результат в процедуре: доля отметок «2» не меньше этого процента.", "%", 0, 100),
    ThresholdSpec(_S, "low_percentile", "ШНОР: средняя отметка в нижних … % муниципалитета",
                  "Низкий результат (второе условие): средняя отметка школы среди этого процента самых низких "
                  "по муниципалитету в той же процедуре.", "%", 0, 100),
    ThresholdSpec(_S, "min_procedures", "ШНОР: процедур с низким результатом в году не меньше",
                  "Школа относится к ШНОР, если низкие результаты у неё в стольких процедурах года или больше…",
                  "", 1, 50, True),
    ThresholdSpec(_S, "years", "ШНОР: лет подряд",
                  "…и так в каждом из стольких лет подряд.", "", 1, 10, True),
    ThresholdSpec(_S, "small_school", "ШФНСУ: малокомплектная школа — обучающихся меньше",
                  "Фактор ШФНСУ «малокомплектная школа»: обучающихся (по форме «Контекст школы») меньше "
                  "этого числа.", "чел.", 1, 100000, True),
    ThresholdSpec(_S, "low_income_share", "ШФНСУ: доля малообеспеченных семей не меньше",
                  "Фактор ШФНСУ: доля обучающихся из малообеспеченных семей не меньше этого процента.", "%", 0, 100),
    ThresholdSpec(_S, "non_russian_share", "ШФНСУ: доля детей с неродным русским языком не меньше",
                  "Фактор ШФНСУ: доля обучающихся, для которых русский язык не родной, не меньше этого "
                  "процента.", "%", 0, 100),
    ThresholdSpec(_S, "shfnsu_min_factors", "ШФНСУ: факторов не меньше",
                  "Школа относится к ШФНСУ, если выполнено столько факторов или больше (сельская, "
                  "малокомплектная, малообеспеченные семьи, неродной русский язык).", "", 1, 4, True),
)
SPEC_BY_KEY = {s.key: s for s in SPECS}


@dataclass(frozen=True)
class ThresholdRow:
    spec: ThresholdSpec
    value: float | int

    @property
    def is_default(self) -> bool:
        return float(self.value) == float(self.spec.default)


def threshold_rows(session: Session) -> list[ThresholdRow]:
    """Every parameter with the value in force for this database (defaults ← database setting)."""
    current = {_O: asdict(objectivity_params(session)), _S: asdict(shnor_params(session))}
    return [ThresholdRow(s, current[s.group][s.name]) for s in SPECS]


def parse_thresholds(values: dict[str, object]) -> tuple[ObjectivityParams, ShnorParams]:
    """Typed values by key (``objectivity.min_n``…) → params; every bad field is reported at once."""
    objectivity, shnor = ObjectivityParams(), ShnorParams()
    problems: list[Diagnostic] = []
    for key, raw in values.items():
        spec = SPEC_BY_KEY.get(key)
        if spec is None:
            problems.append(Diagnostic(f"неизвестный параметр «{key}»", column=key))
            continue
        try:
            value = spec.parse(raw)
        except InputError as exc:
            problems.append(Diagnostic(exc.message, column=spec.label))
            continue
        if spec.group == _O:
            objectivity = replace(objectivity, **{spec.name: value})
        else:
            shnor = replace(shnor, **{spec.name: value})
    if problems:
        raise InputError("Пороги не сохранены: исправьте значения.", diagnostics=problems)
    return objectivity, shnor


def save_thresholds(session: Session, values: dict[str, object]) -> list[str]:
    """Validate and store the thresholds (missing keys keep their current value); the changed labels."""
    before = {r.spec.key: r.value for r in threshold_rows(session)}
    merged = {**before, **values}
    objectivity, shnor = parse_thresholds(merged)
    after = {f"{_O}.{k}": v for k, v in asdict(objectivity).items()} | {f"{_S}.{k}": v for k, v in asdict(shnor).items()}
    changed = [k for k in after if float(after[k]) != float(before[k])]
    if changed:
        with _writing(session):
            save_objectivity_params(session, objectivity)
            set_db_setting(session, SHNOR_SETTING, json.dumps(asdict(shnor)))
            record(session, action="thresholds.save", entity="app_setting",
                   entity_id="objectivity_params,shnor_params",
                   before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return [SPEC_BY_KEY[k].label for k in changed]


@contextmanager
def _writing(session: Session) -> Iterator[None]:
    """Write now, so that a read-only server role gets a clear answer instead of a driver error."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
        session.flush()
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == "42501":  # insufficient_privilege
            raise WorkflowError("Пороги не сохранены: у этой роли на сервере только чтение. Пороги меняет "
                                "администратор или роль импортёра.") from exc
        raise


def reset_thresholds(session: Session) -> list[str]:
    """Back to the defaults (the settings are removed, so later default changes apply too)."""
    changed = [r for r in threshold_rows(session) if not r.is_default]
    with _writing(session):
        for key in (OBJECTIVITY_SETTING, SHNOR_SETTING):
            row = session.get(AppSetting, key)
            if row is not None:
                session.delete(row)
        if changed:
            record(session, action="thresholds.reset", entity="app_setting",
                   entity_id="objectivity_params,shnor_params",
                   before={r.spec.key: r.value for r in changed}, after={r.spec.key: r.spec.default for r in changed})
    return [r.spec.label for r in changed]


def _field_names() -> set[str]:
    """Every parameter the engine knows (a test checks that each one is described in SPECS)."""
    return {f"{_O}.{f.name}" for f in fields(ObjectivityParams)} | {f"{_S}.{f.name}" for f in fields(ShnorParams)}
