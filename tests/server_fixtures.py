"""Fixtures for the workstation side of server mode: a server database with real roles, a test keyring.

Import the fixtures into a test module: ``from tests.server_fixtures import keyring_file, server_roles``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ersoko_desktop.db import pgpass


@dataclass
class ServerRoles:
    port: int
    database: str
    analyst: str
    importer: str
    passwords: dict[str, str]   # role → password (from the pgpass file ``server init`` wrote)

    def url(self, role: str, password: str | None = None) -> str:
        auth = f"{role}:{password}" if password else role
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{self.database}"


@pytest.fixture(scope="module")
def server_roles(pg_server, pg_migrated_template, tmp_path_factory):
    """A migrated server database after ``init_server`` (analyst + importer with generated passwords)."""
    from ersoko_desktop.db import make_engine
    from ersoko_desktop.services.server import init_server

    database = pg_server.create_database(template=pg_migrated_template, prefix="srv")
    passfile = tmp_path_factory.mktemp("srv-pgpass") / "pgpass.conf"
    analyst, importer = f"an_{database[-10:]}", f"im_{database[-10:]}"
    engine = make_engine(pg_server.url(database))
    try:
        init_server(engine, analyst_role=analyst, importer_role=importer, pgpass_path=passfile)
    finally:
        engine.dispose()
    passwords = {e.user: e.password for e in pgpass.read_entries(passfile)}
    yield ServerRoles(pg_server.port, database, analyst, importer, passwords)
    drop_database_and_roles(pg_server, database, (analyst, importer))


def drop_database_and_roles(pg_server, database: str, roles: tuple[str, ...]) -> None:
    """Roles are cluster-wide: revoke what they hold in this database, drop it, then drop them."""
    with pg_server.admin_connect(database) as conn:
        for role in roles:
            conn.execute(f'DROP OWNED BY "{role}"')
    pg_server.drop_database(database)
    with pg_server.admin_connect() as conn:
        for role in roles:
            conn.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def keyring_file(tmp_path) -> Path:
    """A real file-based keyring backend installed with ``keyring.set_keyring`` for this test."""
    import keyring

    from tests.keyring_backend import FileKeyring

    previous = keyring.get_keyring()
    path = tmp_path / "keyring.json"
    keyring.set_keyring(FileKeyring(path))
    yield path
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    """keyring's own ``fail`` backend: what a Linux server without a desktop session has."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def private_pgpass(tmp_path, monkeypatch) -> Path:
    """libpq's password file for this test only (PGPASSFILE), empty at first."""
    path = tmp_path / "pgpass.conf"
    monkeypatch.setenv("PGPASSFILE", str(path))
    return path
