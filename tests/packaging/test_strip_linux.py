"""packaging/strip_linux.py strips only libraries that have symbols and keeps them loadable."""

from __future__ import annotations

import ctypes
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import strip_linux  # noqa: E402

sys.path.pop(0)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or not (shutil.which("gcc") and shutil.which("strip")),
                                reason="Linux with gcc and binutils only")


@pytest.fixture
def library(tmp_path) -> Path:
    src = tmp_path / "answer.c"
    src.write_text("int answer(void) { return 42; }\n", encoding="ascii")
    lib = tmp_path / "libanswer.so"
    subprocess.run(["gcc", "-g", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return lib


def test_a_library_with_symbols_is_stripped_and_still_loads(library):
    before = library.read_bytes()
    assert strip_linux.has_symbols(before) and strip_linux.loads_aligned(before)
    saved = strip_linux.strip_file(library)
    after = library.read_bytes()
    assert saved == len(before) - len(after) > 0
    assert not strip_linux.has_symbols(after) and strip_linux.loads_aligned(after)
    assert ctypes.CDLL(str(library)).answer() == 42
    assert strip_linux.strip_file(library) == 0  # nothing left to strip: the file is not touched again


def test_misaligned_load_segment_is_detected(library):
    data = bytearray(library.read_bytes())
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        base = phoff + i * phentsize
        if struct.unpack_from("<I", data, base)[0] == strip_linux.PT_LOAD:
            offset, = struct.unpack_from("<Q", data, base + 0x08)
            struct.pack_into("<Q", data, base + 0x08, offset + 0x800)  # what strip did to OpenBLAS
            break
    assert not strip_linux.loads_aligned(bytes(data))


def test_bundle_pass_skips_executables_and_symlinks(library, tmp_path):
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    exe = bundle / "ersoko"
    shutil.copy(library, exe)  # an ELF with symbols but no ".so" in its name, like the bootloader
    shutil.copy(library, bundle / "_internal" / "libanswer.so.1")
    (bundle / "_internal" / "libanswer.so").symlink_to("libanswer.so.1")
    result = strip_linux.strip_bundle(bundle)
    assert result.stripped == 1
    assert exe.read_bytes() == library.read_bytes()
    assert not strip_linux.has_symbols((bundle / "_internal" / "libanswer.so.1").read_bytes())
