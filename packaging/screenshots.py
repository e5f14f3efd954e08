"""Screenshots of every page on the demo database: docs/screenshots/<page>.png.

    xvfb-run -a python packaging/screenshots.py [--out docs/screenshots] [--size 1280x800]

Uses a private data folder (a temp dir), so the user's own databases are never touched. Pages
are shot with their data loaded (the Показатели page computed, the Обзор flags filled in); also
every step of the first-run wizard and the backups dialog. Look at the results before committing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def settle(app, seconds: float = 0.6, until=None, limit: float = 120.0) -> None:
    """Let background loads (tasks in the thread pool) finish and the page repaint."""
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end or (until is not None and not until() and time.monotonic() < start + limit):
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
        page = window.stack.currentWidget()
        if key == "overview":
            settle(app, 1.0, until=lambda: page.flags is not None)
        elif key == "indicators":
            page.compute()
            settle(app, 1.0, until=lambda: page.data is not None and page.compute_button.isEnabled())
            page.table.selectRow(2)
        elif key == "roadmaps":
            tree = page.tree
            if tree.topLevelItemCount():
                tree.expandAll()
        settle(app, 1.5)
        path = args.out / f"{key}.png"
        window.grab().save(str(path))
        print(f"{title}: {path}")
        if key == "indicators":  # the signs tab too, a flagged school selected
            page.tabs.setCurrentIndex(1)
            page.flags_table.selectRow(0)
            settle(app, 1.0)
            window.grab().save(str(args.out / "indicators_flags.png"))
            page.tabs.setCurrentIndex(0)
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
    window.close()
    ctx.close()

    shoot_wizard(app, args.out)
    return 0


def shoot_wizard(app, out: Path) -> None:
    """Every step of the first-run wizard on a new database, with a registry file loaded."""
    from ersoko_desktop.ui.application import open_context
    from ersoko_desktop.ui.dialogs.first_run import FirstRunDialog

    home = Path(os.environ["ERSOKO_HOME"])
    registry = home / "Реестр ОО.csv"
    registry.write_text("Код;Наименование;Тип;Код вышестоящей\n08;Республика Калмыкия;регион;\n"
                        "0801;Степной район;муниципалитет;08\n0802;Город Приозёрск;муниципалитет;08\n"
                        "080101;МКОУ «Степная СОШ №1»;школа;0801\n080102;МКОУ «Степная СОШ №2»;школа;0801\n",
                        encoding="utf-8")
    ctx = open_context(str(home / "Новая база" / "ersoko.sqlite"))
    wizard = FirstRunDialog(ctx)
    wizard.show()
    settle(app)
    wizard.grab().save(str(out / "first_run.png"))
    wizard.role_page.set_role("municipality")
    wizard.next()
    wizard.load_registry_file(str(registry))
    settle(app)
    wizard.grab().save(str(out / "first_run_org.png"))
    wizard.next()
    wizard.key_page.create_key()
    settle(app)
    wizard.grab().save(str(out / "first_run_key.png"))
    wizard.next()
    settle(app)
    wizard.grab().save(str(out / "first_run_location.png"))
    wizard.next()
    settle(app)
    wizard.grab().save(str(out / "first_run_finish.png"))
    wizard.close()
    ctx.close()
    print(f"Первый запуск: {out / 'first_run*.png'}")


if __name__ == "__main__":
    sys.exit(main())
