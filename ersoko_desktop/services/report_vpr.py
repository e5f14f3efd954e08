"""ВПР analysis reports: (1) a school, (2) a municipality (all schools, objectivity signs with
evidence, ШНОР, ММУКО criteria dynamics). The figures come from ``services.indicators`` /
``services.objectivity`` / ``services.forms``; nothing is computed here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..db.models import Organization
from ..errors import WorkflowError
from ..reports import model


def _indicators():
    try:
        from . import indicators, objectivity
    except ImportError:
        raise WorkflowError("Расчёт показателей ВПР ещё не входит в эту версию программы: "
                            "отчёты school и municipal недоступны.") from None
    return indicators, objectivity


def build_school_report(session: Session, *, org: Organization, year: int | None) -> model.Report:
    _indicators()
    raise WorkflowError("Отчёт по школе ещё не подключён к расчёту показателей.")


def build_municipal_report(session: Session, *, org: Organization, year: int | None) -> model.Report:
    _indicators()
    raise WorkflowError("Муниципальный отчёт ещё не подключён к расчёту показателей.")
