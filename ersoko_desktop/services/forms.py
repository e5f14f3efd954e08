"""Forms: definitions in the database, submissions and their workflow, aggregation, ММУКО values.

Workflow per form × organization × period: черновик (draft) → отправлено (submitted) →
принято (approved) | возвращено (returned, with a comment) → отправлено … A submitted or approved
form is read-only until it is returned. Every change is audited with the old and new values.
A submission keeps the definition version it was filled in; :func:`upgrade_submission` maps it
to a newer version by field id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Evidence, FormDefinition, FormSubmission, Organization, utcnow
from ..errors import Diagnostic, InputError, NotFoundError, WorkflowError
from ..fileio import atomic_copy
from ..formspec.loader import load_shipped
from ..formspec.periods import check_period, period_sort_key
from ..formspec.schema import FormSpec, parse_definition
from ..formspec.validation import Issue, ValidationResult, filled_share, score, validate
from ..formspec.values import display, is_empty
from ..formspec.versions import VersionMapping, map_values
from ..paths import evidence_dir
from ..progress import Progress
from ..settings import own_organization
from . import audit
from .orgs import descendants, get_org

STATUSES = ("draft", "submitted", "approved", "returned")
STATUS_RU = {"draft": "черновик", "submitted": "отправлено", "approved": "принято", "returned": "возвращено",
             None: "не начато"}
EDITABLE = ("draft", "returned")
COUNTED = ("submitted", "approved")  # what aggregation and completeness count
LEVEL_RU = {"school": "школа", "municipality": "муниципалитет", "region": "регион"}
ENTITY = "form_submission"


# ---------------------------------------------------------------- definitions

@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    updated: list[str]
    unchanged: int


def version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-]", version))


_SPEC_CACHE: dict[str, FormSpec] = {}


def spec_of(row: FormDefinition) -> FormSpec:
    """The parsed definition of a stored row (cached by hash: rows never change meaning)."""
    spec = _SPEC_CACHE.get(row.sha256)
    if spec is None:
        spec = parse_definition(row.definition, source=f"{row.form_id} {row.version}", sha256=row.sha256)
        _SPEC_CACHE[row.sha256] = spec
    return spec


def sync_definitions(session: Session, *, root: Any = None, specs: Iterable[FormSpec] | None = None) -> SyncReport:
    """Store the shipped definitions (or ``specs``); a changed file with the same version replaces the
    stored one only while no submission uses it — otherwise the author must raise the version."""
    specs = list(specs) if specs is not None else (load_shipped(root) if root is not None else shipped_specs())
    rows = {(r.form_id, r.version): r for r in session.scalars(select(FormDefinition))}
    added, updated, unchanged = [], [], 0
    for spec in specs:
        row = rows.get((spec.id, spec.version))
        if row is None:
            session.add(FormDefinition(form_id=spec.id, version=spec.version, title=spec.title, level=spec.level,
                                       sha256=spec.sha256, definition=spec.raw))
            added.append(f"{spec.id} {spec.version}")
        elif row.sha256 != spec.sha256:
            used = session.scalar(select(FormSubmission.id).where(FormSubmission.definition_id == row.id).limit(1))
            if used is not None:
                raise WorkflowError(
                    f"Определение формы «{spec.id}» версии {spec.version} изменилось, но по нему уже есть заполненные "
                    f"формы. Увеличьте номер версии (version) в файле определения.")
            audit.record(session, action="form_definition.update", entity="form_definition",
                         entity_id=f"{spec.id}:{spec.version}", before={"sha256": row.sha256},
                         after={"sha256": spec.sha256})
            row.title, row.level, row.sha256, row.definition = spec.title, spec.level, spec.sha256, spec.raw
            updated.append(f"{spec.id} {spec.version}")
        else:
            unchanged += 1
    session.flush()
    return SyncReport(added, updated, unchanged)


_SHIPPED: list[FormSpec] | None = None


def shipped_specs() -> list[FormSpec]:
    """The definitions shipped with the program, read once per process."""
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = load_shipped()
    return _SHIPPED


def _ensure_synced(session: Session) -> None:
    """A database opened by a newer program version gets the new definitions before first use
    (checked once per session: every form call passes here)."""
    if session.info.get("forms_synced"):
        return
    session.info["forms_synced"] = True
    stored = set(session.execute(select(FormDefinition.form_id, FormDefinition.version, FormDefinition.sha256)))
    if any((s.id, s.version, s.sha256) not in stored for s in shipped_specs()):
        sync_definitions(session, specs=shipped_specs())


def definition_row(session: Session, form_id: str, version: str | None = None) -> FormDefinition:
    _ensure_synced(session)
    rows = list(session.scalars(select(FormDefinition).where(FormDefinition.form_id == form_id)))
    if version is not None:
        rows = [r for r in rows if r.version == version]
    if not rows:
        known = ", ".join(sorted({r.form_id for r in session.scalars(select(FormDefinition))}))
        what = f"«{form_id}» версии {version}" if version else f"«{form_id}»"
        raise NotFoundError(f"Форма {what} не найдена. Известные формы: {known}.")
    return max(rows, key=lambda r: version_key(r.version))


def get_spec(session: Session, form_id: str, version: str | None = None) -> FormSpec:
    return spec_of(definition_row(session, form_id, version))


def list_forms(session: Session, *, level: str | None = None) -> list[FormSpec]:
    """The newest version of every known form."""
    _ensure_synced(session)
    latest: dict[str, FormDefinition] = {}
    for row in session.scalars(select(FormDefinition)):
        if row.form_id not in latest or version_key(row.version) > version_key(latest[row.form_id].version):
            latest[row.form_id] = row
    specs = [spec_of(r) for r in latest.values()]
    return sorted((s for s in specs if level is None or s.level == level), key=lambda s: (s.level, s.id))


# ---------------------------------------------------------------- submissions

@dataclass
class SubmissionView:
    form_id: str
    version: str
    title: str
    org_code: str
    org_name: str
    period: str
    status: str | None  # None: nothing entered yet
    values: dict[str, Any]
    comment: str | None = None
    updated_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    evidence: dict[str, list[dict]] = field(default_factory=dict)
    newer: VersionMapping | None = None  # what changes if opened with the newest definition
    issues: list[Issue] = field(default_factory=list)
    points: float | None = None
    max_points: float | None = None

    @property
    def editable(self) -> bool:
        return self.status in (None,) + EDITABLE

    @property
    def status_ru(self) -> str:
        return STATUS_RU[self.status]

    def as_dict(self) -> dict:
        return {"form_id": self.form_id, "version": self.version, "org": self.org_code, "period": self.period,
                "status": self.status or "not_started", "comment": self.comment, "values": self.values,
                "updated_at": self.updated_at, "submitted_at": self.submitted_at, "decided_at": self.decided_at,
                "evidence": self.evidence, "issues": [i.as_dict() for i in self.issues],
                "newer_version": self.newer.as_dict() if self.newer else None,
                "points": self.points, "max_points": self.max_points}


def _find(session: Session, form_id: str, org: Organization, period: str) -> FormSubmission | None:
    return session.scalar(select(FormSubmission).where(
        FormSubmission.form_id == form_id, FormSubmission.org_id == org.id, FormSubmission.period == period))


def _check_target(spec: FormSpec, org: Organization, period: str) -> str:
    if org.kind != spec.level:
        raise InputError(f"Форму «{spec.title}» заполняет {LEVEL_RU[spec.level]}, а «{org.code}» — "
                         f"{LEVEL_RU.get(org.kind, org.kind)}.")
    return check_period(spec.period, period)


def _entity_id(form_id: str, org_code: str, period: str) -> str:
    return f"{form_id}:{org_code}:{period}"


def _evidence(session: Session, sub: FormSubmission | None) -> dict[str, list[dict]]:
    if sub is None or sub.id is None:
        return {}
    out: dict[str, list[dict]] = {}
    for ev in session.scalars(select(Evidence).where(Evidence.submission_id == sub.id).order_by(Evidence.id)):
        out.setdefault(ev.field_id or "", []).append(
            {"file_name": ev.file_name, "sha256": ev.sha256, "size": ev.size, "stored_path": ev.stored_path})
    return out


def _live_values(session: Session, spec: FormSpec, org: Organization, period: str,
                 stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored values with aggregate fields recomputed from the schools' current submissions."""
    if not any(f.aggregate for f in spec.fields):
        return dict(stored)
    agg = aggregate_values(session, spec=spec, org=org, period=period)
    return {**stored, **agg.values}


def open_submission(session: Session, *, form_id: str, org_code: str, period: str) -> SubmissionView:
    """What the editor shows: values (with computed and, while editable, aggregated fields), status,
    evidence, the validation issues and what a newer definition would change."""
    org = get_org(session, org_code)
    latest = definition_row(session, form_id)
    sub = _find(session, form_id, org, period)
    row = sub.definition if sub else latest
    spec = spec_of(row)
    _check_target(spec, org, period)
    stored = dict(sub.values or {}) if sub else {}
    raw = _live_values(session, spec, org, period, stored) if (sub is None or sub.status in EDITABLE) else stored
    result = validate(spec, raw, check_required=sub is not None and sub.status != "draft")
    view = SubmissionView(
        form_id=form_id, version=spec.version, title=spec.title, org_code=org.code, org_name=org.name, period=period,
        status=sub.status if sub else None, values=result.values, comment=sub.comment if sub else None,
        updated_at=sub.updated_at if sub else None, submitted_at=sub.submitted_at if sub else None,
        decided_at=sub.decided_at if sub else None, evidence=_evidence(session, sub), issues=result.issues)
    if spec.is_checklist:
        view.points, view.max_points = score(spec, result.values)
    if sub is not None and sub.definition_id != latest.id:
        view.newer = map_values(spec, spec_of(latest), stored)
    return view


@dataclass(frozen=True)
class SaveResult:
    status: str
    changed: dict[str, tuple[Any, Any]]  # field id → (old, new)
    issues: list[Issue]
    created: bool = False


def _acting(session: Session, acting_org: str | None) -> Organization | None:
    return get_org(session, acting_org) if acting_org else own_organization(session)


def _is_ancestor(anc: Organization, org: Organization) -> bool:
    node = org.parent
    while node is not None:
        if node.id == anc.id:
            return True
        node = node.parent
    return False


def _check_may_edit(acting: Organization | None, org: Organization) -> None:
    """A form is filled by its organization or, on its behalf (e.g. from a mailed Excel file), above it."""
    if acting is not None and acting.id != org.id and not _is_ancestor(acting, org):
        raise WorkflowError(f"Организация «{acting.code}» не может заполнять и отправлять формы «{org.code}»: "
                            f"это делает сама организация или вышестоящая.")


def _check_may_decide(acting: Organization | None, org: Organization) -> None:
    if acting is None:
        raise WorkflowError("Принимать и возвращать формы может только вышестоящая организация, а своя организация "
                            "этой базы не задана (ersoko init --org КОД).")
    if not _is_ancestor(acting, org):
        raise WorkflowError(f"Организация «{acting.code}» не может принимать или возвращать формы «{org.code}»: "
                            f"это делает вышестоящая организация.")


@dataclass(frozen=True)
class Permissions:
    """What this database's organization may do with another organization's forms (GUI buttons)."""

    may_edit: bool
    may_decide: bool


def permissions(session: Session, *, org_code: str, acting_org: str | None = None) -> Permissions:
    org = get_org(session, org_code)
    acting = _acting(session, acting_org)
    may_edit = acting is None or acting.id == org.id or _is_ancestor(acting, org)
    return Permissions(may_edit, acting is not None and _is_ancestor(acting, org))


def _value_errors(result: ValidationResult) -> list[Issue]:
    """Problems that make a value unstorable (type, range); rule failures may wait in a draft."""
    return [i for i in result.errors if i.rule_id is None]


def _diagnostics(spec: FormSpec, issues: list[Issue]) -> list[Diagnostic]:
    return [Diagnostic(i.message, row=i.row, column=spec.field(i.field_id).label if i.field_id else None)
            for i in issues]


def save_values(session: Session, *, form_id: str, org_code: str, period: str, values: Mapping[str, Any],
                acting_org: str | None = None, actor: str | None = None, strict: bool = False) -> SaveResult:
    """Merge ``values`` (field id → raw value; None clears) into the draft. Type and range errors are
    refused; rule failures are returned (``strict=True`` refuses them too, as XLSX import does)."""
    org = get_org(session, org_code)
    sub = _find(session, form_id, org, period)
    row = sub.definition if sub else definition_row(session, form_id)
    spec = spec_of(row)
    period = _check_target(spec, org, period)
    _check_may_edit(_acting(session, acting_org), org)
    if sub is not None and sub.status not in EDITABLE:
        raise WorkflowError(f"Форма «{spec.title}» ({org.code}, {period}) в состоянии «{STATUS_RU[sub.status]}»: "
                            f"изменения невозможны, пока вышестоящая организация её не вернёт.")
    unknown = [k for k in values if not spec.has_field(k)]
    if unknown:
        raise InputError(f"В форме «{spec.id}» версии {spec.version} нет полей: {', '.join(sorted(unknown))}.")
    stored = dict(sub.values or {}) if sub else {}
    merged = _live_values(session, spec, org, period, {**stored, **values})
    result = validate(spec, merged, check_required=False)
    blocking = result.errors if strict else _value_errors(result)
    if blocking:
        raise InputError(f"Форма «{spec.title}» ({org.code}, {period}) не сохранена: {len(blocking)} ошибок.",
                         diagnostics=_diagnostics(spec, blocking))
    new_values = {k: v for k, v in result.values.items() if v is not None}
    changed = {k: (stored.get(k), new_values.get(k)) for k in set(stored) | set(new_values)
               if stored.get(k) != new_values.get(k)}
    created = sub is None
    if created:
        sub = FormSubmission(form_id=form_id, definition_id=row.id, org_id=org.id, period=period, status="draft",
                             values=new_values)
        session.add(sub)
    elif changed:
        sub.values = new_values
        sub.updated_at = utcnow()
    if changed or created:
        audit.record(session, action="form.save", entity=ENTITY, entity_id=_entity_id(form_id, org.code, period),
                     before={k: v[0] for k, v in changed.items()}, after={k: v[1] for k, v in changed.items()},
                     actor=actor)
    session.flush()
    return SaveResult(sub.status, changed, result.issues, created)


def _transition(session: Session, *, form_id: str, org_code: str, period: str, to: str, allowed_from: tuple[str, ...],
                actor: str | None, comment: str | None = None) -> FormSubmission:
    org = get_org(session, org_code)
    sub = _find(session, form_id, org, period)
    if sub is None:
        raise WorkflowError(f"Форма «{form_id}» для «{org_code}» за {period} ещё не заполнялась.")
    if sub.status not in allowed_from:
        raise WorkflowError(
            f"Нельзя перевести форму «{form_id}» ({org_code}, {period}) из состояния «{STATUS_RU[sub.status]}» "
            f"в «{STATUS_RU[to]}»; допустимо только из: {', '.join(STATUS_RU[s] for s in allowed_from)}.")
    before = {"status": sub.status, "comment": sub.comment}
    sub.status = to
    now = utcnow()
    if to == "submitted":
        sub.submitted_at = now
    else:
        sub.decided_at = now
    if comment is not None:
        sub.comment = comment
    audit.record(session, action=f"form.{to}", entity=ENTITY, entity_id=_entity_id(form_id, org_code, period),
                 before=before, after={"status": to, "comment": sub.comment}, actor=actor)
    session.flush()
    return sub


def submit(session: Session, *, form_id: str, org_code: str, period: str, acting_org: str | None = None,
           actor: str | None = None) -> SubmissionView:
    """Черновик/возвращено → отправлено, only when every rule and required field holds."""
    org = get_org(session, org_code)
    _check_may_edit(_acting(session, acting_org), org)
    view = open_submission(session, form_id=form_id, org_code=org_code, period=period)
    if view.status is not None and view.status in EDITABLE:
        spec = get_spec(session, form_id, view.version)
        result = validate(spec, view.values, check_required=True)
        if result.errors:
            raise InputError(f"Форма «{spec.title}» ({org_code}, {period}) не отправлена: {len(result.errors)} ошибок.",
                             diagnostics=_diagnostics(spec, result.errors))
        if any(f.aggregate for f in spec.fields):  # freeze what the municipality saw when it sent
            sub = _find(session, form_id, org, period)
            sub.values = {k: v for k, v in result.values.items() if v is not None}
    _transition(session, form_id=form_id, org_code=org_code, period=period, to="submitted",
                allowed_from=EDITABLE, actor=actor)
    return open_submission(session, form_id=form_id, org_code=org_code, period=period)


def approve(session: Session, *, form_id: str, org_code: str, period: str, acting_org: str | None = None,
            actor: str | None = None) -> SubmissionView:
    """Отправлено → принято, by an organization above the one that filled the form."""
    _check_may_decide(_acting(session, acting_org), get_org(session, org_code))
    _transition(session, form_id=form_id, org_code=org_code, period=period, to="approved",
                allowed_from=("submitted",), actor=actor)
    return open_submission(session, form_id=form_id, org_code=org_code, period=period)


def return_submission(session: Session, *, form_id: str, org_code: str, period: str, comment: str,
                      acting_org: str | None = None, actor: str | None = None) -> SubmissionView:
    """Отправлено → возвращено with a comment saying what to fix; the form becomes editable again."""
    if not (comment or "").strip():
        raise InputError("Укажите комментарий: что нужно исправить в форме.")
    _check_may_decide(_acting(session, acting_org), get_org(session, org_code))
    _transition(session, form_id=form_id, org_code=org_code, period=period, to="returned",
                allowed_from=("submitted",), actor=actor, comment=comment.strip())
    return open_submission(session, form_id=form_id, org_code=org_code, period=period)


def upgrade_submission(session: Session, *, form_id: str, org_code: str, period: str,
                       actor: str | None = None) -> VersionMapping:
    """Move an editable submission to the newest definition, mapping fields by id."""
    org = get_org(session, org_code)
    sub = _find(session, form_id, org, period)
    if sub is None:
        raise NotFoundError(f"Форма «{form_id}» для «{org_code}» за {period} ещё не заполнялась.")
    if sub.status not in EDITABLE:
        raise WorkflowError("Перевести на новую версию можно только черновик или возвращённую форму.")
    latest = definition_row(session, form_id)
    mapping = map_values(spec_of(sub.definition), spec_of(latest), sub.values or {})
    if latest.id != sub.definition_id:
        audit.record(session, action="form.upgrade", entity=ENTITY, entity_id=_entity_id(form_id, org_code, period),
                     before={"version": sub.definition.version, "values": sub.values},
                     after={"version": latest.version, "values": mapping.values}, actor=actor)
        sub.definition_id = latest.id
        sub.definition = latest
        sub.values = {k: v for k, v in mapping.values.items() if v is not None}
        session.flush()
    return mapping


def history(session: Session, *, form_id: str, org_code: str, period: str) -> list[dict]:
    """Every recorded change of one submission, oldest first (who, when, old → new)."""
    from ..db.models import AuditEvent

    events = session.scalars(select(AuditEvent).where(
        AuditEvent.entity == ENTITY, AuditEvent.entity_id == _entity_id(form_id, org_code, period))
        .order_by(AuditEvent.id))
    return [{"at": e.at, "actor": e.actor, "action": e.action, "before": e.before, "after": e.after} for e in events]


def attach_evidence(session: Session, *, form_id: str, org_code: str, period: str, field_id: str, path: str | Path,
                    acting_org: str | None = None, actor: str | None = None) -> dict:
    """Copy a supporting document into the evidence store and attach it to a checklist item or file field."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Файл «{path}» не найден.")
    org = get_org(session, org_code)
    sub = _find(session, form_id, org, period)
    spec = spec_of(sub.definition) if sub else get_spec(session, form_id)
    if not spec.has_field(field_id) or not (spec.field(field_id).evidence or spec.field(field_id).type == "file"):
        raise InputError(f"К полю «{field_id}» формы «{form_id}» нельзя прикрепить файл.")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    entry = {"file_name": path.name, "sha256": sha}
    fspec = spec.field(field_id)
    current = list((sub.values or {}).get(field_id) or []) if (sub and fspec.type == "file") else []
    save_values(session, form_id=form_id, org_code=org_code, period=period, acting_org=acting_org, actor=actor,
                values={field_id: current + [entry]} if fspec.type == "file" else {})
    sub = _find(session, form_id, org, period)
    target = evidence_dir() / sha[:2] / (sha + path.suffix.lower())
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_copy(path, target)
    session.add(Evidence(submission_id=sub.id, field_id=field_id, file_name=path.name, sha256=sha,
                         stored_path=str(target), size=len(data)))
    audit.record(session, action="form.evidence", entity=ENTITY, entity_id=_entity_id(form_id, org_code, period),
                 after={"field": field_id, "file_name": path.name, "sha256": sha}, actor=actor)
    session.flush()
    return entry


# ---------------------------------------------------------------- aggregation and completeness

@dataclass
class Reporting:
    """Reporting rate of one form among the organizations below one parent (like DHIS2)."""

    form_id: str
    parent: str
    period: str
    expected: int
    submitted: int  # submitted or approved
    approved: int
    not_submitted: list[str]  # codes, sorted

    @property
    def completeness(self) -> float | None:
        return round(self.submitted / self.expected * 100, 1) if self.expected else None

    def as_dict(self) -> dict:
        return {"form_id": self.form_id, "org": self.parent, "period": self.period, "expected": self.expected,
                "submitted": self.submitted, "approved": self.approved, "completeness": self.completeness,
                "not_submitted": self.not_submitted}


def reporting(session: Session, *, form_id: str, parent: Organization, period: str) -> Reporting:
    spec = get_spec(session, form_id)
    expected = [o for o in descendants(session, parent) if o.kind == spec.level and o.id != parent.id]
    subs = {s.org_id: s.status for s in session.scalars(select(FormSubmission).where(
        FormSubmission.form_id == form_id, FormSubmission.period == period,
        FormSubmission.org_id.in_([o.id for o in expected] or [-1])))}
    counted = [o for o in expected if subs.get(o.id) in COUNTED]
    return Reporting(form_id, parent.code, period, len(expected), len(counted),
                     sum(1 for o in expected if subs.get(o.id) == "approved"),
                     sorted(o.code for o in expected if subs.get(o.id) not in COUNTED))


@dataclass
class AggregateResult:
    values: dict[str, Any]
    reporting: dict[str, Reporting]  # source form id → its reporting rate


def _aggregate(op: str, pairs: list[tuple[Any, Any]], count: int) -> Any:
    values = [v for v, _w in pairs if v is not None]
    if op == "count":
        return count
    if op == "sum":
        return sum(values) if values else None
    if op in ("min", "max"):
        return (min if op == "min" else max)(values) if values else None
    if op == "count_yes":
        return sum(1 for v in values if v) if values else None
    if op == "share_yes":
        return sum(1 for v in values if v) / len(values) * 100 if values else None
    if op == "mean":
        weighted = [(v, w) for v, w in pairs if v is not None and w is not None]
        if pairs and any(w is not None for _v, w in pairs):
            total = sum(w for _v, w in weighted)
            return sum(v * w for v, w in weighted) / total if total else None
        return sum(values) / len(values) if values else None
    raise ValueError(op)  # pragma: no cover - the schema forbids it


def aggregate_values(session: Session, *, spec: FormSpec, org: Organization, period: str) -> AggregateResult:
    """Aggregate fields of ``spec`` for ``org`` from the submitted and approved forms below it."""
    values: dict[str, Any] = {}
    rates: dict[str, Reporting] = {}
    source_values: dict[str, list[dict]] = {}
    for f in spec.fields:
        if not f.aggregate:
            continue
        src = f.aggregate.form
        if src not in source_values:
            rates[src] = reporting(session, form_id=src, parent=org, period=period)
            below = [o.id for o in descendants(session, org) if o.id != org.id]
            subs = session.scalars(select(FormSubmission).where(
                FormSubmission.form_id == src, FormSubmission.period == period,
                FormSubmission.status.in_(COUNTED), FormSubmission.org_id.in_(below or [-1])))
            source_values[src] = [validate(spec_of(s.definition), s.values or {}, check_required=False).values
                                  for s in subs]
        rows = source_values[src]
        weight = f.aggregate.weight
        pairs = [(r.get(f.aggregate.field), r.get(weight) if weight else None) for r in rows]
        value = _aggregate(f.aggregate.op, pairs, len(rows))
        if value is not None and f.type == "integer":
            value = int(round(value))
        elif value is not None and f.round is not None:
            value = round(float(value), f.round)
        values[f.id] = value
    return AggregateResult(values, rates)


def aggregate(session: Session, *, org_code: str, period: str, form_id: str = "municipal_summary") -> AggregateResult:
    """The summary of a municipality (or region) over its organizations' forms, with completeness."""
    org = get_org(session, org_code)
    spec = get_spec(session, form_id)
    _check_target(spec, org, period)
    return aggregate_values(session, spec=spec, org=org, period=period)


@dataclass(frozen=True)
class StatusRow:
    org_code: str
    org_name: str
    kind: str
    form_id: str
    title: str
    version: str | None
    status: str | None
    filled: float  # share of required fields filled, %
    comment: str | None

    def as_dict(self) -> dict:
        return {"org": self.org_code, "name": self.org_name, "kind": self.kind, "form_id": self.form_id,
                "title": self.title, "version": self.version, "status": self.status or "not_started",
                "status_ru": STATUS_RU[self.status], "filled": self.filled, "comment": self.comment}


@dataclass
class StatusReport:
    period: str
    rows: list[StatusRow]
    reporting: list[Reporting]

    def as_dict(self) -> dict:
        return {"period": self.period, "forms": [r.as_dict() for r in self.rows],
                "reporting": [r.as_dict() for r in self.reporting]}


def period_type_of(period: str) -> str:
    if re.match(r"^\d{4}/\d{2}$", period):
        return "school_year"
    if re.match(r"^\d{4}$", period):
        return "calendar_year"
    return "procedure"


def form_status(session: Session, *, period: str, org_code: str | None = None) -> StatusReport:
    """Every form due in ``period`` for the organization (default: this database's own) and those
    below it: status and how much is filled; for each parent, the reporting rate of its children."""
    ptype = period_type_of(period)
    check_period(ptype, period)
    root = get_org(session, org_code) if org_code else own_organization(session)
    orgs = descendants(session, root) if root else list(session.scalars(select(Organization)))
    orgs.sort(key=lambda o: ({"region": 0, "municipality": 1, "school": 2}.get(o.kind, 3), o.code))
    specs = [s for s in list_forms(session) if s.period == ptype]
    subs = {(s.form_id, s.org_id): s for s in session.scalars(
        select(FormSubmission).where(FormSubmission.period == period))}
    rows: list[StatusRow] = []
    for org in orgs:
        for spec in specs:
            if spec.level != org.kind:
                continue
            sub = subs.get((spec.id, org.id))
            values = validate(spec_of(sub.definition), sub.values or {}, check_required=False).values if sub else {}
            rows.append(StatusRow(org.code, org.name, org.kind, spec.id, spec.title,
                                  sub.definition.version if sub else None, sub.status if sub else None,
                                  filled_share(spec, values) if sub else 0.0, sub.comment if sub else None))
    rates = [reporting(session, form_id=spec.id, parent=org, period=period)
             for org in orgs if org.kind != "school" for spec in specs
             if spec.level != org.kind and spec.level != "region"]
    return StatusReport(period, rows, [r for r in rates if r.expected])


# ---------------------------------------------------------------- ММУКО criteria

@dataclass(frozen=True)
class CriterionValue:
    criterion: str
    title: str
    form_id: str
    org_code: str
    period: str
    status: str
    points: float
    max_points: float
    previous_period: str | None = None
    previous_value: float | None = None

    @property
    def value(self) -> float:
        """Points achieved / max points · 100 %, to 0.1."""
        return round(self.points / self.max_points * 100, 1) if self.max_points else 0.0

    @property
    def delta(self) -> float | None:
        return None if self.previous_value is None else round(self.value - self.previous_value, 1)

    def as_dict(self) -> dict:
        return {"criterion": self.criterion, "title": self.title, "form_id": self.form_id, "org": self.org_code,
                "period": self.period, "status": self.status, "points": self.points, "max_points": self.max_points,
                "value": self.value, "previous_period": self.previous_period,
                "previous_value": self.previous_value, "delta": self.delta}


def mmuko_criteria(session: Session, *, org_code: str, periods: Iterable[str] | None = None) -> list[CriterionValue]:
    """ММУКО criterion values of a municipality per period with the change from the previous one
    (e.g. 1.1: 60 % → 96 %). Drafts count too — the status says how final a value is."""
    org = get_org(session, org_code)
    wanted = set(periods) if periods is not None else None
    out: list[CriterionValue] = []
    for spec in list_forms(session):
        if not spec.mmuko_criterion:
            continue
        subs = sorted(session.scalars(select(FormSubmission).where(
            FormSubmission.form_id == spec.id, FormSubmission.org_id == org.id)),
            key=lambda s: period_sort_key(s.period))
        previous: CriterionValue | None = None
        for sub in subs:
            sspec = spec_of(sub.definition)
            values = validate(sspec, sub.values or {}, check_required=False).values
            points, max_points = score(sspec, values)
            cv = CriterionValue(spec.mmuko_criterion, spec.title, spec.id, org.code, sub.period, sub.status,
                                points, max_points, previous.period if previous else None,
                                previous.value if previous else None)
            if wanted is None or sub.period in wanted:
                out.append(cv)
            previous = cv
    return sorted(out, key=lambda c: (version_key(c.criterion), period_sort_key(c.period)))


def display_values(spec: FormSpec, values: Mapping[str, Any]) -> dict[str, str]:
    """Field id → text as a person reads it (reports, the status table)."""
    return {f.id: display(f, values.get(f.id)) for f in spec.fields if not is_empty(values.get(f.id))}


# ---------------------------------------------------------------- Excel round trip

@dataclass(frozen=True)
class ExportReport:
    path: str
    form_id: str
    version: str
    org_code: str
    period: str
    status: str | None
    filled: bool

    def as_dict(self) -> dict:
        return {"file": self.path, "form_id": self.form_id, "version": self.version, "org": self.org_code,
                "period": self.period, "status": self.status or "not_started", "filled": self.filled}


def export_xlsx(session: Session, *, form_id: str, org_code: str, period: str, out: str | Path,
                progress: Progress | None = None) -> ExportReport:
    """The Excel template of a form for one organization and period, filled when data exists."""
    from ..formspec.xlsx import write_template

    view = open_submission(session, form_id=form_id, org_code=org_code, period=period)
    spec = get_spec(session, form_id, view.version)
    values = dict(view.values)
    for fid, files in view.evidence.items():
        if spec.has_field(fid) and spec.field(fid).type == "file" and not values.get(fid):
            values[fid] = files
    write_template(spec, out, org_code=view.org_code, org_name=view.org_name, period=period, values=values,
                   status=view.status_ru if view.status else None)
    return ExportReport(str(out), form_id, spec.version, view.org_code, period, view.status,
                        view.status is not None)


@dataclass(frozen=True)
class ImportFormReport:
    file: str
    form_id: str
    version: str
    org_code: str
    period: str
    status: str
    changed: list[str]
    warnings: list[Diagnostic]
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"file": self.file, "form_id": self.form_id, "version": self.version, "org": self.org_code,
                "period": self.period, "status": self.status, "changed": self.changed, "dry_run": self.dry_run,
                "warnings": [w.as_dict() | {"file": w.file} for w in self.warnings]}


def _located(filled, spec: FormSpec, issue: Issue) -> Diagnostic:
    ref = filled.locate(issue.field_id, row=issue.row, column=issue.column)
    where = ""
    if issue.rule_id:
        cells = [filled.locate(fid) for fid in (issue.fields or (issue.field_id,))]
        cells = [c for c in cells if c is not None]
        where = f"правило «{issue.rule_id}»" + (f" ({', '.join(str(c) for c in cells)})" if cells else "")
    elif ref is not None:
        where = str(ref)
    message = f"{where}: {issue.message}" if where else issue.message
    if ref is None:
        return Diagnostic(message, file=filled.file_name)
    return Diagnostic(message, row=int("".join(ch for ch in ref.cell if ch.isdigit())),
                      column="".join(ch for ch in ref.cell if ch.isalpha()), file=filled.file_name)


def import_xlsx(session: Session, path: str | Path, *, dry_run: bool = False, acting_org: str | None = None,
                actor: str | None = None, progress: Progress | None = None) -> ImportFormReport:
    """Read a filled Excel template into the form's draft: every value and rule is checked first,
    each problem named by sheet and cell; on any error nothing is written."""
    from ..formspec.xlsx import read_filled

    path = Path(path)
    filled = read_filled(path)
    if filled.problems:
        raise InputError(f"Файл «{path.name}» не загружен: структура шаблона нарушена.", diagnostics=filled.problems)
    try:
        org = get_org(session, filled.org_code)
    except NotFoundError as exc:
        raise InputError(f"Файл «{path.name}»: {exc.message}") from exc
    sub = _find(session, filled.form_id, org, filled.period)
    try:
        spec = spec_of(sub.definition) if sub else get_spec(session, filled.form_id)
    except NotFoundError as exc:
        raise InputError(f"Файл «{path.name}»: {exc.message}") from exc
    if filled.version != spec.version:
        raise InputError(f"Файл «{path.name}» заполнен по версии {filled.version} формы «{spec.id}», а форма "
                         f"{org.code} за {filled.period} ведётся по версии {spec.version}. Выгрузите новый шаблон.")
    _check_target(spec, org, filled.period)
    _check_may_edit(_acting(session, acting_org), org)
    if sub is not None and sub.status not in EDITABLE:
        raise WorkflowError(f"Файл «{path.name}»: форма «{spec.title}» ({org.code}, {filled.period}) в состоянии "
                            f"«{STATUS_RU[sub.status]}» и не может быть изменена, пока её не вернут.")
    inputs = {f.id: filled.values.get(f.id) for f in spec.fields
              if not f.computed and f.type != "file" and f.id in filled.cells}
    missing = [f for f in spec.fields if not f.computed and f.type != "file" and f.id not in filled.cells]
    if missing:
        raise InputError(f"Файл «{path.name}»: в шаблоне нет строк полей "
                         f"{', '.join('«' + f.label + '»' for f in missing)}. Выгрузите новый шаблон.")
    stored = dict(sub.values or {}) if sub else {}
    result = validate(spec, _live_values(session, spec, org, filled.period, {**stored, **inputs}),
                      check_required=False)
    if result.errors:
        raise InputError(f"Файл «{path.name}» не загружен: {len(result.errors)} ошибок, ничего не записано.",
                         diagnostics=[_located(filled, spec, i) for i in result.errors])
    warnings = [_located(filled, spec, i) for i in result.warnings]
    if dry_run:
        changed = sorted(k for k, v in result.values.items() if stored.get(k) != v and v is not None)
        return ImportFormReport(path.name, spec.id, spec.version, org.code, filled.period,
                                sub.status if sub else "draft", changed, warnings, True)
    from ..db.backup import backup_engine

    backup_engine(session.get_bind().engine, "before-import")
    saved = save_values(session, form_id=spec.id, org_code=org.code, period=filled.period, values=inputs,
                        acting_org=acting_org, actor=actor, strict=True)
    audit.record(session, action="form.import", entity=ENTITY, entity_id=_entity_id(spec.id, org.code, filled.period),
                 after={"file": path.name, "changed": sorted(saved.changed)}, actor=actor)
    return ImportFormReport(path.name, spec.id, spec.version, org.code, filled.period, saved.status,
                            sorted(saved.changed), warnings)
