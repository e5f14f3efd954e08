"""Own keys (file permissions, passphrase, idempotent init) and the trusted-key registry."""

from __future__ import annotations

import base64
import json
import os
import stat
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from ersoko_desktop.db.models import SigningKey, TrustedKey
from ersoko_desktop.domain.fingerprints import fingerprint
from ersoko_desktop.errors import InputError, SecurityError, WorkflowError
from ersoko_desktop.packages.crypto import raw_public
from ersoko_desktop.services import keys
from ersoko_desktop.settings import set_own_organization

pytestmark = pytest.mark.both_dbs  # keys and trust work the same on the regional PostgreSQL server


def _orgs(session):
    from .helpers import add_registry

    add_registry(session)


def test_init_creates_a_private_file_readable_by_owner_only(session):
    _orgs(session)
    set_own_organization(session, "S1")
    info = keys.init_key(session)
    assert info.created and info.org_code == "S1" and info.next_seq == 1
    path = info.private_key_file
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    row = session.scalar(select(SigningKey))
    assert row.fingerprint == fingerprint(row.public_key) == info.fingerprint
    # the loaded private key matches the public half in the database
    _key, private = keys.load_private_key(session)
    assert raw_public(private.public_key()) == row.public_key
    # a second init keeps the key
    again = keys.init_key(session)
    assert not again.created and again.fingerprint == info.fingerprint
    assert len(session.scalars(select(SigningKey)).all()) == 1


def test_passphrase_protects_the_private_key(session):
    _orgs(session)
    set_own_organization(session, "S1")
    info = keys.init_key(session, passphrase="секрет")
    assert info.encrypted
    with pytest.raises(SecurityError, match="паролем"):
        keys.load_private_key(session)
    with pytest.raises(SecurityError, match="Неверный пароль"):
        keys.load_private_key(session, passphrase="не тот")
    keys.load_private_key(session, passphrase="секрет")


def test_init_without_own_org_is_a_clear_error(session):
    with pytest.raises(WorkflowError, match="init --org"):
        keys.init_key(session)


def test_key_card_data(session):
    _orgs(session)
    set_own_organization(session, "S1")
    info = keys.init_key(session)
    card = keys.key_card_data(session)
    assert (card.org_code, card.org_name, card.fingerprint) == ("S1", "СОШ №1", info.fingerprint)
    assert fingerprint(base64.b64decode(card.public_key_b64)) == info.fingerprint


def _public_file(tmp_path, code, kind, *, name="x.pub.json", tamper_fp=False):
    private = Ed25519PrivateKey.generate()
    doc = keys.PublicKeyDocument(code, code + " org", kind, raw_public(private.public_key()), None)
    data = doc.as_dict()
    if tamper_fp:
        data["fingerprint"] = fingerprint(b"other")
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, doc


def test_trust_retire_revoke_cycle(session, tmp_path):
    _orgs(session)
    set_own_organization(session, "M1")
    path, doc = _public_file(tmp_path, "S1", "school")
    first = keys.trust_file(session, path)
    assert first.created and first.key.role == "school" and first.key.status == "active"
    assert not keys.trust_file(session, path).created  # the same file again: nothing new
    spaced = doc.fingerprint.replace(" ", "").lower()
    assert keys.retire(session, spaced).status == "retired"
    assert keys.revoke(session, doc.fingerprint).status == "revoked"
    with pytest.raises(WorkflowError):
        keys.retire(session, doc.fingerprint)
    with pytest.raises(SecurityError, match="отозван"):
        keys.trust_file(session, path)
    assert session.scalar(select(TrustedKey)).status == "revoked"


def test_trust_refuses_wrong_role_and_tampered_fingerprint(session, tmp_path):
    _orgs(session)
    set_own_organization(session, "M1")
    path, _ = _public_file(tmp_path, "S1", "school")
    with pytest.raises(InputError, match="школа"):
        keys.trust_file(session, path, role="region")
    bad, _ = _public_file(tmp_path, "S1", "school", name="bad.json", tamper_fp=True)
    with pytest.raises(SecurityError, match="не совпадает"):
        keys.trust_file(session, bad)
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x00\xff not json")
    with pytest.raises(InputError, match="junk.json"):
        keys.trust_file(session, junk)
    assert session.scalars(select(TrustedKey)).all() == []


def test_fingerprint_normalisation_rejects_garbage():
    with pytest.raises(InputError, match="отпечаток"):
        keys.normalize_fingerprint("ABCD 1234")


def test_cli_keys_init_show_export_trust(cli, tmp_path):
    from .helpers import make_db

    school_db, muni_db = tmp_path / "s.sqlite", tmp_path / "m.sqlite"
    make_db(school_db, "S1").dispose()
    make_db(muni_db, "M1").dispose()
    first = cli("keys", "init", db=school_db)
    assert first.returncode == 0, first.stderr
    fp = first.stdout.strip()
    assert len(fp.split()) == 16
    second = cli("keys", "init", db=school_db)
    assert second.returncode == 0 and second.stdout.strip() == fp
    pub = tmp_path / "s1.pub.json"
    assert cli("keys", "export-public", "--out", str(pub), db=school_db).returncode == 0
    assert json.loads(pub.read_text(encoding="utf-8"))["fingerprint"] == fp
    trusted = cli("keys", "trust", str(pub), "--format", "json", db=muni_db)
    assert trusted.returncode == 0, trusted.stderr
    assert json.loads(trusted.stdout)["fingerprint"] == fp
    assert cli("keys", "revoke", fp.replace(" ", ""), db=muni_db).returncode == 0
    listed = json.loads(cli("keys", "list", "--format", "json", db=muni_db).stdout)
    assert [(k["org"], k["status"]) for k in listed] == [("S1", "revoked")]
