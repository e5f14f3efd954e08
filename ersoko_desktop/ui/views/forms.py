"""Формы: the forms due in a period with their statuses, the editor generated from the definition,
the validation panel and the workflow buttons this organization is allowed to press."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...services import forms
from .. import tasks
from ..form_editor import FormEditor
from ..widgets import PageBase, hint_label

STATUS_COLORS = {"draft": "#52606d", "submitted": "#0b3d91", "approved": "#1e7b34", "returned": "#b42318",
                 None: "#9aa5b1"}


def _in_session(*, progress, ctx, call: Callable[..., Any], **kwargs) -> Any:
    """Run one service call in its own transaction (worker thread)."""
    with ctx.session() as session:
        return call(session, **kwargs)


def current_school_year(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


class Page(PageBase):
    title = "Формы ВСОКО и МСОКО"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Период:"))
        self.period = QComboBox()
        self.period.setEditable(True)
        self.period.setMinimumWidth(110)
        self.period.currentTextChanged.connect(lambda _t: self.reload_list())
        bar.addWidget(self.period)
        bar.addWidget(QLabel("Организация:"))
        self.org = QComboBox()
        self.org.setMinimumWidth(320)
        self.org.currentIndexChanged.connect(lambda _i: self.reload_list())
        bar.addWidget(self.org)
        bar.addStretch(1)
        self.body.addLayout(bar)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Код ОО", "Форма", "Состояние", "Заполнено"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_select)
        lv.addWidget(self.table, 1)
        self.reporting = hint_label("")
        self.reporting.setObjectName("reporting")
        lv.addWidget(self.reporting)
        splitter.addWidget(left)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(8, 0, 0, 0)
        self.header = QLabel("Выберите форму в списке слева.")
        self.header.setWordWrap(True)
        self.header.setStyleSheet("font-size: 12pt; font-weight: 600;")
        rv.addWidget(self.header)
        self.notice = hint_label("")
        self.notice.hide()
        rv.addWidget(self.notice)
        self.dynamics = QLabel()
        self.dynamics.setObjectName("dynamics")
        self.dynamics.setStyleSheet("color: #1e7b34; font-weight: 600;")
        self.dynamics.hide()
        rv.addWidget(self.dynamics)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        rv.addWidget(self.scroll, 1)
        rv.addWidget(QLabel("Проверка формы:"))
        self.panel = QListWidget()
        self.panel.setObjectName("validation_panel")
        self.panel.setMaximumHeight(110)
        rv.addWidget(self.panel)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Сохранить")
        self.submit_button = QPushButton("Отправить")
        self.approve_button = QPushButton("Принять")
        self.return_button = QPushButton("Вернуть на доработку…")
        self.upgrade_button = QPushButton("Перейти на новую версию")
        self.export_button = QPushButton("Экспорт в Excel…")
        self.import_button = QPushButton("Импорт из Excel…")
        # Two rows: seven buttons in one row made the list on the left too narrow at 1280 px.
        for b in (self.save_button, self.submit_button, self.approve_button, self.return_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        rv.addLayout(buttons)
        more = QHBoxLayout()
        for b in (self.upgrade_button, self.export_button, self.import_button):
            more.addWidget(b)
        more.addStretch(1)
        rv.addLayout(more)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([480, 720])
        self.body.addWidget(splitter, 1)

        for widget, tip in (
                (self.period, "Отчётный период: учебный год «2025/26» или календарный год «2025»"),
                (self.org, "Чьи формы показать: своя организация или подведомственные"),
                (self.save_button, "Сохранить черновик формы (Ctrl+S)"),
                (self.submit_button, "Отправить форму на проверку вышестоящей организации; после отправки "
                                     "она не редактируется"),
                (self.approve_button, "Принять отправленную форму подведомственной организации"),
                (self.return_button, "Вернуть форму на доработку с комментарием"),
                (self.upgrade_button, "Перенести значения в новую версию формы"),
                (self.export_button, "Сохранить форму как защищённый шаблон Excel для заполнения"),
                (self.import_button, "Загрузить заполненный шаблон Excel (с проверкой каждой ячейки)")):
            widget.setToolTip(tip)
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.clicked.connect(self.save)
        self.submit_button.clicked.connect(self.submit)
        self.approve_button.clicked.connect(self.approve)
        self.return_button.clicked.connect(self.return_form)
        self.upgrade_button.clicked.connect(self.upgrade)
        self.export_button.clicked.connect(self.export_xlsx)
        self.import_button.clicked.connect(self.import_xlsx)

        self.editor: FormEditor | None = None
        self.view: forms.SubmissionView | None = None
        self.rows: list[forms.StatusRow] = []
        self._selected: tuple[str, str] | None = None
        self._set_buttons(None, None)

    # -------------------------------------------------------------- loading

    def refresh(self) -> None:
        with self.ctx.session() as session:
            from sqlalchemy import select

            from ...db.models import AcademicYear
            from ...services.orgs import descendants, list_organizations
            from ...settings import own_organization

            labels = sorted(session.scalars(select(AcademicYear.label)), reverse=True)
            own = own_organization(session)
            orgs = descendants(session, own) if own else list_organizations(session)
            org_items = [(o.code, f"{o.name} ({o.code})") for o in orgs if o.kind != "school" or o is own]
            if own is not None and own.kind == "school":
                org_items = [(own.code, f"{own.name} ({own.code})")]
        current = current_school_year()
        years = sorted({lab[:4] for lab in labels} | {str(int(lab[:4]) + 1) for lab in labels}, reverse=True)
        periods = list(dict.fromkeys([current] + labels + years))
        keep_period, keep_org = self.period.currentText(), self.org.currentData()
        for w in (self.period, self.org):
            w.blockSignals(True)
        self.period.clear()
        self.period.addItems(periods)
        self.period.setCurrentText(keep_period or current)
        self.org.clear()
        self.org.addItem("Все организации" if not org_items else org_items[0][1], org_items[0][0] if org_items else None)
        for code, name in org_items[1:]:
            self.org.addItem(name, code)
        index = self.org.findData(keep_org)
        self.org.setCurrentIndex(max(index, 0))
        for w in (self.period, self.org):
            w.blockSignals(False)
        self.reload_list()

    def reload_list(self) -> None:
        period = self.period.currentText().strip()
        try:
            with self.ctx.session() as session:
                report = forms.form_status(session, period=period, org_code=self.org.currentData())
        except Exception as exc:  # noqa: BLE001 - a half-typed period is not an error worth a dialog
            self.rows = []
            self.table.setRowCount(0)
            self.reporting.setText(str(getattr(exc, "message", exc)))
            return
        self.rows = report.rows
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            status = QTableWidgetItem(r.as_dict()["status_ru"])
            status.setForeground(QColor(STATUS_COLORS.get(r.status, "#000000")))
            cells = [QTableWidgetItem(r.org_code), QTableWidgetItem(r.title), status,
                     QTableWidgetItem(f"{r.filled:.0f} %")]
            for j, item in enumerate(cells):
                item.setToolTip(f"{r.org_name}\n{r.title}" + (f"\nКомментарий: {r.comment}" if r.comment else ""))
                self.table.setItem(i, j, item)
        for column in (0, 2, 3):  # the form title gets the rest
            self.table.resizeColumnToContents(column)
        self.table.blockSignals(False)
        titles = {r.form_id: r.title for r in report.rows}
        lines = []
        for rate in report.reporting:
            pct = "—" if rate.completeness is None else f"{rate.completeness:.1f} %".replace(".", ",")
            missing = ", ".join(rate.not_submitted[:8]) + (" …" if len(rate.not_submitted) > 8 else "")
            lines.append(f"{titles.get(rate.form_id, rate.form_id)} ({rate.parent}): сдали {rate.submitted} из {rate.expected} ({pct})"
                         + (f"; не сдали: {missing}" if missing else ""))
        self.reporting.setText("\n".join(lines) or "")
        if self._selected:
            for i, r in enumerate(self.rows):
                if (r.org_code, r.form_id) == self._selected:
                    self.table.selectRow(i)
                    return
        self._clear_editor()

    def select(self, org_code: str, form_id: str) -> None:
        """Open one form (also used by tests and other pages)."""
        for i, r in enumerate(self.rows):
            if (r.org_code, r.form_id) == (org_code, form_id):
                self.table.selectRow(i)
                self._on_select()
                return
        raise KeyError((org_code, form_id))

    def _on_select(self) -> None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return
        r = self.rows[rows[0].row()]
        self._selected = (r.org_code, r.form_id)
        self.open_form(r.org_code, r.form_id)

    def open_form(self, org_code: str, form_id: str) -> None:
        period = self.period.currentText().strip()
        with self.ctx.session() as session:
            view = forms.open_submission(session, form_id=form_id, org_code=org_code, period=period)
            spec = forms.get_spec(session, form_id, view.version)
            perms = forms.permissions(session, org_code=org_code)
        self.view = view
        editable = view.editable and perms.may_edit
        editor = FormEditor(spec, view.values, read_only=not editable,
                            check_required=view.status not in (None, "draft"), evidence=view.evidence)
        editor.validated.connect(self._show_issues)
        editor.attach_requested.connect(self.attach)
        self.editor = editor
        self.scroll.setWidget(editor)
        status = view.status_ru + (f" — «{view.comment}»" if view.comment and view.status == "returned" else "")
        self.header.setText(f"{spec.title}\n{view.org_name} ({view.org_code}), {period}, версия {view.version}: "
                            f"{status}")
        if spec.mmuko_criterion:
            with self.ctx.session() as session:
                series = [c for c in forms.mmuko_criteria(session, org_code=org_code) if c.form_id == form_id]
            self.dynamics.setText("Динамика критерия " + spec.mmuko_criterion + ": " + " → ".join(
                f"{c.period} — {c.value:g} %".replace(".", ",") for c in series))
            self.dynamics.show()
        else:
            self.dynamics.hide()
        if view.newer is not None and view.newer.changed:
            self.notice.setText(f"Есть новая версия формы ({view.newer.new_version}): "
                                + "; ".join(view.newer.messages()))
            self.notice.show()
        else:
            self.notice.hide()
        self._show_issues(editor.result)
        self._set_buttons(view, perms)

    def _clear_editor(self) -> None:
        self.view = None
        self.editor = None
        self.scroll.takeWidget()
        self.panel.clear()
        self.header.setText("Выберите форму в списке слева.")
        self.notice.hide()
        self._set_buttons(None, None)

    def _set_buttons(self, view, perms) -> None:
        editable = bool(view and view.editable and perms and perms.may_edit)
        decide = bool(view and perms and perms.may_decide and view.status == "submitted")
        self.save_button.setVisible(editable)
        self.submit_button.setVisible(editable and view.status is not None)
        self.import_button.setVisible(editable)
        self.approve_button.setVisible(decide)
        self.return_button.setVisible(decide)
        self.upgrade_button.setVisible(bool(editable and view.newer is not None and view.newer.changed))
        self.export_button.setVisible(view is not None)

    def _show_issues(self, result) -> None:
        self.panel.clear()
        if result is None:
            return
        if not result.issues:
            self.panel.addItem(QListWidgetItem("Замечаний нет."))
            return
        for issue in result.issues:
            mark = "Ошибка" if issue.severity == "error" else "Предупреждение"
            item = QListWidgetItem(f"{mark}: {issue.message}")
            item.setData(Qt.ItemDataRole.UserRole, issue.field_id)
            item.setForeground(Qt.GlobalColor.darkRed if issue.severity == "error" else Qt.GlobalColor.darkYellow)
            self.panel.addItem(item)

    # -------------------------------------------------------------- actions

    def _target(self) -> dict:
        assert self.view is not None
        return {"form_id": self.view.form_id, "org_code": self.view.org_code, "period": self.view.period}

    def _run(self, fn, title: str, **kwargs) -> tasks.Task:
        return tasks.run(self, _in_session, ctx=self.ctx, call=fn, title=title, on_done=self._after, **kwargs)

    def _after(self, _result=None) -> None:
        self.reload_list()
        if self._selected:
            self.open_form(*self._selected)
        self.ctx.data_changed()

    def save(self) -> tasks.Task | None:
        if self.view is None or self.editor is None:
            return None
        return self._run(forms.save_values, "Сохранение формы", values=self.editor.raw_values(), **self._target())

    def submit(self) -> tasks.Task | None:
        if self.view is None or self.editor is None:
            return None

        def save_and_submit(session, *, values, **target):
            forms.save_values(session, values=values, **target)
            return forms.submit(session, **target)

        return self._run(save_and_submit, "Отправка формы", values=self.editor.raw_values(), **self._target())

    def approve(self) -> tasks.Task | None:
        if self.view is None:
            return None
        return self._run(forms.approve, "Приём формы", **self._target())

    def return_form(self, comment: str | None = None) -> tasks.Task | None:
        if self.view is None:
            return None
        if comment is None:
            comment, ok = QInputDialog.getMultiLineText(self, "Вернуть на доработку", "Что нужно исправить:")
            if not ok:
                return None
        return self._run(forms.return_submission, "Возврат формы", comment=comment, **self._target())

    def upgrade(self) -> tasks.Task | None:
        if self.view is None:
            return None
        return self._run(forms.upgrade_submission, "Переход на новую версию", **self._target())

    def export_xlsx(self, path: str | None = None) -> tasks.Task | None:
        if self.view is None:
            return None
        if path is None:
            suggested = f"{self.view.form_id}_{self.view.org_code}_{self.view.period.replace('/', '-')}.xlsx"
            path, _ = QFileDialog.getSaveFileName(self, "Экспорт формы в Excel", suggested, "Excel (*.xlsx)")
            if not path:
                return None
        return tasks.run(self, _in_session, ctx=self.ctx, call=forms.export_xlsx, title="Экспорт в Excel",
                         out=path, **self._target())

    def import_xlsx(self, path: str | None = None) -> tasks.Task | None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Импорт заполненной формы", "", "Excel (*.xlsx)")
            if not path:
                return None
        return self._run(forms.import_xlsx, "Импорт из Excel", path=path)

    def attach(self, field_id: str, path: str | None = None) -> tasks.Task | None:
        if self.view is None:
            return None
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Подтверждающий документ", "")
            if not path:
                return None
        return self._run(forms.attach_evidence, "Прикрепление документа", field_id=field_id, path=path,
                         **self._target())
