"""Import wizard for roadmaps: choose a file and the period, preview what was understood
(sections, tasks, occurrences, warnings), then import. Both steps run off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from ...services.roadmaps import ImportOptions, ImportReport, RoadmapPreview, import_roadmaps, preview_roadmaps
from .. import tasks

KIND_LABELS = {"dated": "по датам", "continuous": "постоянно", "event": "по событию", "unknown": "не распознан"}
FILE_FILTER = "Дорожные карты (*.docx *.xlsx *.xlsm *.csv *.txt);;Все файлы (*)"


def _import_in_worker(*, ctx, path: str, options: ImportOptions, progress) -> ImportReport:
    with ctx.session() as session:
        return import_roadmaps(session, path, options=options, progress=progress)


def _preview_in_worker(*, path: str, options: ImportOptions, progress) -> RoadmapPreview:
    progress.step(0, "Разбор документа…")
    return preview_roadmaps(path, options=options)


class RoadmapImportDialog(QDialog):
    def __init__(self, ctx, parent=None, path: str | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.preview: RoadmapPreview | None = None
        self.report: ImportReport | None = None
        self.setWindowTitle("Импорт дорожной карты")
        self.resize(980, 640)
        layout = QVBoxLayout(self)

        grid = QGridLayout()
        grid.addWidget(QLabel("Файл:"), 0, 0)
        self.file_edit = QLineEdit(path or "")
        self.file_edit.setPlaceholderText("DOCX, XLSX, CSV или TXT с таблицей мероприятий")
        grid.addWidget(self.file_edit, 0, 1)
        browse = QPushButton("Выбрать…")
        browse.clicked.connect(self._browse)
        grid.addWidget(browse, 0, 2)

        grid.addWidget(QLabel("Период:"), 1, 0)
        period_row = QHBoxLayout()
        self.auto = QRadioButton("из заголовка документа")
        self.by_years = QRadioButton("годы")
        self.by_school = QRadioButton("учебный год")
        self.years_edit = QLineEdit()
        self.years_edit.setPlaceholderText("2018-2020")
        self.school_edit = QLineEdit()
        self.school_edit.setPlaceholderText("2022/23")
        self.auto.setChecked(True)
        group = QButtonGroup(self)
        for w in (self.auto, self.by_years, self.by_school):
            group.addButton(w)
        for w in (self.auto, self.by_years, self.years_edit, self.by_school, self.school_edit):
            period_row.addWidget(w)
        period_row.addStretch(1)
        grid.addLayout(period_row, 1, 1, 1, 2)
        layout.addLayout(grid)

        self.preview_button = QPushButton("Просмотр")
        self.preview_button.clicked.connect(self.run_preview)
        layout.addWidget(self.preview_button, 0, Qt.AlignmentFlag.AlignLeft)

        split = QSplitter(Qt.Orientation.Vertical)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["№ / мероприятие", "Срок (как написан)", "Вид срока", "Сроки исполнения",
                                   "Исполнители"])
        self.tree.setColumnWidth(0, 380)
        self.tree.setColumnWidth(1, 160)
        self.tree.setColumnWidth(3, 220)
        split.addWidget(self.tree)
        self.warnings_label = QLabel("Предупреждения")
        self.warnings = QListWidget()
        split.addWidget(self.warnings)
        split.setSizes([440, 120])
        layout.addWidget(split, 1)
        layout.addWidget(self.warnings_label)

        self.summary = QLabel("Выберите файл и нажмите «Просмотр».")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.buttons = QDialogButtonBox()
        self.buttons.addButton("Отмена", QDialogButtonBox.ButtonRole.RejectRole)
        self.import_button = self.buttons.addButton("Импортировать", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.run_import)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    # ------------------------------------------------------------ state

    def options(self) -> ImportOptions:
        years = self.years_edit.text().strip() if self.by_years.isChecked() else None
        school = self.school_edit.text().strip() if self.by_school.isChecked() else None
        return ImportOptions(years=years or None, school_year=school or None)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Файл дорожной карты", "", FILE_FILTER)
        if path:
            self.file_edit.setText(path)
            self.run_preview()

    # ------------------------------------------------------------ preview

    def run_preview(self):
        path = self.file_edit.text().strip()
        if not path:
            self.summary.setText("Не выбран файл.")
            return None
        self.import_button.setEnabled(False)
        return tasks.run(self, _preview_in_worker, title="Разбор дорожной карты", on_done=self.show_preview,
                         on_error=self._failed, path=path, options=self.options())

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(f"Ошибка: {exc}")
        tasks.show_error(self, exc)

    def show_preview(self, preview: RoadmapPreview) -> None:
        self.preview = preview
        self.tree.clear()
        total_tasks = 0
        for rm in preview.roadmaps:
            top = QTreeWidgetItem([rm.title, "", "", f"период {rm.period.label} ({rm.period_source})", ""])
            top.setFirstColumnSpanned(False)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            sections: dict[str | None, QTreeWidgetItem] = {}
            for pt in rm.tasks:
                total_tasks += 1
                parent = sections.get(pt.section)
                if parent is None:
                    parent = QTreeWidgetItem([pt.section or "(без раздела)"])
                    top.addChild(parent)
                    sections[pt.section] = parent
                spans = "; ".join(
                    (o.start.strftime("%d.%m.%Y") if o.start == o.end else
                     f"{o.start.strftime('%d.%m.%Y')}–{o.end.strftime('%d.%m.%Y')}") for o in pt.deadline.occurrences)
                item = QTreeWidgetItem([f"{pt.task.number or '•'} {pt.task.title.splitlines()[0] if pt.task.title else ''}",
                                        pt.task.deadline_text.replace("\n", " "), KIND_LABELS[pt.deadline.kind],
                                        spans or "—", pt.task.executors])
                item.setToolTip(0, pt.task.title)
                if pt.deadline.kind == "unknown":
                    for col in range(5):
                        item.setBackground(col, QBrush(QColor("#fde2e1")))
                parent.addChild(item)
            top.setExpanded(True)
            for s in sections.values():
                s.setExpanded(True)
        self.warnings.clear()
        for w in preview.warnings:
            self.warnings.addItem(str(w))
        self.warnings_label.setText(f"Предупреждения: {len(preview.warnings)}")
        self.summary.setText(f"Дорожных карт: {len(preview.roadmaps)}, мероприятий: {total_tasks}. "
                             "Проверьте сроки и нажмите «Импортировать».")
        self.import_button.setEnabled(True)

    # ------------------------------------------------------------ import

    def run_import(self):
        if self.preview is None:
            return None
        self.import_button.setEnabled(False)
        return tasks.run(self, _import_in_worker, title="Импорт дорожной карты", on_done=self._imported,
                         on_error=self._failed, ctx=self.ctx, path=self.file_edit.text().strip(),
                         options=self.options())

    def _imported(self, report: ImportReport) -> None:
        self.report = report
        self.ctx.data_changed()
        self.accept()
