"""Crafting hostile package files for the security suite."""

from __future__ import annotations

import io
import stat
import struct
import zipfile

from ersoko_desktop.packages.container import file_entry, write_package
from ersoko_desktop.packages.manifest import MANIFEST_PATH, SIGNATURE_PATH, parse


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(files: dict[str, bytes] | list[tuple[str, bytes]], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    """A plain ZIP with exactly these members (duplicates allowed when given as a list)."""
    buf = io.BytesIO()
    items = files.items() if isinstance(files, dict) else files
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names are the point of some tests
            for name, blob in items:
                zf.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), blob, compress_type=method)
    return buf.getvalue()


def with_symlink(files: dict[str, bytes], name: str, target: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, blob in files.items():
            zf.writestr(n, blob)
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, target)
    return buf.getvalue()


def lie_about_sizes(data: bytes, size: int) -> bytes:
    """Patch every central-directory entry to claim ``size`` bytes compressed and uncompressed."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        struct.pack_into("<II", out, pos + 20, size, size)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def resign(data: bytes, private_key, *, change_files=None, manifest_changes=None) -> bytes:
    """Rebuild a package with altered payload and/or manifest, correctly signed by ``private_key``.

    ``change_files(files) -> files`` edits the payload (hashes are recomputed);
    ``manifest_changes`` are dataclass field replacements on the parsed manifest."""
    import dataclasses

    files = entries(data)
    manifest = parse(files.pop(MANIFEST_PATH))
    files.pop(SIGNATURE_PATH)
    if change_files:
        files = change_files(files)
    manifest = dataclasses.replace(manifest, files=tuple(file_entry(p, files[p]) for p in sorted(files)),
                                   **(manifest_changes or {}))
    return write_package(manifest, files, private_key)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>"""


def xlsx_with_entity_bomb(genuine_xlsx: bytes) -> bytes:
    parts = entries(genuine_xlsx)
    parts["xl/sharedStrings.xml"] = BILLION_LAUGHS
    return rezip(parts)
