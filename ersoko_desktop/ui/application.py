"""Start the Qt application: open the database, first-run dialog, main window."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import APP_NAME, __version__
from ..errors import ErsokoError, RememberedDatabaseMissing
from ..paths import demo_db_path, resources_root
from ..safety.crash import setup_logging
from ..safety.startup import DatabaseDamagedError
from . import crash
from .context import AppContext


def app_icon() -> QIcon:
    icon = resources_root() / "icons" / "ersoko.png"
    return QIcon(str(icon)) if icon.is_file() else QIcon()


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QGuiApplication

        # Sharp text at 125 %/150 % Windows scaling instead of rounding to 100 %/200 %.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(sys.argv[:1])
        from . import theme

        theme.apply(app)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("ERSOKO")
    app.setWindowIcon(app_icon())
    font = app.font()
    if font.pointSize() < 10:
        font.setPointSize(10)
        app.setFont(font)
    return app


def open_context(db: str | os.PathLike | None, *, demo: bool = False) -> AppContext:
    """Open a database the safe way (lock, location, quick_check, migrations). The daily backup
    is left to :func:`start_daily_backup`, after the window is shown."""
    from ..safety.startup import open_safely

    opened = open_safely(db, program=APP_NAME, daily=False)
    ctx = AppContext(engine=opened.engine, db_label=opened.url.removeprefix("sqlite:///"), demo=demo)
    ctx.opened = opened  # keeps the single-instance lock until the program ends
    for warning in opened.warnings:
        QMessageBox.warning(None, APP_NAME, warning)
    return ctx


class _BackupNotice(QObject):
    """Carries the worker thread's result of the daily backup to the window's status bar."""

    finished = Signal(object, object)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.finished.connect(self.show_result)  # a slot of a GUI-thread object: queued across threads

    @Slot(object, object)
    def show_result(self, path, error) -> None:
        if error is not None:
            self.window.statusBar().showMessage(f"Ежедневная резервная копия не создана: {error}")
        elif path is not None:
            self.window.statusBar().showMessage(f"Ежедневная резервная копия создана: {path.name}", 10_000)


def start_daily_backup(ctx: AppContext, window) -> None:
    """The day's first backup, on a worker thread once the window is up (a large database takes
    seconds to copy); the result goes to the status bar, closing the program waits for it."""
    if ctx.opened is not None:
        notice = _BackupNotice(window)
        ctx.opened.start_daily_backup(notice.finished.emit)


def open_demo_context() -> AppContext:
    from ..db import session_scope
    from ..services.demo import fill_demo

    ctx = open_context(str(demo_db_path()), demo=True)
    with session_scope(ctx.engine) as session:
        fill_demo(session)
    return ctx


def offer_restore(exc: DatabaseDamagedError) -> bool:
    """A damaged database: offer the newest backup; True if it was restored."""
    from ..db.backup import restore_backup
    from ..safety.lock import acquire

    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, str(exc))
    restore = None
    if exc.latest is not None:
        restore = box.addButton(f"Восстановить копию от {exc.latest.created:%d.%m.%Y %H:%M}",
                                QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Выход", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if restore is None or box.clickedButton() is not restore:
        return False
    with acquire(exc.db_file, program=APP_NAME):
        safety = restore_backup(exc.latest.path, exc.db_file)  # type: ignore[union-attr]
    QMessageBox.information(None, APP_NAME, "База восстановлена из резервной копии."
                            + (f"\nПовреждённый файл сохранён: {safety}" if safety else ""))
    return True


def _open_for_run(db: str | None, demo: bool, self_test: bool) -> AppContext | None:
    for _attempt in range(2):
        try:
            if self_test:
                import tempfile

                tmp = tempfile.mkdtemp(prefix="ersoko-selftest-")
                return open_context(os.path.join(tmp, "self-test.sqlite"))
            if demo:
                return open_demo_context()
            return open_context(db)
        except DatabaseDamagedError as exc:
            if self_test or not offer_restore(exc):
                return None
        except RememberedDatabaseMissing as exc:
            db = ask_missing_database(exc)  # this session only: the chosen database stays the choice
            if db is None:
                return None
        except ErsokoError as exc:
            local = local_fallback(db, demo=demo, self_test=self_test)
            if local is None or not ask_local_fallback(exc):
                if local is None:
                    QMessageBox.critical(None, APP_NAME, str(exc))
                return None
            db = local  # this session only: the saved server stays the choice for the next start
    return None


def local_fallback(db: str | None, *, demo: bool = False, self_test: bool = False) -> str | None:
    """The local database to offer when the server remembered from «Подключение к серверу» does not
    answer: a school or office must still be able to work offline. None when the failing database was
    given explicitly (``--db``, ``ERSOKO_DB``) or is not a server."""
    from ..db.engine import ENV_VAR, remembered_db
    from ..paths import default_db_path

    if db or demo or self_test or os.environ.get(ENV_VAR):
        return None
    remembered = remembered_db()
    if not remembered or "://" not in remembered:
        return None
    return str(default_db_path())


def missing_database_box(exc: RememberedDatabaseMissing) -> tuple[QMessageBox, dict]:
    """The question asked when the chosen database file is gone; returns the box and its buttons by
    the answer they stand for ("choose", "local", "exit")."""
    from ..paths import default_db_path

    box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME,
                      f"{exc}\n\nМожно открыть другой файл базы или базу на этом компьютере ({default_db_path()}); "
                      "при следующем запуске программа снова будет искать выбранную базу.")
    buttons = {"choose": box.addButton("Открыть другой файл…", QMessageBox.ButtonRole.AcceptRole),
               "local": box.addButton("Открыть базу на этом компьютере", QMessageBox.ButtonRole.AcceptRole),
               "exit": box.addButton("Выход", QMessageBox.ButtonRole.RejectRole)}
    box.setDefaultButton(buttons["exit"])
    return box, buttons


def ask_missing_database(exc: RememberedDatabaseMissing) -> str | None:
    """The database to open this time instead of the missing one, or None to exit."""
    from PySide6.QtWidgets import QFileDialog

    from ..paths import default_db_path

    box, buttons = missing_database_box(exc)
    box.exec()
    clicked = box.clickedButton()
    if clicked is buttons["local"]:
        return str(default_db_path())
    if clicked is buttons["choose"]:
        path, _ = QFileDialog.getOpenFileName(None, "Файл базы ЕРСОКО", str(default_db_path().parent),
                                              "База ЕРСОКО (*.sqlite *.db);;Все файлы (*)")
        return path or None
    return None


def ask_local_fallback(exc: ErsokoError) -> bool:
    box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME,
                      f"{exc}\n\nМожно работать с локальной базой на этом компьютере, пока сервер недоступен; "
                      "при следующем запуске программа снова попробует подключиться к серверу.")
    local = box.addButton("Открыть локальную базу", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Выход", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is local


def run(*, db: str | None = None, demo: bool = False, self_test: bool = False, probe: bool = False) -> int:
    if self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    setup_logging()
    app = ensure_app()
    from .gc_guard import GuiThreadCollector

    collector = GuiThreadCollector(app)
    app.aboutToQuit.connect(collector.stop)
    reporter = crash.install(app, interactive=not self_test)
    from .main_window import MainWindow

    ctx = _open_for_run(db, demo, self_test)
    if ctx is None:
        return 2
    if self_test:
        return _self_test(app, ctx, reporter)

    if not ctx.demo and ctx.own_org() is None:
        from .dialogs.first_run import FirstRunDialog

        dialog = FirstRunDialog(ctx)
        if not dialog.exec():
            return 0
        ctx = dialog.ctx  # the wizard may have moved the database to the folder the user chose
        if dialog.use_demo:
            ctx.close()
            ctx = open_demo_context()

    window = MainWindow(ctx)
    window.restore_window_state()
    window.show()
    QTimer.singleShot(0, lambda: start_daily_backup(ctx, window))
    if probe:
        QTimer.singleShot(0, lambda: _probe_ready(app))
    code = app.exec()
    ctx.close()
    return code


def _probe_ready(app: QApplication) -> None:
    """``--startup-probe``: the window is up and the event loop idle; print the CPU time used and the
    clock (the caller subtracts its own start time), then quit."""
    import time

    from PySide6.QtCore import QThreadPool

    print(f"READY cpu={time.process_time():.3f} at={time.time():.3f}", flush=True)
    QThreadPool.globalInstance().waitForDone(60_000)  # pages' background loads end before Python does
    app.quit()


def _self_test(app: QApplication, ctx: AppContext, reporter) -> int:
    """Feature checks on the throwaway database (filled with the demo region), every page opened,
    the Qt checks; one line per check on stdout and in the log."""
    import shutil

    from PySide6.QtCore import QThreadPool

    from ..services.selfcheck import Check, run_checks
    from . import selftest
    from .main_window import MainWindow

    for stream in (sys.stdout, sys.stderr):  # a Windows console may not be UTF-8; never fail on «✓»
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    db_file = ctx.opened.db_file
    with ctx.session() as session:
        checks = run_checks(session, workdir=selftest.workdir_for(db_file))
    window = MainWindow(ctx)
    window.show()
    titles = [window.nav.item(i).text() for i, _page in enumerate(window.visit_all_pages())]
    QThreadPool.globalInstance().waitForDone(60_000)  # pages load their tables on worker threads
    QTimer.singleShot(0, window.close)
    QTimer.singleShot(0, app.quit)
    app.exec()
    errors = [text for text, _details in reporter.shown]
    checks.append(Check("страницы окна", not errors, "; ".join(errors) or f"открыты: {', '.join(titles)}"))
    checks += selftest.qt_checks()
    ctx.close()
    shutil.rmtree(db_file.parent, ignore_errors=True)
    ok = selftest.report(checks)
    if ok:
        print(f"{APP_NAME} {__version__}: самопроверка пройдена")
        return 0
    failed = next(c for c in checks if not c.ok)
    print(f"{APP_NAME}: самопроверка не пройдена: {failed.line()}", file=sys.stderr)
    return 1
