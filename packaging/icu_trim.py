"""Shrink Qt's ICU data library on Linux (32 MB → about 5 MB): keep Russian, English and root.

PySide6's Linux wheels ship ``libicudata.so.NN``, one read-only symbol ``icudtNN_dat`` holding
ICU's whole common data package: locale data for ~800 locales, dictionaries for Thai/CJK word
breaking, transliterators, ~200 legacy code pages. QtCore needs ICU only for locale-aware case
mapping and collation (QLocale::toUpper, QCollator), time-zone names and codecs it does not build
in (QStringConverter). For a Russian program that is the root locale, ``ru``, ``en`` and a few
Cyrillic/Western code pages, plus the locale-independent core (properties, normalization, time
zones, plural rules).

The package format is ICU's "common data" (``CmnD``): a header, then a table of contents
(count, then pairs of name offset and data offset, names sorted — ICU binary-searches them),
the names, and the items, each aligned to 16 bytes. We read that table, drop the items we do not
need, write a new package with the same header, and link it into a replacement
``libicudata.so.NN`` exporting the same symbol (``gcc`` with ``.incbin``). Locales we drop fall
back to root, as ICU does for any locale it lacks.

Needs ``nm`` and ``gcc`` (binutils); without them the library is left as it is. Windows builds
have no ICU library to trim: Qt there uses the ICU that Windows 10 ships (``icu.dll``).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LOCALES = re.compile(r"^(root|ru|ru_.+|en|en_.+|pool|res_index)$")
LOCALE_NAME = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*$")  # af, sr_Latn_RS, es_419 (not plurals, units…)
# Trees of locale data: only LOCALES' files are kept there (and the trees' shared data).
# translit/ (transliteration, which Qt never asks for) is dropped whole.
LOCALE_TREES = ("coll", "curr", "lang", "region", "unit", "zone", "rbnf", "brkitr")
# Single-byte code pages are ~3 KB each and stay (windows-1251, koi8-r, cp866 among them);
# the multi-byte East Asian converters (up to 200 KB each) go.
MAX_CONVERTER = 16_000


@dataclass
class TrimResult:
    library: Path
    before: int
    after: int
    items_before: int
    items_after: int


def keep_item(name: str, size: int) -> bool:
    """Whether an item of the package (``icudt73l/coll/ru.res``, ``size`` bytes) stays."""
    parts = name.split("/")[1:]  # drop the package name
    stem, _, ext = parts[-1].rpartition(".")
    if len(parts) == 2:
        tree = parts[0]
        if tree == "translit":
            return False
        if ext == "dict":
            return False  # Thai/Lao/Khmer/Burmese/CJK word-breaking dictionaries (3 MB)
        if tree in LOCALE_TREES and LOCALE_NAME.match(stem):
            return bool(LOCALES.match(stem))
        return True  # the tree's own data: ucadata.icu (collation), pool.res, *.brk rules…
    if ext == "cnv":
        return size <= MAX_CONVERTER
    if ext == "res" and LOCALE_NAME.match(stem):
        return bool(LOCALES.match(stem))  # locale data; supplemental data (plurals, zoneinfo64…) stays
    return True


def parse_package(blob: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    header_size = struct.unpack_from("<H", blob, 0)[0]
    if blob[2:4] != b"\xda\x27" or blob[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    toc = header_size
    (count,) = struct.unpack_from("<I", blob, toc)
    entries = [struct.unpack_from("<II", blob, toc + 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_offset, data_offset) in enumerate(entries):
        start = toc + name_offset
        name = blob[start:blob.index(b"\0", start)].decode("ascii")
        end = toc + entries[i + 1][1] if i + 1 < count else len(blob)
        items.append((name, blob[toc + data_offset:end]))
    return blob[:header_size], items


def build_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    def pad(n: int) -> int:
        return (n + 15) & ~15

    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    table_size = 4 + 8 * len(items)
    data_start = pad(table_size + len(names))
    entries, name_offset, data_offset, body = [], table_size, data_start, []
    for name, data in items:
        entries.append(struct.pack("<II", name_offset, data_offset))
        name_offset += len(name) + 1
        padded = data + b"\0" * (pad(len(data)) - len(data))
        body.append(padded)
        data_offset += len(padded)
    table = struct.pack("<I", len(items)) + b"".join(entries) + names
    table += b"\0" * (data_start - len(table))
    return header + table + b"".join(body)


def _symbol(library: Path) -> tuple[str, int, int]:
    """(name, file offset, size) of the ``icudtNN_dat`` symbol."""
    out = subprocess.run(["nm", "-D", "--defined-only", "-S", str(library)], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        fields = line.split()
        if len(fields) == 4 and re.fullmatch(r"icudt\d+_dat", fields[3]):
            address, size = int(fields[0], 16), int(fields[1], 16)
            return fields[3], _file_offset(library, address), size
    raise ValueError(f"{library}: no icudt*_dat symbol")


def _file_offset(library: Path, address: int) -> int:
    out = subprocess.run(["readelf", "-lW", str(library)], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == "LOAD":
            offset, vaddr, filesz = int(fields[1], 16), int(fields[2], 16), int(fields[4], 16)
            if vaddr <= address < vaddr + filesz:
                return address - vaddr + offset
    raise ValueError(f"{library}: address {address:#x} is in no loaded segment")


def trim_library(library: Path) -> TrimResult:
    """Replace ``library`` (libicudata.so.NN) by one holding only the items :func:`keep_item` keeps."""
    symbol, offset, size = _symbol(library)
    blob = library.read_bytes()[offset:offset + size]
    header, items = parse_package(blob)
    kept = [(name, data) for name, data in items if keep_item(name, len(data))]
    package = build_package(header, kept)
    soname = library.name
    with tempfile.TemporaryDirectory(prefix="icu-trim-") as tmp:
        dat = Path(tmp) / "icudata.dat"
        dat.write_bytes(package)
        asm = Path(tmp) / "icudata.S"
        asm.write_text(
            f'\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign 16\n{symbol}:\n'
            f'\t.incbin "{dat}"\n\t.size {symbol}, .-{symbol}\n\t.section .note.GNU-stack,"",@progbits\n',
            encoding="ascii")
        out = Path(tmp) / soname
        subprocess.run(["gcc", "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-o", str(out), str(asm)],
                       check=True, capture_output=True)
        before = library.stat().st_size
        shutil.copyfile(out, library)
    return TrimResult(library, before, library.stat().st_size, len(items), len(kept))


def trim_bundle(bundle: Path) -> list[TrimResult]:
    """Trim every libicudata.so.* in a PyInstaller folder (symlinks are left alone)."""
    if not all(shutil.which(tool) for tool in ("nm", "readelf", "gcc")):
        print("ICU: nm/readelf/gcc не найдены — данные ICU оставлены целиком")
        return []
    results = []
    for library in sorted(bundle.rglob("libicudata.so.*")):
        if library.is_symlink() or not library.is_file():
            continue
        result = trim_library(library)
        print(f"ICU: {library.relative_to(bundle)} {result.before / 1e6:.1f} → {result.after / 1e6:.1f} МБ "
              f"(элементов {result.items_before} → {result.items_after})")
        results.append(result)
    return results
