"""The data inside a report package: collected from the database on export, parsed strictly on import.

Files (all JSON, UTF-8): ``data/results.json`` (one group per procedure × school),
``data/forms.json`` (definitions and submissions), ``data/roadmaps.json`` (roadmaps with task
occurrences and their evidence), ``data/summary.json`` (the consolidated counts a municipality
adds). Evidence files travel as ``evidence/<sha256>``. Organizations are named by code,
procedures by kind/subject/grade/year — never by local database ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..db.models import (
    Evidence,
    FormSubmission,
    ImportBatch,
    Organization,
    ParticipantResult,
    Procedure,
    Roadmap,
)
from ..errors import InputError, SecurityError

DATA_VERSION = 1
RESULT_COLUMNS = ["participant_code", "class_letter", "variant", "task_scores", "primary_score", "mark",
                  "journal_mark", "gender"]
RESULTS_PATH, FORMS_PATH, ROADMAPS_PATH, SUMMARY_PATH = (
    "data/results.json", "data/forms.json", "data/roadmaps.json", "data/summary.json")
# A municipality's own data about schools whose signed packages it nests (see services.packages).
CORRECTED_RESULTS_PATH, CORRECTED_FORMS_PATH = "corrections/results.json", "corrections/forms.json"
TRUST_PATH = "data/trusted_keys.json"


# ---------------------------------------------------------------- periods

@dataclass(frozen=True)
class Period:
    """A calendar year ``2025`` or a school year ``2024/25`` (1 Sep 2024 – 31 Aug 2025)."""

    label: str
    start: dt.date
    end: dt.date
    school_year: bool

    def holds_procedure(self, year: int, date: dt.date | None) -> bool:
        if date is not None:
            return self.start <= date <= self.end
        return year == self.end.year

    def overlaps(self, start: dt.date | None, end: dt.date | None) -> bool:
        if start is None and end is None:
            return True
        return (start or end) <= self.end and (end or start) >= self.start


def parse_period(text: str | None) -> Period | None:
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if m := re.fullmatch(r"(\d{4})", text):
        y = int(m.group(1))
        return Period(text, dt.date(y, 1, 1), dt.date(y, 12, 31), False)
    if m := re.fullmatch(r"(\d{4})\s*[/-]\s*(\d{2}|\d{4})", text):
        y, second = int(m.group(1)), m.group(2)
        if int(second) % 100 == (y + 1) % 100:
            return Period(f"{y}/{(y + 1) % 100:02d}", dt.date(y, 9, 1), dt.date(y + 1, 8, 31), True)
    raise InputError(f"Период «{text}» не понят: ожидался календарный год (2025) или учебный год (2024/25).")


# ---------------------------------------------------------------- export side

def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def collect_results(session: Session, org_ids: list[int], period: Period | None) -> list[dict]:
    """One group per procedure × school, rows as compact lists in RESULT_COLUMNS order."""
    if not org_ids:
        return []
    procedures = {p.id: p for p in session.scalars(select(Procedure))
                  if period is None or period.holds_procedure(p.year, p.date)}
    if not procedures:
        return []
    codes = dict(session.execute(select(Organization.id, Organization.code).where(Organization.id.in_(org_ids))).all())
    batch_time = dict(session.execute(select(ImportBatch.id, ImportBatch.imported_at)).all())
    groups: dict[tuple[int, int], dict] = {}
    stmt = (select(ParticipantResult.procedure_id, ParticipantResult.school_id, ParticipantResult.batch_id,
                   ParticipantResult.participant_code, ParticipantResult.class_letter, ParticipantResult.variant,
                   ParticipantResult.task_scores, ParticipantResult.primary_score, ParticipantResult.mark,
                   ParticipantResult.journal_mark, ParticipantResult.gender)
            .where(ParticipantResult.school_id.in_(org_ids), ParticipantResult.procedure_id.in_(list(procedures)))
            .order_by(ParticipantResult.procedure_id, ParticipantResult.school_id, ParticipantResult.participant_code))
    for pid, sid, batch_id, *row in session.execute(stmt):
        group = groups.get((pid, sid))
        if group is None:
            p = procedures[pid]
            group = groups[(pid, sid)] = {
                "procedure": {"kind": p.kind, "subject": p.subject, "grade": p.grade, "year": p.year,
                              "date": _iso(p.date), "spec": p.spec},
                "school": codes[sid], "updated_at": None, "rows": []}
        stamp = batch_time.get(batch_id)
        if stamp is not None and (group["updated_at"] is None or stamp.isoformat() > group["updated_at"]):
            group["updated_at"] = stamp.isoformat()
        group["rows"].append(list(row))
    return list(groups.values())


def _evidence_dict(ev: Evidence) -> dict:
    return {"field_id": ev.field_id, "file_name": ev.file_name, "sha256": ev.sha256, "size": ev.size,
            "path": f"evidence/{ev.sha256}"}


def collect_forms(session: Session, org_ids: list[int], period: Period | None) -> dict:
    if not org_ids:
        return {"definitions": [], "submissions": []}
    stmt = select(FormSubmission).where(FormSubmission.org_id.in_(org_ids)).order_by(FormSubmission.id)
    if period is not None:
        stmt = stmt.where(FormSubmission.period == period.label)
    definitions: dict[int, dict] = {}
    submissions = []
    for sub in session.scalars(stmt):
        d = sub.definition
        definitions.setdefault(d.id, {"form_id": d.form_id, "version": d.version, "title": d.title, "level": d.level,
                                      "sha256": d.sha256, "definition": d.definition})
        evidence = session.scalars(select(Evidence).where(Evidence.submission_id == sub.id).order_by(Evidence.id))
        submissions.append({"form_id": sub.form_id, "version": d.version, "org": sub.org.code, "period": sub.period,
                            "status": sub.status, "values": sub.values, "comment": sub.comment,
                            "updated_at": _iso(sub.updated_at), "submitted_at": _iso(sub.submitted_at),
                            "decided_at": _iso(sub.decided_at), "evidence": [_evidence_dict(e) for e in evidence]})
    return {"definitions": list(definitions.values()), "submissions": submissions}


def collect_roadmaps(session: Session, org_ids: list[int], period: Period | None) -> list[dict]:
    if not org_ids:
        return []
    out = []
    for rm in session.scalars(select(Roadmap).where(Roadmap.org_id.in_(org_ids)).order_by(Roadmap.id)):
        org_code = session.get(Organization, rm.org_id).code
        section_pos = {s.id: s.position for s in rm.sections}
        tasks = []
        for task in rm.tasks:
            occurrences = [
                {"start": _iso(o.start), "end": _iso(o.end), "status": o.status, "done_at": _iso(o.done_at),
                 "comment": o.comment, "updated_at": _iso(o.updated_at),
                 "evidence": [_evidence_dict(e) for e in o.evidence]}
                for o in task.occurrences if period is None or period.overlaps(o.start, o.end)]
            tasks.append({"position": task.position, "section": section_pos.get(task.section_id),
                          "number": task.number, "title": task.title, "deadline_text": task.deadline_text,
                          "deadline_kind": task.deadline_kind, "executors": task.executors,
                          "participants": task.participants, "expected_result": task.expected_result,
                          "recurrence": task.recurrence, "years": task.years, "occurrences": occurrences})
        out.append({"org": org_code, "title": rm.title, "period": rm.period, "source_name": rm.source_name,
                    "source_sha256": rm.source_sha256, "position": rm.position,
                    "sections": [{"position": s.position, "number": s.number, "title": s.title} for s in rm.sections],
                    "tasks": tasks})
    return out


def collect_summary(session: Session, org_ids: list[int], period: Period | None) -> list[dict]:
    """Participants and marks per school × procedure: the consolidated view a municipality sends."""
    if not org_ids:
        return []
    codes = dict(session.execute(select(Organization.id, Organization.code).where(Organization.id.in_(org_ids))).all())
    procedures = {p.id: p for p in session.scalars(select(Procedure))
                  if period is None or period.holds_procedure(p.year, p.date)}
    mark = ParticipantResult.mark
    # One pass in index order (school, procedure): no temporary B-tree for the grouping.
    stmt = (select(ParticipantResult.school_id, ParticipantResult.procedure_id, func.count(mark),
                   func.sum(case((mark <= 2, 1), else_=0)), func.sum(case((mark == 3, 1), else_=0)),
                   func.sum(case((mark == 4, 1), else_=0)), func.sum(case((mark >= 5, 1), else_=0)))
            .where(ParticipantResult.school_id.in_(org_ids))
            .group_by(ParticipantResult.school_id, ParticipantResult.procedure_id))
    groups: dict[tuple, dict] = {}
    for school_id, procedure_id, n, n2, n3, n4, n5 in session.execute(stmt):
        p = procedures.get(procedure_id)
        if p is None:
            continue
        groups[(school_id, procedure_id)] = {
            "org": codes[school_id], "procedure": p.kind, "subject": p.subject, "grade": p.grade, "year": p.year,
            "n": n, "marks": {"2": n2 or 0, "3": n3 or 0, "4": n4 or 0, "5": n5 or 0}}
    return sorted(groups.values(), key=lambda g: (g["org"], g["procedure"], g["subject"], g["grade"], g["year"]))


def evidence_files(forms: dict, roadmaps: list[dict], session: Session) -> tuple[dict[str, bytes], list[str]]:
    """Bytes of every evidence file referenced, keyed by package path; missing files are warnings."""
    wanted: dict[str, str] = {}
    for sub in forms["submissions"]:
        for e in sub["evidence"]:
            wanted[e["sha256"]] = e["file_name"]
    for rm in roadmaps:
        for task in rm["tasks"]:
            for occ in task["occurrences"]:
                for e in occ["evidence"]:
                    wanted[e["sha256"]] = e["file_name"]
    files, warnings = {}, []
    for sha, name in wanted.items():
        stored = session.scalar(select(Evidence.stored_path).where(Evidence.sha256 == sha))
        path = Path(stored or "")
        if path.is_file():
            files[f"evidence/{sha}"] = path.read_bytes()
        else:
            warnings.append(f"файл подтверждения «{name}» не найден на диске ({stored}); в пакет не включён")
    return files, warnings


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


# ---------------------------------------------------------------- import side

@dataclass
class Payload:
    results: list[dict] = field(default_factory=list)
    forms: dict = field(default_factory=lambda: {"definitions": [], "submissions": []})
    roadmaps: list[dict] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)
    evidence: dict[str, bytes] = field(default_factory=dict)

    def org_codes(self) -> set[str]:
        codes = {g["school"] for g in self.results}
        codes |= {s["org"] for s in self.forms["submissions"]}
        codes |= {r["org"] for r in self.roadmaps}
        return codes

    def counts(self) -> dict:
        return {"results": sum(len(g["rows"]) for g in self.results),
                "submissions": len(self.forms["submissions"]),
                "roadmaps": len(self.roadmaps),
                "occurrences": sum(len(t["occurrences"]) for r in self.roadmaps for t in r["tasks"]),
                "evidence": len(self.evidence)}


def _bad(path: str, why: str) -> SecurityError:
    return SecurityError(f"Данные пакета неверны: файл «{path}»: {why}.")


def _load(contents: dict[str, bytes], path: str, default):
    if path not in contents:
        return default
    try:
        return json.loads(contents[path].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _bad(path, "это не JSON в UTF-8") from None


def _need(obj, key: str, types, path: str, where: str, *, optional: bool = False):
    if not isinstance(obj, dict):
        raise _bad(path, f"{where}: ожидался объект")
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, types) or (types is int and isinstance(value, bool)):
        raise _bad(path, f"{where}: поле «{key}» отсутствует или неверного типа")
    return value


def _date(value, path: str, where: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _bad(path, f"{where}: дата «{value}» не в формате ГГГГ-ММ-ДД") from None


def _stamp(value, path: str, where: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=None)
    except (TypeError, ValueError):
        raise _bad(path, f"{where}: отметка времени «{value}» не в формате ISO") from None


_NUM = (int, float)


def _check_row(row, path: str, where: str) -> None:
    if not isinstance(row, list) or len(row) != len(RESULT_COLUMNS):
        raise _bad(path, f"{where}: строка результата должна содержать {len(RESULT_COLUMNS)} значений")
    code, letter, variant, tasks, score, mark, journal, gender = row
    if not isinstance(code, str) or not code or len(code) > 64:
        raise _bad(path, f"{where}: код участника «{code}» неверен")
    for name, v in (("class_letter", letter), ("variant", variant), ("gender", gender)):
        if v is not None and not isinstance(v, str):
            raise _bad(path, f"{where}: поле «{name}» должно быть строкой")
    if tasks is not None and (not isinstance(tasks, list) or any(t is not None and not isinstance(t, _NUM) for t in tasks)):
        raise _bad(path, f"{where}: баллы за задания должны быть списком чисел")
    if score is not None and not isinstance(score, _NUM):
        raise _bad(path, f"{where}: первичный балл должен быть числом")
    for name, v in (("mark", mark), ("journal_mark", journal)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 5):
            raise _bad(path, f"{where}: отметка «{v}» вне диапазона 1–5")


def parse_payload(contents: dict[str, bytes], *, results_path: str = RESULTS_PATH,
                  forms_path: str = FORMS_PATH) -> Payload:
    """Check the shape of every data file; values are typed before anything is written.

    The paths name where results and forms are read (a municipality's corrections use the same shapes)."""
    payload = Payload()
    results = _load(contents, results_path, {"columns": RESULT_COLUMNS, "groups": []})
    if _need(results, "columns", list, results_path, "корень") != RESULT_COLUMNS:
        raise _bad(results_path, "неизвестный набор столбцов")
    for i, g in enumerate(_need(results, "groups", list, results_path, "корень")):
        where = f"группа {i + 1}"
        proc = _need(g, "procedure", dict, results_path, where)
        for key, types in (("kind", str), ("subject", str), ("grade", int), ("year", int)):
            _need(proc, key, types, results_path, where)
        _date(proc.get("date"), results_path, where)
        _need(proc, "spec", dict, results_path, where, optional=True)
        _need(g, "school", str, results_path, where)
        _stamp(g.get("updated_at"), results_path, where)
        rows = _need(g, "rows", list, results_path, where)
        seen = set()
        for j, row in enumerate(rows):
            _check_row(row, results_path, f"{where}, строка {j + 1}")
            if row[0] in seen:
                raise _bad(results_path, f"{where}: участник «{row[0]}» повторяется")
            seen.add(row[0])
        payload.results.append(g)
    forms = _load(contents, forms_path, {"definitions": [], "submissions": []})
    for i, d in enumerate(_need(forms, "definitions", list, forms_path, "корень")):
        for key, types in (("form_id", str), ("version", str), ("title", str), ("level", str), ("sha256", str),
                           ("definition", dict)):
            _need(d, key, types, forms_path, f"описание формы {i + 1}")
    for i, s in enumerate(_need(forms, "submissions", list, forms_path, "корень")):
        where = f"заполненная форма {i + 1}"
        for key, types in (("form_id", str), ("version", str), ("org", str), ("period", str), ("status", str),
                           ("values", dict), ("evidence", list)):
            _need(s, key, types, forms_path, where)
        if s["status"] not in ("draft", "submitted", "approved", "returned"):
            raise _bad(forms_path, f"{where}: неизвестный статус «{s['status']}»")
        for key in ("updated_at", "submitted_at", "decided_at"):
            _stamp(s.get(key), forms_path, where)
    payload.forms = forms
    roadmaps = _load(contents, ROADMAPS_PATH, [])
    if not isinstance(roadmaps, list):
        raise _bad(ROADMAPS_PATH, "ожидался список дорожных карт")
    for i, rm in enumerate(roadmaps):
        where = f"дорожная карта {i + 1}"
        for key, types in (("org", str), ("title", str), ("period", str), ("sections", list), ("tasks", list)):
            _need(rm, key, types, ROADMAPS_PATH, where)
        for t in rm["tasks"]:
            _need(t, "position", int, ROADMAPS_PATH, where)
            _need(t, "title", str, ROADMAPS_PATH, where)
            for o in _need(t, "occurrences", list, ROADMAPS_PATH, where):
                _date(o.get("start"), ROADMAPS_PATH, where)
                _date(o.get("end"), ROADMAPS_PATH, where)
                _date(o.get("done_at"), ROADMAPS_PATH, where)
                _stamp(o.get("updated_at"), ROADMAPS_PATH, where)
                if o.get("status") not in ("planned", "in_progress", "done", "cancelled"):
                    raise _bad(ROADMAPS_PATH, f"{where}: неизвестный статус «{o.get('status')}»")
                _need(o, "evidence", list, ROADMAPS_PATH, where)
    payload.roadmaps = roadmaps
    summary = _load(contents, SUMMARY_PATH, [])
    payload.summary = summary if isinstance(summary, list) else []
    payload.evidence = {p.split("/", 1)[1]: b for p, b in contents.items() if p.startswith("evidence/")}
    for sha, data in payload.evidence.items():
        if not re.fullmatch(r"[0-9a-f]{64}", sha) or hashlib.sha256(data).hexdigest() != sha:
            raise _bad(f"evidence/{sha}", "имя файла подтверждения должно быть его SHA-256")
    return payload
