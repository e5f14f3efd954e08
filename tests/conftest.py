"""Shared fixtures: offscreen Qt, a private user data dir, a migrated temporary database."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# the seed documents travel with the tests (a clean clone has no ../shared)
SEEDS_DIR = PROJECT_ROOT / "tests" / "fixtures" / "seeds"
if not SEEDS_DIR.is_dir():  # pragma: no cover
    SEEDS_DIR = PROJECT_ROOT.parent / "shared" / "seeds"


@pytest.fixture(autouse=True)
def ersoko_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own user data dir, so keys/backups/settings never leak between tests."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ERSOKO_HOME", str(home))
    monkeypatch.delenv("ERSOKO_DB", raising=False)
    return home


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "test.sqlite"


@pytest.fixture
def engine(db_path):
    from ersoko_desktop.db import open_database

    eng = open_database(str(db_path))
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    from ersoko_desktop.db import make_session_factory

    s = make_session_factory(engine)()
    yield s
    s.rollback()
    s.close()


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory) -> Path:
    """A demo database built once per test session; tests copy it."""
    from ersoko_desktop.db import open_database, session_scope
    from ersoko_desktop.services.demo import fill_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    eng = open_database(str(path))
    with session_scope(eng) as s:
        fill_demo(s)
    eng.dispose()
    return path


@pytest.fixture
def demo_engine(demo_db_template, tmp_path):
    import shutil

    from ersoko_desktop.db import open_database

    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_db_template, path)
    eng = open_database(str(path))
    yield eng
    eng.dispose()


@pytest.fixture
def demo_session(demo_engine):
    from ersoko_desktop.db import make_session_factory

    s = make_session_factory(demo_engine)()
    yield s
    s.rollback()
    s.close()


def run_cli(*args: str, db: Path | str | None = None, env: dict | None = None, input: str | None = None):
    """Run the real ``ersoko`` entry point in a subprocess (as users and scripts do)."""
    import subprocess

    cmd = [sys.executable, "-m", "ersoko_desktop.cli"]
    if db is not None:
        cmd += ["--db", str(db)]
    cmd += list(args)
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", env=full_env, input=input, timeout=300)


@pytest.fixture
def cli():
    return run_cli
