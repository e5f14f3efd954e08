"""The libpq password file: escaping, replacing one line, private permissions."""

from __future__ import annotations

import os
import stat

import pytest

from ersoko_desktop.db import pgpass


def test_fields_with_colons_and_backslashes_round_trip(tmp_path):
    path = tmp_path / "pgpass"
    entry = pgpass.entry_for("postgresql+psycopg://u@coko.local:6543/ersoko", "ersoko_importer", r"a:b\c")
    pgpass.remember(entry, path)
    assert path.read_text(encoding="utf-8") == "coko.local:6543:ersoko:ersoko_importer:a\\:b\\\\c\n"
    assert pgpass.read_entries(path) == [entry]
    assert pgpass.lookup("postgresql://x@coko.local:6543/ersoko", "ersoko_importer", path) == r"a:b\c"
    assert pgpass.lookup("postgresql://x@coko.local:6543/other", "ersoko_importer", path) is None


def test_remember_replaces_only_the_same_target_and_keeps_other_lines(tmp_path):
    path = tmp_path / "pgpass"
    path.write_text("# мои пароли\n*:*:*:backup:b1\nsrv:5432:ersoko:ersoko_analyst:old\n", encoding="utf-8")
    pgpass.remember(pgpass.PgpassEntry("srv", "5432", "ersoko", "ersoko_analyst", "new"), path)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "# мои пароли", "*:*:*:backup:b1", "srv:5432:ersoko:ersoko_analyst:new"]
    # Wildcards match as in libpq.
    assert pgpass.lookup("postgresql://srv:5432/any", "backup", path) == "b1"


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_file_is_private(tmp_path):
    path = pgpass.remember(pgpass.PgpassEntry("h", "5432", "d", "u", "p"), tmp_path / "sub" / "pgpass")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_default_location_follows_pgpassfile(monkeypatch, tmp_path):
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "x.conf"))
    assert pgpass.default_pgpass_path() == tmp_path / "x.conf"


def test_url_shown_or_saved_has_no_password():
    from ersoko_desktop.db.engine import display_url, resolve_db

    assert pgpass.strip_password("postgresql://a:secret@h/d") == "postgresql://a@h/d"
    assert pgpass.strip_password("/home/u/ersoko.sqlite") == "/home/u/ersoko.sqlite"
    assert "secret" not in display_url("postgresql+psycopg://a:secret@h/d")
    # A plain postgresql:// URL means the psycopg 3 driver we ship.
    assert resolve_db("postgresql://a@h/d") == "postgresql+psycopg://a@h/d"
    assert resolve_db("postgres://a@h/d") == "postgresql+psycopg://a@h/d"
