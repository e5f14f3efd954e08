"""First-run state without Qt: role, organization (registry or by hand), key, where the data lives."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from ersoko_desktop.db.engine import resolve_db
from ersoko_desktop.db.models import AuditEvent, Organization, SigningKey
from ersoko_desktop.errors import InputError
from ersoko_desktop.safety.location import Location
from ersoko_desktop.services.setup import (
    FirstRunState,
    ManualOrg,
    check_data_folder,
    copy_database,
    remember_database,
    remove_database_files,
)
from ersoko_desktop.settings import get_db_setting, own_organization

REGISTRY = ("Код;Наименование;Тип;Код вышестоящей\n08;Республика;регион;\n0801;Степной район;муниципалитет;08\n"
            "080101;Степная СОШ №1;школа;0801\n080102;Степная СОШ №2;школа;0801\n")


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "реестр.csv"
    path.write_text(REGISTRY, encoding="utf-8")
    return path


def test_registry_candidates_follow_the_role(session, registry):
    state = FirstRunState()
    assert state.candidates(session) == []
    report = state.load_registry(session, registry)
    assert report.created == 4
    assert state.candidates(session) == [("080101", "Степная СОШ №1"), ("080102", "Степная СОШ №2")]
    state.role = "municipality"
    assert state.candidates(session) == [("0801", "Степной район")]
    assert state.parent_candidates(session) == [("08", "Республика")]
    state.role = "region"
    assert state.parent_candidates(session) == []


def test_registry_choice_must_match_role(session, registry):
    state = FirstRunState(role="school", org_code="0801")
    state.load_registry(session, registry)
    with pytest.raises(InputError, match="не относится к выбранной роли"):
        state.apply_org(session)
    state.org_code = None
    with pytest.raises(InputError, match="Выберите свою организацию"):
        state.apply_org(session)
    state.org_code = "080102"
    org = state.apply_org(session)
    assert org.code == "080102"
    assert own_organization(session).code == "080102"
    assert get_db_setting(session, "role") == "school"


def test_manual_school_under_a_registry_municipality(session, registry):
    state = FirstRunState(role="school", org_source="manual",
                          manual=ManualOrg(code=" 080199 ", name="Новая школа", parent_code="0801"))
    state.load_registry(session, registry)
    org = state.apply_org(session)
    assert (org.code, org.name, org.kind, org.parent.code) == ("080199", "Новая школа", "school", "0801")
    assert own_organization(session).code == "080199"
    event = session.scalar(select(AuditEvent).where(AuditEvent.entity == "organization", AuditEvent.entity_id == "080199"))
    assert event is not None and event.action == "create"


def test_manual_region_on_an_empty_database(session):
    state = FirstRunState(role="region", org_source="manual", manual=ManualOrg(code="08", name="ЦОКО"))
    state.apply_org(session)
    assert session.scalar(select(Organization.kind).where(Organization.code == "08")) == "region"
    assert own_organization(session).name == "ЦОКО"


@pytest.mark.parametrize("role, manual, message", [
    ("school", ManualOrg(code="", name="Школа"), "Поле «Код»: введите код"),
    ("school", ManualOrg(code="08 01", name="Школа"), "без пробелов"),
    ("school", ManualOrg(code="080103", name="  "), "Поле «Наименование»"),
    ("school", ManualOrg(code="0801", name="Школа"), "уже есть в реестре как муниципалитет"),
    ("school", ManualOrg(code="080103", name="Школа", parent_code="08"), "не найдена в реестре среди организаций вида «муниципалитет»"),
    ("region", ManualOrg(code="09", name="Регион", parent_code="08"), "у региона её нет"),
])
def test_manual_entry_errors_name_the_field(session, registry, role, manual, message):
    state = FirstRunState(role=role, org_source="manual", manual=manual)
    state.load_registry(session, registry)
    with pytest.raises(InputError, match=message):
        state.apply_org(session)
    assert own_organization(session) is None
    assert session.scalar(select(Organization).where(Organization.code == "080103")) is None


def test_key_for_the_chosen_org_with_passphrase_and_key_card(session, registry, tmp_path, ersoko_home):
    state = FirstRunState(role="municipality", org_code="0801")
    state.load_registry(session, registry)
    state.apply_org(session)
    passphrase = state.check_passphrase("секрет-123", "секрет-123")
    key = state.create_key(session, passphrase=passphrase)
    assert key.created and key.encrypted and key.org_code == "0801"
    assert len(key.fingerprint.split()) == 16  # 64 hex digits in groups of 4
    stored = session.scalar(select(SigningKey))
    assert stored.fingerprint == key.fingerprint
    pem = (ersoko_home / "keys").glob("0801-*.key")
    assert b"ENCRYPTED" in next(pem).read_bytes()
    again = state.create_key(session)
    assert not again.created and again.fingerprint == key.fingerprint
    card = state.save_key_card(session, tmp_path / "карточка.pdf")
    assert card.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("first, second, message", [
    ("секрет-1", "секрет-2", "не совпадают"),
    ("abc", "abc", "не короче 6"),
])
def test_passphrase_checks(first, second, message):
    with pytest.raises(InputError, match=message):
        FirstRunState.check_passphrase(first, second)


def test_no_passphrase_is_allowed():
    assert FirstRunState.check_passphrase("", "") is None


def test_data_folder_checks(tmp_path):
    assert check_data_folder(tmp_path).ok
    assert check_data_folder(tmp_path).warnings == []
    new = check_data_folder(tmp_path / "новая папка")
    assert new.ok and "будет создана" in new.warnings[0]
    usb = check_data_folder(tmp_path, location=Location("removable", "съёмный диск E:"))
    assert usb.ok and "съёмном носителе" in usb.warnings[0]
    share = check_data_folder(tmp_path, location=Location("network", "сетевой путь (UNC)"))
    assert not share.ok and "сетевой папке" in share.error


def test_database_moves_to_chosen_folder_and_is_remembered(tmp_path, ersoko_home):
    old = tmp_path / "старое" / "ersoko.sqlite"
    old.parent.mkdir()
    with sqlite3.connect(old) as con:
        con.execute("create table t (x)")
        con.execute("insert into t values (42)")
    target = copy_database(old, tmp_path / "Мои документы" / "ЕРСОКО")
    assert target == tmp_path / "Мои документы" / "ЕРСОКО" / "ersoko.sqlite"
    with sqlite3.connect(target) as con:
        assert con.execute("select x from t").fetchall() == [(42,)]
    with pytest.raises(InputError, match="уже есть база"):
        copy_database(old, target.parent)
    remove_database_files(old)
    assert not old.exists()
    assert resolve_db(None) == f"sqlite:///{ersoko_home / 'ersoko.sqlite'}"
    remember_database(target)
    assert resolve_db(None) == f"sqlite:///{target}"
    assert resolve_db(str(old)) == f"sqlite:///{old}"  # --db still wins
