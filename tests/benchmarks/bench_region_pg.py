"""Benchmark: a whole region on the regional server — PostgreSQL next to SQLite.

Region: 50 municipalities, 1 000 schools, ВПР in 2 subjects × 5 grades over 3 years (30
procedures), 5 000 000 results at ``--scale 1`` (fewer with ``--scale 0.1`` etc.; schools and
procedures stay, pupils per school shrink). For each backend:

1. load — results written with ``db.bulk.bulk_insert`` (COPY on PostgreSQL, executemany on
   SQLite), in chunks, inside one transaction per chunk, and the touched blocks invalidated as
   every writer does (``services.result_stats.invalidate``). The generated database is kept in
   ``--cache-dir`` (a SQLite file, a ``pg_dump`` of the PostgreSQL one) and restored on the next
   run, so generation is neither timed nor repeated (``--regenerate`` forces it);
2. package import — with ``--packages``: one municipality (20 schools, its share of the rows)
   exports a real signed package that a fresh region database imports with
   ``services.packages.import_package``; ``package_region_extrapolated_s`` scales that one
   measured import to 50 municipalities (an extrapolation, labelled as such);
3. region indicators, cold — ``compute_tables`` at every level (class, school, municipality,
   region) on an empty ``result_stats`` cache: every result is read once and reduced to
   statistics per school × procedure, which are stored (what the first call after an import does);
4. region indicators, warm — the same call again (the cache is read, no result row is);
5. everything, warm — ``load_dataset`` + indicators at every level + per-task solve rates +
   signs S1–S5 of schools and of municipalities + risk lists + ШНОР;
6. in-SQL aggregation — the base counts (N, n1…n5, Σ score, lowered/confirmed/raised) per
   school × procedure × class computed by the database with GROUP BY, then rolled up in pandas:
   the alternative to pulling every row into pandas, measured in the same run.
Every figure is wall time; ``*_cpu_s`` is the CPU time of this process (the database server's
own CPU is not in it), and the load average is printed because the machine is shared.

With ``--through-packages`` — the issue's scenario end to end: the 50 municipalities' real signed
packages (made once by the export service, each from its own municipality database and key; cached
in ``--cache-dir``, not timed) are imported with ``services.packages.import_package`` into a fresh
region database, then everything (indicators at every level, solve rates, signs of schools and of
municipalities, risk list, ШНОР) is computed — as the analyst meets it after the imports, and again.
Measured 2026-11-24 at ``--scale 1`` (4 980 000 results, the machine also running the test suite,
load 1–3.7): PostgreSQL — import 965 s wall / 304 s CPU of this process (5 160 rows/s), everything
right after the imports **3.87 s wall** / 2.34 s CPU (target < 10 s), again 3.0 s; SQLite — import
613 s / 361 s CPU (8 125 rows/s), everything 2.49 s / 2.38 s, again 2.71 s. Same 204 flags and 266
ШНОР on both.

Run: ``python tests/benchmarks/bench_region_pg.py [--scale 0.1] [--backends postgresql,sqlite]
[--pg-url URL] [--packages] [--through-packages]``. Without ``--pg-url`` a private server is started like the tests do.
With pytest: ``pytest tests/benchmarks/bench_region_pg.py -m benchmark -s`` (scale 0.02).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text  # noqa: E402

from ersoko_desktop.db import make_session_factory, open_database, session_scope  # noqa: E402
from ersoko_desktop.db.bulk import bulk_insert  # noqa: E402
from ersoko_desktop.db.models import Organization, ParticipantResult, Procedure  # noqa: E402

MUNICIPALITIES, SCHOOLS, FULL_RESULTS = 50, 1000, 5_000_000
YEARS, SUBJECTS, GRADES = (2023, 2024, 2025), ("Русский язык", "Математика"), (4, 5, 6, 7, 8)
CHUNK = 250_000


def procedure_spec(n_tasks: int) -> dict:
    maxima = [1 if i < n_tasks - 4 else 2 for i in range(n_tasks)]
    total = sum(maxima)
    return {"tasks": [{"id": str(i + 1), "max": m, "level": "базовый" if i < n_tasks - 3 else "повышенный"}
                      for i, m in enumerate(maxima)],
            "max_score": total,
            "thresholds": {"3": round(total * 0.3), "4": round(total * 0.55), "5": round(total * 0.8)}}


def create_region(session) -> tuple[list[int], list[tuple[int, int, str]]]:
    """The registry and the 30 procedures; returns school ids and (procedure id, n_tasks, grade)."""
    region = Organization(code="R", name="Область", kind="region")
    session.add(region)
    session.flush()
    bulk_insert(session, Organization.__table__, [
        {"code": f"M{m:02d}", "name": f"Муниципалитет {m}", "kind": "municipality", "parent_id": region.id}
        for m in range(MUNICIPALITIES)])
    munis = dict(session.execute(text("SELECT code, id FROM organization WHERE kind = 'municipality'")).all())
    bulk_insert(session, Organization.__table__, [
        {"code": f"S{s:04d}", "name": f"Школа {s}", "kind": "school", "parent_id": munis[f"M{s % MUNICIPALITIES:02d}"]}
        for s in range(SCHOOLS)])
    schools = [i for (i,) in session.execute(text("SELECT id FROM organization WHERE kind = 'school' ORDER BY code"))]
    procs = []
    for year in YEARS:
        for subject in SUBJECTS:
            for grade in GRADES:
                n_tasks = 12 if subject == "Математика" else 10
                p = Procedure(kind="VPR", subject=subject, grade=grade, year=year, spec=procedure_spec(n_tasks))
                session.add(p)
                session.flush()
                procs.append((p.id, n_tasks, grade))
    return schools, procs


def result_rows(schools: list[int], procs: list[tuple[int, int, str]], total: int, seed: int = 11
                ) -> Iterator[list[dict]]:
    """Chunks of result rows, one procedure at a time for every school (vectorised with numpy)."""
    rng = np.random.default_rng(seed)
    per_group = max(1, total // (len(schools) * len(procs)))
    strength = rng.normal(0, 0.4, len(schools))
    school_ids = np.repeat(np.asarray(schools), per_group)
    school_index = np.repeat(np.arange(len(schools)), per_group)
    n = len(school_ids)
    batch: list[dict] = []
    for p_index, (pid, n_tasks, grade) in enumerate(procs):
        maxima = np.array([1 if i < n_tasks - 4 else 2 for i in range(n_tasks)])
        t = procedure_spec(n_tasks)["thresholds"]
        p = 1 / (1 + np.exp(-(rng.normal(strength[school_index], 0.9) + 0.4)))
        scores = np.minimum((rng.random((n, n_tasks, 2)) < p[:, None, None]).sum(axis=2), maxima)
        primary = scores.sum(axis=1)
        mark = np.select([primary >= t["5"], primary >= t["4"], primary >= t["3"]], [5, 4, 3], 2)
        journal = np.clip(mark + rng.choice([0, 0, 0, 1, -1], n), 2, 5)
        letters = [f"{grade}{c}" for c in rng.choice(list("АБВГ"), n)]
        codes = [f"{p_index:02d}-{k % per_group:05d}" for k in range(n)]
        for sid, code, letter, sc, ps, mk, jm in zip(school_ids.tolist(), codes, letters, scores.tolist(),
                                                      primary.astype(float).tolist(), mark.tolist(), journal.tolist()):
            batch.append({"procedure_id": pid, "school_id": sid, "participant_code": code, "class_letter": letter,
                          "variant": "1", "task_scores": sc, "primary_score": ps, "mark": mk, "journal_mark": jm,
                          "gender": None})
            if len(batch) >= CHUNK:
                yield batch
                batch = []
    if batch:
        yield batch


@contextmanager
def timed(store: dict, key: str):
    t0 = time.perf_counter()
    yield
    store[key] = round(time.perf_counter() - t0, 2)


def fill(engine, total: int, out: dict) -> None:
    with session_scope(engine) as s:
        schools, procs = create_region(s)
    written, insert_s, t0 = 0, 0.0, time.perf_counter()
    for chunk in result_rows(schools, procs, total):  # generating rows is not timed, writing them is
        t1 = time.perf_counter()
        with session_scope(engine) as s:
            written += bulk_insert(s, ParticipantResult.__table__, chunk)
        insert_s += time.perf_counter() - t1
    from ersoko_desktop.services.result_stats import invalidate

    with session_scope(engine) as s:
        for pid, _n, _g in procs:  # as every writer of results does
            invalidate(s, procedure_id=pid, school_ids=schools)
    out["generate_and_load_s"] = round(time.perf_counter() - t0, 2)
    out["load_s"] = round(insert_s, 2)
    out["rows"] = written
    out["load_rows_per_s"] = int(written / out["load_s"]) if out["load_s"] else None
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE participant_result"))


SQL_AGGREGATE = """
SELECT procedure_id, school_id, class_letter,
       COUNT(mark) AS n,
       SUM(CASE WHEN mark = 1 THEN 1 ELSE 0 END) AS n1, SUM(CASE WHEN mark = 2 THEN 1 ELSE 0 END) AS n2,
       SUM(CASE WHEN mark = 3 THEN 1 ELSE 0 END) AS n3, SUM(CASE WHEN mark = 4 THEN 1 ELSE 0 END) AS n4,
       SUM(CASE WHEN mark = 5 THEN 1 ELSE 0 END) AS n5,
       COUNT(primary_score) AS score_n, SUM(primary_score) AS score_sum,
       SUM(CASE WHEN mark IS NOT NULL AND journal_mark IS NOT NULL THEN 1 ELSE 0 END) AS n_both,
       SUM(CASE WHEN mark < journal_mark THEN 1 ELSE 0 END) AS n_lowered,
       SUM(CASE WHEN mark = journal_mark THEN 1 ELSE 0 END) AS n_confirmed,
       SUM(CASE WHEN mark > journal_mark THEN 1 ELSE 0 END) AS n_raised
FROM participant_result
GROUP BY procedure_id, school_id, class_letter
"""


def sql_aggregate(session) -> int:
    """Base counts by the database, rolled up to school, municipality and region in pandas."""
    import pandas as pd

    rows = session.execute(text(SQL_AGGREGATE)).all()
    frame = pd.DataFrame(rows, columns=["procedure_id", "school_id", "class_letter", "n", "n1", "n2", "n3", "n4",
                                        "n5", "score_n", "score_sum", "n_both", "n_lowered", "n_confirmed",
                                        "n_raised"])
    parents = dict(session.execute(text("SELECT id, parent_id FROM organization")).all())
    frame["municipality_id"] = frame["school_id"].map(parents)
    nums = [c for c in frame.columns if c.startswith("n") or c.startswith("score")]
    school = frame.groupby(["procedure_id", "school_id"])[nums].sum()
    muni = frame.groupby(["procedure_id", "municipality_id"])[nums].sum()
    region = frame.groupby(["procedure_id"])[nums].sum()
    for level in (frame, school, muni, region):
        level["quality"] = (level["n4"] + level["n5"]) / level["n"] * 100
    return len(frame) + len(school) + len(muni) + len(region)


@contextmanager
def timed_cpu(store: dict, key: str):
    t0, c0 = time.perf_counter(), time.process_time()
    yield
    store[key] = round(time.perf_counter() - t0, 2)
    store[key.replace("_s", "_cpu_s")] = round(time.process_time() - c0, 2)


def measure_reads(engine, out: dict) -> None:
    from ersoko_desktop.services.indicators import compute_tables, load_catalog

    load_catalog()
    with session_scope(engine) as session:  # cold: as right after the imports
        session.execute(text("UPDATE result_stats SET data = NULL, classes = NULL, rows = NULL"))
    out["load_average"] = [round(v, 2) for v in os.getloadavg()]
    with session_scope(engine) as session, timed_cpu(out, "region_indicators_cold_s"):
        tables = compute_tables(session)
    with session_scope(engine) as session, timed_cpu(out, "region_indicators_warm_s"):
        tables = compute_tables(session)
    out["indicator_rows"] = {lv: len(f) for lv, f in tables.levels.items()}
    measure_everything(engine, out, "warm")
    session = make_session_factory(engine)()
    try:
        with timed_cpu(out, "sql_aggregate_s"):
            out["sql_aggregate_groups"] = sql_aggregate(session)
    finally:
        session.close()


def measure_backend(name: str, url: str, total: int, package_url: str | None = None, *,
                    restore=None, save=None) -> dict:
    """``restore(url) -> bool`` loads a cached database into ``url``; ``save(url)`` caches it."""
    out: dict = {"backend": name}
    if restore is None or not restore(url):
        engine = open_database(url)
        try:
            fill(engine, total, out)
        finally:
            engine.dispose()
        if save is not None:
            save(url)
    engine = open_database(url)
    try:
        with engine.connect() as c:
            out["rows"] = c.execute(text("SELECT COUNT(*) FROM participant_result")).scalar_one()
        measure_reads(engine, out)
    finally:
        engine.dispose()
    if package_url:
        measure_package_import(package_url, total, out)
    return out


def sqlite_cache(cache_dir: Path, total: int, regenerate: bool):
    from ersoko_desktop.db.migrate import head_revision

    cached = cache_dir / f"region-{total}-{head_revision()}.sqlite"

    def restore(url: str) -> bool:
        if regenerate or not cached.exists():
            return False
        shutil.copyfile(cached, url)
        return True

    def save(url: str) -> None:
        shutil.copyfile(url, cached)

    return restore, save


def pg_cache(server, cache_dir: Path, total: int, regenerate: bool):
    """pg_dump/pg_restore of the generated database (custom format) in ``cache_dir``."""
    from ersoko_desktop.db.migrate import head_revision
    from tests.pg import SUPERUSER

    cached = cache_dir / f"region-{total}-{head_revision()}.pgdump"
    env = {**os.environ, "PGPASSWORD": server.password}
    common = ["-h", "127.0.0.1", "-p", str(server.port), "-U", SUPERUSER]

    def dbname(url: str) -> str:
        return url.rsplit("/", 1)[1]

    def restore(url: str) -> bool:
        if regenerate or not cached.exists():
            return False
        subprocess.run([str(server.bindir / "pg_restore"), *common, "-d", dbname(url), "--no-owner", "-j", "2",
                        str(cached)], env=env, check=True, capture_output=True, timeout=3600)
        with server.admin_connect(dbname(url)) as conn:
            conn.execute("VACUUM ANALYZE")
        return True

    def save(url: str) -> None:
        tmp = cached.with_suffix(".tmp")
        done = subprocess.run([str(server.bindir / "pg_dump"), *common, "-Fc", "-Z1", "-f", str(tmp), dbname(url)],
                              env=env, capture_output=True, text=True, timeout=3600)
        if done.returncode:
            raise SystemExit(f"pg_dump: {done.stderr}")
        tmp.replace(cached)

    return restore, save


def municipality_packages(total: int, cache_dir: Path | None) -> Path:
    """The 50 municipalities' signed packages (each: its 20 schools' share of ``total`` results, made by
    the real export service from a municipality database with its own Ed25519 key) and their public
    keys, generated once into ``cache_dir`` (not timed)."""
    from ersoko_desktop.db.migrate import head_revision
    from ersoko_desktop.services.keys import export_public, init_key
    from ersoko_desktop.services.packages import export_package
    from ersoko_desktop.settings import set_own_organization

    base = cache_dir if cache_dir is not None else Path(tempfile.mkdtemp(prefix="bench-packages-"))
    folder = base / f"packages-{total}-{head_revision()}"
    if (folder / "done").exists():
        return folder
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="bench-munis-"))
    for m in range(MUNICIPALITIES):
        code = f"M{m:02d}"
        engine = open_database(str(work / f"{code}.sqlite"))
        try:
            with session_scope(engine) as s:
                schools, procs = create_region(s)
                ids = [i for (i,) in s.execute(text(
                    "SELECT o.id FROM organization o JOIN organization m ON o.parent_id = m.id "
                    f"WHERE m.code = '{code}' ORDER BY o.code"))]
                set_own_organization(s, code)
                init_key(s)
                export_public(s, out=building / f"{code}.pub.json")
            for chunk in result_rows(ids, procs, total // len(schools) * len(ids), seed=100 + m):
                with session_scope(engine) as s:
                    bulk_insert(s, ParticipantResult.__table__, chunk)
            with session_scope(engine) as s:
                export_package(s, out=building / f"{code}.zip", recipient="R")
        finally:
            engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work / code}.sqlite{suffix}").unlink(missing_ok=True)
        print(f"пакет {code} готов", file=sys.stderr, flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)
    (folder / "done").touch()
    return folder


def measure_region_through_packages(url: str, packages: Path, out: dict) -> None:
    """The issue's scenario on a fresh region database: import every municipality's package with
    ``services.packages.import_package`` (which also computes the statistics of what arrived), then
    everything the region needs — as the analyst meets it right after the imports."""
    from ersoko_desktop.services.keys import trust_file
    from ersoko_desktop.services.packages import import_package
    from ersoko_desktop.settings import set_own_organization

    engine = open_database(url)
    try:
        with session_scope(engine) as s:
            create_region(s)
            set_own_organization(s, "R")
            for pub in sorted(packages.glob("*.pub.json")):
                trust_file(s, pub)
        out["load_average_before_import"] = [round(v, 2) for v in os.getloadavg()]
        with timed_cpu(out, "import_all_packages_s"):
            for pkg in sorted(packages.glob("*.zip")):
                with session_scope(engine) as s:
                    report = import_package(s, pkg)
                assert report.status == "imported" and not report.stats.conflicts, report.message
        with engine.connect() as c:
            out["rows"] = c.execute(text("SELECT COUNT(*) FROM participant_result")).scalar_one()
        out["import_rows_per_s"] = int(out["rows"] / out["import_all_packages_s"]) if out["import_all_packages_s"] else None
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE"))
        measure_everything(engine, out, "after_import")
        measure_everything(engine, out, "again")
    finally:
        engine.dispose()


def measure_everything(engine, out: dict, label: str) -> None:
    """Indicators at every level + solve rates + signs of schools and municipalities + risk + ШНОР."""
    from ersoko_desktop.domain.indicators.shnor import shnor_schools
    from ersoko_desktop.domain.indicators.tasks import task_solve_sums
    from ersoko_desktop.services.indicators import evaluate_dataset, load_catalog, load_dataset
    from ersoko_desktop.services.objectivity import ObjectivityParams, ShnorParams, signs_frame

    with session_scope(engine) as session, timed_cpu(out, f"everything_{label}_s"):
        dataset = load_dataset(session, with_tasks=True)
        tables = evaluate_dataset(dataset, load_catalog())
        tasks = task_solve_sums(dataset)
        flags = signs_frame(dataset, ObjectivityParams(), tables=tables, school_tasks=tasks["school"])
        muni_flags = signs_frame(dataset, ObjectivityParams(), tables=tables, school_tasks=tasks["municipality"],
                                 level="municipality")
        shnor = shnor_schools(tables.level("school"), ShnorParams())
    out["flags"], out["municipal_flags"], out["shnor"] = len(flags), len(muni_flags), len(shnor)
    out["risk"] = int(flags["risk"].sum()) if len(flags) else 0
    out["indicator_rows"] = {lv: len(f) for lv, f in tables.levels.items()}


def run_through_packages(scale: float, backends: list[str], cache_dir: Path | None) -> list[dict]:
    total = int(FULL_RESULTS * scale)
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    packages = municipality_packages(total, cache_dir)
    results = []
    for backend in backends:
        out: dict = {"backend": backend}
        if backend == "postgresql":
            with private_server() as server:
                measure_region_through_packages(server.url(server.create_database(prefix="region")), packages, out)
        else:
            folder = Path(tempfile.mkdtemp(prefix="bench-region-"))
            measure_region_through_packages(str(folder / "region.sqlite"), packages, out)
            shutil.rmtree(folder, ignore_errors=True)
        results.append(out)
    return results


def measure_package_import(region_url: str, total: int, out: dict) -> None:
    """One municipality (20 schools) exports a real signed package; a fresh region database
    imports it with ``services.packages.import_package``. The rate is extrapolated to the region."""
    from ersoko_desktop.services.keys import export_public, init_key, trust_file
    from ersoko_desktop.services.packages import export_package, import_package
    from ersoko_desktop.settings import set_own_organization

    work = Path(tempfile.mkdtemp(prefix="bench-package-"))
    muni = open_database(str(work / "m00.sqlite"))
    region = open_database(region_url)
    try:
        for eng in (muni, region):
            with session_scope(eng) as s:
                schools, procs = create_region(s)
        with session_scope(muni) as s:
            ids = [i for (i,) in s.execute(text(
                "SELECT o.id FROM organization o JOIN organization m ON o.parent_id = m.id "
                "WHERE m.code = 'M00' ORDER BY o.code"))]
            set_own_organization(s, "M00")
            init_key(s)
            export_public(s, out=work / "m00.pub.json")
        per_school_total = total // len(schools) * len(ids)
        for chunk in result_rows(ids, procs, per_school_total):
            with session_scope(muni) as s:
                bulk_insert(s, ParticipantResult.__table__, chunk)
        with session_scope(region) as s:
            set_own_organization(s, "R")
            trust_file(s, work / "m00.pub.json")
        with session_scope(muni) as s, timed(out, "package_export_s"):
            exported = export_package(s, out=work / "m00.zip", recipient="R")
        with session_scope(region) as s, timed(out, "package_import_s"):
            report = import_package(s, work / "m00.zip")
        assert report.status == "imported", report.message
        rows = exported.counts["results"]
        out["package_rows"] = rows
        out["package_import_rows_per_s"] = int(rows / out["package_import_s"]) if out["package_import_s"] else None
        # Not measured: the whole region through packages, assuming the per-row rate holds.
        out["package_region_extrapolated_s"] = round(out["package_import_s"] * total / max(rows, 1), 1)
    finally:
        muni.dispose()
        region.dispose()


@contextmanager
def private_server() -> Iterator:
    from tests.pg import find_bindir, start_server

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL не установлен (нужны initdb/pg_ctl); укажите --pg-url")
    server = start_server(bindir)
    try:
        yield server
    finally:
        server.stop()


DEFAULT_CACHE = Path(tempfile.gettempdir()) / "ersoko-bench-cache"


def run(scale: float, backends: list[str], pg_url: str | None, packages: bool = False,
        cache_dir: Path | None = DEFAULT_CACHE, regenerate: bool = False) -> list[dict]:
    total = int(FULL_RESULTS * scale)
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for backend in backends:
        if backend == "postgresql":
            if pg_url:
                results.append(measure_backend(backend, pg_url, total))
            else:
                with private_server() as server:
                    package_url = server.url(server.create_database(prefix="pkg")) if packages else None
                    restore, save = pg_cache(server, cache_dir, total, regenerate) if cache_dir else (None, None)
                    results.append(measure_backend(backend, server.url(server.create_database(prefix="bench")),
                                                   total, package_url, restore=restore, save=save))
        else:
            folder = Path(tempfile.mkdtemp(prefix="bench-region-"))
            restore, save = sqlite_cache(cache_dir, total, regenerate) if cache_dir else (None, None)
            results.append(measure_backend(backend, str(folder / "region.sqlite"), total,
                                           str(folder / "packages.sqlite") if packages else None,
                                           restore=restore, save=save))
    return results


def print_side_by_side(results: list[dict]) -> None:
    keys = [k for k in results[0] if k != "backend"]
    print(f"{'':28}" + "".join(f"{r['backend']:>16}" for r in results))
    for k in keys:
        print(f"{k:28}" + "".join(f"{str(r.get(k)):>16}" for r in results))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="доля от 5 000 000 результатов (1 = полный регион)")
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--pg-url", help="существующая пустая база PostgreSQL (иначе запускается свой сервер)")
    ap.add_argument("--packages", action="store_true",
                    help="также импорт настоящего пакета одного муниципалитета (20 школ) и экстраполяция на регион")
    ap.add_argument("--through-packages", action="store_true",
                    help="сценарий задачи: импорт пакетов всех 50 муниципалитетов в новую базу региона, затем всё")
    ap.add_argument("--json", type=Path, help="записать результаты в файл")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE,
                    help="где хранить сгенерированные базы между запусками")
    ap.add_argument("--regenerate", action="store_true", help="сгенерировать базы заново")
    args = ap.parse_args(argv)
    os.environ.setdefault("ERSOKO_HOME", tempfile.mkdtemp(prefix="bench-home-"))  # keys, received packages
    if args.through_packages:
        results = run_through_packages(args.scale, args.backends.split(","), args.cache_dir)
        print(f"Регион через пакеты: {MUNICIPALITIES} муниципалитетов, {SCHOOLS} школ, {len(YEARS)} года, "
              f"масштаб {args.scale}")
        print_side_by_side(results)
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
        return 0
    results = run(args.scale, args.backends.split(","), args.pg_url, args.packages, args.cache_dir, args.regenerate)
    print(f"Регион: {MUNICIPALITIES} муниципалитетов, {SCHOOLS} школ, {len(YEARS)} года, масштаб {args.scale}")
    print_side_by_side(results)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


@pytest.mark.benchmark
def test_benchmark_region_small():
    results = run(0.02, ["postgresql", "sqlite"], None, packages=True, cache_dir=None)
    print_side_by_side(results)
    assert results[0]["rows"] == results[1]["rows"] > 0
    assert results[0]["indicator_rows"] == results[1]["indicator_rows"]


if __name__ == "__main__":
    sys.exit(main())
