"""The roadmap execution report (the yearly report to the ministry, due before 25 January):
the official table «№ / Мероприятие / Срок / Исполнитель / Результат / Отметка о выполнении»,
a summary of statuses and the list of evidence files."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..db.models import Organization, Roadmap, RoadmapTask, TaskOccurrence
from ..errors import NotFoundError
from ..reports import model
from ..reports.numbers import fmt_date, fmt_percent

STATUS_RU = {"planned": "запланировано", "in_progress": "в работе", "done": "выполнено", "cancelled": "отменено"}
OVERDUE_RU = "не выполнено в срок"
EVENT_RU = {"event": "по мере необходимости / по графику — отметок нет",
            "unknown": "срок не распознан — отметок нет"}
COLUMNS = [
    model.Column("№", "text", 0.55),
    model.Column("Мероприятие", "text", 2.4),
    model.Column("Срок", "text", 1.2),
    model.Column("Исполнитель", "text", 1.45),
    model.Column("Результат", "text", 1.45),
    model.Column("Отметка о выполнении", "text", 2.2),
    model.Column("Просрочено", "bool", 0.95),
]
EVIDENCE_COLUMNS = [
    model.Column("№", "text", 0.5),
    model.Column("Мероприятие", "text", 0.9),
    model.Column("Срок исполнения", "text", 1.2),
    model.Column("Файл", "text", 2.0),
    model.Column("SHA-256", "text", 2.4),
    model.Column("Добавлен", "date", 0.9),
]


def is_overdue(occ: TaskOccurrence, today: dt.date) -> bool:
    """GUIDE §5: overdue = end < today and not done (a cancelled occurrence is not overdue)."""
    return occ.end is not None and occ.end < today and occ.status not in ("done", "cancelled")


def _span(occ: TaskOccurrence) -> str:
    if occ.start is None and occ.end is None:
        return "без срока"
    if occ.start == occ.end or occ.start is None:
        return fmt_date(occ.end)
    return f"{fmt_date(occ.start)}–{fmt_date(occ.end)}"


def _mark(occ: TaskOccurrence, today: dt.date) -> str:
    status = OVERDUE_RU if is_overdue(occ, today) else STATUS_RU.get(occ.status, occ.status)
    text = f"{_span(occ)}: {status}"
    if occ.status == "done" and occ.done_at:
        text += f" {fmt_date(occ.done_at)}"
    if occ.evidence:
        text += f" (документов: {len(occ.evidence)})"
    if occ.comment:
        text += f"; {occ.comment}"
    return text


def _in_year(occ: TaskOccurrence, year: int | None) -> bool:
    if year is None:
        return True
    start, end = occ.start or occ.end, occ.end or occ.start
    return start is not None and start <= dt.date(year, 12, 31) and end >= dt.date(year, 1, 1)


def _sha_groups(sha: str) -> str:
    return " ".join(sha[i:i + 8] for i in range(0, len(sha), 8))


def build_roadmap_report(session: Session, *, org: Organization, year: int | None, today: dt.date) -> model.Report:
    roadmaps = list(session.scalars(
        select(Roadmap).where(Roadmap.org_id == org.id).order_by(Roadmap.imported_at, Roadmap.position, Roadmap.id)
        .options(selectinload(Roadmap.tasks).selectinload(RoadmapTask.occurrences)
                 .selectinload(TaskOccurrence.evidence), selectinload(Roadmap.sections))))
    if not roadmaps:
        raise NotFoundError(f"У организации «{org.code}» нет дорожных карт. Загрузите их: ersoko roadmap import ФАЙЛ.")
    sections: list[model.Section] = []
    for i, roadmap in enumerate(roadmaps, start=1):
        part = _roadmap_sections(roadmap, year=year, today=today, number=i if len(roadmaps) > 1 else None)
        sections += part
    if not sections:
        raise NotFoundError(f"В дорожных картах организации «{org.code}» нет мероприятий со сроками в {year} году.")
    sections.append(model.Section("Подписи", [model.Signatures(["Руководитель", "Ответственный исполнитель"])]))
    period = f"{year} год" if year else ", ".join(dict.fromkeys(r.period for r in roadmaps))
    return model.Report(
        kind="roadmap", title="Отчёт об исполнении дорожной карты", organization=org.name, org_code=org.code,
        period=period, subtitle=roadmaps[0].title if len(roadmaps) == 1 else f"Дорожных карт: {len(roadmaps)}",
        sections=sections, generated=today)


def _roadmap_sections(roadmap: Roadmap, *, year: int | None, today: dt.date, number: int | None) -> list[model.Section]:
    prefix = f"{number}. " if number else ""
    rows: list = []
    evidence_rows: list = []
    counts: Counter[str] = Counter()
    due = done_due = 0
    current_section = None
    for task in roadmap.tasks:
        occurrences = [o for o in task.occurrences if _in_year(o, year)]
        if task.occurrences and not occurrences:
            continue  # all its dates fall outside the requested year
        if task.section_id != current_section:
            current_section = task.section_id
            if task.section is not None:
                title = f"{task.section.number}. {task.section.title}" if task.section.number else task.section.title
                rows.append(model.GroupRow(title))
        counts["tasks"] += 1
        for occ in occurrences:
            counts["overdue" if is_overdue(occ, today) else occ.status] += 1
            if occ.status != "cancelled" and occ.end is not None and occ.end <= today:
                due += 1
                done_due += occ.status == "done"
            for ev in occ.evidence:
                evidence_rows.append([str(len(evidence_rows) + 1), task.number or "", _span(occ), ev.file_name,
                                      _sha_groups(ev.sha256), ev.added_at.date() if ev.added_at else None])
        if not occurrences:
            counts["event"] += 1
        marks = "\n".join(_mark(o, today) for o in occurrences) or EVENT_RU.get(task.deadline_kind, EVENT_RU["event"])
        rows.append([task.number or "", task.title, task.deadline_text or "", task.executors or "",
                     task.expected_result or "", marks, any(is_overdue(o, today) for o in occurrences)])
    if counts["tasks"] == 0:
        return []
    summary = [
        ("Дорожная карта", roadmap.title),
        ("Период", roadmap.period + (f" (отчёт за {year} год)" if year else "")),
        ("Источник", roadmap.source_name or "—"),
        ("Мероприятий в отчёте", str(counts["tasks"])),
        ("Выполнено", str(counts["done"])),
        ("В работе", str(counts["in_progress"])),
        ("Запланировано", str(counts["planned"])),
        ("Не выполнено в срок", str(counts["overdue"])),
        ("Отменено", str(counts["cancelled"])),
        ("Без дат (по мере необходимости)", str(counts["event"])),
        ("Исполнение наступивших сроков", f"{done_due} из {due}" + (f" ({fmt_percent(done_due / due * 100)})" if due else "")),
        ("Дата отчёта", fmt_date(today)),
    ]
    table = model.Table(COLUMNS, rows, sheet="Исполнение", risk_column=6,
                        note="Отметка о выполнении — по каждому сроку: период, статус, дата выполнения, "
                             "число подтверждающих документов.")
    evidence = model.Table(EVIDENCE_COLUMNS, evidence_rows, title="Перечень подтверждающих документов",
                           sheet="Документы")
    return [
        model.Section(f"{prefix}Сводка исполнения", [model.KeyValues(summary, sheet="Сводка")]),
        model.Section(f"{prefix}Исполнение мероприятий", [table]),
        model.Section(f"{prefix}Подтверждающие документы",
                      [evidence] if evidence_rows else [model.Text("Подтверждающие документы не приложены.")]),
    ]
