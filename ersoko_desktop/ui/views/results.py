"""Результаты: imported results (lazy table) and the import wizard (file → check → import).

The wizard only renders; the checking and writing are ``services.results_import.import_results``
run in the worker (``ui.tasks.run``) with a cancel button — the same call the CLI makes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...domain.procedure_attrs import PROCEDURE_KINDS
from ...services.results_browse import count_results, fetch_results, list_procedures
from .. import tasks
from ..table_models.lazy_query import LazyQueryModel
from ..widgets import PageBase, hint_label

if TYPE_CHECKING:  # pandas/numpy load only when a file is imported (GUI cold start)
    from ...services.results_import import ImportOptions, ImportReport

HEADERS = ["Код ОО", "Код участника", "Класс", "Вариант", "Баллы по заданиям", "Первичный балл", "Отметка",
           "Отметка по журналу"]
FILE_FILTER = "Таблицы (*.xlsx *.xls *.xlsm *.ods *.csv *.txt);;Все файлы (*)"


def check_file(ctx, *, path: str, options: ImportOptions, progress) -> ImportReport:
    """Dry run for the preview: a refused file still yields its report (errors listed)."""
    from ...services.results_import import ResultsRejected, import_results

    with ctx.session() as session:
        try:
            return import_results(session, path, options=options, progress=progress)
        except ResultsRejected as exc:
            return exc.report


def import_file(ctx, *, path: str, options: ImportOptions, progress) -> ImportReport:
    from ...services.results_import import import_results

    with ctx.session() as session:
        return import_results(session, path, options=options, progress=progress)


class ImportDialog(QDialog):
    """Three steps on one stack: file and options → preview report → done."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Загрузка результатов")
        self.resize(860, 560)
        self.report: ImportReport | None = None
        self.result_report: ImportReport | None = None
        self.task: tasks.Task | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self._options_step())
        self.stack.addWidget(self._preview_step())
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

    # ---- step 1: file and options
    def _options_step(self) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        layout.addWidget(hint_label(
            "Файл XLSX, XLS или CSV (ФИС ОКО, региональный шаблон, своя таблица). Процедура, предмет, класс и "
            "год берутся из строк над таблицей или из названия листа; укажите их здесь, если в файле их нет. "
            "Имена детей (ФИО) не загружаются."))
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText("Выберите файл результатов…")
        self.path.textChanged.connect(self._update_buttons)
        browse = QPushButton("Выбрать…")
        browse.setToolTip("Выбрать файл результатов на диске")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        form = QFormLayout()
        self.kind = QComboBox()
        self.kind.addItem("из файла", None)
        for code, name in PROCEDURE_KINDS.items():
            self.kind.addItem(name, code)
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("из файла")
        self.grade = QSpinBox()
        self.grade.setRange(0, 11)
        self.grade.setSpecialValueText("из файла")
        self.year = QSpinBox()
        self.year.setRange(1999, 2100)
        self.year.setSpecialValueText("из файла")
        self.year.setValue(1999)
        self.school = QLineEdit()
        self.school.setPlaceholderText("для файла одной школы (коды в столбце «Код ОО» должны совпасть)")
        own = self.ctx.own_org()
        if own and own[2] == "school":
            self.school.setText(own[0])
        self.strict = QCheckBox("Строгая проверка: расхождение отметки со шкалой — ошибка")
        self.strict.setToolTip("Без галочки расхождения отметки или суммы баллов со шкалой — предупреждения")
        for widget, tip in ((self.kind, "Вид процедуры, если его нет в строках над таблицей"),
                            (self.subject, "Предмет, если его нет в файле"),
                            (self.grade, "Класс, если его нет в файле"),
                            (self.year, "Год проведения, если его нет в файле"),
                            (self.school, "Код школы для файла одной школы без столбца «Код ОО»")):
            widget.setToolTip(tip)
        form.addRow("Процедура:", self.kind)
        form.addRow("Предмет:", self.subject)
        form.addRow("Класс:", self.grade)
        form.addRow("Год проведения:", self.year)
        form.addRow("Код школы:", self.school)
        form.addRow("", self.strict)
        layout.addLayout(form)
        layout.addStretch(1)
        buttons = QDialogButtonBox()
        self.check_button = buttons.addButton("Проверить файл", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Отмена", QDialogButtonBox.ButtonRole.RejectRole)
        self.check_button.setToolTip("Проверить файл без записи в базу и показать, что будет загружено (Enter)")
        self.check_button.clicked.connect(self.check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._update_buttons()
        return w

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Файл результатов", "", FILE_FILTER)
        if name:
            self.path.setText(name)

    def _update_buttons(self) -> None:
        self.check_button.setEnabled(bool(self.path.text().strip()))

    def options(self, *, dry_run: bool) -> ImportOptions:
        from ...services.results_import import ImportOptions

        return ImportOptions(
            procedure=self.kind.currentData(), subject=self.subject.text().strip() or None,
            grade=self.grade.value() or None, year=self.year.value() if self.year.value() > 1999 else None,
            school=self.school.text().strip() or None, strict=self.strict.isChecked(), dry_run=dry_run)

    # ---- step 2: preview
    def _preview_step(self) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setMinimumHeight(84)  # a stacked page does not grow a word-wrapped label by itself
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.summary)
        self.problems = QTableWidget(0, 4)
        self.problems.setHorizontalHeaderLabels(["", "Строка", "Столбец", "Сообщение"])
        self.problems.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.problems.verticalHeader().hide()
        self.problems.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.problems.setWordWrap(True)
        layout.addWidget(self.problems, 1)
        buttons = QDialogButtonBox()
        self.back_button = buttons.addButton("Назад", QDialogButtonBox.ButtonRole.ResetRole)
        self.import_button = buttons.addButton("Загрузить", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton("Закрыть", QDialogButtonBox.ButtonRole.RejectRole)
        self.back_button.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        self.import_button.clicked.connect(self.start_import)
        self.close_button.clicked.connect(self._close)
        layout.addWidget(buttons)
        return w

    def check(self) -> None:
        """Dry run in the worker; the preview shows what would happen and every problem."""
        self.report = None
        self.task = tasks.run(self, check_file, title="Проверка файла", ctx=self.ctx, path=self.path.text().strip(),
                              options=self.options(dry_run=True), on_done=self._show_preview)

    def _show_preview(self, report: ImportReport) -> None:
        self.report = report
        self.stack.setCurrentIndex(1)
        self._fill(report, done=False)

    def start_import(self) -> None:
        self.task = tasks.run(self, import_file, title="Загрузка результатов", ctx=self.ctx,
                              path=self.path.text().strip(), options=self.options(dry_run=False),
                              on_done=self._imported)

    def _imported(self, report: ImportReport) -> None:
        self.result_report = report
        self._fill(report, done=True)
        self.ctx.data_changed()

    def _fill(self, r: ImportReport, *, done: bool) -> None:
        enc = f", кодировка {r.encoding}" if r.encoding else ""
        lines = [f"<b>{r.file}</b>{enc}" + (f" — {r.procedure_label}" if r.procedure else "")]
        if r.errors:
            lines.append(f"<span style='color:#b00020'><b>Файл не может быть загружен: ошибок — {len(r.errors)}.</b> "
                         "Исправьте файл и проверьте снова; ничего не записано.</span>")
        elif r.already_imported:
            lines.append("Этот файл уже загружен — изменений нет.")
        else:
            verb = "Загружено" if done else "Будет загружено"
            lines.append(f"{verb}: {r.imported}; заменено: {r.replaced}; без изменений: {r.unchanged}; "
                         f"пропущено строк: {r.skipped}; школ в файле: {r.schools}.")
            if r.replaced_schools:
                removed = (f" (удаляются строки, которых нет в новом файле: {r.removed})" if r.removed else "")
                lines.append(("Заменены" if done else "Будут заменены") + " результаты школ: "
                             + ", ".join(r.replaced_schools) + removed)
        if done:
            lines.append("<b>Готово.</b>")
        self.summary.setText("<br>".join(lines))
        problems = [("Ошибка", d) for d in r.errors] + [("Предупреждение", d) for d in r.warnings]
        self.problems.setRowCount(len(problems))
        for i, (kind, d) in enumerate(problems):
            for j, value in enumerate((kind, "" if d.row is None else str(d.row), d.column or "", d.message)):
                item = QTableWidgetItem(value)
                if kind == "Ошибка":
                    item.setForeground(QColor("#b00020"))
                self.problems.setItem(i, j, item)
        self.problems.resizeColumnToContents(0)
        self.problems.resizeRowsToContents()
        self.import_button.setEnabled(not done and not r.errors and not r.already_imported
                                      and (r.imported + r.replaced + r.removed) > 0)
        self.back_button.setEnabled(not done)

    def _close(self) -> None:
        if self.result_report is not None:
            self.accept()
        else:
            self.reject()


class Page(PageBase):
    title = "Результаты оценочных процедур"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        bar = QHBoxLayout()
        caption = QLabel("Процедура:")
        bar.addWidget(caption)
        self.procedure = QComboBox()
        self.procedure.setMinimumWidth(420)
        self.procedure.setToolTip("Какие результаты показать: процедура, год, предмет, класс")
        caption.setBuddy(self.procedure)
        self.procedure.currentIndexChanged.connect(self._load)
        bar.addWidget(self.procedure)
        from ..remember import Remember

        self.remember = Remember(ctx, "results")
        self.remember.combo("procedure", self.procedure)
        bar.addStretch(1)
        self.count = QLabel()
        bar.addWidget(self.count)
        self.import_button = QPushButton("Загрузить файл результатов…")
        self.import_button.setToolTip("Загрузить XLSX, XLS или CSV с результатами ВПР, ОГЭ, ЕГЭ, РДР: сначала проверка, "
                                      "потом загрузка (Ctrl+O)")
        self.import_button.setShortcut("Ctrl+O")
        self.import_button.clicked.connect(self.open_import)
        bar.addWidget(self.import_button)
        self.body.addLayout(bar)
        self.table = QTableView()
        self.table.setAlternatingRowColors(True)
        self.table.setToolTip("Результаты участников (коды, без имён); строки подгружаются при прокрутке")
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.verticalHeader().hide()
        self.body.addWidget(self.table, 1)
        self.dialog: ImportDialog | None = None
        ctx.listeners.append(self.refresh)

    def open_import(self, path: str | Path | None = None) -> ImportDialog:
        self.dialog = ImportDialog(self.ctx, self)
        if path:
            self.dialog.path.setText(str(path))
        self.dialog.open()
        return self.dialog

    def refresh(self) -> None:
        current = self.procedure.currentData()
        with self.ctx.session() as session:
            procs = list_procedures(session)
        self.procedure.blockSignals(True)
        self.procedure.clear()
        for p in procs:
            self.procedure.addItem(p.label, p.id)
        if current is None:  # first fill: the procedure chosen last time in this database
            self.remember.restore(quiet=True)
            current = self.procedure.currentData()
        self.procedure.blockSignals(False)
        index = self.procedure.findData(current)
        self.procedure.setCurrentIndex(index if index >= 0 else 0)
        self._load()

    def _load(self) -> None:
        proc_id = self.procedure.currentData()
        if proc_id is None:
            self.table.setModel(None)
            self.count.setText("Нет загруженных результатов")
            return
        with self.ctx.session() as session:
            total = count_results(session, procedure_id=proc_id)

        def fetch(offset: int, limit: int):
            with self.ctx.session() as session:
                return fetch_results(session, procedure_id=proc_id, offset=offset, limit=limit)

        model = LazyQueryModel(HEADERS, fetch, total, self.table)
        self.table.setModel(model)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.count.setText(f"Участников: {total}")
        header = self.table.horizontalHeader()
        for column in range(len(HEADERS) - 1):  # the last one stretches
            if column != 4:  # headers like «Первичный балл» are read in full
                header.resizeSection(column, max(header.sectionSizeHint(column), self.table.sizeHintForColumn(column)))
        header.resizeSection(4, 230)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
