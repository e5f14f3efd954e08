"""``pip install .`` gives a working program: forms, resources and migrations travel in the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (whl,) = out.glob("ersoko_desktop-*.whl")
    return whl


def test_wheel_contains_data_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "ersoko_desktop/db/migrations/env.py" in names
    assert any(n.startswith("ersoko_desktop/db/migrations/versions/0001") for n in names)
    shipped_forms = {p.relative_to(ROOT).as_posix() for p in (ROOT / "forms").rglob("*") if p.is_file()}
    for rel in shipped_forms:
        assert f"ersoko_desktop/_data/{rel}" in names
    shipped_resources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "resources").rglob("*") if p.is_file()}
    for rel in shipped_resources:
        assert f"ersoko_desktop/_data/{rel}" in names
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "ersoko = ersoko_desktop.cli:main" in entry
    assert "ersoko-desktop = ersoko_desktop.__main__:main" in entry


def test_installed_wheel_runs_from_its_own_files(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    code = ("import ersoko_desktop, ersoko_desktop.paths as p; print(ersoko_desktop.__file__); "
            "print(p.forms_root()); print(p.migrations_dir())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    pkg, forms, migrations = out.stdout.split("\n")[:3]
    assert pkg.startswith(str(target)) and forms.startswith(str(target)) and migrations.startswith(str(target))
    db = tmp_path / "w.sqlite"
    init = subprocess.run([sys.executable, "-m", "ersoko_desktop.cli", "--db", str(db), "init"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert init.returncode == 0, init.stderr
    assert db.exists()
