"""GUI start-up time from source: process start → main window shown and the event loop idle.

    PYTHONPATH=$PWD python tests/benchmarks/bench_startup.py [--runs 5] [--importtime]

Each run is a fresh ``python`` process (cold interpreter, warm OS file cache) that starts the real
``ersoko-desktop --db <demo database> --startup-probe`` under the offscreen platform (no display needed; under
``xvfb-run`` set ``QT_QPA_PLATFORM=xcb`` to include the X server). The database is a demo
database made once beforehand by ``ersoko init --demo`` (own organization set, schema at head,
today's daily backup already taken — an ordinary second start of the day). ``--startup-probe``
makes the program print its CPU time and the clock at the first zero-timer after the main window
is shown (the event loop is idle); wall time = that clock − the parent's clock when spawning it. With
``--importtime`` one more run prints the slowest imports (``python -X importtime``, cumulative).

For scale, the same is measured for two floors in the same conditions: a bare PySide6 window
(``QApplication`` + an empty ``QMainWindow`` shown to idle) and that plus ``import sqlalchemy.orm``
(which every page needs). ``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment
(as on a user's PC, where ``.pyc`` files are cached).

Not a pytest test: timings on this shared machine are noisy, so they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FLOOR = r"""
import resource, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
if "sqlalchemy" in sys.argv:
    import sqlalchemy.orm
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.show()

def _report():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"READY cpu={ru.ru_utime + ru.ru_stime:.3f} at={time.time():.3f}", flush=True)
    app.quit()

QTimer.singleShot(0, _report)
app.exec()
"""


def prepare(home: Path) -> Path:
    db = home / "ersoko.sqlite"
    env = dict(os.environ, ERSOKO_HOME=str(home), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "ersoko_desktop.cli", "--db", str(db), "init", "--demo"],
                   check=True, env=env, capture_output=True)
    return db


def child_env(home: Path, db: Path) -> dict:
    env = dict(os.environ, ERSOKO_HOME=str(home), PYTHONPATH=str(ROOT), BENCH_DB=str(db))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def one_run(env: dict, args: list[str], extra: list[str] | None = None) -> tuple[float, float, str]:
    """(wall, CPU, stderr) of one child ``python [extra] args``."""
    started = time.time()
    proc = subprocess.run([sys.executable, *(extra or []), *args], env=env, capture_output=True, text=True,
                          timeout=120)
    ready = next((line for line in proc.stdout.splitlines() if line.startswith("READY")), None)
    if proc.returncode != 0 or ready is None:
        raise SystemExit(f"child failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    fields = dict(part.split("=") for part in ready.split()[1:])
    return float(fields["at"]) - started, float(fields["cpu"]), proc.stderr


def import_top(stderr: str, n: int = 25) -> list[tuple[int, str]]:
    """(cumulative µs, module) of the top-level imports, slowest first."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _self, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        if cumulative.isdigit():
            rows.append((int(cumulative), name))
    rows.sort(reverse=True)
    return rows[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--importtime", action="store_true", help="also print the slowest imports")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ersoko-bench-start-") as tmp:
        home = Path(tmp)
        db = prepare(home)
        env = child_env(home, db)
        ours = ["-m", "ersoko_desktop", "--db", str(db), "--startup-probe"]
        one_run(env, ours)  # warm the OS file cache and make today's daily backup
        subjects = {
            "ЕРСОКО Desktop": ours,
            "floor: bare PySide6 window": ["-c", FLOOR],
            "floor: PySide6 window + sqlalchemy.orm": ["-c", FLOOR, "sqlalchemy"],
        }
        walls: dict[str, list[float]] = {name: [] for name in subjects}
        cpus: dict[str, list[float]] = {name: [] for name in subjects}
        for _ in range(args.runs):  # interleaved, so a change of the machine's load hits all alike
            for name, child_args in subjects.items():
                wall, cpu, _err = one_run(env, child_args)
                walls[name].append(wall)
                cpus[name].append(cpu)
        load = os.getloadavg()
        print(f"start to idle main window, median of {args.runs} runs "
              f"(load {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on {os.cpu_count()} CPUs):")
        ours_wall = statistics.median(walls["ЕРСОКО Desktop"])
        for name in subjects:
            w, c = statistics.median(walls[name]), statistics.median(cpus[name])
            print(f"  {name:40s} wall {w:5.2f} s (min {min(walls[name]):.2f})  CPU {c:5.2f} s"
                  + ("" if name == "ЕРСОКО Desktop" else f"   ours / this = {ours_wall / w:.2f}×"))
        if args.importtime:
            _w, _c, err = one_run(env, ours, ["-X", "importtime"])
            print("slowest imports (cumulative, ms):")
            for micros, name in import_top(err):
                print(f"  {micros / 1000:8.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
