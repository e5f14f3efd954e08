"""Read-side queries for the results page (paged, never all rows at once)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import Organization, ParticipantResult, Procedure

PROCEDURE_NAMES = {"VPR": "ВПР", "OGE": "ОГЭ", "EGE": "ЕГЭ", "RDR": "РДР", "SCHOOL": "Школьная"}


@dataclass(frozen=True)
class ProcedureItem:
    id: int
    kind: str
    subject: str
    grade: int
    year: int

    @property
    def label(self) -> str:
        return f"{PROCEDURE_NAMES.get(self.kind, self.kind)} {self.year} · {self.subject} · {self.grade} класс"


def list_procedures(session: Session) -> list[ProcedureItem]:
    rows = session.execute(
        select(Procedure.id, Procedure.kind, Procedure.subject, Procedure.grade, Procedure.year)
        .order_by(Procedure.year.desc(), Procedure.kind, Procedure.subject, Procedure.grade)
    )
    return [ProcedureItem(*r) for r in rows]


def count_results(session: Session, *, procedure_id: int) -> int:
    return session.scalar(select(func.count()).select_from(ParticipantResult).where(ParticipantResult.procedure_id == procedure_id)) or 0


def fetch_results(session: Session, *, procedure_id: int, offset: int, limit: int) -> list[tuple]:
    stmt = (
        select(Organization.code, ParticipantResult.participant_code, ParticipantResult.class_letter,
               ParticipantResult.variant, ParticipantResult.task_scores, ParticipantResult.primary_score,
               ParticipantResult.mark, ParticipantResult.journal_mark)
        .join(Organization, ParticipantResult.school_id == Organization.id)
        .where(ParticipantResult.procedure_id == procedure_id)
        .order_by(ParticipantResult.id)
        .offset(offset)
        .limit(limit)
    )
    return [tuple(r) for r in session.execute(stmt)]
