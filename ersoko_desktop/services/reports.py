"""Printable reports (GUIDE: reports): choose the organization and period, build the content,
render it as PDF or XLSX. GUI, CLI and tests call :func:`generate_report`.

The content of each kind lives in its own module (``report_roadmap``, ``report_keycard``,
``report_vpr``); this one resolves the options. Files are written atomically (``fileio``), so a
failed or cancelled report never leaves a half-written file behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ..db.models import Organization
from ..errors import InputError
from ..progress import Progress
from ..reports import model
from ..settings import own_organization
from .orgs import get_org

KINDS = {
    "school": "анализ результатов ВПР школы",
    "municipal": "аналитический отчёт муниципалитета",
    "roadmap": "отчёт об исполнении дорожной карты",
    "keycard": "карточка открытого ключа",
}
FORMATS = ("pdf", "xlsx")


@dataclass(frozen=True)
class ReportResult:
    path: Path
    kind: str
    format: str
    org: str
    title: str
    period: str

    def as_dict(self) -> dict:
        return {"path": str(self.path), "kind": self.kind, "format": self.format, "org": self.org,
                "title": self.title, "period": self.period}


def resolve_org(session: Session, org_code: str | None) -> Organization:
    """The organization a report is about: ``--org`` or this database's own organization."""
    if org_code:
        return get_org(session, org_code)
    org = own_organization(session)
    if org is None:
        raise InputError("Не указана организация: задайте --org КОД или выберите свою организацию "
                         "(ersoko init --org КОД).")
    return org


def build_report(session: Session, *, kind: str, org_code: str | None = None, year: int | None = None,
                 today: dt.date | None = None) -> model.Report:
    """The content of a report, before rendering (tests read it directly)."""
    if kind not in KINDS:
        raise InputError(f"Неизвестный вид отчёта «{kind}»; ожидалось: {', '.join(KINDS)}.")
    if kind == "keycard":
        from .report_keycard import build_keycard_report

        return build_keycard_report(session, org_code=org_code)
    org = resolve_org(session, org_code)
    if kind == "roadmap":
        from .report_roadmap import build_roadmap_report

        return build_roadmap_report(session, org=org, year=year, today=today or dt.date.today())
    from . import report_vpr

    if kind == "school":
        return report_vpr.build_school_report(session, org=org, year=year)
    return report_vpr.build_municipal_report(session, org=org, year=year)


def generate_report(session: Session, *, kind: str, fmt: str, out: str | Path, org_code: str | None = None,
                    year: int | None = None, today: dt.date | None = None,
                    progress: Progress | None = None) -> ReportResult:
    """Build and write one report; the file appears only when it is complete."""
    progress = progress or Progress.none()
    if fmt not in FORMATS:
        raise InputError(f"Неизвестный формат отчёта «{fmt}»; ожидалось: pdf или xlsx.")
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"Папка для отчёта не существует: {out.parent}")
    progress.step(0.02, "Отчёт: сбор данных")
    report = build_report(session, kind=kind, org_code=org_code, year=year, today=today)
    progress.step(0.3, "Отчёт: оформление")
    if fmt == "pdf":
        from ..reports.pdf import render_pdf as render
    else:
        from ..reports.xlsx import render_xlsx as render
    render(report, out, progress=progress)  # atomic: the file appears only when complete
    return ReportResult(path=out, kind=kind, format=fmt, org=report.org_code, title=report.title, period=report.period)
