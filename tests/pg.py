"""A private PostgreSQL server for the test session (initdb + pg_ctl in a temp dir on loopback).

Why not a shared server: tests must run on a fresh machine with nothing but the Debian
``postgresql`` package installed, and must never touch a real database. The server listens on
127.0.0.1 at a free port, its unix socket lives in the temp dir, fsync is off (throw-away data).
When the test process runs as root, the server runs as the unprivileged ``postgres`` user
(PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

SUPERUSER = "ersoko_test_admin"


def find_bindir() -> Path | None:
    """The directory with initdb/pg_ctl/postgres, or None when PostgreSQL is not installed."""
    candidates = []
    env = os.environ.get("ERSOKO_PG_BINDIR")
    if env:
        candidates.append(Path(env))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
            if out:
                candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    # Debian keeps server binaries out of PATH, one directory per major version: newest first.
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for name in ("initdb", "pg_ctl"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found).resolve().parent)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists() and (directory / "postgres").exists():
            return directory
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    """A running throw-away server; ``url(db)`` gives a SQLAlchemy URL for the superuser."""

    bindir: Path
    root: Path
    port: int
    password: str
    run_as: str | None
    _databases: list[str] = field(default_factory=list)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, database: str = "postgres", *, user: str = SUPERUSER, password: str | None = None) -> str:
        pw = self.password if password is None and user == SUPERUSER else password
        auth = f"{user}:{pw}" if pw else user
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{database}"

    def admin_connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, password=self.password,
                               dbname=database, autocommit=True)

    def create_database(self, *, template: str = "template0", prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self.admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        self._databases.append(name)
        return name

    @contextmanager
    def copy_of(self, template: str) -> Iterator[str]:
        """A fresh database copied from ``template`` for one test.

        It is not dropped afterwards: DROP DATABASE waits for a checkpoint, and the whole
        cluster is deleted with the temp dir at the end of the session anyway.
        """
        name = self.create_database(template=template)
        yield self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._databases:
            self._databases.remove(name)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        self._chown(pwfile)
        try:
            self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", SUPERUSER, f"--pwfile={pwfile}",
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                      "--no-sync")
        finally:
            pwfile.unlink()

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.socket_dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=60 -c shared_buffers=128MB")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _chown(self, path: Path) -> None:
        if self.run_as:
            shutil.chown(path, user=self.run_as)


def _server_user() -> str | None:
    """PostgreSQL will not run as root: use the ``postgres`` account (created by the Debian package)."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("тесты запущены от root, а пользователя postgres нет: PostgreSQL не запустить")


def start_server(bindir: Path) -> PgServer:
    run_as = _server_user()
    root = Path(tempfile.mkdtemp(prefix="ersoko-pg-"))
    (root / "sock").mkdir()
    if run_as:
        for p in (root, root / "sock"):
            shutil.chown(p, user=run_as)
    server = PgServer(bindir=bindir, root=root, port=0, password=secrets.token_hex(12), run_as=run_as)
    last_error: Exception | None = None
    try:
        server.init()
        for _attempt in range(3):  # a free port can be taken between probing and binding
            server.port = _free_port()
            try:
                server.start()
                _wait_ready(server)
                return server
            except (subprocess.CalledProcessError, TimeoutError) as exc:
                last_error = exc
                time.sleep(0.5)
    except subprocess.CalledProcessError as exc:
        last_error = exc
    log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
    shutil.rmtree(root, ignore_errors=True)
    detail = getattr(last_error, "stderr", "") or ""
    raise RuntimeError(f"не удалось запустить PostgreSQL: {last_error}\n{detail}\n{log[-2000:]}")


def _wait_ready(server: PgServer, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            server.admin_connect().close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise TimeoutError("PostgreSQL не принимает соединения")
            time.sleep(0.2)


def overlap(engine, first, second, *, timeout: float = 60.0) -> tuple:
    """Run ``first(session)`` and hold its transaction; run ``second(session)`` in another thread
    until it is seen waiting on a lock (pg_stat_activity); then commit the first and let the
    second finish and commit. Returns (first's result, second's result, whether it waited).

    Makes two concurrent writers deterministic: the second always meets the first's uncommitted rows.
    """
    import threading

    from sqlalchemy import text

    from ersoko_desktop.db import make_session_factory, session_scope

    a = make_session_factory(engine)()
    outcome: dict = {}
    try:
        first_result = first(a)

        def run_second():
            try:
                with session_scope(engine) as b:
                    outcome["result"] = second(b)
            except BaseException as exc:  # re-raised in the test thread
                outcome["error"] = exc

        thread = threading.Thread(target=run_second)
        thread.start()
        waited = False
        deadline = time.monotonic() + timeout
        with engine.connect() as watcher:
            while thread.is_alive() and time.monotonic() < deadline:
                waiting = watcher.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"),
                    {"db": engine.url.database}).scalar()
                watcher.commit()
                if waiting:
                    waited = True
                    break
                time.sleep(0.05)
        a.commit()
    finally:
        a.close()
    thread.join(2 * timeout)
    assert not thread.is_alive()
    if "error" in outcome:
        raise outcome["error"]
    return first_result, outcome["result"], waited
