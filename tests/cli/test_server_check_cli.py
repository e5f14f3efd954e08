"""``ersoko server remember`` / ``server check`` in a subprocess: the keyring backend is chosen the way a
user would (``PYTHON_KEYRING_BACKEND``), or keyring's ``fail`` backend leaves the pgpass file."""

from __future__ import annotations

import json

from ersoko_desktop.db import pgpass
from tests.conftest import run_cli
from tests.server_fixtures import server_roles  # noqa: F401


def _env(tmp_path, backend: str) -> dict:
    return {"PYTHON_KEYRING_BACKEND": backend, "ERSOKO_TEST_KEYRING": str(tmp_path / "kr.json"),
            "PGPASSFILE": str(tmp_path / "pgpass.conf")}


def _remember(server_roles, role: str, env: dict):
    r = run_cli("server", "remember", db=server_roles.url(role), env=env, input=server_roles.passwords[role] + "\n")
    assert r.returncode == 0, r.stderr
    return r


def test_remember_to_keyring_then_check_finds_it(server_roles, tmp_path):
    role = server_roles.analyst
    env = _env(tmp_path, "tests.keyring_backend.FileKeyring")
    r = _remember(server_roles, role, env)
    assert "хранилище паролей системы" in r.stderr
    assert server_roles.passwords[role] not in r.stderr + r.stdout
    stored = json.loads((tmp_path / "kr.json").read_text())
    assert stored == {f"ersoko-desktop|{role}@127.0.0.1:{server_roles.port}/{server_roles.database}":
                      server_roles.passwords[role]}
    assert not (tmp_path / "pgpass.conf").exists()
    r = run_cli("server", "check", "--format", "json", db=server_roles.url(role), env=env)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["access"], report["at_head"], report["password_source"]) == ("read", True, "keyring")
    assert "аналитик: только чтение" in r.stderr


def test_remember_without_keyring_writes_pgpass(server_roles, tmp_path):
    role = server_roles.importer
    env = _env(tmp_path, "keyring.backends.fail.Keyring")
    r = _remember(server_roles, role, env)
    assert "нет доступного хранилища паролей" in r.stderr
    assert pgpass.lookup(server_roles.url(role), role, tmp_path / "pgpass.conf") == server_roles.passwords[role]
    r = run_cli("server", "check", "--format", "json", db=server_roles.url(role), env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["password_source"] == "pgpass"
    assert json.loads(r.stdout)["access"] == "write"


def test_check_with_wrong_password_exits_2_in_russian(server_roles, tmp_path):
    env = _env(tmp_path, "keyring.backends.fail.Keyring")
    r = run_cli("server", "check", db=server_roles.url(server_roles.analyst, "wrong"), env=env)
    assert r.returncode == 2
    assert "Неверный пароль или имя роли" in r.stderr + r.stdout


def test_any_command_on_an_unreachable_server_exits_2_in_russian(tmp_path):
    r = run_cli("org", "list", db="postgresql://ersoko_analyst@127.0.0.1:1/ersoko",
                env=_env(tmp_path, "keyring.backends.fail.Keyring"))
    assert r.returncode == 2, r.stderr
    assert "Сервер 127.0.0.1:1 не отвечает" in r.stderr + r.stdout
    assert "Traceback" not in r.stderr
