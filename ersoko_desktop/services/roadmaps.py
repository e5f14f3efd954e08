"""Roadmaps (дорожные карты): import the documents, track execution per occurrence (GUIDE §5).

Import is all or nothing; the same file twice is a no-op; a changed file updates its roadmaps
in place (tasks matched by number, else by title) and keeps every status, comment and evidence
file already recorded. Execution is tracked per occurrence: status, done date, comment and
evidence files copied into the user data dir with their SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import paths
from ..db.bulk import bulk_insert
from ..db.models import Evidence, Organization, Roadmap, RoadmapSection, RoadmapTask, TaskOccurrence
from ..domain import deadlines
from ..domain.deadlines import Period
from ..domain.roadmap_table import ParsedDocument, ParsedRoadmap, ParsedSection, ParsedTask, parse_blocks
from ..errors import Diagnostic, InputError, NotFoundError, WorkflowError
from ..progress import Progress
from ..roadmap_files import read_blocks
from . import audit

STATUSES = ("planned", "in_progress", "done", "cancelled")
STATUS_LABELS = {"planned": "запланировано", "in_progress": "в работе", "done": "выполнено", "cancelled": "отменено"}
_STATUS_ALIASES = {**{v: k for k, v in STATUS_LABELS.items()}, **{k: k for k in STATUSES},
                   "запланирована": "planned", "в процессе": "in_progress", "выполнена": "done", "отменена": "cancelled"}
DUE_SOON_DAYS = 14


def status_code(text: str) -> str:
    """«выполнено» / «done» → ``done``; anything else is a clear error."""
    code = _STATUS_ALIASES.get((text or "").strip().lower())
    if code is None:
        raise InputError(f"Статус «{text}» неизвестен: ожидается одно из "
                         + ", ".join(f"{c} ({STATUS_LABELS[c]})" for c in STATUSES) + ".")
    return code


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportOptions:
    years: str | None = None  # «2018-2020» or «2018»
    school_year: str | None = None  # «2022/23»
    org_code: str | None = None
    dry_run: bool = False

    def period(self) -> Period | None:
        if self.years and self.school_year:
            raise InputError("Укажите период одним способом: либо годы (--years 2018-2020), либо учебный год "
                             "(--school-year 2022/23).")
        try:
            if self.years:
                p = Period.parse(self.years)
                if p.kind != "years":
                    raise ValueError(f"«{self.years}» — это учебный год; используйте --school-year")
                return p
            if self.school_year:
                text = self.school_year
                p = Period.parse(text if "/" in text else f"{text} уч. г.")
                if p.kind != "school_year":
                    raise ValueError(f"«{text}» не учебный год (ожидается вида 2022/23)")
                return p
        except ValueError as exc:
            raise InputError(f"Период: {exc}.") from exc
        return None


@dataclass
class PlannedTask:
    """A parsed task with its understood deadline (what the import wizard previews)."""

    section: str | None
    task: ParsedTask
    deadline: deadlines.Deadline
    parsed_section: ParsedSection


@dataclass
class PlannedRoadmap:
    title: str
    period: Period
    period_source: str  # «параметры импорта» | «заголовок» | «текст документа»
    tasks: list[PlannedTask]
    parsed: ParsedRoadmap


@dataclass
class RoadmapPreview:
    file: str
    sha256: str
    roadmaps: list[PlannedRoadmap]
    warnings: list[Diagnostic]


@dataclass
class RoadmapImportItem:
    id: int | None
    title: str
    period: str
    sections: int
    tasks: int
    occurrences: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ImportReport:
    file: str
    sha256: str
    status: str  # imported | updated | unchanged | dry_run
    roadmaps: list[RoadmapImportItem]
    warnings: list[Diagnostic] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"file": self.file, "sha256": self.sha256, "status": self.status,
                "roadmaps": [r.as_dict() for r in self.roadmaps],
                "warnings": [w.as_dict() for w in self.warnings]}


def preview_roadmaps(path: str | Path, *, options: ImportOptions = ImportOptions()) -> RoadmapPreview:
    """Read and understand a roadmap file without touching the database."""
    path = Path(path)
    data = _read_bytes(path)
    doc = parse_blocks(read_blocks(path), file_name=path.name)
    if not doc.roadmaps:
        raise InputError(
            f"Файл «{path.name}»: не найдена таблица дорожной карты — нужна строка заголовка со столбцами "
            f"«Мероприятие» и «Срок» (или «Исполнитель»).")
    forced = options.period()
    warnings = list(doc.warnings)
    planned: list[PlannedRoadmap] = []
    for pos, rm in enumerate(doc.roadmaps, start=1):
        period, source = _period_for(rm, doc, forced, path.name, pos)
        tasks: list[PlannedTask] = []
        for section in rm.sections:
            label = section_label(section.number, section.title)
            for task in section.tasks:
                d = deadlines.parse(task.deadline_text, period, years=task.years)
                for message in d.warnings:
                    warnings.append(Diagnostic((f"{task.where}: " if task.where else "")
                                               + f"мероприятие № {task.number or '—'}: {message}",
                                               row=task.row, column="Срок", file=path.name))
                tasks.append(PlannedTask(label, task, d, section))
        if not tasks:
            warnings.append(Diagnostic(f"дорожная карта «{rm.title or path.stem}»: нет ни одного мероприятия",
                                       file=path.name))
        planned.append(PlannedRoadmap(rm.title or path.stem, period, source, tasks, rm))
    return RoadmapPreview(path.name, hashlib.sha256(data).hexdigest(), planned, warnings)


def import_roadmaps(session: Session, path: str | Path, *, options: ImportOptions = ImportOptions(),
                    progress: Progress | None = None) -> ImportReport:
    """Import every roadmap of a document; all or nothing (the caller's transaction)."""
    progress = progress or Progress.none()
    path = Path(path)
    progress.step(0, "Чтение файла…")
    preview = preview_roadmaps(path, options=options)
    same = session.scalars(select(Roadmap).where(Roadmap.source_sha256 == preview.sha256)
                           .order_by(Roadmap.position)).all()
    if same:
        items = [_summary_item(rm) for rm in same]
        return ImportReport(preview.file, preview.sha256, "unchanged", items, preview.warnings)
    org = _org_for(session, options.org_code)
    if options.dry_run:
        items = []
        for pos, planned in enumerate(preview.roadmaps, start=1):
            existing = _find_existing(session, preview.file, pos, planned)
            n_occ = sum(len(_spans(t.deadline)) for t in planned.tasks)
            items.append(RoadmapImportItem(existing.id if existing else None, planned.title, planned.period.label,
                                           len(planned.parsed.sections), len(planned.tasks), n_occ))
        return ImportReport(preview.file, preview.sha256, "dry_run", items, preview.warnings)
    items = []
    any_updated = False
    progress.set_total(len(preview.roadmaps))
    for pos, planned in enumerate(preview.roadmaps, start=1):
        existing = _find_existing(session, preview.file, pos, planned)
        if existing is None:
            item = _create(session, planned, preview, pos, org)
        else:
            any_updated = True
            item = _update(session, existing, planned, preview, pos, org)
        items.append(item)
        progress.step(pos, f"Дорожная карта {pos} из {len(preview.roadmaps)}")
    session.flush()
    audit.record(session, action="roadmap.import", entity="roadmap", entity_id=",".join(str(i.id) for i in items),
                 after={"file": preview.file, "sha256": preview.sha256, "roadmaps": [i.as_dict() for i in items]})
    return ImportReport(preview.file, preview.sha256, "updated" if any_updated else "imported", items,
                        preview.warnings)


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"Файл «{path}» не найден.")
    return path.read_bytes()


def _period_for(rm: ParsedRoadmap, doc: ParsedDocument, forced: Period | None, file_name: str,
                position: int) -> tuple[Period, str]:
    if forced is not None:
        return forced, "параметры импорта"
    if rm.period is not None:
        return rm.period, "заголовок"
    if doc.period is not None:
        return doc.period, "текст документа"
    title = rm.title or f"таблица {position}"
    raise InputError(
        f"Файл «{file_name}», дорожная карта «{title}»: период не указан ни в параметрах, ни в заголовке "
        f"(например, «на 2022-2023 учебный год» или «на 2018-2020 годы»). Укажите его: "
        f"--years 2018-2020 или --school-year 2022/23.")


def _org_for(session: Session, code: str | None) -> Organization | None:
    if code:
        from .orgs import get_org

        return get_org(session, code)
    from ..settings import own_organization

    return own_organization(session)


def section_label(number: str | None, title: str) -> str | None:
    if not number and not title:
        return None
    if not number:
        return title
    return f"{number}. {title}".strip() if title else number


def _norm_title(text: str | None) -> str:
    return re.sub(r"[^0-9a-zа-я]+", " ", (text or "").lower().replace("ё", "е")).strip()


def _find_existing(session: Session, file_name: str, position: int, planned: PlannedRoadmap) -> Roadmap | None:
    """The roadmap a changed file updates: same file name and place, or same title and period."""
    rm = session.scalar(select(Roadmap).where(Roadmap.source_name == file_name, Roadmap.position == position))
    if rm is not None and rm.period == planned.period.label:
        return rm
    want = _norm_title(planned.title)
    for cand in session.scalars(select(Roadmap).where(Roadmap.period == planned.period.label)):
        if _norm_title(cand.title) == want:
            return cand
    return None


def _create(session: Session, planned: PlannedRoadmap, preview: RoadmapPreview, position: int,
            org: Organization | None) -> RoadmapImportItem:
    """A new roadmap: sections through the ORM, tasks and occurrences as bulk inserts
    (a 3 000-row plan is written in one statement each, not object by object)."""
    rm = Roadmap(title=planned.title, org_id=org.id if org else None, period=planned.period.label,
                 source_name=preview.file, source_sha256=preview.sha256, position=position)
    session.add(rm)
    sections = [RoadmapSection(roadmap=rm, position=pos, number=s.number, title=s.title)
                for pos, s in enumerate(planned.parsed.sections, start=1)]
    session.add_all(sections)
    session.flush()
    section_of = {id(s): row.id for s, row in zip(planned.parsed.sections, sections)}
    task_rows = []
    for pos, pt in enumerate(planned.tasks, start=1):
        row = _task_values(pt.task, pt.deadline)
        row.update(roadmap_id=rm.id, section_id=section_of[id(pt.parsed_section)], position=pos)
        task_rows.append(row)
    bulk_insert(session, RoadmapTask.__table__, task_rows)
    id_at = dict(session.execute(select(RoadmapTask.position, RoadmapTask.id)
                                 .where(RoadmapTask.roadmap_id == rm.id)).all())
    ids = [id_at[pos] for pos in range(1, len(task_rows) + 1)]
    occ_rows = [{"task_id": task_id, "start": start, "end": end, "status": "planned"}
                for task_id, pt in zip(ids, planned.tasks) for start, end in _spans(pt.deadline)]
    bulk_insert(session, TaskOccurrence.__table__, occ_rows)
    session.expire(rm)
    return RoadmapImportItem(rm.id, rm.title, rm.period, len(sections), len(task_rows), len(occ_rows),
                             created=len(task_rows))


def _task_values(parsed: ParsedTask, d: deadlines.Deadline) -> dict:
    return {"number": parsed.number, "title": parsed.title, "deadline_text": parsed.deadline_text or None,
            "deadline_kind": d.kind, "executors": parsed.executors or None,
            "participants": parsed.participants or None, "expected_result": parsed.expected_result or None,
            "recurrence": d.recurrence, "years": list(parsed.years) if parsed.years else None}


def _fill_task(task: RoadmapTask, parsed: ParsedTask, d: deadlines.Deadline) -> None:
    for name, value in _task_values(parsed, d).items():
        setattr(task, name, value)


def _spans(d: deadlines.Deadline) -> list[tuple[dt.date | None, dt.date | None]]:
    """Event-bound and not understood deadlines still get one undated occurrence, so their
    execution (status, evidence) can be recorded; undated never becomes overdue."""
    if d.occurrences or d.kind in ("dated", "continuous"):
        return [(o.start, o.end) for o in d.occurrences]
    return [(None, None)]


def _has_progress(occ: TaskOccurrence) -> bool:
    return occ.status != "planned" or bool(occ.comment) or bool(occ.evidence) or occ.done_at is not None


def _update(session: Session, rm: Roadmap, planned: PlannedRoadmap, preview: RoadmapPreview, position: int,
            org: Organization | None) -> RoadmapImportItem:
    before = {"title": rm.title, "sha256": rm.source_sha256}
    rm.title = planned.title
    rm.source_name = preview.file
    rm.source_sha256 = preview.sha256
    rm.position = position
    if org is not None:
        rm.org_id = org.id
    # sections: reuse by (number, title), else by number, else new
    old_sections = list(rm.sections)
    used: set[int] = set()
    section_rows: dict[int, RoadmapSection] = {}
    for pos, section in enumerate(planned.parsed.sections, start=1):
        match = next((s for s in old_sections if s.id not in used and s.number == section.number
                      and _norm_title(s.title) == _norm_title(section.title)), None) or \
            next((s for s in old_sections if s.id not in used and section.number and s.number == section.number), None)
        if match is None:
            match = RoadmapSection(roadmap=rm, position=pos)
            session.add(match)
            session.flush()
        used.add(match.id)
        match.position, match.number, match.title = pos, section.number, section.title
        section_rows[id(section)] = match
    # tasks: by number when both have one, else by title
    old_tasks = list(rm.tasks)
    by_number = {t.number: t for t in old_tasks if t.number}
    by_title: dict[str, RoadmapTask] = {}
    for t in old_tasks:
        by_title.setdefault(_norm_title(t.title), t)
    kept: set[int] = set()
    created = updated = unchanged = 0
    task_pos = 0
    occurrences = 0
    for pt in planned.tasks:
        parsed, d, section = pt.task, pt.deadline, pt.parsed_section
        task_pos += 1
        task = by_number.get(parsed.number) if parsed.number else None
        if task is None or task.id in kept:
            cand = by_title.get(_norm_title(parsed.title))
            task = cand if cand is not None and cand.id not in kept else None
        if task is None:
            task = RoadmapTask(roadmap=rm, position=task_pos)
            session.add(task)
            created += 1
            snapshot = None
        else:
            snapshot = _task_snapshot(task)
        task.section = section_rows[id(section)]
        task.position = task_pos
        _fill_task(task, parsed, d)
        session.flush()
        kept.add(task.id)
        changed_occ = _merge_occurrences(session, task, _spans(d), preview)
        occurrences += len(task.occurrences)
        if snapshot is not None:
            if snapshot != _task_snapshot(task) or changed_occ:
                updated += 1
            else:
                unchanged += 1
    removed = 0
    orphan_sections: set[int] = set()
    for t in old_tasks:
        if t.id in kept:
            continue
        if any(_has_progress(o) for o in t.occurrences):
            task_pos += 1
            t.position = task_pos
            if t.section_id:
                orphan_sections.add(t.section_id)
            preview.warnings.append(Diagnostic(
                f"мероприятие № {t.number or '—'} «{_short(t.title)}» нет в новой версии файла; оставлено, "
                f"потому что по нему уже есть отметки об исполнении", file=preview.file))
            continue
        session.delete(t)
        removed += 1
    for s in old_sections:
        if s.id not in used and s.id not in orphan_sections:
            session.delete(s)
    session.flush()
    audit.record(session, action="roadmap.update", entity="roadmap", entity_id=rm.id, before=before,
                 after={"title": rm.title, "sha256": rm.source_sha256, "created": created, "updated": updated,
                        "removed": removed})
    return RoadmapImportItem(rm.id, rm.title, rm.period, len(section_rows), task_pos, occurrences,
                             created=created, updated=updated, unchanged=unchanged, removed=removed)


def _task_snapshot(task: RoadmapTask) -> tuple:
    return (task.number, task.title, task.deadline_text, task.executors, task.participants, task.expected_result,
            task.section_id, tuple(task.years or ()))


def _merge_occurrences(session: Session, task: RoadmapTask, spans: list[tuple[dt.date | None, dt.date | None]],
                       preview: RoadmapPreview) -> bool:
    """Keep occurrences whose dates stay; move recorded progress to changed dates in order;
    drop untouched ones that are gone. Returns whether anything changed."""
    old = list(task.occurrences)
    remaining_spans = list(spans)
    matched: list[TaskOccurrence] = []
    for occ in old:
        key = (occ.start, occ.end)
        if key in remaining_spans:
            remaining_spans.remove(key)
            matched.append(occ)
    leftovers = [o for o in old if o not in matched]
    changed = False
    # recorded progress moves to the new dates in document order
    for occ in sorted((o for o in leftovers if _has_progress(o)), key=lambda o: (o.start or dt.date.min)):
        if not remaining_spans:
            preview.warnings.append(Diagnostic(
                f"мероприятие № {task.number or '—'}: срок {occ.start}…{occ.end} исчез из новой версии, "
                f"но по нему есть отметки — оставлен", file=preview.file))
            continue
        occ.start, occ.end = remaining_spans.pop(0)
        changed = True
    for occ in leftovers:
        if not _has_progress(occ):
            task.occurrences.remove(occ)  # delete-orphan removes the row
            changed = True
    for start, end in remaining_spans:
        task.occurrences.append(TaskOccurrence(start=start, end=end, status="planned"))
        changed = True
    return changed


def _summary_item(rm: Roadmap) -> RoadmapImportItem:
    occ = sum(len(t.occurrences) for t in rm.tasks)
    return RoadmapImportItem(rm.id, rm.title, rm.period, len(rm.sections), len(rm.tasks), occ,
                             unchanged=len(rm.tasks))


def _short(text: str, limit: int = 60) -> str:
    t = " ".join((text or "").split())
    return t if len(t) <= limit else t[: limit - 1] + "…"


# ---------------------------------------------------------------- reading back


def is_overdue(occ: TaskOccurrence, today: dt.date) -> bool:
    return occ.end is not None and occ.end < today and occ.status not in ("done", "cancelled")


@dataclass(frozen=True)
class RoadmapProgress:
    done: int
    due: int
    overdue: int
    total: int

    @property
    def percent(self) -> float | None:
        """Done of due (dated occurrences whose end has come, plus those done early)."""
        return round(100.0 * self.done / self.due, 1) if self.due else None


def roadmap_progress(roadmap: Roadmap, today: dt.date) -> RoadmapProgress:
    done = due = overdue = total = 0
    for task in roadmap.tasks:
        for occ in task.occurrences:
            if occ.status == "cancelled":
                continue
            total += 1
            is_due = occ.end is not None and occ.end <= today
            if occ.status == "done":
                done += 1
                due += 1
            elif is_due:
                due += 1
            if is_overdue(occ, today):
                overdue += 1
    return RoadmapProgress(done, due, overdue, total)


def executor_keys(org: Organization) -> list[str]:
    """How orders name an organization among executors: its code, name, quoted short name
    («ЦОКО»), and the generic words for its level («образовательные организации», «МОУО»)."""
    keys = {org.code, org.name}
    keys.update(re.findall(r"«([^»]+)»", org.name or ""))
    generic = {
        "school": ["ОО", "образовательные организации", "общеобразовательные организации", "руководители ОО"],
        "municipality": ["МОУО", "отдел образования", "управление образования", "органы управления образованием"],
    }
    keys.update(generic.get(org.kind, []))
    return [k for k in keys if k]


def _matches_executor(executors: str | None, keys: Iterable[str]) -> bool:
    text = (executors or "").lower().replace("ё", "е")
    for key in keys:
        k = key.lower().replace("ё", "е")
        if len(k) <= 6:
            if re.search(rf"(?<![0-9a-zа-я]){re.escape(k)}(?![0-9a-zа-я])", text):
                return True
        elif k in text:
            return True
    return False


def _load_roadmaps(session: Session, roadmap_id: int | None) -> list[Roadmap]:
    q = select(Roadmap).options(
        selectinload(Roadmap.sections),
        selectinload(Roadmap.tasks).selectinload(RoadmapTask.occurrences).selectinload(TaskOccurrence.evidence),
    ).order_by(Roadmap.id)
    if roadmap_id is not None:
        q = q.where(Roadmap.id == roadmap_id)
    found = list(session.scalars(q))
    if roadmap_id is not None and not found:
        raise NotFoundError(f"Дорожная карта с номером {roadmap_id} не найдена (см. ersoko roadmap list).")
    return found


def task_filter(session: Session, *, executor: str | None = None, mine: bool = False):
    """A predicate over tasks: executor text contains ``executor``; ``mine`` = this database's
    own organization is among the executors."""
    keys: list[str] = []
    if mine:
        from ..settings import own_organization

        own = own_organization(session)
        if own is None:
            raise WorkflowError("«Мои задачи»: у базы не задана своя организация (ersoko init --org КОД).")
        keys = executor_keys(own)

    def accept(task: RoadmapTask) -> bool:
        if executor and executor.lower() not in (task.executors or "").lower():
            return False
        if mine and not _matches_executor(task.executors, keys):
            return False
        return True

    return accept


def list_roadmaps(session: Session, *, roadmap_id: int | None = None, executor: str | None = None,
                  mine: bool = False) -> list[dict]:
    """The roadmaps as GUIDE §7 JSON: ``{id, title, period, tasks: [...]}``."""
    accept = task_filter(session, executor=executor, mine=mine)
    out = []
    for rm in _load_roadmaps(session, roadmap_id):
        sections = {s.id: section_label(s.number, s.title) for s in rm.sections}
        tasks = []
        for t in rm.tasks:
            if not accept(t):
                continue
            tasks.append({
                "number": t.number,
                "section": sections.get(t.section_id) if t.section_id else None,
                "title": t.title,
                "executors": t.executors,
                "participants": t.participants,
                "deadline_text": t.deadline_text,
                "kind": t.deadline_kind,
                "occurrences": [{"start": o.start.isoformat() if o.start else None,
                                 "end": o.end.isoformat() if o.end else None,
                                 "status": o.status} for o in t.occurrences],
                "expected_result": t.expected_result,
            })
        out.append({"id": rm.id, "title": rm.title, "period": rm.period, "tasks": tasks})
    return out


def load_roadmaps(session: Session, *, roadmap_id: int | None = None) -> list[Roadmap]:
    """Roadmaps with sections, tasks, occurrences and evidence loaded (for the GUI tree)."""
    return _load_roadmaps(session, roadmap_id)


@dataclass
class DueOccurrence:
    occurrence_id: int
    roadmap_id: int
    roadmap: str
    number: str | None
    title: str
    executors: str | None
    start: dt.date | None
    end: dt.date | None
    status: str
    overdue: bool
    days_left: int | None

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["start"] = self.start.isoformat() if self.start else None
        d["end"] = self.end.isoformat() if self.end else None
        return d


@dataclass
class CheckReport:
    today: dt.date
    overdue: list[DueOccurrence]
    due_soon: list[DueOccurrence]

    def as_dict(self) -> dict:
        return {"today": self.today.isoformat(), "overdue": [o.as_dict() for o in self.overdue],
                "due_soon": [o.as_dict() for o in self.due_soon]}


def check(session: Session, *, today: dt.date | None = None, horizon_days: int = DUE_SOON_DAYS,
          roadmap_id: int | None = None, executor: str | None = None, mine: bool = False) -> CheckReport:
    """Overdue occurrences (end < today, not done/cancelled) and those ending within 14 days."""
    today = today or dt.date.today()
    accept = task_filter(session, executor=executor, mine=mine)
    horizon = today + dt.timedelta(days=horizon_days)
    report = CheckReport(today, [], [])
    for rm in _load_roadmaps(session, roadmap_id):
        for t in rm.tasks:
            if not accept(t):
                continue
            for o in t.occurrences:
                if o.end is None or o.status in ("done", "cancelled"):
                    continue
                item = DueOccurrence(o.id, rm.id, rm.title, t.number, t.title, t.executors, o.start, o.end,
                                     o.status, o.end < today, (o.end - today).days)
                if o.end < today:
                    report.overdue.append(item)
                elif o.end <= horizon:
                    report.due_soon.append(item)
    report.overdue.sort(key=lambda i: (i.end, i.roadmap_id))
    report.due_soon.sort(key=lambda i: (i.end, i.roadmap_id))
    return report


# ---------------------------------------------------------------- execution


@dataclass
class OccurrenceState:
    id: int
    task_number: str | None
    task_title: str
    start: dt.date | None
    end: dt.date | None
    status: str
    done_at: dt.date | None
    comment: str | None
    evidence: list[dict]

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        for k in ("start", "end", "done_at"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


def _occurrence(session: Session, occurrence_id: int) -> TaskOccurrence:
    occ = session.get(TaskOccurrence, occurrence_id)
    if occ is None:
        raise NotFoundError(f"Срок исполнения (occurrence) № {occurrence_id} не найден "
                            f"(номера показывает ersoko roadmap list).")
    return occ


def get_occurrence(session: Session, *, occurrence_id: int) -> OccurrenceState:
    """One occurrence with its task and evidence (for the status editor)."""
    return occurrence_state(_occurrence(session, occurrence_id))


def occurrence_state(occ: TaskOccurrence) -> OccurrenceState:
    return OccurrenceState(occ.id, occ.task.number, occ.task.title, occ.start, occ.end, occ.status, occ.done_at,
                           occ.comment, [{"id": e.id, "file_name": e.file_name, "sha256": e.sha256,
                                          "stored_path": e.stored_path, "size": e.size} for e in occ.evidence])


def set_status(session: Session, *, occurrence_id: int, status: str, done_at: dt.date | None = None,
               comment: str | None = None, evidence: Sequence[str | Path] = (),
               today: dt.date | None = None) -> OccurrenceState:
    """Record execution of one occurrence. ``done`` needs a date (today when not given)."""
    occ = _occurrence(session, occurrence_id)
    code = status_code(status)
    before = {"status": occ.status, "done_at": occ.done_at.isoformat() if occ.done_at else None,
              "comment": occ.comment}
    if code == "done":
        occ.done_at = done_at or today or dt.date.today()
    elif done_at is not None:
        raise InputError("Дата выполнения указывается только для статуса «выполнено» (done).")
    else:
        occ.done_at = None
    occ.status = code
    if comment is not None:
        occ.comment = comment.strip() or None
    for file in evidence:
        _add_evidence(session, occ, Path(file))
    session.flush()
    audit.record(session, action="roadmap.status", entity="task_occurrence", entity_id=occ.id, before=before,
                 after={"status": occ.status, "done_at": occ.done_at.isoformat() if occ.done_at else None,
                        "comment": occ.comment, "evidence": [str(f) for f in evidence]})
    return occurrence_state(occ)


def attach_evidence(session: Session, *, occurrence_id: int, path: str | Path) -> OccurrenceState:
    occ = _occurrence(session, occurrence_id)
    ev = _add_evidence(session, occ, Path(path))
    session.flush()
    audit.record(session, action="roadmap.evidence", entity="evidence", entity_id=ev.id,
                 after={"occurrence": occ.id, "file": ev.file_name, "sha256": ev.sha256})
    return occurrence_state(occ)


def _add_evidence(session: Session, occ: TaskOccurrence, src: Path) -> Evidence:
    """Copy the file into the data dir under its SHA-256 (same content stored once)."""
    if not src.is_file():
        raise InputError(f"Файл подтверждения «{src}» не найден.")
    digest = hashlib.sha256()
    with src.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    for ev in occ.evidence:
        if ev.sha256 == sha:
            return ev  # the same file attached twice is one piece of evidence
    folder = paths.evidence_dir() / sha[:2]
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{sha}{src.suffix.lower()}"
    if not stored.exists():
        tmp = stored.with_name(stored.name + ".tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(stored)
    ev = Evidence(file_name=src.name, sha256=sha, stored_path=str(stored.relative_to(paths.evidence_dir())),
                  size=src.stat().st_size)
    occ.evidence.append(ev)
    return ev


def evidence_path(ev: Evidence) -> Path:
    """Where the stored copy of an evidence file is (to open it)."""
    p = Path(ev.stored_path)
    return p if p.is_absolute() else paths.evidence_dir() / p


def evidence_file(session: Session, *, evidence_id: int) -> Path:
    ev = session.get(Evidence, evidence_id)
    if ev is None:
        raise NotFoundError(f"Файл подтверждения № {evidence_id} не найден.")
    path = evidence_path(ev)
    if not path.is_file():
        raise NotFoundError(f"Копия файла «{ev.file_name}» отсутствует в папке данных ({path}).")
    return path


# ---------------------------------------------------------------- tasks opened by other pages


def create_task(session: Session, *, roadmap_id: int, title: str, deadline_text: str | None,
                executors: str | None, participants: str | None = None, expected_result: str | None = None,
                number: str | None = None, section_title: str | None = None) -> RoadmapTask:
    """Add one task to a roadmap (e.g. the indicators page opens work for a flagged school).
    The deadline goes through the same grammar; a text it does not understand is refused."""
    rm = session.get(Roadmap, roadmap_id)
    if rm is None:
        raise NotFoundError(f"Дорожная карта с номером {roadmap_id} не найдена.")
    if not (title or "").strip():
        raise InputError("У мероприятия должно быть название.")
    try:
        period = Period.parse(rm.period)
    except ValueError as exc:
        raise InputError(f"Дорожная карта «{rm.title}»: период «{rm.period}» не распознан.") from exc
    d = deadlines.parse(deadline_text or "", period)
    if d.kind == "unknown" and (deadline_text or "").strip():
        raise InputError(f"Срок «{deadline_text}» не распознан: {'; '.join(d.warnings)}. Напишите, например, "
                         f"«до 25 января», «март», «2 квартал» или «постоянно».")
    section = None
    if section_title:
        section = next((s for s in rm.sections if s.title == section_title), None)
        if section is None:
            section = RoadmapSection(roadmap=rm, position=len(rm.sections) + 1, title=section_title)
            session.add(section)
    elif rm.sections:
        section = rm.sections[-1]
    position = max((t.position for t in rm.tasks), default=0) + 1
    task = RoadmapTask(roadmap=rm, section=section, position=position, number=number, title=title.strip(),
                       deadline_text=(deadline_text or "").strip() or None, deadline_kind=d.kind,
                       executors=executors, participants=participants, expected_result=expected_result,
                       recurrence=d.recurrence)
    session.add(task)
    for start, end in _spans(d):
        task.occurrences.append(TaskOccurrence(start=start, end=end, status="planned"))
    session.flush()
    audit.record(session, action="roadmap.task_create", entity="roadmap_task", entity_id=task.id,
                 after={"roadmap": rm.id, "title": task.title, "deadline": task.deadline_text})
    return task


FLAG_ROADMAP_TITLE = "Адресная работа с ОО с признаками необъективности результатов"


def create_task_for_flag(session: Session, *, org_code: str, title: str, note: str | None = None,
                         deadline_text: str = "в течение учебного года",
                         today: dt.date | None = None) -> RoadmapTask:
    """Open a task for a school the indicators flagged (GUIDE §4 risk list → roadmap).

    It goes into the newest roadmap of this database's own organization; when there is none, a
    roadmap «Адресная работа с ОО с признаками необъективности результатов» for the current
    school year is created. The school is the executor; the evidence of the flag is kept in the
    task text."""
    from .orgs import get_org

    school = get_org(session, org_code)
    from ..settings import own_organization

    own = own_organization(session)
    today = today or dt.date.today()
    candidates = list(session.scalars(select(Roadmap).where(Roadmap.org_id == (own.id if own else None))
                                      .order_by(Roadmap.id))) if own else []
    roadmap = max(candidates, key=lambda rm: (_period_start(rm), rm.id), default=None)
    if roadmap is None:
        start_year = today.year if today.month >= 9 else today.year - 1
        period = Period.school_year(start_year)
        roadmap = Roadmap(title=f"{FLAG_ROADMAP_TITLE} на {start_year}-{start_year + 1} учебный год",
                          org_id=own.id if own else None, period=period.label, source_name=None, position=0)
        session.add(roadmap)
        session.flush()
    text = f"{title} — {school.name} ({school.code})"
    if note:
        text += "\n" + note
    return create_task(session, roadmap_id=roadmap.id, title=text, deadline_text=deadline_text,
                       executors=school.name)


def _period_start(rm: Roadmap) -> dt.date:
    try:
        return Period.parse(rm.period).start
    except ValueError:
        return dt.date.min


def delete_roadmap(session: Session, *, roadmap_id: int) -> None:
    rm = session.get(Roadmap, roadmap_id)
    if rm is None:
        raise NotFoundError(f"Дорожная карта с номером {roadmap_id} не найдена.")
    audit.record(session, action="roadmap.delete", entity="roadmap", entity_id=rm.id,
                 before={"title": rm.title, "period": rm.period, "source": rm.source_name})
    session.delete(rm)
    session.flush()
