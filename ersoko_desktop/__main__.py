"""GUI entry point ``ersoko-desktop`` (Qt is imported only inside ``main``)."""

from __future__ import annotations

import argparse
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ersoko-desktop", description="ЕРСОКО Desktop")
    parser.add_argument("--db", metavar="PATH_OR_URL", help="файл базы данных или URL")
    parser.add_argument("--demo", action="store_true", help="открыть демонстрационную базу")
    parser.add_argument("--self-test", action="store_true",
                        help="проверить программу: все страницы и функции на временной базе, код 0 — исправна")
    # For benchmarks: quit as soon as the main window is shown and idle, print the CPU time used.
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from .ui.application import run

    return run(db=args.db, demo=args.demo, self_test=args.self_test, probe=args.startup_probe)


if __name__ == "__main__":
    sys.exit(main())
