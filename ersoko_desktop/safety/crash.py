"""Logs and the crash handler: a user sees a Russian message and where the log is, never a
traceback; the developer gets the traceback, the version and the platform in the log file.

``setup_logging`` writes ``logs/ersoko.log`` (rotated at 1 MB, 5 old files kept);
``install_excepthook(show)`` routes uncaught exceptions (main thread and worker threads) to a
crash log ``logs/crash-<time>.log`` and calls ``show(message, log_path)`` — the GUI passes a
message box, the CLI prints to stderr.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import platform
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import Callable

from .. import __version__
from ..paths import logs_dir

LOG_NAME = "ersoko.log"
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 5
CRASH_LOGS_KEPT = 20

log = logging.getLogger("ersoko")

ShowCrash = Callable[[str, Path], None]


def setup_logging(level: int = logging.INFO, directory: Path | None = None) -> Path:
    """Attach one rotating file handler to the ``ersoko`` logger (idempotent per file)."""
    path = (directory or logs_dir()) / LOG_NAME
    for handler in log.handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler) and Path(handler.baseFilename) == path:
            return path
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS,
                                                   encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    return path


def write_crash_log(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
                    *, directory: Path | None = None, context: str = "") -> Path:
    """Write the whole story of one crash to its own file; keep the newest few."""
    directory = directory or logs_dir()
    now = dt.datetime.now()
    path = directory / f"crash-{now:%Y%m%d-%H%M%S-%f}.log"
    lines = [
        f"ЕРСОКО Desktop {__version__}, {now.isoformat(timespec='seconds')}",
        f"Python {sys.version.split()[0]} {platform.platform()}, frozen={getattr(sys, 'frozen', False)}",
        f"Аргументы: {sys.argv!r}",
    ]
    if context:
        lines.append(f"Где: {context}")
    lines.append("")
    lines.extend(traceback.format_exception(exc_type, exc, tb))
    path.write_text("\n".join(line.rstrip("\n") for line in lines) + "\n", encoding="utf-8")
    log.error("Необработанная ошибка (%s), журнал: %s", context or "программа", path,
              exc_info=(exc_type, exc, tb))
    for old in sorted(directory.glob("crash-*.log"))[:-CRASH_LOGS_KEPT]:
        old.unlink(missing_ok=True)
    return path


def crash_message(exc: BaseException, log_path: Path) -> str:
    """What the user reads: what happened in one line, that data is safe, where the log is."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = type(exc).__name__ + (f": {detail}" if detail else "")
    return (
        "Во время работы программы произошла внутренняя ошибка. "
        "Незавершённая операция отменена, ранее сохранённые данные не пострадали.\n\n"
        f"Описание: {what[:300]}\n\n"
        f"Подробности записаны в журнал:\n{log_path}\n"
        "Пожалуйста, отправьте этот файл разработчикам."
    )


def handle_exception(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
                     show: ShowCrash, *, context: str = "") -> Path | None:
    """Log and report one uncaught exception; a failure while reporting must not loop."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return None
    try:
        path = write_crash_log(exc_type, exc, tb, context=context)
    except Exception:  # the log folder itself is broken: still tell the user
        sys.__excepthook__(exc_type, exc, tb)
        return None
    try:
        show(crash_message(exc, path), path)
    except Exception:
        sys.__excepthook__(exc_type, exc, tb)
    return path


def print_to_stderr(message: str, _log_path: Path) -> None:
    print(f"Ошибка: {message}", file=sys.stderr)


def install_excepthook(show: ShowCrash = print_to_stderr) -> None:
    """Route uncaught exceptions of the main thread and of worker threads to ``show``."""

    def hook(exc_type, exc, tb):
        handle_exception(exc_type, exc, tb, show)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread else "?"
        handle_exception(args.exc_type, args.exc_value, args.exc_traceback, show, context=f"поток {name}")

    sys.excepthook = hook
    threading.excepthook = thread_hook
