"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Write to a temporary file in the same folder, flush it to disk, then ``os.replace`` it over the
target. On Windows the replace fails with ``PermissionError`` while another program (an
antivirus scanner, Excel, the search indexer) briefly holds the target open, so it is retried
for a few seconds before giving up with a Russian message.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Callable

from .errors import ErsokoError

REPLACE_RETRIES = 20
RETRY_DELAY = 0.1  # seconds; 20 × 0.1 s covers a typical antivirus scan of a small file


def replace_with_retry(source: str | os.PathLike, target: str | os.PathLike, *,
                       retries: int = REPLACE_RETRIES, delay: float = RETRY_DELAY) -> None:
    """``os.replace`` that waits out short-lived locks on Windows."""
    for attempt in range(retries):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == retries - 1:
                raise ErsokoError(
                    f"Не удалось записать файл «{target}»: он занят другой программой. "
                    "Закройте программу, которая открыла этот файл, и повторите."
                ) from None
            time.sleep(delay)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows has no directory handles for this."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _match_mode(tmp_name: str, target: Path) -> None:
    """mkstemp files are private (0600); give the new file the old one's mode, or the usual 0644."""
    if os.name != "posix":
        return
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    os.chmod(tmp_name, mode)


def _write_via_temp(target: Path, fill: Callable[[BinaryIO], object]) -> Path:
    """Let ``fill`` write a same-folder temp file, make it durable, then swap it in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        _match_mode(tmp_name, target)
        replace_with_retry(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return target


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Replace ``path`` with ``data`` atomically (same-folder temp file + fsync + replace)."""
    return _write_via_temp(Path(path), lambda handle: handle.write(data))


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_copy(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Copy a file so that ``target`` is either absent/old or a complete copy."""

    def fill(handle: BinaryIO) -> None:
        with open(source, "rb") as src:
            shutil.copyfileobj(src, handle, 1 << 20)

    return _write_via_temp(Path(target), fill)
