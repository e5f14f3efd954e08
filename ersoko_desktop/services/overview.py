"""Numbers for the Обзор dashboard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import ImportBatch, Organization, PackageLog, ParticipantResult, Procedure, Roadmap, RoadmapTask, TaskOccurrence


@dataclass
class DueItem:
    roadmap: str
    number: str | None
    title: str
    start: dt.date | None
    end: dt.date | None
    status: str
    overdue: bool


@dataclass
class Dashboard:
    organizations: dict[str, int]
    procedures: int
    results: int
    roadmaps: int
    overdue: list[DueItem] = field(default_factory=list)
    upcoming: list[DueItem] = field(default_factory=list)
    last_imports: list[tuple[str, dt.datetime, int]] = field(default_factory=list)
    packages: int = 0


def dashboard(session: Session, *, today: dt.date | None = None, horizon_days: int = 30) -> Dashboard:
    today = today or dt.date.today()
    kinds = dict(session.execute(select(Organization.kind, func.count()).group_by(Organization.kind)).all())
    board = Dashboard(
        organizations={k: int(v) for k, v in kinds.items()},
        procedures=session.scalar(select(func.count()).select_from(Procedure)) or 0,
        results=session.scalar(select(func.count()).select_from(ParticipantResult)) or 0,
        roadmaps=session.scalar(select(func.count()).select_from(Roadmap)) or 0,
        packages=session.scalar(select(func.count()).select_from(PackageLog)) or 0,
    )
    open_status = ("planned", "in_progress")
    q = (
        select(Roadmap.title, RoadmapTask.number, RoadmapTask.title, TaskOccurrence.start, TaskOccurrence.end, TaskOccurrence.status)
        .join(RoadmapTask, TaskOccurrence.task_id == RoadmapTask.id)
        .join(Roadmap, RoadmapTask.roadmap_id == Roadmap.id)
        .where(TaskOccurrence.status.in_(open_status), TaskOccurrence.end.is_not(None))
        .order_by(TaskOccurrence.end)
    )
    horizon = today + dt.timedelta(days=horizon_days)
    for rm, num, title, start, end, status in session.execute(q):
        if end < today:
            board.overdue.append(DueItem(rm, num, title, start, end, status, True))
        elif start is None or start <= horizon:
            board.upcoming.append(DueItem(rm, num, title, start, end, status, False))
    board.last_imports = [
        (name, at, rows)
        for name, at, rows in session.execute(
            select(ImportBatch.file_name, ImportBatch.imported_at, ImportBatch.rows).order_by(ImportBatch.imported_at.desc()).limit(5)
        )
    ]
    return board
