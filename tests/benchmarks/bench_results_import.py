"""Benchmark: import of a 1 000 000-row ВПР results XLSX (GUIDE §8, issue 4).

Run as a script (``python tests/benchmarks/bench_results_import.py``) or with
``pytest -m benchmark tests/benchmarks/bench_results_import.py``. In one process it times

(a) the naive baseline: ``pandas.read_excel(engine="openpyxl")`` + ``DataFrame.to_sql``;
(b) a floor: calamine rows → ``sqlite3.executemany`` into the same table, no validation;
(c) our import (``services.results_import.import_results``), all checks on;
(d) the first indicators right after (c) — every indicator at every level, solve rates, signs, ШНОР
    (``bench_indicators.run_engine`` on ``load_dataset``) — as the import left the ``result_stats``
    cache (it computes the statistics of what it wrote), and for scale the same with every block made
    stale (what a reader would pay if the import did not);

and prints the ratios and the peak RSS of each stage. The XLSX is generated once (streamed XML;
openpyxl write-only would take far longer) into ``$ERSOKO_BENCH_CACHE`` (default: the temp dir) and reused.
The naive baseline is slow: by default it runs on the first 100 000 rows and is extrapolated
linearly (the output says so); ``--full-baseline`` runs it on the whole file.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_indicators.run_engine

ROWS = 1_000_000
SCHOOLS = 300
TASKS = 20
SUBSET = 100_000
TASK_MAX = [1] * 10 + [2] * 6 + [3] * 4  # 10 + 12 + 12 = 34
THRESHOLDS = {"3": 10, "4": 19, "5": 27}
TITLE = ["Всероссийские проверочные работы 2024", "Предмет: Математика", "Класс: 8"]
HEADER = (["Код ОО", "Код участника", "Класс", "Вариант", "Пол"] + [str(i + 1) for i in range(TASKS)]
          + ["Первичный балл", "Отметка", "Отметка за предыдущую четверть"])


def cache_dir() -> Path:
    path = Path(os.environ.get("ERSOKO_BENCH_CACHE") or Path(tempfile.gettempdir()) / "ersoko-bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def school_code(i: int) -> str:
    return f"08{i + 1:05d}"


def bench_spec() -> dict:
    tasks = [{"id": str(i + 1), "max": m, "level": "базовый" if i < 14 else "повышенный"} for i, m in enumerate(TASK_MAX)]
    return {"tasks": tasks, "max_score": sum(TASK_MAX), "thresholds": THRESHOLDS, "source": "benchmark"}


def _mark(score: int) -> int:
    for mark in (5, 4, 3):
        if score >= THRESHOLDS[str(mark)]:
            return mark
    return 2


def generate_xlsx(path: Path, rows: int = ROWS) -> Path:
    """A realistic municipal summary: three title rows, header on row 4, 300 schools.

    openpyxl's write-only mode needs ~40 minutes for this file on a busy machine, so the sheet XML
    is streamed straight into the ZIP (shared strings, as Excel writes them); openpyxl and calamine
    read it like any Excel file.
    """
    import zipfile

    import numpy as np

    rng = np.random.default_rng(2024)
    tmp = path.with_suffix(".part.xlsx")
    strings: dict[str, int] = {}

    def sst(text: str) -> int:
        if text not in strings:
            strings[text] = len(strings)
        return strings[text]

    def cell_s(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="s"><v>{sst(text)}</v></c>'

    cols = [_col_letter(j) for j in range(len(HEADER))]
    maxima = np.array(TASK_MAX)
    per_school = rows // SCHOOLS + 1
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            r = 0
            for line in TITLE:
                r += 1
                f.write(f'<row r="{r}">{cell_s(f"A{r}", line)}</row>'.encode())
            r += 1
            f.write((f'<row r="{r}">' + "".join(cell_s(f"{c}{r}", h) for c, h in zip(cols, HEADER)) + "</row>").encode())
            done = 0
            while done < rows:
                n = min(50_000, rows - done)
                ability = rng.random(n)
                scores = ((rng.random((n, TASKS)) < ability[:, None]) * maxima).astype(int)
                primary = scores.sum(axis=1)
                journal = rng.integers(3, 6, n)
                out = []
                for k in range(n):
                    i = done + k
                    r += 1
                    p = int(primary[k])
                    texts = [school_code(i // per_school), f"{10000 + i % per_school}", f"8{'АБВГ'[i % 4]}",
                             str(1 + i % 2), "МЖ"[i % 2]]
                    nums = [*scores[k].tolist(), p, _mark(p), int(journal[k])]
                    out.append(f'<row r="{r}">'
                               + "".join(cell_s(f"{cols[j]}{r}", t) for j, t in enumerate(texts))
                               + "".join(f'<c r="{cols[5 + j]}{r}"><v>{v}</v></c>' for j, v in enumerate(nums))
                               + "</row>")
                f.write("".join(out).encode())
                done += n
                print(f"  сгенерировано {done:,} строк", file=sys.stderr, flush=True)
            f.write(b"</sheetData></worksheet>")
        from xml.sax.saxutils import escape

        items = "".join(f"<si><t>{escape(t)}</t></si>" for t in strings)
        zf.writestr("xl/sharedStrings.xml",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
                    f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
    tmp.replace(path)
    return path


def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, rem = divmod(j - 1, 26)
        s = chr(65 + rem) + s
    return s


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>")
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="ВПР Математика 8" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>')


def bench_file(rows: int = ROWS) -> Path:
    path = cache_dir() / f"vpr_results_{rows}.xlsx"
    if not path.exists():
        print(f"Генерирую {path} ({rows:,} строк, один раз)…", file=sys.stderr)
        generate_xlsx(path, rows)
    return path


def _reset_peak_rss() -> None:
    """Linux lets a process reset its high-water mark, so each stage gets its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _template_db(folder: Path) -> Path:
    """A migrated database with the 300 schools and the procedure (with its spec) of the file."""
    from ersoko_desktop.db import open_database, session_scope
    from ersoko_desktop.db.models import Organization, Procedure

    path = folder / "template.sqlite"
    engine = open_database(str(path))
    with session_scope(engine) as s:
        region = Organization(code="08", name="Регион", kind="region")
        muni = Organization(code="0800", name="Муниципалитет", kind="municipality", parent=region)
        s.add_all([region, muni])
        s.add_all([Organization(code=school_code(i), name=f"Школа {i + 1}", kind="school", parent=muni)
                   for i in range(SCHOOLS)])
        s.add(Procedure(kind="VPR", subject="Математика", grade=8, year=2024, spec=bench_spec()))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _copy_db(template: Path, name: str) -> Path:
    import shutil

    target = template.with_name(name)
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copy(template, target)
    return target


def run_naive(path: Path, folder: Path, nrows: int | None) -> tuple[float, int]:
    """(a) pandas.read_excel(engine="openpyxl") + DataFrame.to_sql, nothing checked."""
    import pandas as pd

    db = folder / "naive.sqlite"
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    frame = pd.read_excel(path, engine="openpyxl", skiprows=len(TITLE), nrows=nrows)
    conn = sqlite3.connect(db)
    frame.to_sql("results", conn, index=False)
    conn.commit()
    conn.close()
    return time.perf_counter() - t0, len(frame)


def run_floor(path: Path, db: Path) -> tuple[float, int]:
    """(b) calamine rows → sqlite3.executemany into participant_result, no validation at all."""
    from python_calamine import CalamineWorkbook

    conn = sqlite3.connect(db)
    schools = dict(conn.execute("SELECT code, id FROM organization"))
    (proc_id,) = conn.execute("SELECT id FROM procedure").fetchone()
    t0 = time.perf_counter()
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    rows = sheet.iter_rows()
    for _ in range(len(TITLE) + 1):
        next(rows)
    dumps = json.dumps
    data = ((proc_id, schools[r[0]], r[1], r[2], r[3], dumps(r[5:5 + TASKS]), r[25], r[26], r[27], r[4], None)
            for r in rows)
    cur = conn.executemany(
        "INSERT INTO participant_result (procedure_id, school_id, participant_code, class_letter, variant, "
        "task_scores, primary_score, mark, journal_mark, gender, batch_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)", data)
    conn.commit()
    elapsed = time.perf_counter() - t0
    count = cur.rowcount
    conn.close()
    return elapsed, count


def run_ours(path: Path, db: Path) -> tuple[float, int]:
    """(c) services.results_import.import_results: every check on, one transaction."""
    from ersoko_desktop.db import open_database, session_scope
    from ersoko_desktop.services.results_import import import_results

    engine = open_database(str(db))
    t0 = time.perf_counter()
    with session_scope(engine) as session:
        report = import_results(session, path)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    assert report.errors == [] and report.imported == ROWS if path.name.endswith(f"_{ROWS}.xlsx") else True
    return elapsed, report.imported


def run_first_indicators(db: Path, *, stale: bool) -> tuple[float, float]:
    """(d) wall and CPU seconds of everything the region needs, read from ``db`` as the import left it
    (``stale``: on a copy whose statistics are all marked stale)."""
    from bench_indicators import run_engine

    from ersoko_desktop.db import make_session_factory, open_database
    from ersoko_desktop.services.indicators import load_dataset

    if stale:
        db = _copy_db(db, "stale.sqlite")
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE result_stats SET data = NULL, generation = generation + 1")
    engine = open_database(str(db))
    session = make_session_factory(engine)()
    w0, c0 = time.perf_counter(), time.process_time()
    run_engine(load_dataset(session, with_tasks=True))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    session.rollback()
    session.close()
    engine.dispose()
    return wall, cpu


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--full-baseline", action="store_true", help="run the naive baseline on the whole file")
    parser.add_argument("--skip-naive", action="store_true", help="only (b) and (c): the naive baseline takes long")
    args = parser.parse_args(argv)
    os.environ.setdefault("ERSOKO_HOME", str(cache_dir() / "home"))
    path = bench_file(args.rows)
    folder = Path(tempfile.mkdtemp(prefix="ersoko-bench-"))
    template = _template_db(folder)
    results: dict[str, Stage] = {}
    results["floor"] = _measure(run_floor, path, _copy_db(template, "floor.sqlite"))
    ours_db = _copy_db(template, "ours.sqlite")
    results["ours"] = _measure(run_ours, path, ours_db)
    print(f"(b) {results['floor'].wall:.1f} s, (c) {results['ours'].wall:.1f} s", file=sys.stderr, flush=True)
    first = run_first_indicators(ours_db, stale=False)
    first_stale = run_first_indicators(ours_db, stale=True)
    subset = None if args.full_baseline or args.rows <= SUBSET else SUBSET
    if not args.skip_naive:
        naive = _measure(run_naive, path, folder, subset)
        scale = args.rows / naive.rows if subset else 1.0
        results["naive"] = Stage(naive.wall * scale, naive.cpu * scale, naive.rows, naive.rss, naive.load,
                                 measured_wall=naive.wall)

    print(f"Импорт {args.rows:,} строк ВПР ({TASKS} заданий, {SCHOOLS} школ), файл {path.name}, "
          f"{path.stat().st_size / 2**20:.0f} МиБ; ядер: {os.cpu_count()}")
    for key, label in (("naive", "(a) pandas.read_excel(openpyxl) + to_sql"),
                       ("floor", "(b) calamine → sqlite3.executemany (пол)"),
                       ("ours", "(c) results_import.import_results")):
        if key not in results:
            continue
        st = results[key]
        note = (f" (измерено на {st.rows:,} строках: {st.measured_wall:.1f} с, пересчитано линейно)"
                if key == "naive" and subset else "")
        print(f"  {label:<45} {st.wall:8.1f} с (ЦП {st.cpu:7.1f} с)  {args.rows / st.wall:>10,.0f} строк/с  "
              f"пик RSS {st.rss:7.0f} МиБ  загрузка {st.load[0]:.1f}→{st.load[1]:.1f}{note}")
    figures = {"floor_s": results["floor"].wall, "ours_s": results["ours"].wall,
               "floor_cpu_s": results["floor"].cpu, "ours_cpu_s": results["ours"].cpu,
               "ours_over_floor": results["ours"].wall / results["floor"].wall,
               "ours_over_floor_cpu": results["ours"].cpu / results["floor"].cpu,
               "ours_peak_rss_mib": results["ours"].rss, "floor_peak_rss_mib": results["floor"].rss,
               "naive_extrapolated": bool(subset),
               "first_indicators_s": first[0], "first_indicators_cpu_s": first[1],
               "first_indicators_stale_s": first_stale[0], "first_indicators_stale_cpu_s": first_stale[1]}
    line = "  "
    if "naive" in results:
        figures.update(naive_s=results["naive"].wall, naive_cpu_s=results["naive"].cpu,
                       speedup_vs_naive=results["naive"].wall / results["ours"].wall,
                       speedup_vs_naive_cpu=results["naive"].cpu / results["ours"].cpu)
        line += (f"(c) быстрее (a) в {figures['speedup_vs_naive']:.1f} раза по времени, "
                 f"в {figures['speedup_vs_naive_cpu']:.1f} по ЦП (цель ≥ 5); ")
    print(line + f"(c)/(b) = {figures['ours_over_floor']:.2f} по времени, {figures['ours_over_floor_cpu']:.2f} по ЦП "
          f"(цель ≤ 2); пик RSS (c) {figures['ours_peak_rss_mib']:.0f} МиБ (цель < 1536; пол читает лист "
          f"целиком: {figures['floor_peak_rss_mib']:.0f} МиБ)")
    print(f"  (d) первые показатели после импорта (все уровни, признаки, ШНОР): {first[0]:.2f} с (ЦП {first[1]:.2f} с); "
          f"если бы импорт не посчитал статистику: {first_stale[0]:.2f} с (ЦП {first_stale[1]:.2f} с)")
    return figures


@dataclass
class Stage:
    wall: float
    cpu: float  # process CPU time: less sensitive than wall time to the other work on a shared machine
    rows: int
    rss: float  # peak RSS of this stage, MiB
    load: tuple[float, float]  # 1-minute load average before and after
    measured_wall: float = 0.0


def _measure(run, *args) -> Stage:
    _reset_peak_rss()
    load0 = os.getloadavg()[0]
    c0 = time.process_time()
    wall, rows = run(*args)
    return Stage(wall, time.process_time() - c0, rows, _peak_rss_mib(), (load0, os.getloadavg()[0]))


@pytest.mark.benchmark
def test_results_import_benchmark():
    figures = main([])
    print(figures)
    assert figures["ours_s"] > 0  # the figures are for reading, not for asserting a speed


if __name__ == "__main__":
    if sys.argv[1:2] == ["--generate-only"]:
        bench_file()
    else:
        main()
