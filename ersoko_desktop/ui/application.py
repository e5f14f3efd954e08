"""Start the Qt application: open the database, first-run dialog, main window."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import APP_NAME, __version__
from ..errors import ErsokoError
from ..paths import demo_db_path, resources_root


def app_icon() -> QIcon:
    icon = resources_root() / "icons" / "ersoko.png"
    return QIcon(str(icon)) if icon.is_file() else QIcon()


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("ERSOKO")
    app.setWindowIcon(app_icon())
    font = app.font()
    if font.pointSize() < 10:
        font.setPointSize(10)
        app.setFont(font)
    return app


def open_demo_context():
    from ..db import session_scope
    from ..services.demo import fill_demo
    from .context import AppContext

    ctx = AppContext.open(str(demo_db_path()), demo=True)
    with session_scope(ctx.engine) as session:
        fill_demo(session)
    return ctx


def run(*, db: str | None = None, demo: bool = False, self_test: bool = False) -> int:
    if self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = ensure_app()
    from .context import AppContext
    from .main_window import MainWindow

    try:
        if self_test:
            import tempfile

            tmp = tempfile.mkdtemp(prefix="ersoko-selftest-")
            ctx = AppContext.open(os.path.join(tmp, "self-test.sqlite"))
        elif demo:
            ctx = open_demo_context()
        else:
            ctx = AppContext.open(db)
    except ErsokoError as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 2

    if not self_test and not ctx.demo and ctx.own_org() is None:
        from .dialogs.first_run import FirstRunDialog

        dialog = FirstRunDialog(ctx)
        if not dialog.exec():
            return 0
        if dialog.use_demo:
            ctx.engine.dispose()
            ctx = open_demo_context()

    window = MainWindow(ctx)
    window.show()
    if self_test:
        for page in window.visit_all_pages():
            pass
        QTimer.singleShot(0, window.close)
        QTimer.singleShot(0, app.quit)
        app.exec()
        ctx.engine.dispose()
        print(f"{APP_NAME} {__version__}: самопроверка пройдена")
        return 0
    return app.exec()
