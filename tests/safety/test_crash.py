"""The crash handler writes a log with the traceback and shows a Russian message instead."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pytest

from ersoko_desktop.safety import crash

CRASHER = textwrap.dedent("""
    import threading
    from ersoko_desktop.safety.crash import install_excepthook, setup_logging
    setup_logging()
    install_excepthook()
    t = threading.Thread(target=lambda: 1 / 0, name="импорт")
    t.start(); t.join()
    raise ValueError("нет такого столбца")
""")


def test_uncaught_exception_goes_to_a_log_not_to_the_screen(ersoko_home):
    out = subprocess.run([sys.executable, "-c", CRASHER], capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "внутренняя ошибка" in out.stderr and "ValueError: нет такого столбца" in out.stderr
    logs = sorted((ersoko_home / "logs").glob("crash-*.log"))
    assert len(logs) == 2  # the worker thread's and the main thread's
    texts = [p.read_text(encoding="utf-8") for p in logs]
    assert any("ZeroDivisionError" in t and "поток импорт" in t for t in texts)
    main = next(t for t in texts if "ValueError" in t)
    assert "Traceback (most recent call last)" in main and "нет такого столбца" in main
    assert str(logs[-1]) in out.stderr  # the message says where the log is
    assert "ValueError" in (ersoko_home / "logs" / "ersoko.log").read_text(encoding="utf-8")


def test_crash_logs_are_pruned(tmp_path):
    for i in range(crash.CRASH_LOGS_KEPT + 3):
        try:
            raise RuntimeError(f"сбой {i}")
        except RuntimeError as exc:
            crash.write_crash_log(type(exc), exc, exc.__traceback__, directory=tmp_path)
    logs = sorted(tmp_path.glob("crash-*.log"))
    assert len(logs) == crash.CRASH_LOGS_KEPT
    assert "сбой 3" in logs[0].read_text(encoding="utf-8")  # the three oldest are gone


def test_log_file_rotates(tmp_path):
    path = crash.setup_logging(directory=tmp_path)
    try:
        assert crash.setup_logging(directory=tmp_path) == path  # idempotent: one handler
        handlers = [h for h in crash.log.handlers if getattr(h, "baseFilename", None) == str(path)]
        assert len(handlers) == 1
        line = "ж" * 1000
        for _ in range(crash.LOG_MAX_BYTES // 1000 + 50):
            crash.log.info(line)
        assert (tmp_path / "ersoko.log.1").exists()
        assert path.stat().st_size < crash.LOG_MAX_BYTES
    finally:
        for h in list(crash.log.handlers):
            if getattr(h, "baseFilename", None) == str(path):
                crash.log.removeHandler(h)
                h.close()


def test_cli_bug_prints_russian_message_and_logs(ersoko_home, tmp_path, cli):
    # A directory where the database file should be is not an input error we foresee.
    bad = tmp_path / "база.sqlite"
    bad.mkdir()
    out = cli("org", "list", db=bad)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "внутренняя ошибка" in out.stderr and "unable to open database file" in out.stderr
    [log] = (ersoko_home / "logs").glob("crash-*.log")
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "ersoko org" in text


@pytest.mark.qt_no_exception_capture
def test_qt_slot_exception_is_reported_in_a_message(qtbot, monkeypatch, ersoko_home):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ersoko_desktop.ui import crash as ui_crash

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    import threading

    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    reporter = ui_crash.install(QApplication.instance(), interactive=False)

    def broken_slot():
        raise KeyError("mark")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: bool(reporter.shown), timeout=5000)
    message, log_path = reporter.shown[0]
    assert "внутренняя ошибка" in message and "KeyError" in message and str(log_path) in message
    assert log_path.parent == ersoko_home / "logs"
    assert "broken_slot" in log_path.read_text(encoding="utf-8")
