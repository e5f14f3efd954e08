"""Building real databases for package tests: a registry, an own organization, a key."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from sqlalchemy.engine import Engine

from ersoko_desktop.db import open_database, session_scope
from ersoko_desktop.db.models import Organization
from ersoko_desktop.settings import set_own_organization

# region R → municipalities M1, M2 → schools S1, S2 (M1) and S3 (M2)
REGISTRY = [("R", "Область", "region", None), ("M1", "Степной район", "municipality", "R"),
            ("M2", "Город", "municipality", "R"), ("S1", "СОШ №1", "school", "M1"),
            ("S2", "СОШ №2", "school", "M1"), ("S3", "СОШ №3", "school", "M2")]


# A real (minimal) form definition: the receiver re-checks incoming forms against it.
VSOKO_DEFINITION = {"id": "vsoko", "version": "1", "title": "Самообследование ВСОКО", "level": "school",
                    "period": "school_year",
                    "sections": [{"id": "main", "title": "Кадры", "fields": [
                        {"id": "f1", "type": "integer", "label": "Число педагогов", "required": True,
                         "min": 0, "max": 500}]}]}


def add_registry(session, rows=REGISTRY) -> None:
    by_code: dict[str, Organization] = {}
    for code, name, kind, parent in rows:
        org = Organization(code=code, name=name, kind=kind, parent=by_code.get(parent))
        session.add(org)
        by_code[code] = org
    session.flush()


def make_db(path: Path, own: str, *, key: bool = False, rows=REGISTRY):
    """A migrated SQLite database with the registry and its own organization (and key)."""
    engine = open_database(str(path))
    with session_scope(engine) as session:
        add_registry(session, rows)
        set_own_organization(session, own)
        if key:
            from ersoko_desktop.services.keys import init_key

            init_key(session)
    return engine


def fill_school(session, code: str, *, n: int = 20, year: int = 2025, subject: str = "Математика",
                evidence_dir: Path | None = None, comment: str | None = None) -> None:
    """Results, one ВСОКО form and a roadmap with an evidence file for school ``code``."""
    import datetime as dt
    import hashlib

    from sqlalchemy import select

    from ersoko_desktop.db.models import (
        Evidence,
        FormDefinition,
        FormSubmission,
        ParticipantResult,
        Procedure,
        Roadmap,
        RoadmapSection,
        RoadmapTask,
        TaskOccurrence,
    )

    school = session.scalar(select(Organization).where(Organization.code == code))
    proc = session.scalar(select(Procedure).where(Procedure.kind == "VPR", Procedure.subject == subject,
                                                  Procedure.grade == 5, Procedure.year == year))
    if proc is None:
        proc = Procedure(kind="VPR", subject=subject, grade=5, year=year, date=dt.date(year, 4, 15),
                         spec={"max_score": 10, "thresholds": {"3": 3, "4": 6, "5": 9}})
        session.add(proc)
        session.flush()
    for i in range(n):
        mark = 2 + i % 4
        session.add(ParticipantResult(procedure_id=proc.id, school_id=school.id, participant_code=f"{code}-{i:04d}",
                                      class_letter="А", variant="1", task_scores=[1, 0, None, 2],
                                      primary_score=float(3 + i % 7), mark=mark, journal_mark=mark,
                                      gender="м" if i % 2 else "ж"))
    definition = session.scalar(select(FormDefinition).where(FormDefinition.form_id == "vsoko"))
    if definition is None:
        definition = FormDefinition(form_id="vsoko", version="1", title="Самообследование ВСОКО", level="school",
                                    sha256="a" * 64, definition=VSOKO_DEFINITION)
        session.add(definition)
        session.flush()
    sub = FormSubmission(form_id="vsoko", definition_id=definition.id, org_id=school.id, period="2024/25",
                         status="submitted", values={"f1": 7}, comment=comment)
    session.add(sub)
    roadmap = Roadmap(title=f"Дорожная карта {code}", org_id=school.id, period="2024/25")
    section = RoadmapSection(position=0, number="I", title="Раздел")
    roadmap.sections.append(section)
    task = RoadmapTask(position=0, number="1.", title="Провести ВПР", deadline_text="апрель", deadline_kind="dated",
                       section=section)
    roadmap.tasks.append(task)
    occ = TaskOccurrence(start=dt.date(2025, 4, 1), end=dt.date(2025, 4, 30), status="done",
                         done_at=dt.date(2025, 4, 20), comment="проведено")
    task.occurrences.append(occ)
    session.add(roadmap)
    session.flush()
    if evidence_dir is not None:
        blob = f"протокол {code}".encode("utf-8")
        path = evidence_dir / f"{code}-protocol.txt"
        path.write_bytes(blob)
        session.add(Evidence(occurrence_id=occ.id, file_name="протокол.txt", sha256=hashlib.sha256(blob).hexdigest(),
                             stored_path=str(path), size=len(blob)))
    session.flush()


def exchange_keys(sender_engine, receiver_engine, tmp_path: Path, name: str) -> None:
    """Out-of-band enrolment: the sender's public key file is trusted by the receiver."""
    from ersoko_desktop.services.keys import export_public, trust_file

    path = tmp_path / f"{name}.pub.json"
    with session_scope(sender_engine) as s:
        export_public(s, out=path)
    with session_scope(receiver_engine) as s:
        trust_file(s, path)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text as poppler's pdftotext extracts it, whitespace runs collapsed to one space per line."""
    import subprocess

    pdf = tmp_path / "copy.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


class Chain(NamedTuple):
    """School S1 → municipality M1 (→ region R): real databases whose keys trust each other."""

    school: Engine
    muni: Engine
    region: Engine | None = None


def school_chain(tmp_path: Path, *, n: int, region: bool = False) -> Chain:
    """S1 filled by ``fill_school(n=…)``; M1 trusts S1's key; with ``region``, R trusts both S1 and M1."""
    school = make_db(tmp_path / "s.sqlite", "S1", key=True)
    muni = make_db(tmp_path / "m.sqlite", "M1", key=True)
    with session_scope(school) as s:
        fill_school(s, "S1", n=n)
    exchange_keys(school, muni, tmp_path, "s1")
    if not region:
        return Chain(school, muni)
    top = make_db(tmp_path / "r.sqlite", "R", key=True)
    exchange_keys(school, top, tmp_path, "s1r")
    exchange_keys(muni, top, tmp_path, "m1")
    return Chain(school, muni, top)
