"""Writing a verified package payload into the database — only what the exporter wrote.

Results replace the sender's earlier package data for the same procedure × school; forms and
roadmap occurrences are updated record by record. Where the local record was changed here after
the incoming one (a local results import, a form edited or approved, a task marked done), the
local data is kept and the clash is reported as a conflict — never silently overwritten.

A municipality's corrections of its schools' data (``corrections/`` in a municipal package) are
applied the same way, except that any difference from what is here — the school's own signed data —
is a conflict, whatever the timestamps; only a municipality's decision on a school form (accepted
or returned, values untouched) is applied as such. ``accept_incoming`` (an explicit user choice)
takes the package's side in every such conflict; each override is written to the audit log.
"""

from __future__ import annotations

from collections import defaultdict

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db.bulk import bulk_insert
from ..db.unique import get_or_create
from ..db.models import (
    Evidence,
    FormDefinition,
    FormSubmission,
    ImportBatch,
    ParticipantResult,
    Procedure,
    Roadmap,
    RoadmapSection,
    RoadmapTask,
    TaskOccurrence,
    utcnow,
)
from ..fileio import atomic_write_bytes
from ..paths import evidence_dir
from ..progress import Progress
from . import audit
from .package_payload import RESULT_COLUMNS, Payload
from .result_stats import invalidate as invalidate_stats, refresh as refresh_stats


@dataclass(frozen=True)
class Conflict:
    entity: str
    key: str
    message: str

    def as_dict(self) -> dict:
        return {"entity": self.entity, "key": self.key, "message": self.message}


@dataclass
class ApplyStats:
    results_inserted: int = 0
    results_replaced: int = 0
    results_unchanged: int = 0
    submissions_created: int = 0
    submissions_updated: int = 0
    submissions_unchanged: int = 0
    roadmaps_created: int = 0
    occurrences_updated: int = 0
    occurrences_unchanged: int = 0
    evidence_added: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    overridden: list[Conflict] = field(default_factory=list)  # conflicts settled for the package (accept_incoming)
    warnings: list[str] = field(default_factory=list)

    def merge(self, other: "ApplyStats") -> None:
        for name in ("results_inserted", "results_replaced", "results_unchanged", "submissions_created",
                     "submissions_updated", "submissions_unchanged", "roadmaps_created", "occurrences_updated",
                     "occurrences_unchanged", "evidence_added"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.conflicts += other.conflicts
        self.overridden += other.overridden
        self.warnings += other.warnings

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k not in ("conflicts", "overridden", "warnings")}
        return data | {"conflicts": [c.as_dict() for c in self.conflicts],
                       "overridden": [c.as_dict() for c in self.overridden], "warnings": list(self.warnings)}


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _stamp(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value).replace(tzinfo=None) if value else None


def _row_key(row) -> tuple:
    code, letter, variant, tasks, score, mark, journal, gender = row
    return (code, letter, variant, json.dumps(tasks), None if score is None else float(score), mark, journal, gender)


ACCEPT_HINT = "принять данные пакета можно, загрузив пакет с «--accept-incoming» («Принять входящие данные» в окне проверки)"


class _Writer:
    def __init__(self, session: Session, payload: Payload, org_ids: dict[str, int], *, label: str,
                 package_sha: str, package_id: str, corrected_by: str | None = None, accept_incoming: bool = False):
        self.session, self.payload, self.org_ids = session, payload, org_ids
        self.label, self.package_sha, self.package_id = label, package_sha, package_id
        self.corrected_by, self.accept = corrected_by, accept_incoming
        self.result_blocks: list[tuple[int, int]] = []  # procedure × school whose results were written
        self.stats = ApplyStats()
        self._stored: dict[str, str] = {}
        self._procedures: dict[tuple, Procedure] = {}  # a package has a block per school × procedure
        self._pending: list[tuple[ImportBatch, int, int, list]] = []  # blocks queued by _insert_results

    def _clash(self, entity: str, what: str, why: str, *, before: dict, after: dict) -> bool:
        """A conflict: report it and keep the local data (False), or, when the user chose to accept
        incoming data, record the override in the audit log and go on (True)."""
        if not self.accept:
            self.stats.conflicts.append(Conflict(entity, what, f"{why}; оставлены данные этой базы ({ACCEPT_HINT})"))
            return False
        audit.record(self.session, action="accept-incoming", entity=entity, entity_id=what, before=before,
                     after=after | {"package_id": self.package_id, "file": self.label, "reason": why})
        self.stats.overridden.append(Conflict(entity, what, f"{why}; приняты данные пакета"))
        return True

    # -- results
    def _procedure(self, spec: dict) -> Procedure:
        key = (spec["kind"], spec["subject"], spec["grade"], spec["year"])
        if key not in self._procedures:
            # get_or_create: two packages with the same new procedure may be imported at once (regional server).
            self._procedures[key], _created = get_or_create(
                self.session, Procedure, where=dict(zip(("kind", "subject", "grade", "year"), key)),
                values={"date": _date(spec.get("date")), "spec": spec.get("spec")})
        return self._procedures[key]

    def results(self, progress: Progress) -> None:
        groups = self.payload.results
        with self.session.no_autoflush:  # the queued import batches are flushed once, by _write_results
            self._compare_and_queue(groups, progress)
        progress.step(0.75, "Запись результатов")
        self._write_results()

    def _compare_and_queue(self, groups: list[dict], progress: Progress) -> None:
        for i, group in enumerate(groups):
            proc = self._procedure(group["procedure"])
            school_id = self.org_ids[group["school"]]
            incoming = {r[0]: _row_key(r) for r in group["rows"]}
            local_rows = self.session.execute(select(
                ParticipantResult.participant_code, ParticipantResult.class_letter, ParticipantResult.variant,
                ParticipantResult.task_scores, ParticipantResult.primary_score, ParticipantResult.mark,
                ParticipantResult.journal_mark, ParticipantResult.gender, ParticipantResult.batch_id)
                .where(ParticipantResult.procedure_id == proc.id, ParticipantResult.school_id == school_id)).all()
            local = {r[0]: _row_key(r[:8]) for r in local_rows}
            what = f"{group['school']}: {proc.kind} {proc.subject} {proc.grade} кл. {proc.year}"
            if local == incoming:
                self.stats.results_unchanged += len(incoming)
            elif not self._results_clash(what, local, incoming, {r[8] for r in local_rows}, group):
                if local:
                    self.session.execute(delete(ParticipantResult).where(
                        ParticipantResult.procedure_id == proc.id, ParticipantResult.school_id == school_id))
                    self.stats.results_replaced += len(incoming)
                else:
                    self.stats.results_inserted += len(incoming)
                self._insert_results(proc, school_id, group)
            progress.step(0.1 + 0.6 * (i + 1) / max(len(groups), 1), f"Результаты: {what}")

    def _results_clash(self, what: str, local: dict, incoming: dict, batch_ids: set, group: dict) -> bool:
        """True when the local results stay (a conflict not overridden)."""
        if not local:
            why = None
        elif self.corrected_by:
            why = (f"муниципалитет «{self.corrected_by}» исправил результаты школы ({len(local)} строк здесь — "
                   f"данные школы, {len(incoming)} в исправлении)")
        elif self._local_is_newer(batch_ids, _stamp(group.get("updated_at"))):
            why = f"в этой базе результаты изменены позже данных пакета ({len(local)} строк здесь, {len(incoming)} в пакете)"
        else:
            why = None
        return why is not None and not self._clash("результаты", what, why, before={"rows": len(local)},
                                                   after={"rows": len(incoming)})

    def _local_is_newer(self, batch_ids: set, incoming_time: dt.datetime | None) -> bool:
        """Rows loaded here by hand or from a results file (not from a package) and later than the package."""
        if None in batch_ids:
            return True
        batches = self.session.execute(select(ImportBatch.kind, ImportBatch.imported_at)
                                       .where(ImportBatch.id.in_(batch_ids))).all()
        local_times = [t for kind, t in batches if kind != "package"]
        if not local_times:
            return False
        return incoming_time is None or max(local_times) > incoming_time

    def _insert_results(self, proc: Procedure, school_id: int, group: dict) -> None:
        """Queue a block's rows; :meth:`_write_results` writes every block of the package at once."""
        batch = ImportBatch(kind="package", file_name=self.label[:500], sha256=self.package_sha, procedure_id=proc.id,
                            imported_at=utcnow(), rows=len(group["rows"]),
                            summary={"package_id": self.package_id, "school": group["school"],
                                     "sender_updated_at": group.get("updated_at"),
                                     **({"corrected_by": self.corrected_by} if self.corrected_by else {})})
        self.session.add(batch)
        self._pending.append((batch, proc.id, school_id, group["rows"]))

    def _write_results(self) -> None:
        """One flush for the import batches and one bulk insert for the rows of every block (a
        municipality's package has a block per school × procedure: hundreds of them)."""
        if not self._pending:
            return
        self.session.flush()
        bulk_insert(self.session, ParticipantResult.__table__,
                    ({"procedure_id": pid, "school_id": sid, "batch_id": batch.id} | dict(zip(RESULT_COLUMNS, row))
                     for batch, pid, sid, rows in self._pending for row in rows))
        by_procedure: dict[int, list[int]] = defaultdict(list)
        for _batch, pid, sid, _rows in self._pending:
            by_procedure[pid].append(sid)
            self.result_blocks.append((pid, sid))
        for pid, schools in by_procedure.items():
            invalidate_stats(self.session, procedure_id=pid, school_ids=schools)
        self._pending = []

    # -- evidence
    def _store_evidence(self, sha: str) -> str | None:
        if sha in self._stored:
            return self._stored[sha]
        data = self.payload.evidence.get(sha)
        if data is None:
            return None
        target = evidence_dir() / sha[:2] / sha  # content-addressed: no name from the package reaches the disk
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            atomic_write_bytes(target, data)
        self._stored[sha] = str(target)
        return str(target)

    def _add_evidence(self, items: list[dict], existing: list[Evidence], **owner) -> None:
        have = {e.sha256 for e in existing}
        for item in items:
            if item.get("sha256") in have:
                continue
            stored = self._store_evidence(str(item.get("sha256")))
            if stored is None:
                self.stats.warnings.append(f"файл подтверждения «{item.get('file_name')}» в пакете отсутствует")
                continue
            self.session.add(Evidence(field_id=item.get("field_id"), file_name=str(item.get("file_name"))[:500],
                                      sha256=item["sha256"], stored_path=stored,
                                      size=len(self.payload.evidence[item["sha256"]]), **owner))
            have.add(item["sha256"])
            self.stats.evidence_added += 1

    # -- forms
    def forms(self) -> None:
        usable: dict[tuple[str, str], FormDefinition] = {}
        for d in self.payload.forms["definitions"]:
            row, created = get_or_create(
                self.session, FormDefinition, where={"form_id": d["form_id"], "version": d["version"]},
                values={"title": d["title"], "level": d["level"], "sha256": d["sha256"], "definition": d["definition"]})
            if not created and row.sha256 != d["sha256"]:
                self.stats.conflicts.append(Conflict("форма", f"{d['form_id']} v{d['version']}",
                                                     "описание формы в этой базе отличается от описания в пакете; "
                                                     "заполненные формы этой версии не загружены"))
                continue
            usable[(d["form_id"], d["version"])] = row
        for s in self.payload.forms["submissions"]:
            definition = usable.get((s["form_id"], s["version"]))
            what = f"{s['form_id']} {s['org']} {s['period']}"
            if definition is None:
                if not any(c.key.startswith(s["form_id"]) for c in self.stats.conflicts):
                    self.stats.warnings.append(f"{what}: нет описания формы версии {s['version']}; не загружена")
                continue
            problem = _form_problem(definition, s)
            if problem:
                self.stats.conflicts.append(Conflict("форма", what, f"{problem}; форма не загружена"))
                continue
            org_id = self.org_ids[s["org"]]
            incoming_time = _stamp(s.get("updated_at")) or utcnow()
            row = self.session.scalar(select(FormSubmission).where(
                FormSubmission.form_id == s["form_id"], FormSubmission.org_id == org_id,
                FormSubmission.period == s["period"]))
            fields = {"definition_id": definition.id, "status": s["status"], "values": s["values"],
                      "comment": s.get("comment"), "updated_at": incoming_time,
                      "submitted_at": _stamp(s.get("submitted_at")), "decided_at": _stamp(s.get("decided_at"))}
            if row is None:
                row = FormSubmission(form_id=s["form_id"], org_id=org_id, period=s["period"], **fields)
                self.session.add(row)
                self.session.flush()
                self.stats.submissions_created += 1
            elif (row.definition_id, row.status, row.values, row.comment) == (
                    definition.id, s["status"], s["values"], s.get("comment")):
                self.stats.submissions_unchanged += 1
            else:
                if self._form_clash(row, s, definition, what, incoming_time):
                    continue
                for key, value in fields.items():
                    setattr(row, key, value)
                self.stats.submissions_updated += 1
            existing = list(self.session.scalars(select(Evidence).where(Evidence.submission_id == row.id)))
            self._add_evidence(s["evidence"], existing, submission_id=row.id)

    def _form_clash(self, row: FormSubmission, s: dict, definition: FormDefinition, what: str,
                    incoming_time: dt.datetime) -> bool:
        """True when the local form stays as it is (a conflict not overridden)."""
        if self.corrected_by:
            if ((row.definition_id, row.values, row.comment) == (definition.id, s["values"], s.get("comment"))
                    and s["status"] in ("approved", "returned")):
                audit.record(self.session, action="decision", entity="form_submission", entity_id=row.id,
                             before={"status": row.status}, after={"status": s["status"], "by": self.corrected_by,
                                                                   "package_id": self.package_id})
                return False  # the municipality's decision on the school's form, not a change of its data
            why = f"муниципалитет «{self.corrected_by}» изменил форму школы (здесь статус «{row.status}», данные школы)"
        elif row.updated_at is not None and row.updated_at > incoming_time:
            why = (f"в этой базе форма изменена {row.updated_at:%d.%m.%Y %H:%M} (статус «{row.status}»), "
                   "позже данных пакета")
        else:
            return False
        return not self._clash("форма", what, why, before={"status": row.status, "values": row.values},
                               after={"status": s["status"], "values": s["values"]})

    # -- roadmaps
    def roadmaps(self) -> None:
        for rm in self.payload.roadmaps:
            org_id = self.org_ids[rm["org"]]
            row = self.session.scalar(select(Roadmap).where(Roadmap.org_id == org_id, Roadmap.title == rm["title"],
                                                            Roadmap.period == rm["period"]))
            if row is None:
                self._create_roadmap(rm, org_id)
            else:
                self._update_roadmap(rm, row)

    def _create_roadmap(self, rm: dict, org_id: int) -> None:
        roadmap = Roadmap(title=rm["title"], org_id=org_id, period=rm["period"], source_name=rm.get("source_name"),
                          source_sha256=rm.get("source_sha256"), position=int(rm.get("position") or 0))
        sections = {}
        for s in rm["sections"]:
            section = RoadmapSection(position=int(s.get("position") or 0), number=s.get("number"), title=s.get("title") or "")
            roadmap.sections.append(section)
            sections[s.get("position")] = section
        self.session.add(roadmap)
        for t in rm["tasks"]:
            task = RoadmapTask(position=t["position"], number=t.get("number"), title=t["title"],
                               deadline_text=t.get("deadline_text"), deadline_kind=t.get("deadline_kind") or "unknown",
                               executors=t.get("executors"), participants=t.get("participants"),
                               expected_result=t.get("expected_result"), recurrence=t.get("recurrence"),
                               years=t.get("years"), section=sections.get(t.get("section")))
            roadmap.tasks.append(task)
            for o in t["occurrences"]:
                occ = TaskOccurrence(start=_date(o.get("start")), end=_date(o.get("end")), status=o["status"],
                                     done_at=_date(o.get("done_at")), comment=o.get("comment"),
                                     updated_at=_stamp(o.get("updated_at")) or utcnow())
                task.occurrences.append(occ)
                self.session.flush()
                self._add_evidence(o["evidence"], [], occurrence_id=occ.id)
        self.session.flush()
        self.stats.roadmaps_created += 1

    def _update_roadmap(self, rm: dict, roadmap: Roadmap) -> None:
        tasks = {t.position: t for t in roadmap.tasks}
        for t in rm["tasks"]:
            task = tasks.get(t["position"])
            if task is None:
                self.stats.warnings.append(f"«{roadmap.title}»: мероприятия №{t.get('number') or t['position']} "
                                           "нет в этой базе; его выполнение не загружено")
                continue
            occs = {(o.start, o.end): o for o in task.occurrences}
            for o in t["occurrences"]:
                occ = occs.get((_date(o.get("start")), _date(o.get("end"))))
                what = f"«{roadmap.title}», №{task.number or task.position}, {o.get('start') or 'без срока'}"
                if occ is None:
                    self.stats.warnings.append(f"{what}: такого срока нет в этой базе; не загружено")
                    continue
                incoming_time = _stamp(o.get("updated_at")) or utcnow()
                if (occ.status, occ.done_at, occ.comment) == (o["status"], _date(o.get("done_at")), o.get("comment")):
                    self.stats.occurrences_unchanged += 1
                elif (occ.updated_at is not None and occ.updated_at > incoming_time and not self._clash(
                        "мероприятие", what, f"в этой базе статус «{occ.status}» записан позже, чем в пакете "
                        f"(«{o['status']}»)", before={"status": occ.status, "comment": occ.comment},
                        after={"status": o["status"], "comment": o.get("comment")})):
                    continue
                else:
                    occ.status, occ.done_at, occ.comment = o["status"], _date(o.get("done_at")), o.get("comment")
                    occ.updated_at = incoming_time
                    self.stats.occurrences_updated += 1
                self._add_evidence(o["evidence"], list(occ.evidence), occurrence_id=occ.id)


def apply_payload(session: Session, payload: Payload, *, org_ids: dict[str, int], label: str, package_sha: str,
                  package_id: str, progress: Progress, corrected_by: str | None = None,
                  accept_incoming: bool = False) -> ApplyStats:
    """``corrected_by``: the payload is a municipality's corrections of its schools' data."""
    writer = _Writer(session, payload, org_ids, label=label, package_sha=package_sha, package_id=package_id,
                     corrected_by=corrected_by, accept_incoming=accept_incoming)
    writer.results(progress)
    # The indicator statistics of what arrived, computed once here (services.result_stats).
    refresh_stats(session, blocks=writer.result_blocks)
    writer.forms()
    writer.roadmaps()
    session.flush()
    return writer.stats


def received_store() -> Path:
    """Where verified package bytes are kept, so a municipality can nest them unchanged."""
    from ..paths import user_data_dir

    path = user_data_dir() / "packages" / "received"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _form_problem(definition: FormDefinition, submission: dict) -> str | None:
    """The sender's program checked the form, but the receiver trusts no program: the same rules of the
    definition run again (required fields only for a form that claims to be sent or accepted)."""
    from ..errors import ErsokoError
    from ..formspec.validation import validate
    from .forms import COUNTED, spec_of

    try:
        spec = spec_of(definition)
        values = submission.get("values")
        if not isinstance(values, dict):
            return "значения формы в пакете не являются набором «поле → значение»"
        result = validate(spec, values, check_required=submission.get("status") in COUNTED)
    except ErsokoError as exc:
        return f"описание формы не читается: {exc.message}"
    if result.ok:
        return None
    shown = "; ".join(i.message for i in result.errors[:3])
    more = f" (и ещё {len(result.errors) - 3})" if len(result.errors) > 3 else ""
    return f"значения не проходят проверку по описанию формы: {shown}{more}"
