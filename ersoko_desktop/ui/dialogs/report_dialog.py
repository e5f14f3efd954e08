"""«Отчёты»: choose the kind, format, organization, year and file; the report is built in the
worker (``ui.tasks.run``) by the same service the CLI calls. Pages can open it with a kind
preset: ``ReportDialog(ctx, parent, kind="roadmap").exec()``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QWidget,
)

from ...services.reports import KINDS, ReportResult, generate_report
from .. import tasks

FORMAT_FILTERS = {"pdf": "Документ PDF (*.pdf)", "xlsx": "Книга Excel (*.xlsx)"}
DEFAULT_NAMES = {"school": "Анализ ВПР", "municipal": "Аналитический отчёт", "roadmap": "Исполнение дорожной карты",
                 "keycard": "Карточка ключа"}


@dataclass(frozen=True)
class ReportRequest:
    """What the dialog asks the service for (a plain object: tests and pages build it directly)."""

    kind: str
    fmt: str
    out: Path
    org_code: str | None = None
    year: int | None = None


def run_report(ctx, request: ReportRequest, *, progress=None) -> ReportResult:
    """Worker-thread body: one session, one service call."""
    with ctx.session() as session:
        return generate_report(session, kind=request.kind, fmt=request.fmt, out=request.out,
                               org_code=request.org_code, year=request.year, progress=progress)


class ReportDialog(QDialog):
    def __init__(self, ctx, parent: QWidget | None = None, *, kind: str | None = None, year: int | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.result_report: ReportResult | None = None
        self.task: tasks.Task | None = None
        self.setWindowTitle("Отчёты")
        self.setMinimumWidth(560)
        form = QFormLayout(self)
        self.kind = QComboBox()
        for key, title in KINDS.items():
            self.kind.addItem(title[:1].upper() + title[1:], key)
        if kind in KINDS:
            self.kind.setCurrentIndex(list(KINDS).index(kind))
        form.addRow("Вид отчёта:", self.kind)
        self.pdf = QRadioButton("PDF (для печати)")
        self.xlsx = QRadioButton("Excel (таблицы)")
        self.pdf.setChecked(True)
        formats = QHBoxLayout()
        formats.addWidget(self.pdf)
        formats.addWidget(self.xlsx)
        formats.addStretch(1)
        form.addRow("Формат:", formats)
        self.org = QComboBox()
        self.org.setToolTip("Организация, о которой отчёт (по умолчанию — своя)")
        form.addRow("Организация:", self.org)
        self.year = QComboBox()
        self.year.setToolTip("Год проведения процедур; дорожная карта — год сроков")
        form.addRow("Год:", self.year)
        self.path = QLineEdit()
        browse = QPushButton("Обзор…")
        browse.clicked.connect(self.choose_file)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("Файл:", row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.make_button = self.buttons.addButton("Сформировать", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.generate)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._fill_choices()
        if year is not None and self.year.findData(year) >= 0:
            self.year.setCurrentIndex(self.year.findData(year))
        self.kind.currentIndexChanged.connect(self._suggest_path)
        self.pdf.toggled.connect(self._suggest_path)
        self._suggest_path()

    def _fill_choices(self) -> None:
        from sqlalchemy import func, select

        from ...db.models import Organization, Procedure
        from ...settings import own_organization

        with self.ctx.session() as session:
            own = own_organization(session)
            orgs = list(session.execute(select(Organization.code, Organization.name, Organization.kind)
                                        .order_by(Organization.kind.desc(), Organization.code)))
            years = [y for (y,) in session.execute(select(func.distinct(Procedure.year)).order_by(Procedure.year.desc()))]
        self.org.addItem("Своя организация" + (f" — {own.name}" if own else ""), None)
        for code, name, _kind in orgs:
            self.org.addItem(f"{code} — {name}", code)
        self.year.addItem("Не выбран (ВПР — последний год, дорожная карта — весь период)", None)
        for y in years:
            self.year.addItem(str(y), int(y))

    def fmt(self) -> str:
        return "pdf" if self.pdf.isChecked() else "xlsx"

    def _suggest_path(self) -> None:
        current = Path(self.path.text()) if self.path.text() else None
        folder = current.parent if current else Path.home()
        name = f"{DEFAULT_NAMES[self.kind.currentData()]} {dt.date.today():%Y-%m-%d}.{self.fmt()}"
        self.path.setText(str(folder / name))

    def choose_file(self) -> None:
        chosen, _filter = QFileDialog.getSaveFileName(self, "Сохранить отчёт", self.path.text(),
                                                      FORMAT_FILTERS[self.fmt()])
        if chosen:
            if not chosen.lower().endswith("." + self.fmt()):
                chosen += "." + self.fmt()
            self.path.setText(chosen)

    def request(self) -> ReportRequest:
        return ReportRequest(kind=self.kind.currentData(), fmt=self.fmt(), out=Path(self.path.text().strip()),
                             org_code=self.org.currentData(), year=self.year.currentData())

    def generate(self) -> None:
        request = self.request()
        if not self.path.text().strip():
            QMessageBox.warning(self, "Отчёты", "Укажите файл, в который сохранить отчёт.")
            return
        self.make_button.setEnabled(False)
        self.task = tasks.run(self, run_report, title="Формирование отчёта", ctx=self.ctx, request=request,
                              on_done=self._done, on_error=self._failed)

    def _done(self, result: ReportResult) -> None:
        self.result_report = result
        self.make_button.setEnabled(True)
        box = QMessageBox(QMessageBox.Icon.Information, "Отчёт готов",
                          f"«{result.title}» ({result.period}) сохранён:\n{result.path}", parent=self)
        open_button = box.addButton("Открыть", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Закрыть", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is open_button:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(result.path)))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.make_button.setEnabled(True)
        tasks.show_error(self, exc)


def analysis_kind(ctx) -> str:
    """The analysis report that fits this database's own organization: a school's ВПР analysis, otherwise
    the municipal/regional one."""
    from ...settings import own_organization

    with ctx.session() as session:
        own = own_organization(session)
        return "school" if own is not None and own.kind == "school" else "municipal"
