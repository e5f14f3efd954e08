"""The core (everything but ersoko_desktop.ui) must run without Qt (GUIDE §2)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import ersoko_desktop


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(ersoko_desktop.__path__, prefix="ersoko_desktop."):
        if info.name.startswith("ersoko_desktop.ui") or ".migrations" in info.name:
            continue
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


def test_core_modules_are_found():
    names = core_modules()
    assert "ersoko_desktop.db.models" in names
    assert "ersoko_desktop.services.orgs" in names
    assert "ersoko_desktop.cli" in names


def test_importing_the_core_does_not_import_pyside6():
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith('PySide6'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"PySide6 imported by the core: {out.stdout}"


def test_gui_entry_module_imports_qt_lazily():
    code = "import ersoko_desktop.__main__, sys; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
