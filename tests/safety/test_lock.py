"""One program per database: a second copy is refused with a Russian message naming the holder;
a lock left by a killed program is taken over."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest

from ersoko_desktop.safety.lock import DatabaseLockedError, acquire, lock_path, read_holder

HOLDER = textwrap.dedent("""
    import sys, time
    from ersoko_desktop.safety.lock import acquire
    lock = acquire(sys.argv[1], program="ЕРСОКО Desktop")
    print("locked", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def holder(tmp_path):
    db = tmp_path / "Мои документы" / "школа.sqlite"
    db.parent.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield db, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_second_process_is_refused_with_the_holder_named(holder):
    db, proc = holder
    with pytest.raises(DatabaseLockedError) as info:
        acquire(db)
    message = str(info.value)
    assert "уже открыта другой копией программы" in message
    assert f"процесс {proc.pid}" in message and socket.gethostname() in message
    assert info.value.holder.pid == proc.pid


def test_cli_refuses_while_another_copy_holds_the_database(holder, cli):
    db, proc = holder
    out = cli("init", db=db)
    assert out.returncode == 2
    assert "уже открыта" in out.stderr and str(proc.pid) in out.stderr
    assert "Traceback" not in out.stderr
    assert not db.exists()  # refused before anything was created


def test_lock_of_a_killed_program_is_stale_and_taken_over(holder):
    db, proc = holder
    proc.kill()
    proc.wait()
    assert read_holder(lock_path(db)).pid == proc.pid  # the file is still there…
    lock = acquire(db)  # …but the OS lock died with the process
    try:
        assert lock.stale is not None and lock.stale.pid == proc.pid
        assert read_holder(lock_path(db)).pid == os.getpid()
    finally:
        lock.release()
    assert read_holder(lock_path(db)) is None  # released: no holder recorded


def test_lock_is_reentrant_within_one_process(tmp_path):
    db = tmp_path / "a.sqlite"
    first = acquire(db)
    second = acquire(db)
    assert second is first
    second.release()
    assert first.held  # still held by the outer user
    first.release()
    assert not first.held
    again = acquire(db)
    assert again.stale is None
    again.release()
