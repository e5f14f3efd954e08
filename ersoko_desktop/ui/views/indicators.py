"""Показатели: filters, the indicator table, charts, objectivity signs and ШНОР.

All numbers come from ``services.indicators`` / ``services.objectivity`` computed in a worker
thread (``ui.tasks``); this page only shows them. The local screen shows small groups as they
are; the export applies the N < 5 suppression like every public output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...services.results_browse import PROCEDURE_NAMES, list_procedures
from .. import tasks
from ..table_models.dataframe import DataFrameModel
from ..widgets import PageBase, hint_label

LEVELS = [("school", "Образовательные организации"), ("municipality", "Муниципалитеты"), ("region", "Регион"),
          ("class", "Классы")]
TABLE_COLUMNS = ["org", "org_name", "subject", "grade", "year", "class_letter", "n", "success", "quality",
                 "mean_mark", "sou", "mean_score", "lowered", "confirmed", "raised", "share2", "share3", "share4",
                 "share5"]
CHARTS = [("marks", "Распределение отметок"), ("levels", "ОО — муниципалитет — регион"), ("years", "Динамика по годам")]
FLAG_LEVELS = [("school", "школы — с муниципалитетом"), ("municipality", "муниципалитеты — с регионом")]
FLAG_COLUMNS = ["org", "org_name", "procedure", "signs", "evidence", "risk"]
FLAG_HEADERS = ["Код", "Организация", "Процедура", "Признаки", "Обоснование", "Список риска"]


@dataclass
class PageData:
    """What one computation returns to the page (built in the worker thread)."""

    tables: object          # services.indicators.IndicatorTables (every level, unrounded)
    flags: list             # list[services.objectivity.Flag]: schools vs their municipality
    municipal_flags: list   # list[services.objectivity.Flag]: municipalities vs the region
    shnor: list             # list[services.objectivity.ShnorEntry]


def compute_page_data(ctx, *, year, procedure_kind, subject, grade, progress=None) -> PageData:
    """Worker-thread job: indicators for all years (dynamics need them), signs and ШНОР for ``year``."""
    from ...services.indicators import compute_tables
    from ...services.objectivity import objectivity_flags, shnor_list

    with ctx.session() as session:
        tables = compute_tables(session, procedure_kind=procedure_kind, subject=subject, grade=grade)
        if progress:
            progress.step(0.6, "Признаки необъективности")
        where = {"year": year, "procedure_kind": procedure_kind, "subject": subject, "grade": grade}
        flags = objectivity_flags(session, **where)
        municipal = objectivity_flags(session, **where, level="municipality")
        if progress:
            progress.step(0.9, "ШНОР")
        shnor = shnor_list(session, year=year)
    return PageData(tables=tables, flags=flags, municipal_flags=municipal, shnor=shnor)


class Page(PageBase):
    title = "Показатели"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.data: PageData | None = None
        self.view_frame = None
        self.task = None
        self._build_filters()
        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs, 1)
        self._build_table_tab()
        self._build_flags_tab()
        self._build_shnor_tab()
        self.remember.combo("chart", self.chart_kind)
        self.remember.combo("flag_level", self.flag_level)
        self.remember.tabs("tab", self.tabs)
        self.status = hint_label("")
        self.body.addWidget(self.status)

    # --- layout -------------------------------------------------------------------------------
    def _build_filters(self) -> None:
        """Two rows, so nothing is cut at 1280 px: what to compute, then how to show and export it."""
        from ..remember import Remember

        self.year = QComboBox()
        self.kind = QComboBox()
        self.subject = QComboBox()
        self.grade = QComboBox()
        self.level = QComboBox()
        for key, title in LEVELS:
            self.level.addItem(title, key)
        tips = {
            self.year: "Год проведения процедуры; признаки необъективности и ШНОР считаются за этот год",
            self.kind: "Вид оценочной процедуры: ВПР, ОГЭ, ЕГЭ, РДР…",
            self.subject: "Учебный предмет",
            self.grade: "Параллель (класс), в которой проводилась процедура",
            self.level: "Уровень таблицы: школы, муниципалитеты, регион или классы",
        }
        filters = QHBoxLayout()
        filters.setSpacing(6)
        for label, combo in (("Год:", self.year), ("Процедура:", self.kind), ("Предмет:", self.subject),
                             ("Параллель:", self.grade)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(8)
            combo.setToolTip(tips[combo])
            caption = QLabel(label)
            caption.setBuddy(combo)
            filters.addWidget(caption)
            filters.addWidget(combo)
            filters.addSpacing(10)
        filters.addStretch(1)
        self.compute_button = QPushButton("Рассчитать")
        self.compute_button.setProperty("accent", True)
        self.compute_button.setToolTip("Рассчитать показатели, признаки необъективности и ШНОР по выбранным условиям "
                                       "(F5)")
        self.compute_button.setShortcut("F5")
        self.compute_button.clicked.connect(self.compute)
        filters.addWidget(self.compute_button)
        self.body.addLayout(filters)

        view = QHBoxLayout()
        view.setSpacing(6)
        caption = QLabel("Уровень:")
        caption.setBuddy(self.level)
        self.level.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.level.setToolTip(tips[self.level])
        view.addWidget(caption)
        view.addWidget(self.level)
        view.addStretch(1)
        self.export_button = QPushButton("Экспорт…")
        self.export_button.setToolTip("Сохранить таблицу в XLSX или CSV; группы меньше 5 участников скрываются («—»)")
        self.export_button.clicked.connect(self.export)
        view.addWidget(self.export_button)
        self.report_button = QPushButton("Отчёт…")
        self.report_button.setToolTip("Аналитический отчёт (PDF или Excel): результаты, признаки необъективности, "
                                      "ШНОР, критерии ММУКО — за выбранный год")
        self.report_button.clicked.connect(self.open_report)
        view.addWidget(self.report_button)
        self.body.addLayout(view)
        self.year.currentIndexChanged.connect(self._filters_changed)
        self.level.currentIndexChanged.connect(self._show_table)
        self.remember = Remember(self.ctx, "indicators")
        for name, combo in (("year", self.year), ("kind", self.kind), ("subject", self.subject),
                            ("grade", self.grade), ("level", self.level)):
            self.remember.combo(name, combo)

    def _build_table_tab(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableView()
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setDefaultSectionSize(22)
        splitter.addWidget(self.table)
        chart_box = QWidget()
        chart_layout = QVBoxLayout(chart_box)
        chart_bar = QHBoxLayout()
        chart_bar.addWidget(QLabel("Диаграмма:"))
        self.chart_kind = QComboBox()
        for key, title in CHARTS:
            self.chart_kind.addItem(title, key)
        self.chart_kind.setToolTip("Диаграмма для строки, выбранной в таблице")
        self.chart_kind.currentIndexChanged.connect(self._update_chart)
        chart_bar.addWidget(self.chart_kind)
        chart_bar.addStretch(1)
        chart_layout.addLayout(chart_bar)
        self.chart_view = QChartView()
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(220)
        chart_layout.addWidget(self.chart_view)
        splitter.addWidget(chart_box)
        splitter.setSizes([380, 260])
        layout.addWidget(splitter)
        self.tabs.addTab(page, "Показатели")

    def _build_flags_tab(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(hint_label(
            "Признаки S1–S5 (высокие результаты, несоответствие отметкам по журналу, резкое изменение, "
            "пик у границы отметки, задания повышенного уровня решены лучше базовых). Строки из списка риска "
            "выделены цветом."))
        choice = QHBoxLayout()
        self.flag_level = QComboBox()
        for key, title in FLAG_LEVELS:
            self.flag_level.addItem(title, key)
        self.flag_level.setToolTip("Чьи признаки показать: школы в сравнении со своим муниципалитетом или "
                                   "муниципалитеты в сравнении с регионом")
        caption = QLabel("Сравнение:")
        caption.setBuddy(self.flag_level)
        choice.addWidget(caption)
        choice.addWidget(self.flag_level)
        choice.addStretch(1)
        layout.addLayout(choice)
        self.flag_level.currentIndexChanged.connect(self._show_flags)
        self.flags_table = QTableView()
        self.flags_table.setWordWrap(True)
        self.flags_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.flags_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout.addWidget(self.flags_table, 1)
        self.evidence = QTextEdit()
        self.evidence.setReadOnly(True)
        self.evidence.setMaximumHeight(130)
        layout.addWidget(self.evidence)
        row = QHBoxLayout()
        self.roadmap_button = QPushButton("Открыть задачу дорожной карты…")
        self.roadmap_button.setToolTip("Добавить в дорожную карту мероприятие по выбранной школе с признаками")
        self.roadmap_button.setVisible(roadmap_task_factory() is not None)
        self.roadmap_button.clicked.connect(self._open_roadmap_task)
        row.addStretch(1)
        row.addWidget(self.roadmap_button)
        layout.addLayout(row)
        self.tabs.addTab(page, "Признаки необъективности")

    def _build_shnor_tab(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(hint_label(
            "ШНОР: доля «2» не меньше 25 % или средняя отметка в нижних 10 % муниципалитета — не менее чем "
            "в двух процедурах в каждом из двух лет подряд. ШФНСУ — по форме «Контекст ОО»."))
        self.shnor_table = QTableView()
        self.shnor_table.setWordWrap(True)
        layout.addWidget(self.shnor_table, 1)
        self.tabs.addTab(page, "ШНОР")

    # --- data ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        with self.ctx.session() as session:
            procs = list_procedures(session)
        self._fill(self.year, "Все годы", sorted({p.year for p in procs}, reverse=True), select_first=True)
        self._fill(self.kind, "Все процедуры", sorted({p.kind for p in procs}),
                   labels={k: PROCEDURE_NAMES.get(k, k) for k in PROCEDURE_NAMES})
        self._fill(self.subject, "Все предметы", sorted({p.subject for p in procs}))
        self._fill(self.grade, "Все параллели", sorted({p.grade for p in procs}),
                   labels={g: f"{g} класс" for g in range(1, 12)})
        self.remember.restore(quiet=True)
        if not procs:
            self.status.setText("Нет загруженных результатов: загрузите результаты процедур или откройте демо-базу.")
        elif self.data is None:
            self.status.setText("Выберите условия и нажмите «Рассчитать».")

    @staticmethod
    def _fill(combo: QComboBox, all_label: str, values, *, labels=None, select_first=False) -> None:
        first_fill = combo.count() == 0
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(all_label, None)
        for v in values:
            combo.addItem((labels or {}).get(v, str(v)), v)
        index = max(combo.findData(current), 0)
        if first_fill and select_first and combo.count() > 1:
            index = 1
        combo.setCurrentIndex(index)
        combo.blockSignals(False)

    def filters(self) -> dict:
        return {"year": self.year.currentData(), "procedure_kind": self.kind.currentData(),
                "subject": self.subject.currentData(), "grade": self.grade.currentData()}

    def compute(self) -> None:
        self.compute_button.setEnabled(False)
        self.status.setText("Расчёт…")
        self.task = tasks.run(self, compute_page_data, title="Расчёт показателей", ctx=self.ctx,
                              on_done=self._show, on_error=self._failed, **self.filters())

    def _failed(self, exc: BaseException) -> None:
        self.compute_button.setEnabled(True)
        self.status.setText("Расчёт не выполнен.")
        tasks.show_error(self, exc)

    def _filters_changed(self) -> None:
        if self.data is not None:
            self.compute()

    def _show(self, data: PageData) -> None:
        self.compute_button.setEnabled(True)
        self.data = data
        self._show_table()
        self._show_flags()
        self._show_shnor()
        risk = sum(1 for f in data.flags if f.risk)
        self.status.setText(f"Признаков необъективности: {len(data.flags)} (ОО × процедура), из них в списке риска: "
                            f"{risk}; у муниципалитетов (в сравнении с регионом): {len(data.municipal_flags)}; "
                            f"ШНОР: {len(data.shnor)}.")

    def level_frame(self):
        """The rows of the chosen level and year, rounded for display."""
        from ...domain.indicators.engine import round_indicators

        if self.data is None:
            return None
        level = self.level.currentData()
        frame = self.data.tables.level(level) if level in self.data.tables.levels else None
        if frame is None:
            return None
        year = self.year.currentData()
        if year is not None:
            frame = frame[frame["year"] == year]
        frame = frame.sort_values(["year", "subject", "grade", "org", "class_letter"], na_position="first")
        return round_indicators(frame, self.data.tables.catalog)

    def _show_table(self) -> None:
        from ...services.indicators import column_title

        frame = self.level_frame()
        if frame is None:
            return
        self.view_frame = frame.reset_index(drop=True)
        shown = self.view_frame.reindex(columns=TABLE_COLUMNS)
        shown["n"] = shown["n"].astype("Int64").astype(object)
        model = DataFrameModel(shown, [column_title(c, self.data.tables.catalog) for c in TABLE_COLUMNS], self.table)
        self.table.setModel(model)
        self.table.resizeColumnsToContents()
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_chart())
        if len(shown):
            self.table.selectRow(0)
        self._update_chart()

    def selected_row(self):
        if self.view_frame is None or self.view_frame.empty:
            return None
        index = self.table.currentIndex()
        return self.view_frame.iloc[index.row() if index.isValid() else 0]

    # --- charts ---------------------------------------------------------------------------------
    def _update_chart(self) -> None:
        row = self.selected_row()
        chart = QChart()
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        if row is None:
            chart.setTitle("Нет данных")
        else:
            kind = self.chart_kind.currentData()
            {"marks": self._chart_marks, "levels": self._chart_levels, "years": self._chart_years}[kind](chart, row)
        self.chart_view.setChart(chart)

    def _chart_marks(self, chart: QChart, row) -> None:
        chart.setTitle(f"Распределение отметок, %: {row['org_name']} — {row['subject']}, {int(row['grade'])} кл., "
                       f"{int(row['year'])}")
        series = QBarSeries()
        bar = QBarSet(row["org_name"])
        for k in (2, 3, 4, 5):
            bar.append(_num(row[f"share{k}"]))
        series.append(bar)
        for ref_level, column in (("municipality", "municipality_id"), ("region", "region_id")):
            ref = self._reference(row, ref_level, column)
            if ref is not None:
                ref_bar = QBarSet(ref["org_name"])
                for k in (2, 3, 4, 5):
                    ref_bar.append(_num(ref[f"share{k}"]))
                series.append(ref_bar)
        self._bars(chart, series, ["«2»", "«3»", "«4»", "«5»"])

    def _chart_levels(self, chart: QChart, row) -> None:
        chart.setTitle(f"Сравнение с муниципалитетом и регионом: {row['subject']}, {int(row['grade'])} кл., "
                       f"{int(row['year'])}")
        series = QBarSeries()
        keys = [("success", "Успеваемость"), ("quality", "Качество"), ("sou", "СОУ")]
        rows = [row] + [r for r in (self._reference(row, "municipality", "municipality_id"),
                                    self._reference(row, "region", "region_id")) if r is not None]
        for r in rows:
            bar = QBarSet(str(r["org_name"]))
            for key, _title in keys:
                bar.append(_num(r[key]))
            series.append(bar)
        self._bars(chart, series, [t for _k, t in keys])

    def _chart_years(self, chart: QChart, row) -> None:
        frame = self.data.tables.level(row["level"])
        same = frame[(frame["org_id"] == row["org_id"]) & (frame["kind"] == row["kind"])
                     & (frame["subject"] == row["subject"]) & (frame["grade"] == row["grade"])]
        if row["level"] == "class":
            same = same[same["class_letter"] == row["class_letter"]]
        same = same.sort_values("year")
        chart.setTitle(f"Динамика: {row['org_name']} — {row['subject']}, {int(row['grade'])} кл.")
        axis_x = QValueAxis()
        axis_x.setLabelFormat("%d")
        years = [int(y) for y in same["year"]]
        axis_x.setRange(min(years) - 0.5, max(years) + 0.5)
        axis_x.setTickCount(len(years) + 1 if len(years) < 8 else 8)
        axis_y = QValueAxis()
        axis_y.setRange(0, 100)
        axis_y.setLabelFormat("%d")
        axis_y.setTitleText("%")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        for key, title in (("success", "Успеваемость"), ("quality", "Качество"), ("sou", "СОУ")):
            line = QLineSeries()
            line.setName(title)
            for y, v in zip(same["year"], same[key]):
                if not (isinstance(v, float) and math.isnan(v)):
                    line.append(QPointF(float(y), float(v)))
            chart.addSeries(line)
            line.attachAxis(axis_x)
            line.attachAxis(axis_y)

    @staticmethod
    def _bars(chart: QChart, series: QBarSeries, categories: list[str]) -> None:
        chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append(categories)
        axis_y = QValueAxis()
        axis_y.setRange(0, 100)
        axis_y.setLabelFormat("%d")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)

    def _reference(self, row, level: str, column: str):
        if row["level"] in ("municipality", "region") and level != "region":
            return None
        if row["level"] == "region":
            return None
        frame = self.data.tables.levels.get(level)
        ref_id = row.get(column)
        if frame is None or ref_id is None or (isinstance(ref_id, float) and math.isnan(ref_id)):
            return None
        hit = frame[(frame["org_id"] == ref_id) & (frame["procedure_id"] == row["procedure_id"])]
        return None if hit.empty else hit.iloc[0]

    # --- objectivity and ШНОР ----------------------------------------------------------------
    @property
    def shown_flags(self) -> list:
        """The flags of the chosen comparison (schools or municipalities)."""
        if self.data is None:
            return []
        return self.data.municipal_flags if self.flag_level.currentData() == "municipality" else self.data.flags

    def _show_flags(self) -> None:
        import pandas as pd

        if self.data is None:
            return
        rows = [{"org": f.org, "org_name": f.org_name, "procedure": f.procedure_label, "signs": ", ".join(f.signs),
                 "evidence": "\n".join(f"{s}: {t}" for s, t in f.evidence.items()), "risk": f.risk}
                for f in self.shown_flags]
        frame = pd.DataFrame(rows, columns=FLAG_COLUMNS)
        self.flags_table.setModel(DataFrameModel(frame, FLAG_HEADERS, self.flags_table, highlight_column="risk"))
        self.flags_table.resizeColumnsToContents()
        self.flags_table.setColumnWidth(4, 520)
        self.flags_table.resizeRowsToContents()
        self.flags_table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_evidence(cur.row()))
        self.evidence.clear()
        if not rows:
            self.evidence.setPlainText("Признаков не найдено" + (
                " (муниципалитеты сравниваются с регионом; нужны результаты хотя бы двух муниципалитетов)."
                if self.flag_level.currentData() == "municipality" else "."))
        self.roadmap_button.setEnabled(False)

    def _show_evidence(self, row: int) -> None:
        flags = self.shown_flags
        if not 0 <= row < len(flags):
            return
        f = flags[row]
        lines = [f"{f.org_name} ({f.org}) — {f.procedure_label}, участников: {f.n}"]
        from ...services.objectivity import SIGN_NAMES

        lines += [f"{s} — {SIGN_NAMES[s]}: {t}" for s, t in f.evidence.items()]
        if f.risk:
            lines.append("Список риска: " + "; ".join(f.risk_reasons))
        self.evidence.setPlainText("\n".join(lines))
        # a roadmap task is opened for a school; a municipality's signs are a matter for the region's plan
        self.roadmap_button.setEnabled(f.level == "school")

    def _show_shnor(self) -> None:
        import pandas as pd

        rows = [{"org": e.org, "org_name": e.org_name, "municipality": e.municipality or "",
                 "low": "\n".join(f"{y}: {t}" for y, items in e.low_procedures.items() for t in items),
                 "shfnsu": {True: "да", False: "нет", None: "нет данных"}[e.shfnsu] +
                 (f" ({', '.join(e.shfnsu_factors)})" if e.shfnsu_factors else "")}
                for e in self.data.shnor]
        frame = pd.DataFrame(rows, columns=["org", "org_name", "municipality", "low", "shfnsu"])
        self.shnor_table.setModel(DataFrameModel(
            frame, ["Код", "Организация", "Муниципалитет", "Низкие результаты", "ШФНСУ"], self.shnor_table))
        self.shnor_table.resizeColumnsToContents()
        self.shnor_table.setColumnWidth(3, 560)
        self.shnor_table.resizeRowsToContents()

    def _open_roadmap_task(self) -> None:  # pragma: no cover - shown only when the roadmap service offers it
        factory = roadmap_task_factory()
        index = self.flags_table.currentIndex()
        if factory is None or not index.isValid():
            return
        flag = self.shown_flags[index.row()]
        tasks.run(self, _create_roadmap_task, title="Задача дорожной карты", ctx=self.ctx, flag=flag,
                  on_done=lambda _r: self.status.setText(f"Создана задача дорожной карты для {flag.org_name}."))

    # --- export -------------------------------------------------------------------------------
    def open_report(self):
        """The analysis report for the chosen year, from the same services as the CLI's ``ersoko report``."""
        from ..dialogs.report_dialog import ReportDialog, analysis_kind

        dialog = ReportDialog(self.ctx, self, kind=analysis_kind(self.ctx), year=self.year.currentData())
        dialog.open()
        return dialog

    def export(self) -> None:
        frame = self.view_frame
        if frame is None or frame.empty:
            self.status.setText("Нечего экспортировать: сначала выполните расчёт.")
            return
        path, chosen = QFileDialog.getSaveFileName(self, "Экспорт показателей", "показатели.xlsx",
                                                   "Excel (*.xlsx);;CSV (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        from ...services.indicators import present, suppress_small_cells, write_table

        fmt = "csv" if path.lower().endswith(".csv") else "xlsx"
        public = suppress_small_cells(present(self.view_frame, self.data.tables.catalog))
        write_table(public, path, fmt=fmt)
        self.status.setText(f"Сохранено: {path} (группы меньше 5 участников скрыты).")


def _num(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(v) else v


def roadmap_task_factory():
    """The roadmap service's "create a task for a flagged school" function, if it exists yet."""
    try:
        from ...services import roadmaps
    except ImportError:
        return None
    return getattr(roadmaps, "create_task_for_flag", None)


def _create_roadmap_task(ctx, flag, progress=None):  # pragma: no cover - see roadmap_task_factory
    factory = roadmap_task_factory()
    with ctx.session() as session:
        return factory(session, org_code=flag.org, title=f"Проверка объективности: {flag.procedure_label}",
                       note="\n".join(f"{s}: {t}" for s, t in flag.evidence.items()))
