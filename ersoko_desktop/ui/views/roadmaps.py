"""Дорожные карты: tree of sections → tasks → occurrences with status colours, a timeline of
the coming months, the import wizard, status editing and evidence files. Every change is one
service call (services.roadmaps); this page only shows and asks."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...errors import ErsokoError
from ...services import roadmaps as svc
from .. import tasks
from ..widgets import PageBase, hint_label

COLOURS = {
    "done": "#d9f2dc",
    "in_progress": "#dbe8fb",
    "cancelled": "#e4e7eb",
    "overdue": "#fbd5d3",
    "soon": "#fff1c2",
}
MONTHS_AHEAD = 6
LONG_SPAN_DAYS = 92  # a quarter; longer spans (постоянно, ежегодно) would fill every month
SHORT_STATUS = {"planned": "план", "in_progress": "в работе", "done": "выполнено", "cancelled": "отменено"}
MONTH_NAMES = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
OCC_ROLE = Qt.ItemDataRole.UserRole


def occurrence_colour(status: str, start: dt.date | None, end: dt.date | None, today: dt.date) -> str | None:
    """Background of an occurrence: done / in progress / cancelled / overdue / due within 14 days."""
    if status in ("done", "cancelled"):
        return COLOURS[status]
    if end is not None and end < today:
        return COLOURS["overdue"]
    if status == "in_progress":
        return COLOURS["in_progress"]
    if end is not None and (end - today).days <= svc.DUE_SOON_DAYS:
        return COLOURS["soon"]
    return None


def _span(start: dt.date | None, end: dt.date | None) -> str:
    if start is None:
        return "без даты"
    if start == end:
        return start.strftime("%d.%m.%Y")
    return f"{start.strftime('%d.%m.%Y')} – {end.strftime('%d.%m.%Y')}" if end else start.strftime("%d.%m.%Y")


class Page(PageBase):
    title = "Дорожные карты"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.today = dt.date.today()
        self.current_occurrence: int | None = None
        self._fixed_today: dt.date | None = None

        bar = QHBoxLayout()
        self.import_button = QPushButton("Импорт дорожной карты…")
        self.import_button.setToolTip("Загрузить дорожную карту из DOCX, XLSX, CSV или TXT (Ctrl+O)")
        self.import_button.setShortcut("Ctrl+O")
        self.import_button.clicked.connect(self.open_import)
        bar.addWidget(self.import_button)
        bar.addWidget(QLabel("Дорожная карта:"))
        self.roadmap_combo = QComboBox()
        self.roadmap_combo.setMinimumWidth(360)
        self.roadmap_combo.setToolTip("Какую дорожную карту показать")
        self.roadmap_combo.currentIndexChanged.connect(self.reload)
        bar.addWidget(self.roadmap_combo, 1)
        self.delete_button = QPushButton("Удалить…")
        self.delete_button.setToolTip("Удалить выбранную дорожную карту вместе с отметками об исполнении")
        self.delete_button.clicked.connect(self.delete_selected)
        bar.addWidget(self.delete_button)
        self.report_button = QPushButton("Отчёт…")
        self.report_button.setToolTip("Отчёт об исполнении дорожной карты и перечень подтверждающих документов "
                                      "(PDF или Excel)")
        self.report_button.clicked.connect(self.open_report)
        bar.addWidget(self.report_button)
        self.body.addLayout(bar)
        # The filters get their own row: in one row with the actions they overlapped at 1280 px.
        bar = QHBoxLayout()
        self.mine = QCheckBox("Мои задачи")
        self.mine.setToolTip("Только мероприятия, где среди исполнителей — организация этой базы")
        self.mine.toggled.connect(self.reload)
        bar.addWidget(self.mine)
        self.executor = QLineEdit()
        self.executor.setPlaceholderText("например, методический")
        self.executor.setMinimumWidth(220)
        self.executor.setToolTip("Показать только мероприятия, в исполнителях которых есть этот текст (Enter — применить)")
        self.executor.setClearButtonEnabled(True)
        self.executor.editingFinished.connect(self.reload)
        caption = QLabel("Исполнитель:")
        caption.setBuddy(self.executor)
        bar.addWidget(caption)
        bar.addWidget(self.executor)
        bar.addStretch(1)
        self.body.addLayout(bar)
        from ..remember import Remember

        self.remember = Remember(ctx, "roadmaps")
        self.remember.combo("roadmap", self.roadmap_combo)
        self.remember.check("mine", self.mine)
        self.remember.line("executor", self.executor)
        self.import_label = hint_label("")
        self.import_label.setVisible(False)  # shown after an import
        self.body.addWidget(self.import_label)
        self.progress_label = QLabel()
        self.progress_label.setProperty("role", "hint")
        self.body.addWidget(self.progress_label)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.tabs = QTabWidget()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["№ / мероприятие / срок", "Срок по документу", "Исполнители", "Статус",
                                   "Выполнено", "Файлы"])
        # At 1280 px the editor panel takes ~300 px: the status column must still be visible.
        self.tree.setColumnWidth(0, 310)
        self.tree.setColumnWidth(1, 120)
        self.tree.setColumnWidth(2, 130)
        self.tree.setColumnWidth(3, 130)
        self.tree.setAlternatingRowColors(False)
        self.tree.currentItemChanged.connect(self._select)
        self.tabs.addTab(self.tree, "Мероприятия")
        timeline_page = QWidget()
        timeline_layout = QVBoxLayout(timeline_page)
        timeline_layout.setContentsMargins(0, 4, 0, 0)
        self.long_spans = QCheckBox("Показывать длительные сроки (постоянно, ежегодно, больше 3 месяцев)")
        self.long_spans.setToolTip("Иначе на шкале видны только сроки до трёх месяцев")
        self.long_spans.toggled.connect(self.reload)
        timeline_layout.addWidget(self.long_spans)
        self.timeline = QTableWidget()
        self.timeline.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.timeline.cellClicked.connect(self._timeline_clicked)
        timeline_layout.addWidget(self.timeline, 1)
        self.tabs.addTab(timeline_page, "Ближайшие месяцы")
        self.remember.check("long_spans", self.long_spans)
        self.remember.tabs("tab", self.tabs)
        split.addWidget(self.tabs)
        split.addWidget(self._build_editor())
        split.setSizes([900, 330])
        self.body.addWidget(split, 1)
        self.body.addWidget(hint_label(
            "Цвета: зелёный — выполнено, синий — в работе, красный — просрочено, жёлтый — срок в ближайшие "
            "14 дней, серый — отменено. Мероприятия «по мере необходимости» сроков не имеют и не просрочиваются."))

    # ------------------------------------------------------------ editor panel

    def _build_editor(self) -> QWidget:
        box = QGroupBox("Исполнение")
        form = QFormLayout(box)
        self.editor_title = QLabel("Выберите срок мероприятия в дереве.")
        self.editor_title.setWordWrap(True)
        form.addRow(self.editor_title)
        self.status_combo = QComboBox()
        for code in svc.STATUSES:
            self.status_combo.addItem(svc.STATUS_LABELS[code], code)
        self.status_combo.setToolTip("Состояние выбранного срока мероприятия")
        self.status_combo.currentIndexChanged.connect(self._status_changed)
        form.addRow("Статус:", self.status_combo)
        self.done_date = QDateEdit()
        self.done_date.setCalendarPopup(True)
        self.done_date.setDisplayFormat("dd.MM.yyyy")
        self.done_date.setDate(dt.date.today())
        self.done_date.setToolTip("Когда мероприятие выполнено (для статуса «выполнено»)")
        form.addRow("Дата выполнения:", self.done_date)
        self.comment = QPlainTextEdit()
        self.comment.setMaximumHeight(90)
        self.comment.setToolTip("Что сделано, ссылки на приказы и справки")
        self.comment.setTabChangesFocus(True)
        form.addRow("Комментарий:", self.comment)
        self.save_button = QPushButton("Сохранить")
        self.save_button.setToolTip("Сохранить статус, дату и комментарий (Ctrl+S)")
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.clicked.connect(self.save_status)
        form.addRow(self.save_button)
        self.evidence_list = QListWidget()
        self.evidence_list.itemDoubleClicked.connect(lambda item: self.open_evidence(item))
        form.addRow("Подтверждения:", self.evidence_list)
        row = QHBoxLayout()
        self.attach_button = QPushButton("Прикрепить файл…")
        self.attach_button.setToolTip("Прикрепить подтверждающий документ (копия хранится в папке данных)")
        self.attach_button.clicked.connect(self.attach_file)
        self.open_button = QPushButton("Открыть")
        self.open_button.setToolTip("Открыть выбранный подтверждающий документ")
        self.open_button.clicked.connect(lambda: self.open_evidence(self.evidence_list.currentItem()))
        row.addWidget(self.attach_button)
        row.addWidget(self.open_button)
        form.addRow(row)
        self._set_editor_enabled(False)
        return box

    def _set_editor_enabled(self, on: bool) -> None:
        for w in (self.status_combo, self.done_date, self.comment, self.save_button, self.attach_button,
                  self.open_button, self.evidence_list):
            w.setEnabled(on)

    def _status_changed(self) -> None:
        self.done_date.setEnabled(self.current_occurrence is not None and self.status_combo.currentData() == "done")

    # ------------------------------------------------------------ loading

    def refresh(self) -> None:
        current = self.roadmap_combo.currentData()
        with self.ctx.session() as session:
            items = [(rm.id, f"{rm.title} ({rm.period})") for rm in svc.load_roadmaps(session)]
        self.roadmap_combo.blockSignals(True)
        self.roadmap_combo.clear()
        self.roadmap_combo.addItem("Все дорожные карты", None)
        for rid, label in items:
            self.roadmap_combo.addItem(label, rid)
        index = self.roadmap_combo.findData(current)
        self.roadmap_combo.setCurrentIndex(index if index >= 0 else 0)
        self.remember.restore(quiet=True)  # the first time: the roadmap and filters chosen last time
        self.roadmap_combo.blockSignals(False)
        self.reload()

    def open_report(self):
        from ..dialogs.report_dialog import ReportDialog

        dialog = ReportDialog(self.ctx, self, kind="roadmap")
        dialog.open()
        return dialog

    def delete_selected(self) -> bool:
        rid = self.roadmap_combo.currentData()
        if rid is None:
            return False
        answer = QMessageBox.question(
            self, "Удалить дорожную карту",
            f"Удалить «{self.roadmap_combo.currentText()}» со всеми сроками, отметками и подтверждениями?")
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            with self.ctx.session() as session:
                svc.delete_roadmap(session, roadmap_id=rid)
        except ErsokoError as exc:
            tasks.show_error(self, exc)
            return False
        self.ctx.data_changed()
        self.refresh()
        return True

    def reload(self) -> None:
        self.today = self._fixed_today or dt.date.today()
        rid = self.roadmap_combo.currentData()
        self.delete_button.setEnabled(rid is not None)
        keep = self.current_occurrence
        self.tree.blockSignals(True)
        self.tree.clear()
        try:
            with self.ctx.session() as session:
                accept = svc.task_filter(session, executor=self.executor.text().strip() or None,
                                         mine=self.mine.isChecked())
                roadmaps = svc.load_roadmaps(session, roadmap_id=rid)
                self._fill_tree(roadmaps, accept)
                self._fill_timeline(roadmaps, accept)
                self._show_progress(roadmaps)
        except ErsokoError as exc:
            self.mine.blockSignals(True)
            self.mine.setChecked(False)
            self.mine.blockSignals(False)
            QMessageBox.warning(self, "Дорожные карты", str(exc))
        finally:
            self.tree.blockSignals(False)
        self._reselect(keep)

    def set_today(self, today: dt.date) -> None:
        """Show the page as of another day (tests, «what will be overdue»)."""
        self._fixed_today = today
        self.reload()

    def _show_progress(self, roadmaps) -> None:
        done = due = overdue = 0
        for rm in roadmaps:
            p = svc.roadmap_progress(rm, self.today)
            done, due, overdue = done + p.done, due + p.due, overdue + p.overdue
        if not roadmaps:
            self.progress_label.setText("Дорожных карт пока нет — загрузите приказ кнопкой «Импорт дорожной карты…».")
            return
        pct = f"{100.0 * done / due:.0f} %" if due else "—"
        self.progress_label.setText(f"Выполнено {done} из {due} наступивших сроков ({pct}); просрочено: {overdue}.")

    def _fill_tree(self, roadmaps, accept) -> None:
        for rm in roadmaps:
            p = svc.roadmap_progress(rm, self.today)
            pct = f"{p.percent:.0f} %" if p.percent is not None else "—"
            top = QTreeWidgetItem([f"{rm.title} ({rm.period})", "", "", f"выполнено {pct}", "", ""])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            section_items: dict[int | None, QTreeWidgetItem] = {}
            labels = {s.id: svc.section_label(s.number, s.title) for s in rm.sections}
            for task in rm.tasks:
                if not accept(task):
                    continue
                parent = section_items.get(task.section_id)
                if parent is None:
                    parent = QTreeWidgetItem([labels.get(task.section_id) or "(без раздела)"])
                    top.addChild(parent)
                    section_items[task.section_id] = parent
                title = task.title.splitlines()[0] if task.title else ""
                t_item = QTreeWidgetItem([f"{task.number or '•'} {title}", (task.deadline_text or "").replace("\n", " "),
                                          task.executors or "", "", "", ""])
                t_item.setToolTip(0, task.title)
                parent.addChild(t_item)
                for occ in task.occurrences:
                    o_item = QTreeWidgetItem([_span(occ.start, occ.end), "", "", svc.STATUS_LABELS[occ.status]
                                              + (" (просрочено)" if svc.is_overdue(occ, self.today) else ""),
                                              occ.done_at.strftime("%d.%m.%Y") if occ.done_at else "",
                                              str(len(occ.evidence)) if occ.evidence else ""])
                    o_item.setData(0, OCC_ROLE, occ.id)
                    colour = occurrence_colour(occ.status, occ.start, occ.end, self.today)
                    if colour:
                        for col in range(6):
                            o_item.setBackground(col, QBrush(QColor(colour)))
                    t_item.addChild(o_item)
                if len(task.occurrences) <= 3:
                    t_item.setExpanded(True)
            top.setExpanded(True)
            for item in section_items.values():
                item.setExpanded(True)

    def month_window(self) -> list[tuple[int, int]]:
        y, m = self.today.year, self.today.month
        out = []
        for _ in range(MONTHS_AHEAD):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def _fill_timeline(self, roadmaps, accept) -> None:
        months = self.month_window()
        first = dt.date(*months[0], 1)
        last_y, last_m = months[-1]
        last = (dt.date(last_y + 1, 1, 1) if last_m == 12 else dt.date(last_y, last_m + 1, 1)) - dt.timedelta(days=1)
        rows = []
        for rm in roadmaps:
            for task in rm.tasks:
                if not accept(task):
                    continue
                occs = [o for o in task.occurrences if o.start is not None and o.end is not None
                        and o.start <= last and o.end >= first
                        and (self.long_spans.isChecked() or (o.end - o.start).days <= LONG_SPAN_DAYS)]
                overdue = [o for o in task.occurrences if svc.is_overdue(o, self.today)]
                if occs or overdue:
                    rows.append((task, occs, bool(overdue)))
        self.timeline.clear()
        self.timeline.setRowCount(len(rows))
        self.timeline.setColumnCount(len(months) + 1)
        self.timeline.setHorizontalHeaderLabels(["Мероприятие"] + [f"{MONTH_NAMES[m - 1]} {y}" for y, m in months])
        self.timeline.setColumnWidth(0, 380)
        for r, (task, occs, has_overdue) in enumerate(rows):
            label = f"{task.number or '•'} {task.title.splitlines()[0] if task.title else ''}"
            head = QTableWidgetItem(("⚠ " if has_overdue else "") + label)
            head.setToolTip(task.title)
            if has_overdue:
                head.setBackground(QBrush(QColor(COLOURS["overdue"])))
            self.timeline.setItem(r, 0, head)
            for c, (y, m) in enumerate(months, start=1):
                m_start = dt.date(y, m, 1)
                m_end = (dt.date(y + 1, 1, 1) if m == 12 else dt.date(y, m + 1, 1)) - dt.timedelta(days=1)
                hit = next((o for o in occs if o.start <= m_end and o.end >= m_start), None)
                if hit is None:
                    continue
                cell = QTableWidgetItem(SHORT_STATUS[hit.status])
                cell.setData(OCC_ROLE, hit.id)
                cell.setBackground(QBrush(QColor(occurrence_colour(hit.status, hit.start, hit.end, self.today)
                                                 or "#eef2f7")))
                cell.setToolTip(f"{_span(hit.start, hit.end)}: {svc.STATUS_LABELS[hit.status]}")
                self.timeline.setItem(r, c, cell)

    # ------------------------------------------------------------ selection and editing

    def _select(self, item: QTreeWidgetItem | None, _prev=None) -> None:
        occ_id = item.data(0, OCC_ROLE) if item is not None else None
        self.show_occurrence(occ_id)

    def _timeline_clicked(self, row: int, col: int) -> None:
        item = self.timeline.item(row, col)
        if item is not None and item.data(OCC_ROLE):
            self.show_occurrence(item.data(OCC_ROLE))

    def _reselect(self, occ_id: int | None) -> None:
        """After a reload the same occurrence stays selected (if it is still shown)."""
        if occ_id is None:
            return
        for i in range(self.tree.topLevelItemCount()):
            stack = [self.tree.topLevelItem(i)]
            while stack:
                item = stack.pop()
                if item.data(0, OCC_ROLE) == occ_id:
                    self.tree.blockSignals(True)
                    self.tree.setCurrentItem(item)
                    self.tree.blockSignals(False)
                    stack.clear()
                    break
                stack.extend(item.child(k) for k in range(item.childCount()))
        self.show_occurrence(occ_id)

    def show_occurrence(self, occ_id: int | None) -> None:
        self.current_occurrence = occ_id
        if occ_id is None:
            self.editor_title.setText("Выберите срок мероприятия в дереве.")
            self.evidence_list.clear()
            self._set_editor_enabled(False)
            return
        with self.ctx.session() as session:
            try:
                state = svc.get_occurrence(session, occurrence_id=occ_id)
            except ErsokoError:
                self.show_occurrence(None)
                return
        self._set_editor_enabled(True)
        title = state.task_title.splitlines()[0] if state.task_title else ""
        self.editor_title.setText(f"<b>{state.task_number or ''}</b> {title}<br>Срок: {_span(state.start, state.end)}")
        self.status_combo.blockSignals(True)
        self.status_combo.setCurrentIndex(self.status_combo.findData(state.status))
        self.status_combo.blockSignals(False)
        day = state.done_at or self.today
        self.done_date.setDate(QDate(day.year, day.month, day.day))
        self.comment.setPlainText(state.comment or "")
        self.evidence_list.clear()
        for ev in state.evidence:
            item = QListWidgetItem(f"{ev['file_name']}  ({ev['size']} байт, SHA-256 {ev['sha256'][:12]}…)")
            item.setData(OCC_ROLE, ev["id"])
            self.evidence_list.addItem(item)
        self._status_changed()

    def save_status(self) -> svc.OccurrenceState | None:
        if self.current_occurrence is None:
            return None
        status = self.status_combo.currentData()
        q = self.done_date.date()
        done_at = dt.date(q.year(), q.month(), q.day()) if status == "done" else None
        try:
            with self.ctx.session() as session:
                state = svc.set_status(session, occurrence_id=self.current_occurrence, status=status,
                                       done_at=done_at, comment=self.comment.toPlainText())
        except ErsokoError as exc:
            tasks.show_error(self, exc)
            return None
        self.ctx.data_changed()
        self.reload()
        return state

    def attach_file(self, path: str | None = None) -> None:
        if self.current_occurrence is None:
            return
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Файл-подтверждение исполнения")
            if not path:
                return
        try:
            with self.ctx.session() as session:
                svc.attach_evidence(session, occurrence_id=self.current_occurrence, path=path)
        except ErsokoError as exc:
            tasks.show_error(self, exc)
            return
        self.reload()

    def open_evidence(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        try:
            with self.ctx.session() as session:
                path = svc.evidence_file(session, evidence_id=item.data(OCC_ROLE))
        except ErsokoError as exc:
            tasks.show_error(self, exc)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # ------------------------------------------------------------ import

    def _after_import(self, report: svc.ImportReport | None) -> None:
        self.refresh()
        if report is None:
            return
        verdict = {"imported": "загружен", "updated": "обновлён (отметки об исполнении сохранены)",
                   "unchanged": "уже был загружен — изменений нет"}.get(report.status, report.status)
        counts = ", ".join(f"«{r.title[:50]}»: мероприятий {r.tasks}" for r in report.roadmaps)
        self.import_label.setVisible(True)
        self.import_label.setText(f"Файл «{report.file}» {verdict}. {counts}. "
                                  f"Предупреждений: {len(report.warnings)}.")

    def open_import(self, path: str | None = None):
        from ..dialogs.roadmap_import import RoadmapImportDialog

        dialog = RoadmapImportDialog(self.ctx, self, path=path)
        if path:
            dialog.run_preview()
        dialog.finished.connect(lambda _code: self._after_import(dialog.report))
        dialog.open()
        return dialog
