"""One program per database file.

Two copies of the program writing one database (two windows, or two colleagues opening the
same file on a shared folder) is how SQLite files get lost work. The lock is a file next to the
database, ``<name>.lock``, holding who has it (PID, computer, user, since when) for the message
the second copy shows, plus an OS lock on that file (``flock`` / ``msvcrt.locking``). The OS
drops its lock when the holder dies, so a lock file left by a crash is recognised as stale
without guessing from PIDs; only where the file system cannot lock at all does the PID check
decide.

Within one process the lock is re-entrant (the GUI and its worker threads, tests that open a
database twice): a counter per lock file.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import DatabaseError

# Windows locks byte ranges; lock one byte far past the JSON so readers can still read it.
_WINDOWS_LOCK_OFFSET = 1 << 20


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    user: str
    since: str
    program: str

    @classmethod
    def me(cls, program: str) -> "LockHolder":
        try:
            user = getpass.getuser()
        except Exception:  # no login name in some services/containers
            user = ""
        return cls(os.getpid(), socket.gethostname(), user,
                   dt.datetime.now().isoformat(timespec="seconds"), program)

    def describe(self) -> str:
        since = self.since.replace("T", " ")[:16]
        who = f"пользователь {self.user}, " if self.user else ""
        return f"{self.program}, {who}компьютер {self.host}, процесс {self.pid}, открыта с {since}"


class DatabaseLockedError(DatabaseError):
    """Another running copy of the program has this database open."""

    def __init__(self, db_file: Path, holder: LockHolder | None):
        where = f" ({holder.describe()})" if holder else ""
        super().__init__(
            f"База данных «{db_file}» уже открыта другой копией программы{where}. "
            "Закройте ту копию (или дождитесь окончания её работы) и откройте базу снова. "
            "Одновременная работа двух программ с одним файлом может испортить данные."
        )
        self.db_file = db_file
        self.holder = holder


class DatabaseLock:
    """A held lock; ``release()`` when the database is closed (also done at process exit)."""

    def __init__(self, db_file: Path, lock_file: Path, handle, stale: LockHolder | None):
        self.db_file = db_file
        self.lock_file = lock_file
        self._handle = handle
        self._count = 1
        self.stale: LockHolder | None = stale
        """Who held the lock before and did not release it (a crash), if anyone."""

    @property
    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        with _registry_guard:
            if self._handle is None:
                return
            self._count -= 1
            if self._count > 0:
                return
            handle, self._handle = self._handle, None
            _registry.pop(_key(self.lock_file), None)
        try:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            _os_unlock(handle)
        finally:
            handle.close()

    def __enter__(self) -> "DatabaseLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


_registry: dict[str, DatabaseLock] = {}
_registry_guard = threading.Lock()


def lock_path(db_file: Path) -> Path:
    db_file = Path(db_file)
    return db_file.with_name(db_file.name + ".lock")


def read_holder(lock_file: Path) -> LockHolder | None:
    try:
        data = json.loads(Path(lock_file).read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return LockHolder(int(data["pid"]), str(data["host"]), str(data.get("user", "")),
                          str(data.get("since", "")), str(data.get("program", "ЕРСОКО Desktop")))
    except (KeyError, TypeError, ValueError):
        return None


def acquire(db_file: Path, *, program: str = "ЕРСОКО Desktop") -> DatabaseLock:
    """Take the lock for ``db_file`` or raise :class:`DatabaseLockedError` naming the holder."""
    db_file = Path(db_file).absolute()
    lock_file = lock_path(db_file)
    key = _key(lock_file)
    with _registry_guard:
        existing = _registry.get(key)
        if existing is not None and existing.held:
            existing._count += 1
            return existing
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_file, "a+b")
        try:
            previous = read_holder(lock_file)
            state = _os_try_lock(handle)
            if state == "busy" or (state == "unsupported" and previous is not None and _alive_elsewhere(previous)):
                handle.close()
                raise DatabaseLockedError(db_file, previous)
            me = LockHolder.me(program)
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(me.__dict__, ensure_ascii=False).encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        except DatabaseLockedError:
            raise
        except BaseException:
            handle.close()
            raise
        stale = previous if previous is not None and previous.pid != os.getpid() else None
        lock = DatabaseLock(db_file, lock_file, handle, stale)
        _registry[key] = lock
        return lock


def _key(lock_file: Path) -> str:
    return os.path.normcase(str(Path(lock_file).absolute()))


def _alive_elsewhere(holder: LockHolder) -> bool:
    """PID check, used only where the file system gives no OS lock."""
    if holder.host != socket.gethostname():
        return True  # cannot see another computer's processes: assume it is working
    return holder.pid != os.getpid() and pid_alive(holder.pid)


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":
        import ctypes

        SYNCHRONIZE_QUERY = 0x00100000 | 0x1000  # SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(SYNCHRONIZE_QUERY, False, pid)
        if not handle:
            return False
        try:
            return kernel32.WaitForSingleObject(handle, 0) == 0x102  # WAIT_TIMEOUT: still running
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- OS locks -------------------------------------------------------------------------------
def _os_try_lock(handle) -> str:
    """``"locked"``, ``"busy"`` (held by another process) or ``"unsupported"`` (no locking)."""
    if os.name == "nt":
        import msvcrt

        handle.seek(_WINDOWS_LOCK_OFFSET)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except PermissionError:
            return "busy"
        except OSError as exc:
            return "busy" if exc.errno in (13, 36) else "unsupported"  # EACCES, EDEADLOCK
        return "locked"
    import errno
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return "busy"
        return "unsupported"  # ENOLCK / EOPNOTSUPP: some network file systems
    return "locked"


def _os_unlock(handle) -> None:
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(_WINDOWS_LOCK_OFFSET)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        pass  # never locked (unsupported file system); closing the handle is enough
