"""Run a service call off the GUI thread with a progress dialog and cancel (GUIDE §9).

    tasks.run(parent, import_results, path=p, on_done=self.show_report, title="Импорт")

The callable receives ``progress=`` (a Qt-free :class:`Progress`). The dialog appears only if
the call lasts longer than ~0.5 s. ``on_done(result)`` or ``on_error(exc)`` run on the GUI
thread. Cancel sets ``progress.cancelled``; the service raises ``CancelledError`` inside its
transaction, so nothing is written.
"""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from ..errors import CancelledError, ErsokoError
from ..progress import Progress

SHOW_AFTER_MS = 500


class _Signals(QObject):
    progressed = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[..., Any], kwargs: dict, progress: Progress, signals: _Signals):
        super().__init__()
        self.setAutoDelete(True)
        self.fn, self.kwargs, self.progress, self.signals = fn, kwargs, progress, signals

    def run(self) -> None:  # worker thread
        try:
            result = self.fn(progress=self.progress, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI thread
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


class Task(QObject):
    """One running call. Kept alive by the module-level registry until it ends."""

    done = Signal(object)
    error = Signal(object)

    def __init__(self, parent: QWidget | None, fn: Callable[..., Any], kwargs: dict, title: str, *,
                 quiet: bool = False):
        super().__init__(parent)
        self.signals = _Signals()
        self.progress = Progress(lambda frac, text: self.signals.progressed.emit(frac, text))
        self.dialog = QProgressDialog(title, "Отмена", 0, 1000, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(10**9)  # shown by our timer, not by Qt's heuristics
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.reset()
        self.dialog.canceled.connect(self.cancel)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        if not quiet:
            self._timer.timeout.connect(self._show)
        self.signals.progressed.connect(self._on_progress)
        self.signals.finished.connect(self._on_finished)
        self.signals.failed.connect(self._on_failed)
        self.result: Any = None
        self.exception: BaseException | None = None
        self.finished = False
        self._job = _Job(fn, kwargs, self.progress, self.signals)

    def start(self) -> None:
        self._timer.start(SHOW_AFTER_MS)
        QThreadPool.globalInstance().start(self._job)

    def cancel(self) -> None:
        self.progress.cancel()
        self.dialog.setLabelText("Отмена… дождитесь завершения текущего шага")

    def _show(self) -> None:
        if not self.finished:
            self.dialog.show()

    def _on_progress(self, fraction: float, text: str) -> None:
        self.dialog.setValue(int(fraction * 1000))
        if text and not self.progress.cancelled:
            self.dialog.setLabelText(text)

    def _close(self) -> None:
        self.finished = True
        self._timer.stop()
        self.dialog.hide()
        self.dialog.deleteLater()
        _running.discard(self)

    def _on_finished(self, result: Any) -> None:
        self.result = result
        self._close()
        self.done.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        self.exception = exc
        self._close()
        self.error.emit(exc)


_running: set[Task] = set()


def run(parent: QWidget | None, fn: Callable[..., Any], *, title: str = "Выполняется…",
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None, quiet: bool = False, **kwargs: Any) -> Task:
    """Start ``fn(progress=..., **kwargs)`` in the thread pool; errors default to a message box.
    ``quiet``: no progress dialog (background loads the page shows as it likes)."""
    task = Task(parent, fn, kwargs, title, quiet=quiet)
    if on_done:
        task.done.connect(on_done)
    task.error.connect(on_error or (lambda exc: show_error(parent, exc)))
    _running.add(task)
    task.start()
    return task


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    if isinstance(exc, CancelledError):
        QMessageBox.information(parent, "Отменено", exc.message)
    elif isinstance(exc, ErsokoError):
        QMessageBox.warning(parent, "Ошибка", str(exc))
    else:
        from ..safety.crash import write_crash_log

        try:
            where = f"\n\nПодробности записаны в журнал:\n{write_crash_log(type(exc), exc, exc.__traceback__, context='фоновая операция')}"
        except OSError:
            where = ""
        QMessageBox.critical(
            parent, "Непредвиденная ошибка",
            "Операция не выполнена, данные не изменены.\n\n"
            f"{type(exc).__name__}: {exc}{where}",
        )
