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


def build(*, dist: Path, work: Path, clean: bool = False) -> Path:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    if clean:
        cmd.insert(3, "--clean")
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    return dist / "ersoko-desktop"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Собрать ЕРСОКО Desktop (PyInstaller, одна папка)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--clean", action="store_true", help="собрать заново, без кэша PyInstaller")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    bundle = build(dist=args.dist, work=args.work, clean=args.clean)
    print(f"Собрано за {time.perf_counter() - started:.0f} с: {bundle} ({folder_size(bundle) / 1e6:.0f} МБ)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
