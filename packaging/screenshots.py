"""Screenshots of every page on the demo database: docs/screenshots/<page>.png.

    xvfb-run -a python packaging/screenshots.py [--out docs/screenshots] [--size 1280x800]

Uses a private data folder (a temp dir), so the user's own databases are never touched. Also
shoots the first-run wizard and the backups dialog. Look at the results before committing them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def settle(app, seconds: float = 0.6) -> None:
    """Let background loads (tasks in the thread pool) finish and the page repaint."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Снимки экрана всех страниц (демонстрационная база)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--size", default="1280x800")
    args = parser.parse_args(argv)
    width, height = (int(x) for x in args.size.split("x"))
    os.environ["ERSOKO_HOME"] = tempfile.mkdtemp(prefix="ersoko-shots-")
    sys.path.insert(0, str(ROOT))

    from ersoko_desktop.ui.application import ensure_app, open_demo_context
    from ersoko_desktop.ui.main_window import PAGES, MainWindow

    app = ensure_app()
    ctx = open_demo_context()
    args.out.mkdir(parents=True, exist_ok=True)
    window = MainWindow(ctx)
    window.resize(width, height)
    window.show()
    settle(app, 1.0)
    for row, (key, title, _module) in enumerate(PAGES):
        window.nav.setCurrentRow(row)
        settle(app, 1.5)
        path = args.out / f"{key}.png"
        window.grab().save(str(path))
        print(f"{title}: {path}")
    window.nav.setCurrentRow(0)
    settle(app)
    window.grab().save(str(args.out / "main_window.png"))

    from ersoko_desktop.ui.dialogs.backups import BackupsDialog

    dialog = BackupsDialog(ctx, window)
    dialog.create_now()
    dialog.show()
    settle(app)
    dialog.grab().save(str(args.out / "backups.png"))
    dialog.close()

    wizard = first_run_wizard(window)
    if wizard is not None:
        wizard.show()
        settle(app)
        wizard.grab().save(str(args.out / "first_run.png"))
        wizard.close()
    window.close()
    ctx.close()
    return 0


def first_run_wizard(parent):
    """The first-run wizard on an empty database with the demo registry loaded."""
    from ersoko_desktop.db import session_scope
    from ersoko_desktop.services.demo import fill_demo
    from ersoko_desktop.ui.application import open_context
    from ersoko_desktop.ui.dialogs.first_run import FirstRunDialog

    ctx = open_context(os.path.join(os.environ["ERSOKO_HOME"], "new.sqlite"))
    with session_scope(ctx.engine) as session:
        fill_demo(session)
    return FirstRunDialog(ctx, parent)


if __name__ == "__main__":
    sys.exit(main())
