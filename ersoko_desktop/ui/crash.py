"""The GUI side of the crash handler: a Russian message box instead of a traceback.

Uncaught exceptions can come from any thread (Qt slots, the thread pool); the box must be shown
on the GUI thread, so the report travels through a queued signal.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import APP_NAME
from ..safety.crash import install_excepthook


class CrashReporter(QObject):
    report = Signal(str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.shown: list[tuple[str, Path]] = []  # what was reported (the self-test and tests read it)
        self.report.connect(self._show)
        self.interactive = True

    def __call__(self, message: str, log_path: Path) -> None:
        self.report.emit(message, str(log_path))  # queued when called from a worker thread

    def _show(self, message: str, log_path: str) -> None:
        self.shown.append((message, Path(log_path)))
        if not self.interactive:
            return
        box = QMessageBox(QMessageBox.Icon.Critical, f"{APP_NAME} — внутренняя ошибка", message,
                          parent=QApplication.activeWindow())
        open_logs = box.addButton("Открыть папку журналов", QMessageBox.ButtonRole.ActionRole)
        box.addButton("Продолжить работу", QMessageBox.ButtonRole.AcceptRole)
        box.exec()
        if box.clickedButton() is open_logs:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(log_path).parent)))


def install(app: QApplication, *, interactive: bool = True) -> CrashReporter:
    reporter = CrashReporter(app)
    reporter.interactive = interactive
    install_excepthook(reporter)
    return reporter
