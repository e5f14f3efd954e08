"""Build the PyInstaller bundle: ``python packaging/build.py [--clean]``.

Writes dist/ersoko-desktop/ (see packaging/ersoko.spec) and prints its size. Needs the
``build`` extra: ``pip install ".[build]"``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "ersoko.spec"


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


# (label, pattern on the path inside the bundle): the first match names a file's group.
GROUPS = [
    ("Qt: ICU (libicu*)", r"(^|/)libicu"),
    ("Qt: libraries", r"(^|/)(lib)?Qt6\w*\.(so|dll)|PySide6/Qt/lib/"),
    ("Qt: plugins", r"PySide6/(Qt/)?plugins/"),
    ("Qt: translations", r"PySide6/(Qt/)?translations/"),
    ("PySide6/shiboken6 bindings", r"^(PySide6|shiboken6)/"),
    ("numpy", r"^numpy(\.libs)?/"),
    ("pandas", r"^pandas/"),
    ("cryptography", r"^cryptography/"),
    ("reportlab", r"^reportlab/"),
    ("openpyxl", r"^openpyxl/"),
    ("lxml", r"^lxml/"),
    ("python_calamine", r"^python_calamine/"),
    ("sqlalchemy", r"^sqlalchemy/"),
    ("Python runtime and stdlib", r"(^|/)(lib)?python3|^base_library\.zip|^lib-dynload/|^[a-z_]+\.pyc$|^(encodings|email|"
                                  r"json|xml|importlib|asyncio|logging|http|urllib|concurrent|collections|sqlite3|zoneinfo|"
                                  r"unittest|ctypes|multiprocessing|html|wsgiref|xmlrpc|re|tomllib|pydoc_data|curses)/"),
    ("tzdata", r"^tzdata/"),
    ("ЕРСОКО (code, forms, fonts, migrations)", r"^ersoko_desktop/"),
    ("executables", r"^ersoko(-desktop)?(\.exe)?$"),
]


def size_breakdown(bundle: Path) -> list[tuple[str, int]]:
    """Bytes per group of the bundle (see GROUPS), largest first; the rest is «прочее»."""
    import re

    sizes: dict[str, int] = {}
    internal = bundle / "_internal"
    for f in bundle.rglob("*"):
        if not f.is_file() or f.is_symlink():
            continue
        base = internal if f.is_relative_to(internal) else bundle
        rel = f.relative_to(base).as_posix()
        label = next((name for name, pattern in GROUPS if re.search(pattern, rel)), "прочее: " + rel.split("/")[0])
        sizes[label] = sizes.get(label, 0) + f.stat().st_size
    return sorted(sizes.items(), key=lambda kv: kv[1], reverse=True)


def print_breakdown(bundle: Path, *, top: int = 25) -> None:
    rows = size_breakdown(bundle)
    print(f"Размер папки {bundle}: {sum(s for _, s in rows) / 1e6:.1f} МБ")
    for name, size in rows[:top]:
        print(f"  {size / 1e6:7.1f} МБ  {name}")
    rest = rows[top:]
    if rest:
        print(f"  {sum(s for _, s in rest) / 1e6:7.1f} МБ  ещё {len(rest)} групп")


def build(*, dist: Path, work: Path, clean: bool = False) -> Path:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    if clean:
        cmd.insert(3, "--clean")
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    bundle = dist / "ersoko-desktop"
    if sys.platform.startswith("linux"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        try:
            from icu_trim import trim_bundle
            from strip_linux import strip_bundle
        finally:
            sys.path.pop(0)
        strip_bundle(bundle)  # debug symbols off the libraries that have them (libpython: −17 MB)
        trim_bundle(bundle)  # Qt's ICU data: 32 MB → 5 MB (ru, en, root); see icu_trim.py
    return bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Собрать ЕРСОКО Desktop (PyInstaller, одна папка)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--clean", action="store_true", help="собрать заново, без кэша PyInstaller")
    parser.add_argument("--sizes", type=Path, metavar="BUNDLE", help="не собирать, а показать размеры готовой папки")
    args = parser.parse_args(argv)
    if args.sizes:
        print_breakdown(args.sizes)
        return 0
    started = time.perf_counter()
    bundle = build(dist=args.dist, work=args.work, clean=args.clean)
    print(f"Собрано за {time.perf_counter() - started:.0f} с: {bundle} ({folder_size(bundle) / 1e6:.0f} МБ)")
    print_breakdown(bundle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
