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


DEFAULT_MARKEXPR = "not slow and not benchmark"  # pyproject addopts


def pytest_xdist_auto_num_workers(config):
    """``-n auto`` (addopts) spreads the default suite over every core; a run that picks other markers
    (``-m slow`` builds one frozen bundle, ``-m benchmark`` measures the machine) stays in one process."""
    if config.option.markexpr != DEFAULT_MARKEXPR:
        return 0
    return None  # xdist's own count of the CPUs


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():
    """As in the program (ui/gc_guard.py): no automatic collection during a test, so a cycle holding a
    widget of an earlier test is never collected on a worker thread (a segfault); collect here instead."""
    import gc

    gc.disable()
    yield
    gc.enable()
    if "PySide6" in sys.modules:
        gc.collect()


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


# --- Two backends: tests marked ``both_dbs`` run on SQLite and on a private PostgreSQL server ---

def pytest_addoption(parser):
    parser.addoption("--db-backend", choices=("both", "sqlite", "postgresql"), default="both",
                     help="backends for tests marked both_dbs (default: both)")


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_dbs"):
        choice = metafunc.config.getoption("--db-backend")
        backends = ["sqlite", "postgresql"] if choice == "both" else [choice]
        metafunc.parametrize("db_backend", backends, indirect=True)


@pytest.fixture
def db_backend(request) -> str:
    """``sqlite`` unless the test is marked ``both_dbs`` (then parametrized over both)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_server():
    """A throw-away PostgreSQL server for the whole session (skips only without PostgreSQL binaries)."""
    from tests.pg import find_bindir, start_server

    bindir = find_bindir()
    if bindir is None and os.environ.get("ERSOKO_REQUIRE_PG"):
        pytest.fail("ERSOKO_REQUIRE_PG задан, а PostgreSQL не установлен (нет initdb/pg_ctl)")
    if bindir is None:
        pytest.skip("PostgreSQL не установлен (нет initdb/pg_ctl; Debian: apt-get install postgresql)")
    server = start_server(bindir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_migrated_template(pg_server) -> str:
    """A migrated empty database that per-test databases are copied from (faster than migrating each)."""
    from ersoko_desktop.db import open_database

    name = pg_server.create_database(prefix="tpl_migrated")
    open_database(pg_server.url(name)).dispose()
    return name


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty PostgreSQL database (dropped after the test)."""
    with pg_server.copy_of("template0") as url:
        yield url


@pytest.fixture
def db_url(db_backend, db_path, request) -> str:
    """An empty database of the test's backend: a SQLite file path or a PostgreSQL URL."""
    if db_backend == "postgresql":
        return request.getfixturevalue("pg_url")
    return str(db_path)


@pytest.fixture
def engine(db_backend, db_path, request):
    """A migrated database of the test's backend."""
    yield from _database(request, db_backend, pg_template="pg_migrated_template", sqlite_path=db_path)


@pytest.fixture
def session(engine):
    yield from _session_of(engine)


def _database(request, db_backend: str, *, pg_template: str, sqlite_path: Path):
    """Open the test's database: a copy of a PostgreSQL template, or the SQLite file at ``sqlite_path``."""
    from ersoko_desktop.db import open_database

    if db_backend == "postgresql":
        with request.getfixturevalue("pg_server").copy_of(request.getfixturevalue(pg_template)) as url:
            eng = open_database(url)
            yield eng
            eng.dispose()
        return
    eng = open_database(str(sqlite_path))
    yield eng
    eng.dispose()


def _session_of(engine):
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


@pytest.fixture(scope="session")
def pg_demo_template(pg_server) -> str:
    """The demo region in a PostgreSQL database, built once; tests get copies."""
    from ersoko_desktop.db import open_database, session_scope
    from ersoko_desktop.services.demo import fill_demo

    name = pg_server.create_database(prefix="tpl_demo")
    eng = open_database(pg_server.url(name))
    with session_scope(eng) as s:
        fill_demo(s)
    eng.dispose()
    return name


@pytest.fixture
def demo_engine(db_backend, tmp_path, request):
    import shutil

    path = tmp_path / "demo.sqlite"
    if db_backend != "postgresql":
        shutil.copy(request.getfixturevalue("demo_db_template"), path)
    yield from _database(request, db_backend, pg_template="pg_demo_template", sqlite_path=path)


@pytest.fixture
def demo_session(demo_engine):
    yield from _session_of(demo_engine)


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
