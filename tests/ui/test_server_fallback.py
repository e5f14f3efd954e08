"""The ЦОКО server remembered in «Подключение к серверу» does not answer at start-up: the program offers
the local database instead of refusing to start, and keeps the server as the choice for next time."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from ersoko_desktop.paths import default_db_path
from ersoko_desktop.settings import load_preferences, save_preferences
from ersoko_desktop.ui import application

DEAD_SERVER = "postgresql+psycopg://analyst@127.0.0.1:1/ersoko"  # nothing listens on port 1


def test_unreachable_saved_server_offers_the_local_database(qtbot, ersoko_home, monkeypatch):
    save_preferences({"db": DEAD_SERVER})
    asked: list[str] = []
    monkeypatch.setattr(application, "ask_local_fallback", lambda exc: asked.append(str(exc)) or True)
    ctx = application._open_for_run(None, False, False)
    try:
        assert len(asked) == 1 and "127.0.0.1" in asked[0]
        assert ctx is not None and ctx.db_label == str(default_db_path())
        assert ctx.own_org() is None  # a fresh local database: the first-run wizard follows
    finally:
        ctx.close()
    assert load_preferences()["db"] == DEAD_SERVER  # tomorrow the server is tried again


def test_declining_the_local_database_exits(qtbot, ersoko_home, monkeypatch):
    save_preferences({"db": DEAD_SERVER})
    monkeypatch.setattr(application, "ask_local_fallback", lambda exc: False)
    assert application._open_for_run(None, False, False) is None
    assert not default_db_path().exists()


def test_an_explicit_server_is_not_swapped_for_a_local_file(qtbot, ersoko_home, monkeypatch):
    """``--db URL`` (or ERSOKO_DB) is what the user asked for: say why it failed, offer nothing else."""
    shown: list[str] = []
    monkeypatch.setattr(application, "ask_local_fallback", lambda exc: pytest_fail("no offer expected"))
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text: shown.append(text)))
    assert application._open_for_run(DEAD_SERVER, False, False) is None
    assert shown and "127.0.0.1" in shown[0]
    assert application.local_fallback(None) is None  # no server remembered: nothing to fall back from


def pytest_fail(message: str):
    import pytest

    pytest.fail(message)
