"""Benchmark: a whole region — 1 000 000 results, 300 schools, 3 years — all indicators at every
level, per-task solve rates, all objectivity signs + risk list and ШНОР (GUIDE §8: < 2 s).

Run as a script (``python tests/benchmarks/bench_indicators.py [--rows N] [--naive-schools N] [--db]``)
or with pytest (``pytest tests/benchmarks/bench_indicators.py -m benchmark -s``). Prints wall and
CPU time (``time.process_time``; on a shared, loaded machine CPU time is the steadier figure) of:

- the engine on the in-memory rows: reduction of the rows to statistics (domain.indicators.stats)
  + every indicator at every level, solve rates, signs S1–S5 of schools and municipalities, risk
  list, ШНОР;
- the task-score representations compared on the same rows (``task_scores_*``): json.loads per
  row, the vectorised JSON tokenizer, a packed one-byte-per-task column;
- with ``--db``: the service path on a SQLite file (``load_dataset`` + the same engine work) with
  an empty ``result_stats`` cache (cold: every result read once) and with the cache filled (warm);
  the file is generated once and kept in ``--cache-dir`` (generation is not timed);
- a naive per-group Python loop over the same work, measured in the same run on a subset of
  schools (``--naive-schools``, same group sizes) and extrapolated linearly by rows — the ratios
  to it are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ersoko_desktop.domain.indicators.dataset import Dataset  # noqa: E402
from ersoko_desktop.domain.indicators.shnor import ShnorParams, shnor_schools  # noqa: E402
from ersoko_desktop.domain.indicators.signs import ObjectivityParams  # noqa: E402
from ersoko_desktop.domain.indicators.tasks import task_solve_sums  # noqa: E402
from ersoko_desktop.services.indicators import evaluate_dataset, load_catalog  # noqa: E402
from ersoko_desktop.services.objectivity import signs_frame  # noqa: E402

SCHOOLS, MUNICIPALITIES, YEARS = 300, 30, (2023, 2024, 2025)
SUBJECTS, GRADES = ("Русский язык", "Математика"), (4, 5, 6, 7, 8)


def spec(n_tasks: int) -> dict:
    maxima = [1 if i < n_tasks - 4 else 2 for i in range(n_tasks)]
    total = sum(maxima)
    return {"tasks": [{"id": str(i + 1), "max": m, "level": "базовый" if i < n_tasks - 3 else "повышенный"}
                      for i, m in enumerate(maxima)],
            "max_score": total, "thresholds": {"3": round(total * 0.3), "4": round(total * 0.55), "5": round(total * 0.8)}}


def build_dataset(rows: int, seed: int = 7, schools: int = SCHOOLS) -> Dataset:
    """A synthetic region, built with numpy (vectorised), task scores as JSON texts like the DB gives."""
    rng = np.random.default_rng(seed)
    orgs = [(1, "R", "Регион", "region", np.nan)]
    orgs += [(2 + m, f"M{m:02d}", f"Район {m}", "municipality", 1.0) for m in range(MUNICIPALITIES)]
    orgs += [(100 + s, f"S{s:03d}", f"Школа {s}", "school", float(2 + s % MUNICIPALITIES)) for s in range(schools)]
    org_frame = pd.DataFrame(orgs, columns=["id", "code", "name", "kind", "parent_id"]).set_index("id")
    procs = []
    for y in YEARS:
        for subj in SUBJECTS:
            for g in GRADES:
                procs.append((len(procs) + 1, "VPR", subj, g, y, spec(12 if subj == "Математика" else 10)))
    proc_frame = pd.DataFrame(procs, columns=["id", "kind", "subject", "grade", "year", "spec"]).set_index("id")
    pid = rng.integers(1, len(procs) + 1, rows)
    school = rng.integers(100, 100 + schools, rows)
    strength = rng.normal(0, 0.4, SCHOOLS + 100)[school]
    n_tasks = np.where(proc_frame.loc[pid, "subject"].to_numpy() == "Математика", 12, 10)
    p = 1 / (1 + np.exp(-(rng.normal(strength, 0.9) + 0.4)))
    task_mat = (rng.random((rows, 12)) < p[:, None]).astype(int) + \
        ((rng.random((rows, 12)) < p[:, None]) & (np.arange(12) >= n_tasks[:, None] - 4)).astype(int)
    task_mat[np.arange(12)[None, :] >= n_tasks[:, None]] = -1
    primary = np.where(task_mat >= 0, task_mat, 0).sum(axis=1).astype(float)
    total = np.where(n_tasks == 12, 16, 14)
    mark = np.select([primary >= np.round(total * 0.8), primary >= np.round(total * 0.55),
                      primary >= np.round(total * 0.3)], [5, 4, 3], 2).astype(float)
    journal = np.clip(mark + rng.choice([0, 0, 0, 1, -1], rows), 2, 5)
    journal[rng.random(rows) < 0.05] = np.nan
    texts = ["[" + ",".join(str(v) for v in r[r >= 0]) + "]" for r in task_mat]
    results = pd.DataFrame({
        "procedure_id": pid, "school_id": school,
        "class_letter": [f"{g}{l}" for g, l in zip(proc_frame.loc[pid, "grade"].to_numpy(), rng.choice(list("АБВГ"), rows))],
        "primary_score": primary, "mark": mark, "journal_mark": journal,
        "task_scores": pd.Series(texts, dtype=object),  # as load_dataset gives them: JSON texts
    })
    return Dataset(results=results, procedures=proc_frame, orgs=org_frame)


def fresh(dataset: Dataset) -> Dataset:
    """The same rows without the statistics a previous run reduced them to."""
    return Dataset(results=dataset.results, procedures=dataset.procedures, orgs=dataset.orgs)


def run_engine(dataset: Dataset, timings: dict | None = None) -> dict:
    """Everything the region needs: indicators at every level, solve rates, signs + risk of schools
    and of municipalities, ШНОР."""
    clock = time.perf_counter
    t0 = clock()
    dataset.result_stats()
    t1 = clock()
    tables = evaluate_dataset(dataset, load_catalog())
    t2 = clock()
    tasks = task_solve_sums(dataset)
    t3 = clock()
    flags = signs_frame(dataset, ObjectivityParams(), tables=tables, school_tasks=tasks["school"])
    muni_flags = signs_frame(dataset, ObjectivityParams(), tables=tables, school_tasks=tasks["municipality"],
                             level="municipality")
    t4 = clock()
    shnor = shnor_schools(tables.level("school"), ShnorParams())
    t5 = clock()
    if timings is not None:
        timings.update({"rows_to_statistics_s": round(t1 - t0, 3), "indicators_all_levels_s": round(t2 - t1, 3),
                        "task_rates_all_levels_s": round(t3 - t2, 3), "signs_and_risk_s": round(t4 - t3, 3),
                        "shnor_s": round(t5 - t4, 3)})
    return {"rows": {lv: len(f) for lv, f in tables.levels.items()}, "task_rows": sum(len(f) for f in tasks.values()),
            "flags": len(flags), "risk": int(flags["risk"].sum()) if len(flags) else 0,
            "municipal_flags": len(muni_flags), "shnor": len(shnor)}


def naive(dataset: Dataset) -> int:
    """The baseline: a per-group Python loop (groups from pandas, every number by plain Python),
    doing the same work — catalog indicators at 4 levels, solve rates per school, S1/S2/S5 per school."""
    res = dataset.results
    parents = dataset.school_parents()
    catalog = load_catalog()
    records = res.to_dict("records")
    for r in records:
        r["municipality_id"] = parents.at[r["school_id"], "municipality_id"]
        r["region_id"] = parents.at[r["school_id"], "region_id"]
    frame = pd.DataFrame(records)
    work = 0
    for keys in (["procedure_id", "school_id", "class_letter"], ["procedure_id", "school_id"],
                 ["procedure_id", "municipality_id"], ["procedure_id", "region_id"]):
        for _key, group in frame.groupby(keys):
            env = {k: 0 for k in ("N", "n1", "n2", "n3", "n4", "n5", "score_n", "score_sum", "n_both",
                                  "n_lowered", "n_confirmed", "n_raised")}
            for r in group.to_dict("records"):
                m, j, s = r["mark"], r["journal_mark"], r["primary_score"]
                if m == m:
                    env["N"] += 1
                    env[f"n{int(m)}"] += 1
                    if j == j:
                        env["n_both"] += 1
                        env["n_lowered" if m < j else "n_confirmed" if m == j else "n_raised"] += 1
                if s == s:
                    env["score_n"] += 1
                    env["score_sum"] += s
            env["max_score"] = 16.0
            for ind in catalog.indicators:
                ind.expression.evaluate(env)
                work += 1
            if keys == ["procedure_id", "school_id"]:
                sums: dict[int, float] = {}
                for text in group["task_scores"]:
                    for i, v in enumerate(json.loads(text)):
                        sums[i] = sums.get(i, 0.0) + (v or 0)
                work += len(sums)
    return work


def measure(rows: int, naive_schools: int, with_db: bool, cache_dir: Path | None = None) -> dict:
    t0 = time.perf_counter()
    dataset = build_dataset(rows)
    build = time.perf_counter() - t0
    run_engine(fresh(dataset))  # warm-up: catalog parse, first-call costs of numpy/pandas
    timings: dict = {}
    w0, c0 = time.perf_counter(), time.process_time()
    summary = run_engine(fresh(dataset), timings)
    engine_wall, engine_cpu = time.perf_counter() - w0, time.process_time() - c0
    # Naive baseline on a subset of schools with the same group sizes, extrapolated by row count.
    sub_rows = rows * naive_schools // SCHOOLS
    sub = build_dataset(sub_rows, seed=8, schools=naive_schools)
    w0, c0 = time.perf_counter(), time.process_time()
    naive(sub)
    naive_wall, naive_cpu = time.perf_counter() - w0, time.process_time() - c0
    factor = rows / sub_rows
    out = {"rows": rows, "schools": SCHOOLS, "years": len(YEARS), "build_s": round(build, 1),
           "engine_wall_s": round(engine_wall, 3), "engine_cpu_s": round(engine_cpu, 3), **timings,
           "naive_subset": f"{naive_schools} schools, {sub_rows} rows, extrapolated ×{factor:.0f} by rows",
           "naive_subset_wall_s": round(naive_wall, 2), "naive_subset_cpu_s": round(naive_cpu, 2),
           "naive_extrapolated_wall_s": round(naive_wall * factor, 1),
           "naive_extrapolated_cpu_s": round(naive_cpu * factor, 1),
           "ratio_naive_to_engine_wall": round(naive_wall * factor / engine_wall, 1),
           "ratio_naive_to_engine_cpu": round(naive_cpu * factor / engine_cpu, 1), **summary}
    out.update(task_score_representations(dataset.results["task_scores"].to_numpy(dtype=object)))
    if with_db:
        out.update(measure_db(dataset, cache_dir or DEFAULT_CACHE))
        for key in ("db_cold", "db_warm"):
            out[f"ratio_naive_to_{key}_cpu"] = round(naive_cpu * factor / out[f"{key}_cpu_s"], 1)
    return out


def task_score_representations(texts) -> dict:
    """Decode the same task scores from three stored forms into one float matrix (CPU seconds)."""
    from ersoko_desktop.domain.indicators.stats import _parse_uniform

    out = {}
    c0 = time.process_time()
    [json.loads(t) for t in texts]
    out["task_scores_json_loads_cpu_s"] = round(time.process_time() - c0, 2)
    c0 = time.process_time()
    _parse_uniform(texts)
    out["task_scores_json_tokenizer_cpu_s"] = round(time.process_time() - c0, 2)
    packed = [bytes(255 if v is None else v for v in json.loads(t)) for t in texts]  # one byte per task
    c0 = time.process_time()
    lengths = np.fromiter(map(len, packed), dtype=np.int64, count=len(packed))
    flat = np.frombuffer(b"".join(packed), dtype=np.uint8)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    width = int(lengths.max())
    idx = np.minimum(starts[:, None] + np.arange(width)[None, :], len(flat) - 1)
    matrix = np.where(np.arange(width)[None, :] < lengths[:, None], flat[idx], 0).astype("float64")
    matrix[matrix == 255] = 0
    out["task_scores_packed_bytes_cpu_s"] = round(time.process_time() - c0, 2)
    return out


DEFAULT_CACHE = Path(tempfile.gettempdir()) / "ersoko-bench-cache"


def measure_db(dataset: Dataset, cache_dir: Path) -> dict:
    """The service path on a SQLite file: cold (empty result_stats cache) and warm."""
    import shutil

    from ersoko_desktop.db import make_session_factory, open_database
    from ersoko_desktop.db.migrate import head_revision
    from ersoko_desktop.services.indicators import load_dataset

    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"indicators-{len(dataset.results)}-{head_revision()}.sqlite"
    if not cached.exists():
        write_db(dataset, cache_dir / "building.sqlite")
        (cache_dir / "building.sqlite").replace(cached)
    path = Path(tempfile.mkdtemp()) / "bench.sqlite"
    shutil.copyfile(cached, path)
    engine = open_database(str(path))
    out = {}
    for label in ("db_cold", "db_warm"):
        session = make_session_factory(engine)()
        w0, c0 = time.perf_counter(), time.process_time()
        loaded = load_dataset(session, with_tasks=True)
        load_wall, load_cpu = time.perf_counter() - w0, time.process_time() - c0
        summary = run_engine(loaded)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        session.commit()
        session.close()
        out.update({f"{label}_load_wall_s": round(load_wall, 2), f"{label}_load_cpu_s": round(load_cpu, 2),
                    f"{label}_wall_s": round(wall, 2), f"{label}_cpu_s": round(cpu, 2)})
        out[f"{label}_same_answer"] = summary == run_engine(fresh(dataset))
    engine.dispose()
    return out


def write_db(dataset: Dataset, path: Path) -> None:
    """A migrated SQLite file with the dataset; every block's statistics stale, as writers leave them."""
    from ersoko_desktop.db import open_database

    if path.exists():
        path.unlink()
    engine = open_database(str(path))
    raw = engine.raw_connection()
    cur = raw.cursor()
    for oid, o in dataset.orgs.iterrows():
        cur.execute("INSERT INTO organization (id, code, name, kind, parent_id) VALUES (?,?,?,?,?)",
                    (int(oid), o["code"], o["name"], o["kind"], None if o["parent_id"] != o["parent_id"] else int(o["parent_id"])))
    for pid, p in dataset.procedures.iterrows():
        cur.execute("INSERT INTO procedure (id, kind, subject, grade, year, spec) VALUES (?,?,?,?,?,?)",
                    (int(pid), p["kind"], p["subject"], int(p["grade"]), int(p["year"]), json.dumps(p["spec"])))
    r = dataset.results
    cur.executemany(
        "INSERT INTO participant_result (procedure_id, school_id, participant_code, class_letter, task_scores, "
        "primary_score, mark, journal_mark) VALUES (?,?,?,?,?,?,?,?)",
        zip(r["procedure_id"].tolist(), r["school_id"].tolist(), map(str, range(len(r))), r["class_letter"],
            r["task_scores"], r["primary_score"].tolist(), r["mark"].tolist(),
            [None if v != v else v for v in r["journal_mark"].tolist()]))
    cur.execute("INSERT INTO result_stats (procedure_id, school_id, generation) "
                "SELECT DISTINCT procedure_id, school_id, 1 FROM participant_result")
    raw.commit()
    raw.close()
    engine.dispose()


@pytest.mark.benchmark
def test_benchmark_indicators():
    result = measure(1_000_000, 15, with_db=True)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    assert result["shnor"] >= 0 and result["rows"] == 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-schools", type=int, default=15,
                        help="schools in the naive baseline's subset (extrapolated by rows)")
    parser.add_argument("--db", action="store_true", help="also time the service path on a SQLite file")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE,
                        help="where the generated SQLite file is kept between runs")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    result = measure(args.rows, args.naive_schools, args.db, args.cache_dir)
    result["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
