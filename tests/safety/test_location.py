"""Databases on network shares are refused, on removable drives warned about."""

from __future__ import annotations

import pytest

from ersoko_desktop.errors import DatabaseError
from ersoko_desktop.safety.location import (
    ALLOW_NETWORK_ENV,
    DRIVE_CDROM,
    DRIVE_FIXED,
    DRIVE_REMOTE,
    DRIVE_REMOVABLE,
    Location,
    check_location,
    classify_posix,
    classify_windows,
    is_unc,
)

MOUNTS = """\
/dev/vda1 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
//fileserver/Общая /mnt/share cifs rw,vers=3.0 0 0
nas:/export/home /home/teacher/nfs nfs4 rw 0 0
/dev/sdb1 /media/teacher/USB\\040DISK vfat rw 0 0
/dev/vda2 /mnt/share/local ext4 rw 0 0
"""


def _removable(device: str) -> bool:
    return device == "/dev/sdb1"


@pytest.mark.parametrize("path,kind", [
    ("/home/teacher/ersoko.sqlite", "local"),
    ("/mnt/share/ersoko.sqlite", "network"),
    ("/mnt/shared/ersoko.sqlite", "local"),  # a prefix of a mount point name is not inside it
    ("/home/teacher/nfs/школа/база.sqlite", "network"),
    ("/media/teacher/USB DISK/база.sqlite", "removable"),
    ("/mnt/share/local/база.sqlite", "local"),  # the longest mount point wins
])
def test_linux_mounts(path, kind):
    assert classify_posix(path, MOUNTS, removable_device=_removable).kind == kind


def test_unc_paths():
    assert is_unc(r"\\server\share\ersoko.sqlite")
    assert is_unc("//server/share/ersoko.sqlite")
    assert is_unc(r"\\?\UNC\server\share\ersoko.sqlite")
    assert not is_unc(r"\\?\C:\Users\ersoko.sqlite")
    assert not is_unc(r"C:\Users\Учитель\ersoko.sqlite")


@pytest.mark.parametrize("drive_type,kind", [
    (DRIVE_FIXED, "local"), (DRIVE_REMOTE, "network"), (DRIVE_REMOVABLE, "removable"), (DRIVE_CDROM, "optical"),
])
def test_windows_drive_types(drive_type, kind):
    seen = []

    def fake_drive_type(root: str) -> int:
        seen.append(root)
        return drive_type

    assert classify_windows(r"E:\ЕРСОКО\база.sqlite", fake_drive_type).kind == kind
    assert seen == ["E:\\"]
    assert classify_windows(r"\\server\share\база.sqlite", fake_drive_type).kind == "network"
    assert seen == ["E:\\"]  # UNC is network without asking the drive


def test_network_is_refused_and_removable_warned(monkeypatch):
    monkeypatch.delenv(ALLOW_NETWORK_ENV, raising=False)
    with pytest.raises(DatabaseError, match="сетевой папке"):
        check_location("/mnt/share/a.sqlite", location=Location("network", "cifs"))
    warnings = check_location("/media/usb/a.sqlite", location=Location("removable", "съёмный диск"))
    assert len(warnings) == 1 and "съёмном носителе" in warnings[0]
    assert check_location("/home/a.sqlite", location=Location("local")) == []
    monkeypatch.setenv(ALLOW_NETWORK_ENV, "1")
    assert "сетевой папке" in check_location("/mnt/share/a.sqlite", location=Location("network", "cifs"))[0]


def test_this_machine_tmp_is_local(tmp_path):
    from ersoko_desktop.safety.location import classify

    assert classify(tmp_path / "нет такого файла" / "a.sqlite").kind in ("local", "unknown")
