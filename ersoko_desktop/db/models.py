"""The data model of GUIDE §3. Every table lives here, also those later features fill.

Children are never named: a participant is a code. Dates are ``date``; timestamps are UTC.
No ``from __future__ import annotations`` here: with real annotation objects SQLAlchemy need not
eval() some 300 annotation strings at import, a fifth of this module's share of the GUI start.
Refer to a class defined further down in quotes (``Mapped["Evidence"]``).
"""

import datetime as dt
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


ORG_KINDS = ("region", "municipality", "school")


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))  # region | municipality | school
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    inn: Mapped[Optional[str]] = mapped_column(String(12))
    ogrn: Mapped[Optional[str]] = mapped_column(String(15))

    parent: Mapped[Optional["Organization"]] = relationship(remote_side="Organization.id", back_populates="children")
    children: Mapped[list["Organization"]] = relationship(back_populates="parent")


class AppSetting(Base):
    """Per-database settings, e.g. ``own_org`` — the organization this database acts for."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AcademicYear(Base):
    __tablename__ = "academic_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(7), unique=True)  # "2024/25"
    start: Mapped[dt.date] = mapped_column(Date)  # 1 September
    end: Mapped[dt.date] = mapped_column(Date)  # 31 August


class Procedure(Base):
    """One assessment: kind (VPR, OGE, EGE, RDR, SCHOOL) × subject × grade × calendar year."""

    __tablename__ = "procedure"
    __table_args__ = (UniqueConstraint("kind", "subject", "grade", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    grade: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    date: Mapped[Optional[dt.date]] = mapped_column(Date)
    spec: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)  # task max scores, levels, thresholds

    results: Mapped[list["ParticipantResult"]] = relationship(back_populates="procedure")


class ImportBatch(Base):
    """One imported results file: its sha256 makes a second import of the same file a no-op."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default="results")
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    procedure_id: Mapped[Optional[int]] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"), index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    imported_by: Mapped[Optional[str]] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)


class ParticipantResult(Base):
    __tablename__ = "participant_result"
    __table_args__ = (
        UniqueConstraint("procedure_id", "school_id", "participant_code"),
        Index("ix_participant_result_school_procedure", "school_id", "procedure_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"))
    participant_code: Mapped[str] = mapped_column(String(64))
    class_letter: Mapped[Optional[str]] = mapped_column(String(20))
    variant: Mapped[Optional[str]] = mapped_column(String(20))
    task_scores: Mapped[Optional[list[Any]]] = mapped_column(JSON)  # list of scores (None = not done)
    primary_score: Mapped[Optional[float]] = mapped_column(Float)
    mark: Mapped[Optional[int]] = mapped_column(Integer)
    journal_mark: Mapped[Optional[int]] = mapped_column(Integer)
    gender: Mapped[Optional[str]] = mapped_column(String(1))
    batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"), index=True)

    procedure: Mapped[Procedure] = relationship(back_populates="results")
    school: Mapped[Organization] = relationship()


class ResultStatsBlock(Base):
    """Cache: the results of one school × procedure reduced to the statistics the indicator engine
    needs (``domain.indicators.stats``). ``data`` NULL = stale: the results changed since (writers
    call ``services.result_stats.invalidate``, which also bumps ``generation`` so a reader that
    computed from older rows cannot store them). Derived data — safe to delete at any time."""

    __tablename__ = "result_stats"
    __table_args__ = (UniqueConstraint("procedure_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rows: Mapped[Optional[int]] = mapped_column(Integer)  # results the statistics were computed from
    classes: Mapped[Optional[str]] = mapped_column(Text)  # JSON list of class letters
    data: Mapped[Optional[bytes]] = mapped_column(LargeBinary)  # float64 statistics, see stats.block_payload
    computed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)


class FormDefinition(Base):
    __tablename__ = "form_definition"
    __table_args__ = (UniqueConstraint("form_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    level: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class FormSubmission(Base):
    __tablename__ = "form_submission"
    __table_args__ = (UniqueConstraint("form_id", "org_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100))
    definition_id: Mapped[int] = mapped_column(ForeignKey("form_definition.id", ondelete="RESTRICT"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(20))  # "2024/25" or "2024"
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft|submitted|approved|returned
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    definition: Mapped[FormDefinition] = relationship()
    org: Mapped[Organization] = relationship()


class Roadmap(Base):
    __tablename__ = "roadmap"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    org_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    period: Mapped[str] = mapped_column(String(20))  # "2018-2020" or "2022/23"
    source_name: Mapped[Optional[str]] = mapped_column(String(500))
    source_sha256: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order within the source document
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    sections: Mapped[list["RoadmapSection"]] = relationship(
        back_populates="roadmap", cascade="all, delete-orphan", order_by="RoadmapSection.position"
    )
    tasks: Mapped[list["RoadmapTask"]] = relationship(
        back_populates="roadmap", cascade="all, delete-orphan", order_by="RoadmapTask.position"
    )


class RoadmapSection(Base):
    __tablename__ = "roadmap_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmap.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[Optional[str]] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(Text, default="")

    roadmap: Mapped[Roadmap] = relationship(back_populates="sections")


class RoadmapTask(Base):
    __tablename__ = "roadmap_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmap.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[Optional[int]] = mapped_column(ForeignKey("roadmap_section.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[Optional[str]] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(Text)
    deadline_text: Mapped[Optional[str]] = mapped_column(Text)
    deadline_kind: Mapped[str] = mapped_column(String(20), default="unknown")  # dated|continuous|event|unknown
    executors: Mapped[Optional[str]] = mapped_column(Text)
    participants: Mapped[Optional[str]] = mapped_column(Text)
    expected_result: Mapped[Optional[str]] = mapped_column(Text)
    recurrence: Mapped[Optional[str]] = mapped_column(String(100))
    years: Mapped[Optional[list[Any]]] = mapped_column(JSON)  # year columns restricting the task

    roadmap: Mapped[Roadmap] = relationship(back_populates="tasks")
    section: Mapped[Optional[RoadmapSection]] = relationship()
    occurrences: Mapped[list["TaskOccurrence"]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskOccurrence.start"
    )


class TaskOccurrence(Base):
    __tablename__ = "task_occurrence"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("roadmap_task.id", ondelete="CASCADE"), index=True)
    start: Mapped[Optional[dt.date]] = mapped_column(Date)
    end: Mapped[Optional[dt.date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")  # planned|in_progress|done|cancelled
    done_at: Mapped[Optional[dt.date]] = mapped_column(Date)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    task: Mapped[RoadmapTask] = relationship(back_populates="occurrences")
    evidence: Mapped[list["Evidence"]] = relationship(back_populates="occurrence", cascade="all, delete-orphan")


class Evidence(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[Optional[int]] = mapped_column(ForeignKey("task_occurrence.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("form_submission.id", ondelete="CASCADE"), index=True)
    field_id: Mapped[Optional[str]] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    occurrence: Mapped[Optional[TaskOccurrence]] = relationship(back_populates="evidence")


class SigningKey(Base):
    """This database's own Ed25519 keys; the private half lives in the user profile, not here."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(100), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_file: Mapped[Optional[str]] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="active")
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class TrustedKey(Base):
    __tablename__ = "trusted_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(String(64), index=True)
    fingerprint: Mapped[str] = mapped_column(String(100), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    role: Mapped[str] = mapped_column(String(20))  # school | municipality | region
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | retired | revoked
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[Optional[str]] = mapped_column(Text)


class PackageLog(Base):
    __tablename__ = "package_log"
    __table_args__ = (
        Index("ix_package_log_sender_seq", "sender_fingerprint", "seq"),
        # A package is imported once, also when two analysts import it at the same moment on the server.
        Index("uq_package_log_imported_package_id", "package_id", unique=True,
              sqlite_where=text("direction = 'import' AND result = 'ok'"),
              postgresql_where=text("direction = 'import' AND result = 'ok'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(10))  # export | import | verify
    package_id: Mapped[Optional[str]] = mapped_column(String(36), index=True)
    sender_org: Mapped[Optional[str]] = mapped_column(String(64))
    sender_fingerprint: Mapped[Optional[str]] = mapped_column(String(100))
    recipient_org: Mapped[Optional[str]] = mapped_column(String(64))
    seq: Mapped[Optional[int]] = mapped_column(Integer)
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    file_name: Mapped[Optional[str]] = mapped_column(String(500))
    result: Mapped[str] = mapped_column(String(20))  # ok | refused | duplicate | error
    message: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[Optional[str]] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[Optional[str]] = mapped_column(String(100))
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
