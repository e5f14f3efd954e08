"""packaging/icu_trim.py: reading and rewriting ICU's common data package, and what it keeps.
(The trimmed library itself is proven by the frozen self-test's ICU checks: tests/packaging/test_frozen.py.)"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import icu_trim  # noqa: E402

sys.path.pop(0)


def _package(items: list[tuple[str, bytes]]) -> bytes:
    """A small common-data package laid out by hand (header: size, magic, UDataInfo with "CmnD")."""
    info = struct.pack("<HHBBBB4s4s4s", 20, 0, 0, 0, 2, 0, b"CmnD", b"\x01\x00\x00\x00", b"\x03\x00\x00\x00")
    header = struct.pack("<H", 32) + b"\xda\x27" + info
    header += b"\0" * (32 - len(header))
    names = b"".join(n.encode() + b"\0" for n, _ in items)
    table_len = 4 + 8 * len(items)
    data_at = (table_len + len(names) + 15) // 16 * 16
    entries, name_at, at, body = b"", table_len, data_at, b""
    for name, data in items:
        entries += struct.pack("<II", name_at, at)
        name_at += len(name) + 1
        data += b"\0" * (-len(data) % 16)
        body += data
        at += len(data)
    table = struct.pack("<I", len(items)) + entries + names
    return header + table + b"\0" * (data_at - len(table)) + body


ITEMS = [
    ("icudt73l/coll/ja.res", b"J" * 40),
    ("icudt73l/coll/root.res", b"R" * 16),
    ("icudt73l/coll/ru.res", b"C" * 32),
    ("icudt73l/coll/ucadata.icu", b"U" * 48),
    ("icudt73l/brkitr/cjdict.dict", b"D" * 64),
    ("icudt73l/ibm-5347_P100-1998.cnv", b"W" * 3200),
    ("icudt73l/ibm-943_P130-1999.cnv", b"S" * 20000),
    ("icudt73l/ja.res", b"j" * 16),
    ("icudt73l/plurals.res", b"P" * 16),
    ("icudt73l/ru_UA.res", b"u" * 16),
    ("icudt73l/translit/root.res", b"T" * 16),
    ("icudt73l/zoneinfo64.res", b"Z" * 16),
]


def test_package_round_trip_and_policy():
    blob = _package(ITEMS)
    header, items = icu_trim.parse_package(blob)
    assert header == blob[:32]
    assert [n for n, _ in items] == [n for n, _ in ITEMS]
    assert items[0][1][:40] == b"J" * 40 and items[5][1][:3200] == b"W" * 3200
    assert icu_trim.build_package(header, items) == blob
    kept = [n for n, d in items if icu_trim.keep_item(n, len(d.rstrip(b"\0")))]
    assert kept == ["icudt73l/coll/root.res", "icudt73l/coll/ru.res", "icudt73l/coll/ucadata.icu",
                    "icudt73l/ibm-5347_P100-1998.cnv", "icudt73l/plurals.res", "icudt73l/ru_UA.res",
                    "icudt73l/zoneinfo64.res"]
    again = icu_trim.build_package(header, [(n, d) for n, d in items if n in kept])
    assert [n for n, _ in icu_trim.parse_package(again)[1]] == kept


def test_not_a_package_is_refused():
    with pytest.raises(ValueError, match="common data"):
        icu_trim.parse_package(b"\x20\x00\xda\x27" + b"\0" * 60)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's ICU library is shipped on Linux only")
def test_real_qt_icu_data_keeps_what_qt_needs(tmp_path):
    import PySide6

    libs = sorted(Path(PySide6.__file__).parent.joinpath("Qt", "lib").glob("libicudata.so.*"))
    if not libs:
        pytest.skip("this PySide6 has no libicudata")
    try:
        symbol, offset, size = icu_trim._symbol(libs[0])
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"no binutils: {exc}")
    _header, items = icu_trim.parse_package(libs[0].read_bytes()[offset:offset + size])
    kept = {name.split("/", 1)[1] for name, data in items if icu_trim.keep_item(name, len(data))}
    for needed in ("coll/ucadata.icu", "coll/root.res", "coll/ru.res", "zone/ru.res", "metaZones.res",
                   "zoneinfo64.res", "ru.res", "root.res", "cnvalias.icu", "ulayout.icu", "nfkc.nrm",
                   "ibm-5347_P100-1998.cnv"):
        assert needed in kept, needed
    for dropped in ("brkitr/cjdict.dict", "ja.res", "coll/zh.res", "translit/root.res"):
        assert dropped not in kept, dropped
    assert sum(len(d) for n, d in items if n.split("/", 1)[1] in kept) < 0.2 * size
