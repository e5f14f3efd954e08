"""Where the database file lives: a local disk, a network share, or a removable drive.

SQLite's WAL mode needs shared memory between the processes using a file, which network file
systems do not give; its locks are unreliable over SMB/NFS, and a database there is damaged
sooner or later. A USB stick can be pulled out mid-write. So: a network share is refused (set
``ERSOKO_ALLOW_NETWORK_DB=1`` to override at your own risk), a removable drive gets a warning.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from ..errors import DatabaseError

ALLOW_NETWORK_ENV = "ERSOKO_ALLOW_NETWORK_DB"

NETWORK_FS = {
    "nfs", "nfs4", "cifs", "smb", "smb3", "smbfs", "ncpfs", "afs", "coda", "davfs", "fuse.davfs2",
    "fuse.sshfs", "sshfs", "glusterfs", "fuse.glusterfs", "ceph", "fuse.ceph", "lustre", "gpfs", "9p-smb",
}

# GetDriveTypeW results
DRIVE_REMOVABLE, DRIVE_FIXED, DRIVE_REMOTE, DRIVE_CDROM, DRIVE_RAMDISK = 2, 3, 4, 5, 6


@dataclass(frozen=True)
class Location:
    kind: str  # local | network | removable | optical | unknown
    detail: str = ""


def is_unc(path: str) -> bool:
    r"""``\\server\share\…`` (also ``\\?\UNC\…`` and forward slashes), but not ``\\?\C:\…``."""
    p = path.replace("/", "\\")
    if p.upper().startswith("\\\\?\\UNC\\"):
        return True
    if p.startswith("\\\\?\\") or p.startswith("\\\\.\\"):
        return False
    return p.startswith("\\\\")


def classify_windows(path: str, drive_type=None) -> Location:
    """Classify a Windows path; ``drive_type(root)`` defaults to ``GetDriveTypeW``."""
    if is_unc(path):
        return Location("network", "сетевой путь (UNC)")
    p = path.replace("/", "\\")
    if p.startswith("\\\\?\\"):
        p = p[4:]
    drive = PureWindowsPath(p).drive
    if not drive:
        return Location("unknown")
    drive_type = drive_type or _get_drive_type
    kind = drive_type(drive + "\\")
    if kind == DRIVE_REMOTE:
        return Location("network", f"сетевой диск {drive}")
    if kind == DRIVE_REMOVABLE:
        return Location("removable", f"съёмный диск {drive}")
    if kind == DRIVE_CDROM:
        return Location("optical", f"компакт-диск {drive}")
    if kind in (DRIVE_FIXED, DRIVE_RAMDISK):
        return Location("local", f"диск {drive}")
    return Location("unknown", f"диск {drive}")


def _get_drive_type(root: str) -> int:
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)))  # type: ignore[attr-defined]


def _unescape_mount(field: str) -> str:
    r"""/proc/mounts writes space, tab, newline and backslash as octal escapes (``\040``)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and len(field[i + 1:i + 4]) == 3 and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def classify_posix(path: str, mounts_text: str, removable_device=None) -> Location:
    """Classify a path by the longest matching mount point in ``/proc/mounts`` text."""
    best: tuple[str, str, str] | None = None
    target = os.path.normpath(path)
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        device, mount_point, fs_type = _unescape_mount(fields[0]), _unescape_mount(fields[1]), fields[2]
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) >= len(best[1])):
            best = (device, mount_point, fs_type)
    if best is None:
        return Location("unknown")
    device, mount_point, fs_type = best
    if fs_type in NETWORK_FS or fs_type.startswith("nfs") or device.startswith("//"):
        return Location("network", f"сетевая файловая система {fs_type} ({device} на {mount_point})")
    removable_device = removable_device or _sys_block_removable
    if device.startswith("/dev/") and removable_device(device):
        return Location("removable", f"съёмный диск {device} на {mount_point}")
    return Location("local", f"{fs_type} на {mount_point}")


def _sys_block_removable(device: str) -> bool:
    """``/sys/block/<disk>/removable`` for ``/dev/sdb1`` → disk ``sdb``."""
    name = os.path.basename(os.path.realpath(device))
    sys_class = Path("/sys/class/block") / name
    try:
        disk = sys_class.resolve().parent.name if (sys_class / "partition").exists() else name
        return (Path("/sys/block") / disk / "removable").read_text().strip() == "1"
    except OSError:
        return False


def classify(path: str | os.PathLike) -> Location:
    """Where ``path`` (a file that may not exist yet) is stored, on this computer."""
    absolute = os.path.abspath(os.fspath(path))
    if sys.platform == "win32":
        return classify_windows(absolute)
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Location("unknown")
    probe = Path(absolute)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return classify_posix(str(probe.resolve()), mounts)


def check_location(path: str | os.PathLike, *, location: Location | None = None) -> list[str]:
    """Refuse a database on a network share; return warnings (removable, optical drives)."""
    location = location or classify(path)
    if location.kind == "network":
        message = (
            f"База данных «{path}» находится в сетевой папке ({location.detail}). "
            "SQLite в сетевой папке портится при одновременной работе и обрывах связи. "
            "Скопируйте базу на диск этого компьютера (например, в папку данных программы) и откройте её оттуда; "
            "для обмена данными используйте пакеты."
        )
        if os.environ.get(ALLOW_NETWORK_ENV) == "1":
            return [message + f" (Открыто, потому что задано {ALLOW_NETWORK_ENV}=1.)"]
        raise DatabaseError(message)
    if location.kind in ("removable", "optical"):
        return [
            f"База данных «{path}» находится на съёмном носителе ({location.detail}). "
            "Не извлекайте его, пока программа открыта; для постоянной работы перенесите базу на диск компьютера."
        ]
    return []
