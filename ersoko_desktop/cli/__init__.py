"""The ``ersoko`` command line: a thin layer over the services (GUIDE §7).

Each command group lives in its own module with ``register(subparsers)``; a handler gets the
parsed args and a :class:`CliContext` and returns an exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from ..errors import ErsokoError
from .context import CliContext, emit_json

# Command-group modules, in help order. A module that is not there yet is skipped.
COMMAND_MODULES = ("init", "org", "results", "indicators", "roadmap", "form", "keys", "package", "report", "server",
                   "thresholds", "backup")


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="ersoko",
        description="ЕРСОКО Desktop — командная строка (оценка качества образования, офлайн).",
    )
    parser.add_argument("--db", metavar="PATH_OR_URL",
                        help="файл SQLite или URL базы данных (по умолчанию ERSOKO_DB или база в папке пользователя)")
    parser.add_argument("--version", action="version", version=f"ersoko {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _utf8_stdio()
    from ..safety.crash import setup_logging

    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = CliContext(db=args.db)
    wants_json = getattr(args, "format", None) == "json"
    try:
        return int(args.handler(args, ctx) or 0)
    except ErsokoError as exc:
        if wants_json:
            emit_json({"error": exc.message, "errors": [d.as_dict() for d in exc.diagnostics]})
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``ersoko … | head``): not an error of ours, nothing to report.
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        print("Прервано пользователем; изменения не сохранены.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: log the traceback, tell the user in Russian (exit 1)
        from ..safety.crash import handle_exception, print_to_stderr

        handle_exception(type(exc), exc, exc.__traceback__, print_to_stderr, context=f"ersoko {args.command}")
        return 1
    finally:
        ctx.close()


def _silence_stdout() -> None:
    """Point stdout at the null device so the interpreter's final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _utf8_stdio() -> None:
    """Russian text must not crash a cp866/cp1251 Windows console or a pipe."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
