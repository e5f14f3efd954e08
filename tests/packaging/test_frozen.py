"""The PyInstaller bundle builds and works from a folder whose path has Cyrillic and spaces
(as on a school PC: C:\\Users\\Учитель\\Мои документы). Slow: it builds the whole bundle."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXE = ".exe" if sys.platform == "win32" else ""


@pytest.fixture(scope="module")
def workspace():
    parent = Path(tempfile.gettempdir()) / "Мои документы"
    parent.mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="ЕРСОКО сборка ", dir=parent))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def bundle(workspace) -> Path:
    pytest.importorskip("PyInstaller", reason="нужен extra build: pip install '.[build]'")
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import build as build_script
    finally:
        sys.path.pop(0)
    started = time.perf_counter()
    # The PyInstaller cache under build/ makes a rebuild quick; the bundle goes into the Cyrillic path.
    path = build_script.build(dist=workspace / "dist", work=ROOT / "build" / "pyinstaller-test")
    seconds = time.perf_counter() - started
    size = build_script.folder_size(path)
    print(f"\nсборка: {seconds:.0f} с, размер папки: {size / 1e6:.0f} МБ ({path})")
    build_script.print_breakdown(path)
    return path


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "ERSOKO_DB"}
    env["ERSOKO_HOME"] = str(home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_bundle_layout(bundle):
    internal = bundle / "_internal"
    assert (bundle / f"ersoko-desktop{EXE}").is_file() and (bundle / f"ersoko{EXE}").is_file()
    data = internal / "ersoko_desktop" / "_data"
    assert (data / "resources" / "fonts" / "DejaVuSans.ttf").is_file()
    assert (data / "resources" / "icons" / "ersoko.png").is_file()
    assert (data / "forms").is_dir()
    assert (internal / "ersoko_desktop" / "db" / "migrations" / "versions" / "0001_initial_schema.py").is_file()
    names = [p.name for p in internal.rglob("*")]
    for unwanted in ("QtWebEngine", "Qt6Quick", "libQt6Quick", "Qt6Qml", "libQt6Qml", "Qt3D", "QtMultimedia", "opengl32sw",
                     "QtOpenGL.", "QtNetwork.", "QtPrintSupport.", "libQt6Network", "Qt6Network",
                     "libQt6PrintSupport", "Qt6PrintSupport", "f2py"):
        assert not [n for n in names if n.startswith(unwanted)], unwanted
    # QtCharts' C++ library links QtOpenGL: the libraries stay although the Python bindings went
    assert [n for n in names if "Qt6OpenGL" in n]
    if sys.platform.startswith("linux"):  # Qt's ICU data trimmed to ru/en/root (packaging/icu_trim.py)
        (icu,) = [p for p in internal.rglob("libicudata.so.*") if not p.is_symlink()]
        assert icu.stat().st_size < 8_000_000


def test_frozen_gui_self_test(bundle, workspace):
    """Every feature the trimmed bundle could lose: pages, charts, ICU, PDF fonts, XLSX, DOCX, crypto."""
    home = workspace / "данные пользователя"
    started = time.perf_counter()
    out = subprocess.run([str(bundle / f"ersoko-desktop{EXE}"), "--self-test"], cwd=workspace, env=_env(home),
                         capture_output=True, text=True, encoding="utf-8", timeout=900)
    print(f"\n--self-test: {time.perf_counter() - started:.1f} с\n{out.stdout}")
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    for feature in ("демонстрационные данные", "показатели", "отчёт PDF", "отчёт Excel", "дорожная карта из Word",
                    "подпись", "страницы окна", "ICU", "QtCharts", "QtSvg"):
        assert [line for line in lines if line.startswith("✓ ") and feature in line], feature
    assert not [line for line in lines if line.startswith("✗")]
    assert "самопроверка пройдена" in out.stdout
    assert not list((home / "logs").glob("crash-*.log"))


def test_frozen_cli_init_demo(bundle, workspace):
    home = workspace / "данные пользователя"
    db = workspace / "база школы" / "ersoko.sqlite"
    cli = [str(bundle / f"ersoko{EXE}"), "--db", str(db)]
    out = subprocess.run(cli + ["init", "--demo"], cwd=workspace, env=_env(home), capture_output=True,
                         text=True, encoding="utf-8", timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Демонстрационные данные: организаций 25" in out.stderr
    out = subprocess.run(cli + ["org", "list", "--format", "json"], cwd=workspace, env=_env(home),
                         capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert out.returncode == 0, out.stderr
    orgs = json.loads(out.stdout)
    # the demo region: 1 region, 2 municipalities, 22 schools
    assert len(orgs) == 25
    assert sorted({o["kind"] for o in orgs}) == ["municipality", "region", "school"]
    # a second init migrates nothing and makes no second daily backup
    out = subprocess.run(cli + ["init"], cwd=workspace, env=_env(home), capture_output=True, text=True,
                         encoding="utf-8", timeout=120)
    assert out.returncode == 0 and "в актуальном состоянии" in out.stderr
    assert len(list((home / "backups").glob("ersoko-daily-*.sqlite"))) == 1


def test_frozen_start_time(bundle, workspace):
    """Start to an idle main window on the demo database made above (printed, not asserted)."""
    home = workspace / "данные пользователя"
    db = workspace / "база школы" / "ersoko.sqlite"
    runs = []
    for _ in range(4):  # the first is the cold start (a fresh bundle), the rest warm
        started = time.time()
        out = subprocess.run([str(bundle / f"ersoko-desktop{EXE}"), "--db", str(db), "--startup-probe"], cwd=workspace,
                             env=_env(home), capture_output=True, text=True, encoding="utf-8", timeout=300)
        assert out.returncode == 0, out.stderr
        fields = dict(part.split("=") for part in out.stdout.split("READY ")[1].split()[:2])
        runs.append((float(fields["at"]) - started, float(fields["cpu"])))
    warm = sorted(runs[1:])[len(runs[1:]) // 2]
    print(f"\nзапуск до окна: первый {runs[0][0]:.2f} с (CPU {runs[0][1]:.2f} с), "
          f"повторный {warm[0]:.2f} с (CPU {warm[1]:.2f} с), нагрузка {os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan'):.1f}")
