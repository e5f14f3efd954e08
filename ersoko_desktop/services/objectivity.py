"""Objectivity signs, the risk list and ШНОР over the database (GUIDE §4) — public API.

    params = objectivity_params(session, overrides={"min_n": 15})   # defaults ← settings ← overrides
    flags = objectivity_flags(session, year=2025, params=params)      # list[Flag], one per school × procedure
    muni = objectivity_flags(session, year=2025, level="municipality")  # municipalities against the region
    [f.as_dict() for f in flags]                                     # GUIDE §7 JSON (+ evidence, names)
    risky = risk_list(flags)                                         # list[RiskSchool], schools on the risk list
    shnor = shnor_list(session, year=2025)                           # list[ShnorEntry] with ШФНСУ factors

Signs are computed for schools against their municipality (``level="school"``, the default) and
for municipalities against their region (``level="municipality"``); S3 and the "same sign two years in a
row" rule look one year back, so the previous years are always read even when ``year`` is given
(the output is then limited to ``year``). Thresholds: :class:`ObjectivityParams` /
:class:`ShnorParams`; the database setting ``objectivity_params`` / ``shnor_params`` (JSON) can
override the defaults for a region.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import FormSubmission, Organization
from ..errors import InputError
from ..domain.indicators.shnor import ShnorParams, shfnsu_factors, shnor_schools
from ..domain.indicators.signs import SIGN_NAMES, SIGNS, ObjectivityParams, compute_signs, risk_marks
from ..domain.indicators.tasks import level_gap, task_solve_sums
from ..progress import Progress
from ..settings import get_db_setting, set_db_setting
from .indicators import evaluate_dataset, load_catalog, load_dataset, org_scope, procedure_label

OBJECTIVITY_SETTING = "objectivity_params"
SHNOR_SETTING = "shnor_params"
SCHOOL_CONTEXT_FORM = "school_context"

__all__ = [
    "Flag", "ObjectivityParams", "RiskSchool", "SIGN_LEVELS", "SIGNS", "SIGN_NAMES", "ShnorEntry", "ShnorParams",
    "objectivity_flags", "objectivity_params", "risk_list", "save_objectivity_params", "shnor_list", "shnor_params",
]


SIGN_LEVELS = ("school", "municipality")


@dataclass(frozen=True)
class Flag:
    """One school (or municipality, ``level``) × procedure with at least one sign."""

    org: str
    org_name: str
    municipality: str | None
    procedure: str          # kind code, e.g. "VPR"
    procedure_id: int
    subject: str
    grade: int
    year: int
    n: int
    signs: tuple[str, ...]
    evidence: dict[str, str]  # sign → sentence in Russian
    risk: bool
    risk_reasons: tuple[str, ...] = ()
    level: str = "school"

    @property
    def procedure_label(self) -> str:
        return procedure_label(self.procedure, self.subject, self.grade, self.year)

    def as_dict(self) -> dict[str, Any]:
        """GUIDE §7: ``{org, procedure, subject, grade, year, signs, risk}`` plus the evidence."""
        return {"org": self.org, "procedure": self.procedure, "subject": self.subject, "grade": self.grade,
                "year": self.year, "signs": list(self.signs), "risk": self.risk, "org_name": self.org_name,
                "municipality": self.municipality, "n": self.n, "evidence": dict(self.evidence),
                "risk_reasons": list(self.risk_reasons), "level": self.level}


@dataclass(frozen=True)
class RiskSchool:
    org: str
    org_name: str
    municipality: str | None
    year: int
    flags: tuple[Flag, ...]
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"org": self.org, "org_name": self.org_name, "municipality": self.municipality, "year": self.year,
                "reasons": list(self.reasons), "procedures": [f.as_dict() for f in self.flags]}


@dataclass(frozen=True)
class ShnorEntry:
    org: str
    org_name: str
    municipality: str | None
    year: int
    low_procedures: dict[int, list[str]]  # year → ["ВПР 2025 · Математика · 5 кл.: доля «2» 42,5 %", …]
    shfnsu: bool | None                   # None: no school-context form submitted
    shfnsu_factors: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"org": self.org, "org_name": self.org_name, "municipality": self.municipality, "year": self.year,
                "low_procedures": {str(y): v for y, v in self.low_procedures.items()},
                "shfnsu": self.shfnsu, "shfnsu_factors": list(self.shfnsu_factors)}


def objectivity_params(session: Session, overrides: dict | None = None) -> ObjectivityParams:
    """Defaults ← database setting ``objectivity_params`` (JSON) ← ``overrides`` (CLI/GUI)."""
    stored = _setting_json(session, OBJECTIVITY_SETTING)
    stored.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return ObjectivityParams.from_mapping(stored)


def save_objectivity_params(session: Session, params: ObjectivityParams) -> None:
    set_db_setting(session, OBJECTIVITY_SETTING, json.dumps(asdict(params)))


def shnor_params(session: Session, overrides: dict | None = None) -> ShnorParams:
    stored = _setting_json(session, SHNOR_SETTING)
    stored.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return ShnorParams.from_mapping(stored)


def _setting_json(session: Session, key: str) -> dict:
    raw = get_db_setting(session, key)
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        value = {}
    return value if isinstance(value, dict) else {}


def objectivity_flags(session: Session, *, year: int | None = None, procedure_kind: str | None = None,
                      subject: str | None = None, grade: int | None = None, org_code: str | None = None,
                      params: ObjectivityParams | None = None, level: str = "school",
                      progress: Progress | None = None) -> list[Flag]:
    """Every school × procedure (``level="municipality"``: municipality × procedure, compared with
    the region) with a sign, limited to ``year``/``org_code`` if given, sorted by year,
    municipality, org, procedure."""
    if level not in SIGN_LEVELS:
        raise InputError(f"Признаки необъективности считаются для уровней {', '.join(SIGN_LEVELS)}; "
                         f"получено «{level}».")
    progress = progress or Progress.none()
    params = params or objectivity_params(session)
    progress.step(0.1, "Чтение результатов")
    dataset = load_dataset(session, procedure_kind=procedure_kind, subject=subject, grade=grade, with_tasks=True)
    if year is not None:
        dataset = dataset.restrict(dataset.procedures.index[dataset.procedures["year"] <= year])
    progress.step(0.4, "Расчёт признаков необъективности")
    frame = signs_frame(dataset, params, level=level)
    if year is not None:
        frame = frame[frame["year"] == year]
    if org_code:
        frame = frame[frame["org_id"].isin(org_scope(session, org_code))]
    progress.step(0.9, "Формирование списка")
    orgs = dataset.orgs
    flags = []
    for r in frame.itertuples(index=False):
        muni = orgs["code"].get(r.municipality_id) if pd.notna(r.municipality_id) else None
        flags.append(Flag(
            org=orgs.at[r.org_id, "code"], org_name=orgs.at[r.org_id, "name"], municipality=muni,
            procedure=r.kind, procedure_id=int(r.procedure_id), subject=r.subject, grade=int(r.grade),
            year=int(r.year), n=int(r.N), signs=tuple(s for s in SIGNS if getattr(r, s)), evidence=r.evidence,
            risk=bool(r.risk), risk_reasons=tuple(r.risk_reasons), level=level,
        ))
    flags.sort(key=lambda f: (f.year, f.municipality or "", f.org, f.procedure, f.subject, f.grade))
    progress.step(1.0, "Готово")
    return flags


def signs_frame(dataset, params: ObjectivityParams, *, tables=None, school_tasks=None,
                level: str = "school") -> pd.DataFrame:
    """The pure computation: signs + risk per org × procedure at ``level`` (school against the
    municipality, municipality against the region). ``tables`` (with ``level`` and its reference
    level) and ``school_tasks`` (task sums at ``level``) can be passed when already computed."""
    reference = {"school": "municipality", "municipality": "region"}[level]
    if tables is None:
        tables = evaluate_dataset(dataset, load_catalog(), ("school", reference) if level == "school"
                                  else ("school", "municipality", "region"))
    if school_tasks is None:
        school_tasks = task_solve_sums(dataset, (level,))[level]
    flags = compute_signs(tables.level(level), tables.level(reference), level_gap(school_tasks),
                          tables.thresholds, params, level=level)
    return risk_marks(flags, params)


def risk_list(flags: list[Flag]) -> list[RiskSchool]:
    """Schools on the risk list, one entry per school × year, with their flagged procedures."""
    grouped: dict[tuple[str, int], list[Flag]] = {}
    for f in flags:
        if f.risk:
            grouped.setdefault((f.org, f.year), []).append(f)
    out = []
    for (org, year), items in sorted(grouped.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        reasons = tuple(dict.fromkeys(f"{f.procedure_label}: {r}" for f in items for r in f.risk_reasons))
        out.append(RiskSchool(org=org, org_name=items[0].org_name, municipality=items[0].municipality, year=year,
                              flags=tuple(items), reasons=reasons))
    return out


def shnor_list(session: Session, *, year: int | None = None, org_code: str | None = None,
               params: ShnorParams | None = None, progress: Progress | None = None) -> list[ShnorEntry]:
    """ШНОР schools of ``year`` (default: the latest year with results), with ШФНСУ where the
    school-context form was submitted."""
    progress = progress or Progress.none()
    params = params or shnor_params(session)
    progress.step(0.1, "Чтение результатов")
    dataset = load_dataset(session)
    if dataset.procedures.empty:
        return []
    if year is None:
        year = int(dataset.procedures["year"].max())
    span = tuple(range(year - params.years + 1, year + 1))
    dataset = dataset.restrict(dataset.procedures.index[dataset.procedures["year"].isin(span)])
    progress.step(0.4, "Расчёт показателей ОО")
    school = evaluate_dataset(dataset, load_catalog(), ("school",)).level("school")
    found = shnor_schools(school, params)
    found = found[found["year"] == year]
    if org_code:
        found = found[found["org_id"].isin(org_scope(session, org_code))]
    contexts = school_contexts(session)
    orgs = dataset.orgs
    parents = dataset.school_parents()
    procs = dataset.procedures
    out = []
    for r in found.itertuples(index=False):
        muni_id = parents.at[r.org_id, "municipality_id"]
        low = {y: [f"{procedure_label(procs.at[pid, 'kind'], procs.at[pid, 'subject'], int(procs.at[pid, 'grade']), y)}: "
                   f"{reason}" for pid, reason in items] for y, items in sorted(r.low_by_year.items())}
        ctx = contexts.get(orgs.at[r.org_id, "code"])
        factors = tuple(shfnsu_factors(ctx, params)) if ctx is not None else ()
        out.append(ShnorEntry(
            org=orgs.at[r.org_id, "code"], org_name=orgs.at[r.org_id, "name"],
            municipality=orgs["code"].get(muni_id) if pd.notna(muni_id) else None, year=int(r.year),
            low_procedures=low, shfnsu=None if ctx is None else len(factors) >= params.shfnsu_min_factors,
            shfnsu_factors=factors,
        ))
    out.sort(key=lambda e: (e.municipality or "", e.org))
    progress.step(1.0, "Готово")
    return out


def school_contexts(session: Session) -> dict[str, dict]:
    """Latest school-context form values per school code (form ``school_context``)."""
    rows = session.execute(
        select(Organization.code, FormSubmission.period, FormSubmission.values)
        .join(Organization, FormSubmission.org_id == Organization.id)
        .where(FormSubmission.form_id == SCHOOL_CONTEXT_FORM)
        .order_by(FormSubmission.period)
    ).all()
    out: dict[str, dict] = {}
    for code, _period, values in rows:
        out[code] = dict(values or {})
    return out
