"""Strip debug symbols from the Linux bundle's libraries — only those that still have them.

PyInstaller's own ``strip=True`` runs ``strip`` over every binary. Most wheels ship stripped
libraries already, and some of those were rewritten by auditwheel's patchelf; ``strip`` then
re-lays their program headers and numpy's OpenBLAS refuses to load ("ELF load command
address/offset not page-aligned"). The unstripped ones are few but large: pyenv's
``libpython3.11.so`` (≈ 25 MB of symbols), SQLAlchemy's Cython modules, cryptography's Rust
library. So: strip a file only if it has a symbol table or debug sections, and keep the stripped
copy only if its loadable segments are still page-aligned.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PT_LOAD = 1


@dataclass
class StripResult:
    stripped: int
    skipped: int
    saved: int


def _elf64(data: bytes) -> bool:
    return data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1  # 64-bit, little-endian


def section_names(data: bytes) -> list[str]:
    """Names of the sections of an ELF64 little-endian file."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shnum == 0 or shstrndx >= shnum:
        return []
    strtab_off = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)[0]
    names = []
    for i in range(shnum):
        name_off = struct.unpack_from("<I", data, shoff + i * shentsize)[0]
        start = strtab_off + name_off
        names.append(data[start:data.index(b"\0", start)].decode("ascii", "replace"))
    return names


def has_symbols(data: bytes) -> bool:
    return any(n == ".symtab" or n.startswith(".debug_") for n in section_names(data))


def loads_aligned(data: bytes) -> bool:
    """Every PT_LOAD segment has offset ≡ address (mod its alignment), as the loader requires."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        base = phoff + i * phentsize
        p_type, = struct.unpack_from("<I", data, base)
        if p_type != PT_LOAD:
            continue
        offset, vaddr = struct.unpack_from("<QQ", data, base + 0x08)
        align, = struct.unpack_from("<Q", data, base + 0x30)
        if align > 1 and offset % align != vaddr % align:
            return False
    return True


def strip_file(path: Path) -> int:
    """Strip ``path`` if it has symbols and stays loadable; returns the bytes saved (0 if left alone)."""
    data = path.read_bytes()
    if not _elf64(data) or not has_symbols(data):
        return 0
    with tempfile.TemporaryDirectory(prefix="strip-") as tmp:
        out = Path(tmp) / path.name
        done = subprocess.run(["strip", "--strip-unneeded", "-o", str(out), str(path)], capture_output=True)
        if done.returncode != 0:
            return 0
        stripped = out.read_bytes()
        if not _elf64(stripped) or not loads_aligned(stripped) or len(stripped) >= len(data):
            return 0
        shutil.copymode(path, out)
        shutil.copyfile(out, path)
    return len(data) - len(stripped)


def strip_bundle(bundle: Path) -> StripResult:
    if shutil.which("strip") is None:
        print("strip не найден — отладочные символы оставлены")
        return StripResult(0, 0, 0)
    result = StripResult(0, 0, 0)
    for path in sorted(bundle.rglob("*")):
        # Only shared libraries: the executables carry PyInstaller's archive appended, which strip would cut off.
        if path.is_symlink() or not path.is_file() or ".so" not in path.name:
            continue
        saved = strip_file(path)
        if saved:
            result.stripped += 1
            result.saved += saved
        else:
            result.skipped += 1
    print(f"strip: {result.stripped} файлов, −{result.saved / 1e6:.1f} МБ")
    return result
