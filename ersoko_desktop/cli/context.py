"""Shared CLI plumbing: the database, JSON output, the progress bar."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..progress import Progress


class CliContext:
    def __init__(self, db: str | None):
        self.db = db
        self._engine: Engine | None = None
        self.opened = None  # safety.startup.OpenedDatabase: holds the database lock

    def open(self, *, migrate: bool = True, check_integrity: bool = False, daily: bool = False):
        """Open the database safely (lock, location check; ``init`` adds quick_check and the
        daily backup) and migrate it; messages go to stderr."""
        if self.opened is None:
            from ..safety.startup import open_safely

            self.opened = open_safely(self.db, program="ersoko (командная строка)", migrate=migrate,
                                      check_integrity=check_integrity, daily=daily)
            self._engine = self.opened.engine
            for warning in self.opened.warnings:
                info(f"Внимание: {warning}")
        return self.opened

    def engine(self, *, migrate: bool = True) -> Engine:
        """The database, migrated to the code's schema (refused if newer than the code)."""
        if self._engine is None:
            self.open(migrate=migrate)
        return self._engine  # type: ignore[return-value]

    @contextmanager
    def session(self) -> Iterator[Session]:
        from ..db import session_scope

        with session_scope(self.engine()) as session:
            yield session

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()
            self.opened = None
        elif self._engine is not None:
            self._engine.dispose()
        self._engine = None


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))
    sys.stdout.write("\n")
    sys.stdout.flush()


def respond(args, data: Any, lines: Iterable[str] = (), *, summary: bool = False) -> int:
    """The one output shape of a command: ``data`` as JSON with ``--format json``, otherwise the human
    ``lines`` — a listing to stdout, a ``summary`` of what was done to stderr (stdout stays for data).
    ``lines`` may be a generator: it is only consumed for text output. Returns exit code 0."""
    if getattr(args, "format", "text") == "json":
        emit_json(data)
        return 0
    stream = sys.stderr if summary else sys.stdout
    for line in lines:
        print(line, file=stream)
    return 0


def _json_default(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    raise TypeError(f"не сериализуется в JSON: {type(value).__name__}")


def info(message: str) -> None:
    """Human messages go to stderr so ``--format json`` keeps stdout pure JSON."""
    print(message, file=sys.stderr)


def add_format(parser, choices=("text", "json"), default="text") -> None:
    parser.add_argument("--format", choices=choices, default=default, help="формат вывода")


def terminal_progress(label: str, *, enabled: bool = True) -> Progress:
    """A progress bar on stderr (only when stderr is a terminal)."""
    if not enabled or not sys.stderr.isatty():
        return Progress()
    state = {"last": -1}

    def show(fraction: float, text: str) -> None:
        pct = int(fraction * 100)
        if pct == state["last"]:
            return
        state["last"] = pct
        bar = "█" * (pct // 4) + "░" * (25 - pct // 4)
        sys.stderr.write(f"\r{label}: {bar} {pct:3d}% {text[:40]:<40}")
        if pct >= 100:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return Progress(show)
