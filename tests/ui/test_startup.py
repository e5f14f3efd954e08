"""Start-up stays light: the main window comes up without the heavy libraries, and the daily
backup runs after the window is shown. (Start-up *time* is measured, not asserted:
tests/benchmarks/bench_startup.py.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ersoko_desktop.db.backup import list_backups
from ersoko_desktop.ui.application import open_context, start_daily_backup
from ersoko_desktop.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]

# Loaded on first use of a page or an action, never to show the first page: each costs 0.1–1 s.
HEAVY = ["pandas", "numpy", "reportlab", "openpyxl", "python_calamine", "docx", "cryptography",
         "PySide6.QtCharts", "alembic"]

CHILD = """
import json, sys, threading
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


class Recorder:
    \"\"\"Notes which heavy library the GUI thread imports (pages may load data on worker threads).\"\"\"
    on_gui_thread = set()

    def find_spec(self, name, path=None, target=None):
        if name in HEAVY and threading.current_thread() is threading.main_thread():
            self.on_gui_thread.add(name)
        return None


sys.meta_path.insert(0, Recorder())
app = QApplication(sys.argv[:1])
loaded = {}

def probe():
    from PySide6.QtCore import QThreadPool

    windows = [w for w in app.topLevelWidgets() if w.isVisible()]
    loaded["window"] = [type(w).__name__ for w in windows]
    loaded["modules"] = sorted(Recorder.on_gui_thread)
    QThreadPool.globalInstance().waitForDone(60000)  # pages' background loads may run on (not measured)
    app.quit()

QTimer.singleShot(0, probe)  # runs once the real start-up below has shown the window and idles
from ersoko_desktop.__main__ import main
code = main(["--db", sys.argv[1]])
print(json.dumps({"code": code, **loaded}))
"""


def test_main_window_starts_without_heavy_libraries(demo_db_template, tmp_path, ersoko_home):
    """The real ``ersoko-desktop --db`` start on a demo database (schema at head, own organization
    set): until the window is up and idle, the GUI thread imports none of the heavy libraries
    (a page may compute on a worker thread meanwhile). If this fails, import the library inside the
    function that needs it, or build the page on first visit."""
    db = tmp_path / "школа.sqlite"
    shutil.copy(demo_db_template, db)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ERSOKO_HOME=str(ersoko_home),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    code = f"HEAVY = {HEAVY!r}\n" + CHILD
    out = subprocess.run([sys.executable, "-c", code, str(db)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert report["window"] == ["MainWindow"]
    assert report["modules"] == []


def test_daily_backup_is_taken_after_the_window_is_shown(qtbot, demo_db_template, tmp_path):
    db = tmp_path / "ersoko.sqlite"
    shutil.copy(demo_db_template, db)
    ctx = open_context(str(db))
    try:
        assert list_backups(db, reason="daily") == []  # opening alone copies nothing
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.show()
        start_daily_backup(ctx, window)
        qtbot.waitUntil(lambda: "резервная копия создана" in window.statusBar().currentMessage(), timeout=20000)
        (daily,) = list_backups(db, reason="daily")
        assert daily.path.name in window.statusBar().currentMessage()
        start_daily_backup(ctx, window)  # once per opening: no second thread, no second copy
        ctx.opened.wait_for_background()
        assert len(list_backups(db, reason="daily")) == 1
    finally:
        ctx.close()
    import sqlite3

    copy = sqlite3.connect(str(daily.path))
    try:
        assert copy.execute("SELECT count(*) FROM organization").fetchone()[0] == 25  # the demo registry
    finally:
        copy.close()
