"""The first-run wizard end to end, offscreen: role → registry → key → another folder → main window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from sqlalchemy import select

from ersoko_desktop.db import open_database, session_scope
from ersoko_desktop.db.engine import resolve_db
from ersoko_desktop.db.models import SigningKey
from ersoko_desktop.settings import own_organization
from ersoko_desktop.ui.context import AppContext
from ersoko_desktop.ui.dialogs.first_run import FirstRunDialog

REGISTRY = ("Код;Наименование;Тип;Код вышестоящей\n08;Республика;регион;\n0801;Степной район;муниципалитет;08\n"
            "080101;Степная СОШ №1;школа;0801\n")


@pytest.fixture
def new_db(tmp_path):
    path = tmp_path / "первая" / "ersoko.sqlite"
    path.parent.mkdir()
    engine = open_database(str(path))
    yield path, AppContext(engine=engine, db_label=str(path))
    engine.dispose()


def _next(qtbot, wizard):
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def test_wizard_registry_key_and_new_folder(qtbot, new_db, tmp_path, ersoko_home):
    old_path, ctx = new_db
    registry = tmp_path / "реестр.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    wizard = FirstRunDialog(ctx)
    qtbot.addWidget(wizard)
    wizard.show()

    # 1. role
    wizard.role_page.set_role("municipality")
    _next(qtbot, wizard)
    assert wizard.currentId() == 1 and wizard.state.role == "municipality"

    # 2. organization: nothing in the database yet → Next is refused with a message on the page
    page = wizard.org_page
    assert page.org.count() == 0
    _next(qtbot, wizard)
    assert wizard.currentId() == 1 and "Выберите свою организацию" in page.error.text()
    assert page.load_registry_file(str(registry))
    assert [page.org.itemData(i) for i in range(page.org.count())] == ["0801"]
    _next(qtbot, wizard)
    assert wizard.currentId() == 2

    # 3. key: Next waits for the key; mismatched passphrases are refused; the fingerprint is shown
    key_page = wizard.key_page
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    key_page.passphrase.setText("пароль-ключа")
    key_page.repeat.setText("другой-пароль")
    qtbot.mouseClick(key_page.create_button, Qt.MouseButton.LeftButton)
    assert "не совпадают" in key_page.error.text() and wizard.state.key is None
    key_page.repeat.setText("пароль-ключа")
    key_page.repeat.setFocus()
    qtbot.keyClick(key_page.repeat, Qt.Key.Key_Return)  # Enter in the second field creates the key
    key = wizard.state.key
    assert key is not None and key.encrypted
    assert key_page.fingerprint.text().split() == key.fingerprint.split()  # 16 groups on two lines
    assert key_page.card_button.isVisibleTo(wizard)
    card = tmp_path / "карточка.pdf"
    assert key_page.save_key_card(str(card))
    assert card.read_bytes().startswith(b"%PDF")
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClick(wizard, Qt.Key.Key_Return)  # Enter = «Далее»
    assert wizard.currentId() == 3

    # 4. where the data lives: the current file is shown; choose another folder (Cyrillic, spaces)
    location = wizard.location_page
    assert location.current.text() == str(old_path)
    assert location.folder.text() == str(old_path.parent)
    target = tmp_path / "Мои документы" / "ЕРСОКО"
    location.choose_folder(str(target))
    assert "будет создана" in location.verdict.text()
    _next(qtbot, wizard)
    assert wizard.currentId() == 4
    assert "Степной район (0801)" in wizard.finish_page.summary.text()
    assert key.fingerprint in wizard.finish_page.summary.text()

    # 5. finish: the database now lives in the new folder, remembered for the next start
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    assert wizard.result() == QWizard.DialogCode.Accepted and not wizard.use_demo
    new_path = target / "ersoko.sqlite"
    assert new_path.is_file() and not old_path.exists()
    assert wizard.ctx is not ctx and wizard.ctx.db_label == str(new_path)
    assert resolve_db(None) == f"sqlite:///{new_path}"
    with wizard.ctx.session() as s:
        assert own_organization(s).code == "0801"
        keys = s.scalars(select(SigningKey)).all()
        assert [k.fingerprint for k in keys] == [key.fingerprint]
    assert list((ersoko_home / "keys").glob("0801-*.key"))

    from ersoko_desktop.ui.main_window import MainWindow

    window = MainWindow(wizard.ctx)
    qtbot.addWidget(window)
    assert "Степной район (0801)" in window.org_label.text()
    wizard.ctx.close()


def test_wizard_manual_school_key_later_same_folder(qtbot, new_db):
    path, ctx = new_db
    with session_scope(ctx.engine) as s:  # a registry with the municipality only
        from ersoko_desktop.db.models import Organization

        region = Organization(code="08", name="Республика", kind="region")
        s.add_all([region, Organization(code="0801", name="Район", kind="municipality", parent=region)])
    wizard = FirstRunDialog(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    _next(qtbot, wizard)  # role: school (default)
    page = wizard.org_page
    page.manual.setChecked(True)
    assert page.kind.text() == "школа"
    page.code.setFocus()  # Tab goes through the fields in the order they are read
    qtbot.keyClick(page.code, Qt.Key.Key_Tab)
    assert wizard.focusWidget() is page.name
    qtbot.keyClick(page.name, Qt.Key.Key_Tab)
    assert wizard.focusWidget() is page.parent_org
    page.code.setText("080177")
    _next(qtbot, wizard)
    assert wizard.currentId() == 1 and "Наименование" in page.error.text()
    page.name.setText("Новая школа")
    page.parent_org.setCurrentIndex(page.parent_org.findData("0801"))
    _next(qtbot, wizard)
    assert wizard.currentId() == 2
    wizard.key_page.later.setChecked(True)
    _next(qtbot, wizard)
    _next(qtbot, wizard)  # the folder stays where it is
    assert "будет создан позже" in wizard.finish_page.summary.text()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    assert wizard.ctx is ctx and path.is_file()
    with ctx.session() as s:
        org = own_organization(s)
        assert (org.code, org.name, org.kind, org.parent.code) == ("080177", "Новая школа", "school", "0801")
        assert s.scalars(select(SigningKey)).all() == []


def test_wizard_escape_cancels_and_demo_button(qtbot, new_db):
    _path, ctx = new_db
    wizard = FirstRunDialog(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert wizard.result() == QWizard.DialogCode.Rejected
    again = FirstRunDialog(ctx)
    qtbot.addWidget(again)
    again.show()
    qtbot.mouseClick(again.role_page.demo_button, Qt.MouseButton.LeftButton)
    assert again.use_demo and again.result() == QWizard.DialogCode.Accepted
