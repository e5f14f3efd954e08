"""Numbers for the Обзор dashboard: what is due and overdue, last imports, flagged schools,
packages waiting, forms awaiting a decision.

Scope: a school or municipality sees what concerns it and the organizations under it (forms to
approve, flagged schools); roadmap deadlines and the package journal are per database anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..db.models import (
    FormDefinition,
    FormSubmission,
    ImportBatch,
    Organization,
    PackageLog,
    ParticipantResult,
    Procedure,
    Roadmap,
    RoadmapTask,
    TaskOccurrence,
)
from ..progress import Progress
from ..settings import own_organization
from .orgs import descendants
from .results_browse import PROCEDURE_NAMES

OPEN_STATUSES = ("planned", "in_progress")


@dataclass
class DueItem:
    roadmap: str
    number: str | None
    title: str
    start: dt.date | None
    end: dt.date | None
    status: str
    overdue: bool


@dataclass(frozen=True)
class ImportItem:
    kind: str               # results | package
    file_name: str
    imported_at: dt.datetime
    rows: int
    procedure: str | None   # «ВПР 2026 · Математика · 5 кл.»


@dataclass(frozen=True)
class FlaggedSchool:
    org: str
    org_name: str
    signs: tuple[str, ...]  # distinct signs over the year's procedures, S1…S5
    procedures: int         # procedures of the year with at least one sign
    risk: bool


@dataclass
class FlagSummary:
    year: int | None
    schools: int = 0        # schools with at least one sign in ``year``
    risk: int = 0           # of them on the risk list
    top: list[FlaggedSchool] = field(default_factory=list)


@dataclass(frozen=True)
class PackageItem:
    at: dt.datetime
    file_name: str | None
    org: str | None         # sender (received) or recipient (sent)
    message: str | None


@dataclass(frozen=True)
class FormCount:
    form_id: str
    title: str
    count: int


@dataclass
class Dashboard:
    organizations: dict[str, int]
    procedures: int
    results: int
    roadmaps: int
    overdue: list[DueItem] = field(default_factory=list)
    upcoming: list[DueItem] = field(default_factory=list)
    last_imports: list[ImportItem] = field(default_factory=list)
    packages: int = 0
    flags: FlagSummary | None = None
    received_not_imported: list[PackageItem] = field(default_factory=list)
    sent_unanswered: list[PackageItem] = field(default_factory=list)
    forms_to_decide: list[FormCount] = field(default_factory=list)   # submitted by the orgs under us
    forms_sent_up: list[FormCount] = field(default_factory=list)     # our own, submitted, not decided yet

    @property
    def forms_to_decide_total(self) -> int:
        return sum(f.count for f in self.forms_to_decide)


def dashboard(session: Session, *, today: dt.date | None = None, horizon_days: int = 30,
              with_flags: bool = False, top: int = 5) -> Dashboard:
    """Everything the Обзор page shows, in one read-only pass. The objectivity signs need the
    indicators engine (pandas, seconds on a region): ``with_flags`` or :func:`flagged_schools`."""
    today = today or dt.date.today()
    kinds = dict(session.execute(select(Organization.kind, func.count()).group_by(Organization.kind)).all())
    board = Dashboard(
        organizations={k: int(v) for k, v in kinds.items()},
        procedures=session.scalar(select(func.count()).select_from(Procedure)) or 0,
        results=session.scalar(select(func.count()).select_from(ParticipantResult)) or 0,
        roadmaps=session.scalar(select(func.count()).select_from(Roadmap)) or 0,
        packages=session.scalar(select(func.count()).select_from(PackageLog)) or 0,
    )
    board.overdue, board.upcoming = due_items(session, today=today, horizon_days=horizon_days)
    board.last_imports = last_imports(session)
    own = own_organization(session)
    board.received_not_imported, board.sent_unanswered = packages_waiting(session)
    board.forms_to_decide, board.forms_sent_up = forms_waiting(session, own)
    if with_flags and board.results:
        board.flags = flagged_schools(session, org_code=own.code if own is not None and own.kind != "region" else None,
                                      top=top)
    return board


def due_items(session: Session, *, today: dt.date, horizon_days: int = 30) -> tuple[list[DueItem], list[DueItem]]:
    """Open occurrences: overdue (end < today) and due within ``horizon_days`` (started or starting)."""
    q = (
        select(Roadmap.title, RoadmapTask.number, RoadmapTask.title, TaskOccurrence.start, TaskOccurrence.end,
               TaskOccurrence.status)
        .join(RoadmapTask, TaskOccurrence.task_id == RoadmapTask.id)
        .join(Roadmap, RoadmapTask.roadmap_id == Roadmap.id)
        .where(TaskOccurrence.status.in_(OPEN_STATUSES), TaskOccurrence.end.is_not(None))
        .order_by(TaskOccurrence.end, RoadmapTask.position)
    )
    horizon = today + dt.timedelta(days=horizon_days)
    overdue, upcoming = [], []
    for rm, num, title, start, end, status in session.execute(q):
        if end < today:
            overdue.append(DueItem(rm, num, title, start, end, status, True))
        elif start is None or start <= horizon:
            upcoming.append(DueItem(rm, num, title, start, end, status, False))
    return overdue, upcoming


def last_imports(session: Session, *, limit: int = 5) -> list[ImportItem]:
    rows = session.execute(
        select(ImportBatch.kind, ImportBatch.file_name, ImportBatch.imported_at, ImportBatch.rows,
               Procedure.kind, Procedure.subject, Procedure.grade, Procedure.year)
        .outerjoin(Procedure, ImportBatch.procedure_id == Procedure.id)
        .order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc()).limit(limit))
    return [ImportItem(kind, name, at, n or 0,
                       f"{PROCEDURE_NAMES.get(pk, pk)} {year} · {subject} · {grade} кл." if pk else None)
            for kind, name, at, n, pk, subject, grade, year in rows]


def packages_waiting(session: Session) -> tuple[list[PackageItem], list[PackageItem]]:
    """(received but not imported, sent and not answered).

    Received, not imported: the last verification or refused/failed import of each package (by id,
    or by file hash when the file could not even be read) that was never imported since — checked
    and left for later, or the sender's key is not trusted yet. Sent, not answered: the packages have no receipts, so the latest package sent
    to each recipient counts as waiting until something from that recipient has been imported.
    """
    imported_ids = set(session.scalars(select(PackageLog.package_id).where(
        PackageLog.direction == "import", PackageLog.result == "ok", PackageLog.package_id.is_not(None))))
    imported_shas = set(session.scalars(select(PackageLog.sha256).where(
        PackageLog.direction == "import", PackageLog.result.in_(("ok", "duplicate")), PackageLog.sha256.is_not(None))))
    failed: dict[str, PackageItem] = {}
    received = or_(and_(PackageLog.direction == "import", PackageLog.result.in_(("refused", "error"))),
                   and_(PackageLog.direction == "verify", PackageLog.result.in_(("ok", "refused", "error"))))
    for row in session.scalars(select(PackageLog).where(received).order_by(PackageLog.created_at, PackageLog.id)):
        if row.package_id in imported_ids or (row.sha256 and row.sha256 in imported_shas):
            continue
        key = row.package_id or row.sha256 or row.file_name or str(row.id)
        failed[key] = PackageItem(row.created_at, row.file_name, row.sender_org, row.message)
    last_received = dict(session.execute(
        select(PackageLog.sender_org, func.max(PackageLog.created_at))
        .where(PackageLog.direction == "import", PackageLog.result == "ok").group_by(PackageLog.sender_org)).all())
    latest_sent: dict[str, PackageItem] = {}
    for row in session.scalars(select(PackageLog).where(PackageLog.direction == "export", PackageLog.result == "ok",
                                                         PackageLog.recipient_org.is_not(None))
                               .order_by(PackageLog.created_at, PackageLog.id)):
        latest_sent[row.recipient_org] = PackageItem(row.created_at, row.file_name, row.recipient_org, row.message)
    unanswered = [item for org, item in latest_sent.items()
                  if last_received.get(org) is None or last_received[org] < item.at]
    by_time = lambda item: item.at  # noqa: E731
    return sorted(failed.values(), key=by_time, reverse=True), sorted(unanswered, key=by_time, reverse=True)


def forms_waiting(session: Session, own: Organization | None) -> tuple[list[FormCount], list[FormCount]]:
    """Submitted forms (status «отправлено») per form: of the orgs under ``own`` — waiting for our
    decision — and our own — waiting for the level above. Without an own org: all submitted forms."""
    if own is None:
        below, mine = None, []
    else:
        below = [o.id for o in descendants(session, own)[1:]]
        mine = [own.id]

    def counts(org_ids: list[int] | None) -> list[FormCount]:
        if org_ids is not None and not org_ids:
            return []
        q = (select(FormSubmission.form_id, func.count())
             .where(FormSubmission.status == "submitted").group_by(FormSubmission.form_id))
        if org_ids is not None:
            q = q.where(FormSubmission.org_id.in_(org_ids))
        found = dict(session.execute(q).all())
        titles = dict(session.execute(select(FormDefinition.form_id, FormDefinition.title)
                                      .where(FormDefinition.form_id.in_(list(found)))).all())
        return [FormCount(fid, titles.get(fid, fid), int(n)) for fid, n in sorted(found.items(), key=lambda kv: titles.get(kv[0], kv[0]))]

    return counts(below), counts(mine)


def flagged_schools(session: Session, *, year: int | None = None, org_code: str | None = None,
                    top: int = 5, progress: Progress | None = None) -> FlagSummary:
    """Schools with objectivity signs in ``year`` (default: the latest year with results): those on
    the risk list first, then the ones with the most signs."""
    from .objectivity import objectivity_flags

    if year is None:
        year = session.scalar(select(func.max(Procedure.year)))
    summary = FlagSummary(year=year)
    if year is None:
        return summary
    per_school: dict[str, list] = {}
    for flag in objectivity_flags(session, year=year, org_code=org_code, progress=progress):
        per_school.setdefault(flag.org, []).append(flag)
    schools = []
    for code, flags in per_school.items():
        signs = tuple(sorted({s for f in flags for s in f.signs}))
        schools.append(FlaggedSchool(code, flags[0].org_name, signs, len(flags), any(f.risk for f in flags)))
    schools.sort(key=lambda s: (not s.risk, -len(s.signs), -s.procedures, s.org))
    summary.schools = len(schools)
    summary.risk = sum(1 for s in schools if s.risk)
    summary.top = schools[:top]
    return summary
