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


# --- a database file chosen earlier is gone (an unplugged drive) ------------------------------------

def _remember_missing(tmp_path):
    gone = tmp_path / "Флешка" / "ЕРСОКО" / "ersoko.sqlite"   # the drive is not plugged in
    save_preferences({"db": str(gone)})
    return gone


def test_a_missing_chosen_database_is_never_created_empty(tmp_path, ersoko_home):
    from ersoko_desktop.db.engine import resolve_db
    from ersoko_desktop.errors import RememberedDatabaseMissing

    gone = _remember_missing(tmp_path)
    try:
        resolve_db(None)
    except RememberedDatabaseMissing as exc:
        assert exc.path == gone and "отключён съёмный диск" in str(exc) and str(gone) in str(exc)
    else:
        raise AssertionError("no error for a missing chosen database")
    assert not gone.parent.exists()                      # no folder made where the drive should be
    # what the user names explicitly is still created (``init`` of a new database)
    explicit = tmp_path / "новая" / "база.sqlite"
    assert resolve_db(str(explicit)) == f"sqlite:///{explicit}" and explicit.parent.is_dir()


def test_cli_reports_the_missing_database_and_exits_2(tmp_path, ersoko_home, capsys):
    from ersoko_desktop.cli import main

    gone = _remember_missing(tmp_path)
    assert main(["org", "list"]) == 2
    assert "База данных, выбранная ранее, не найдена" in capsys.readouterr().err
    assert not gone.parent.exists()


def test_gui_offers_another_file_or_the_local_database(qtbot, tmp_path, ersoko_home, monkeypatch):
    gone = _remember_missing(tmp_path)
    asked: list[str] = []
    monkeypatch.setattr(application, "ask_missing_database",
                        lambda exc: asked.append(str(exc.path)) or str(default_db_path()))
    ctx = application._open_for_run(None, False, False)
    try:
        assert asked == [str(gone)]
        assert ctx is not None and ctx.db_label == str(default_db_path())
    finally:
        ctx.close()
    assert load_preferences()["db"] == str(gone)         # next start looks for the chosen database again
    assert not gone.parent.exists()
    monkeypatch.setattr(application, "ask_missing_database", lambda exc: None)
    assert application._open_for_run(None, False, False) is None   # «Выход»


def test_missing_database_question_names_the_file_and_the_choices(qtbot, tmp_path, ersoko_home):
    from ersoko_desktop.errors import RememberedDatabaseMissing

    box, buttons = application.missing_database_box(RememberedDatabaseMissing(tmp_path / "E" / "ersoko.sqlite"))
    qtbot.addWidget(box)
    assert str(tmp_path / "E" / "ersoko.sqlite") in box.text() and str(default_db_path()) in box.text()
    assert [b.text() for b in buttons.values()] == ["Открыть другой файл…", "Открыть базу на этом компьютере", "Выход"]
    assert box.defaultButton() is buttons["exit"]
