"""Обзор: what needs attention — deadlines, imports, flagged schools, packages, forms.

Every tile opens the page where the thing is dealt with (click, or Tab to it and press Enter).
The numbers come from ``services.overview``; the objectivity signs need the indicators engine, so
they are computed in the background and their tile fills in when ready.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ...services.overview import dashboard, flagged_schools
from .. import tasks
from ..widgets import PageBase, hint_label

OVERDUE_BG = QColor("#fde8e8")
SIGN_TITLES = {"S1": "высокие результаты", "S2": "расхождение с журналом", "S3": "резкое изменение",
               "S4": "пик у границы отметки", "S5": "повышенные задания решены лучше базовых"}


STATUS_RU = {"planned": "запланировано", "in_progress": "в работе"}


def _fmt_date(d) -> str:
    return d.strftime("%d.%m.%Y") if d else ""


def _term(start, end) -> str:
    """«25.01.2027», «01.10–31.10.2026» or «01.09.2026–31.05.2027»."""
    if not start or start == end:
        return _fmt_date(end)
    if start.year == end.year:
        return f"{start:%d.%m}–{_fmt_date(end)}"
    return f"{_fmt_date(start)}–{_fmt_date(end)}"


def _plural(n: int, one: str, few: str, many: str) -> str:
    n10, n100 = n % 10, n % 100
    word = one if n10 == 1 and n100 != 11 else few if 2 <= n10 <= 4 and not 12 <= n100 <= 14 else many
    return f"{n} {word}"


class Tile(QFrame):
    """A clickable card: title, a big number, one line of detail. Enter/Space open it too."""

    activated = Signal(str, str)  # page key, section

    def __init__(self, key: str, title: str, page: str, page_title: str, section: str = ""):
        super().__init__()
        self.key, self.page_key, self.section = key, page, section
        self.setObjectName(f"tile_{key}")
        self.setProperty("role", "card")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(f"Открыть страницу «{page_title}» (щелчок или Enter)")
        self.setAccessibleName(title)
        self.setStyleSheet("QFrame#%s:focus { border: 2px solid #2563eb; }" % self.objectName())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        self.title = QLabel(title)
        self.title.setProperty("role", "hint")
        self.value = QLabel("…")
        self.value.setObjectName("value")
        self.value.setStyleSheet("font-size: 20pt; font-weight: 600; color: #0b3d91;")
        self.detail = QLabel("")
        self.detail.setProperty("role", "hint")
        self.detail.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        layout.addStretch(1)

    def set(self, value: str, detail: str = "", *, alarm: bool = False) -> None:
        self.value.setText(value)
        self.value.setStyleSheet(f"font-size: 20pt; font-weight: 600; color: {'#b42318' if alarm else '#0b3d91'};")
        self.detail.setText(detail)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt name
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.activated.emit(self.page_key, self.section)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.page_key, self.section)
            return
        super().keyPressEvent(event)


class Page(PageBase):
    title = "Обзор"
    FLAGS_DELAY_MS = 700

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from ..main_window import PAGES

        titles = {k: t for k, t, _m in PAGES}
        specs = [
            ("overdue", "Просрочено мероприятий", "roadmaps", ""),
            ("due", "Сроки в ближайшие 30 дней", "roadmaps", ""),
            ("forms", "Формы ждут проверки", "forms", ""),
            ("flags", "ОО с признаками необъективности", "indicators", "flags"),
            ("packages", "Пакеты ждут", "packages", ""),
            ("imports", "Последняя загрузка", "results", ""),
        ]
        self.tiles: dict[str, Tile] = {}
        grid = QGridLayout()
        grid.setSpacing(10)
        for i, (key, title, page, section) in enumerate(specs):
            tile = Tile(key, title, page, titles.get(page, page), section)
            tile.activated.connect(self.go_to)
            self.tiles[key] = tile
            grid.addWidget(tile, i // 3, i % 3)
        self.body.addLayout(grid)

        lists = QHBoxLayout()
        lists.setSpacing(14)
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Сроки дорожных карт</b>"))
        self.deadlines = QTableWidget(0, 4)
        self.deadlines.setObjectName("deadlines")
        self.deadlines.setHorizontalHeaderLabels(["№", "Мероприятие", "Срок", "Состояние"])
        header = self.deadlines.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.deadlines.setWordWrap(False)
        self.deadlines.verticalHeader().hide()
        self.deadlines.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.deadlines.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.deadlines.setToolTip("Просроченные (выделены) и ближайшие мероприятия; двойной щелчок — к дорожным картам")
        self.deadlines.cellDoubleClicked.connect(lambda *_: self.go_to("roadmaps", ""))
        left.addWidget(self.deadlines, 1)
        lists.addLayout(left, 3)

        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Требует внимания</b>"))
        self.attention = QLabel("")
        self.attention.setObjectName("attention")
        self.attention.setWordWrap(True)
        self.attention.setTextFormat(Qt.TextFormat.RichText)
        self.attention.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.attention.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                               | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.attention.linkActivated.connect(lambda link: self.go_to(*(link.split(":", 1) + [""])[:2]))
        box = QFrame()
        box.setProperty("role", "card")
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(self.attention)
        box_layout.addStretch(1)
        right.addWidget(box, 1)
        lists.addLayout(right, 2)
        self.body.addLayout(lists, 1)

        self.footer = hint_label("")
        self.footer.setObjectName("footer")
        self.body.addWidget(self.footer)
        self.board = None
        self.flags = None
        self.flags_task = None
        self._flags_stamp = None
        # The signs need pandas and a few seconds of CPU: start them once the window is usable,
        # and let a running computation finish (or cancel at its next step) before the program exits.
        self._flags_timer = QTimer(self)
        self._flags_timer.setSingleShot(True)
        self._flags_timer.timeout.connect(self._start_flags)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._stop_flags)

    # --- navigation ------------------------------------------------------------------------
    def go_to(self, page: str, section: str = "") -> None:
        """Open ``page`` in the main window (and, for the signs, its «Признаки» tab)."""
        from ..main_window import PAGES

        window = self.window()
        nav = getattr(window, "nav", None)
        keys = [k for k, _t, _m in PAGES]
        if nav is None or page not in keys:
            return
        nav.setCurrentRow(keys.index(page))
        target = window.page(page)
        tabs = getattr(target, "tabs", None)
        if section == "flags" and tabs is not None:
            for i in range(tabs.count()):
                if tabs.tabText(i).startswith("Признаки"):
                    tabs.setCurrentIndex(i)

    # --- data --------------------------------------------------------------------------------
    def refresh(self) -> None:
        with self.ctx.session() as session:
            board = dashboard(session)
        self.board = board
        self._show_board(board)
        stamp = (board.results, board.procedures)
        if board.results and stamp != self._flags_stamp and self.flags_task is None:
            self.tiles["flags"].set("…", "Расчёт признаков…")
            self._flags_stamp = stamp
            self._flags_timer.start(self.FLAGS_DELAY_MS)
        elif not board.results:
            self.tiles["flags"].set("—", "Нет результатов процедур")
        elif self.flags is not None:
            self._show_flags(self.flags)

    def _show_board(self, board) -> None:
        t = self.tiles
        t["overdue"].set(str(len(board.overdue)),
                         board.overdue[0].title if board.overdue else "Все сроки соблюдены", alarm=bool(board.overdue))
        t["due"].set(str(len(board.upcoming)), "мероприятий в работе или начинаются")
        waiting = board.forms_to_decide_total
        sent_up = sum(f.count for f in board.forms_sent_up)
        detail = "отправлены подведомственными организациями" if waiting else "Нет форм на проверке"
        if sent_up:
            detail += f"; наших на проверке выше: {sent_up}"
        t["forms"].set(str(waiting), detail)
        received, sent = len(board.received_not_imported), len(board.sent_unanswered)
        t["packages"].set(str(received + sent), f"получено, не загружено: {received}; отправлено, ответа нет: {sent}",
                          alarm=bool(received))
        if board.last_imports:
            last = board.last_imports[0]
            t["imports"].set(f"{last.imported_at:%d.%m.%Y}", f"{last.file_name} — {_plural(last.rows, 'строка', 'строки', 'строк')}")
        else:
            t["imports"].set("—", "Файлы результатов ещё не загружались")

        self.deadlines.setRowCount(0)
        rows = [(i, True) for i in board.overdue] + [(i, False) for i in board.upcoming]
        self.deadlines.setRowCount(len(rows))
        for r, (item, overdue) in enumerate(rows):
            values = [item.number or "", item.title, _term(item.start, item.end),
                      "просрочено" if overdue else STATUS_RU.get(item.status, item.status)]
            for c, v in enumerate(values):
                cell = QTableWidgetItem(v)
                cell.setToolTip(f"{item.title}\n{item.roadmap}")
                if overdue:
                    cell.setBackground(QBrush(OVERDUE_BG))
                self.deadlines.setItem(r, c, cell)
        for column in (0, 2, 3):
            self.deadlines.resizeColumnToContents(column)
        self._show_attention()
        orgs = board.organizations
        if board.results or board.roadmaps:
            results = f"{board.results:,}".replace(",", " ")
            self.footer.setText(f"В базе: школ — {orgs.get('school', 0)}, муниципалитетов — "
                                f"{orgs.get('municipality', 0)}, оценочных процедур — {board.procedures}, "
                                f"результатов участников — {results}, дорожных карт — {board.roadmaps}.")
        else:
            self.footer.setText("База пуста: загрузите реестр организаций и результаты оценочных процедур "
                                "(страница «Результаты») или дорожную карту.")

    def _show_attention(self) -> None:
        board, flags = self.board, self.flags
        if board is None:
            return
        parts: list[str] = []
        if flags is not None and flags.top:
            items = "".join(
                f"<li>{'<b>' if s.risk else ''}{s.org_name}{'</b>' if s.risk else ''} ({s.org}): "
                f"{', '.join(s.signs)}{' — в списке риска' if s.risk else ''}</li>" for s in flags.top)
            parts.append(f"<a href='indicators:flags'>Признаки необъективности, {flags.year}</a><ul>{items}</ul>")
        if board.forms_to_decide:
            items = "".join(f"<li>{f.title}: {f.count}</li>" for f in board.forms_to_decide)
            parts.append(f"<a href='forms'>Формы ждут проверки</a><ul>{items}</ul>")
        if board.received_not_imported:
            items = "".join(f"<li>{p.file_name or 'файл'} ({p.at:%d.%m.%Y}): {p.message or ''}</li>"
                            for p in board.received_not_imported[:3])
            parts.append(f"<a href='packages'>Получены, но не загружены</a><ul>{items}</ul>")
        if board.sent_unanswered:
            items = "".join(f"<li>{p.file_name or 'пакет'} → {p.org} ({p.at:%d.%m.%Y})</li>"
                            for p in board.sent_unanswered[:3])
            parts.append(f"<a href='packages'>Отправлены, ответа нет</a><ul>{items}</ul>")
        if board.last_imports:
            items = "".join(f"<li>{i.imported_at:%d.%m.%Y %H:%M} — {i.file_name}"
                            f"{' (' + i.procedure + ')' if i.procedure else ''}</li>" for i in board.last_imports[:3])
            parts.append(f"<a href='results'>Последние загрузки</a><ul>{items}</ul>")
        self.attention.setText("".join(parts) or "Ничего срочного.")

    def _start_flags(self) -> None:
        if self.flags_task is None:
            self.flags_task = tasks.run(self, _compute_flags, ctx=self.ctx, quiet=True, title="Признаки необъективности",
                                        on_done=self._show_flags, on_error=self._flags_failed)

    def _stop_flags(self) -> None:
        self._flags_timer.stop()
        if self.flags_task is not None:
            self.flags_task.cancel()
            QThreadPool.globalInstance().waitForDone(30_000)

    def _show_flags(self, summary) -> None:
        self.flags_task = None
        self.flags = summary
        tile = self.tiles["flags"]
        if summary.year is None:
            tile.set("—", "Нет результатов процедур")
        else:
            tile.set(str(summary.schools), f"{summary.year} год; в списке риска: {summary.risk}",
                     alarm=bool(summary.risk))
        self._show_attention()

    def _flags_failed(self, exc: BaseException) -> None:
        self.flags_task = None
        self._flags_stamp = None
        self.tiles["flags"].set("?", f"Не рассчитано: {exc}")


def _compute_flags(*, ctx, progress=None):
    """Worker thread: flagged schools of the own organization (all schools for a region)."""
    own = ctx.own_org()
    with ctx.session() as session:
        return flagged_schools(session, org_code=own[0] if own and own[2] != "region" else None, progress=progress)
