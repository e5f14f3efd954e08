"""The ``result_stats`` cache: results reduced once per school × procedure (compute once, read many).

    invalidate(session, procedure_id=p, school_ids=[s1, s2])   # every writer of participant_result,
                                                              # in its own transaction
    stats = load_stats(session, procedure_ids)                  # fresh blocks read, stale ones recomputed
    refresh(session, blocks=[(p, s1)])                          # recompute stale blocks now

Why: an indicator call over a region needs every result, and reading a million rows costs seconds
on SQLite and tens of seconds for five million on the regional server; the statistics of a
school × procedure (``domain.indicators.stats``) are a few hundred bytes. A block is recomputed
only after its results changed.

Correctness: a writer calls :func:`invalidate` in the transaction that changes the results; it
sets ``data`` to NULL and bumps ``generation``. A reader stores a recomputed block only if the
generation it saw before reading the rows is still the stored one, so statistics computed from
rows that changed meanwhile are never stored. As a safety net for a writer that forgot to
invalidate, :func:`load_stats` compares the number of results with the cached row counts and
recomputes every block that differs. Storing is best effort: a read-only role (the analyst on
the regional server) or a block locked by a running import just leaves the block for later.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..db.stats_cache import invalidate
from ..domain.indicators.stats import ResultStats, block_payloads, compute_stats, stats_from_blocks

ROW_COLUMNS = ["school_id", "class_letter", "primary_score", "mark", "journal_mark", "task_scores"]
IN_CHUNK = 500  # ids per IN (...) list
BATCH_ROWS = 200_000  # results read at once when statistics are recomputed

def load_stats(session: Session, procedure_ids) -> ResultStats:
    """Statistics of every result of ``procedure_ids``: cached blocks as stored, stale or missing
    blocks recomputed from the results and stored back."""
    ids = sorted({int(p) for p in procedure_ids})
    if not ids:
        return ResultStats.empty()
    cached = _cached_blocks(session, ids)
    fresh = [b for b in cached if b[5] is not None]
    stale = {(b[1], b[2]): b[3] for b in cached if b[5] is None}  # (procedure, school) → generation
    computed, counts = _recompute(session, stale)
    expected = _count(session, ids)
    if expected != sum(b[6] or 0 for b in fresh) + sum(counts.values()):
        # A writer changed results without invalidate(): find the blocks whose count differs.
        actual = _block_counts(session, ids)
        known = {(b[1], b[2]): b for b in fresh}
        redo = {key: (known[key][3] if key in known else None) for key, n in actual.items()
                if key not in counts and (key not in known or known[key][6] != n)}
        redo.update({key: known[key][3] for key in known if key not in actual})
        fresh = [b for b in fresh if (b[1], b[2]) not in redo]
        extra, _ = _recompute(session, redo)
        computed = ResultStats.concat([computed, extra])
    blocks = [(b[1], b[2], b[4], b[5]) for b in fresh]
    return ResultStats.concat([stats_from_blocks(blocks), computed])


def refresh(session: Session, blocks=None) -> int:
    """Recompute and store the stale blocks among ``blocks`` ((procedure_id, school_id) pairs;
    default every stale block); returns how many were stale."""
    wanted = None if blocks is None else {(int(p), int(s)) for p, s in blocks}
    if wanted is not None and not wanted:
        return 0
    where = ""
    if wanted is not None:
        where = " AND procedure_id IN (" + ", ".join(str(p) for p in sorted({p for p, _ in wanted})) + ")"
    rows = session.execute(text("SELECT procedure_id, school_id, generation FROM result_stats WHERE data IS NULL"
                                + where)).all()
    stale = {(p, s): g for p, s, g in rows if wanted is None or (p, s) in wanted}
    _recompute(session, stale)
    return len(stale)


def _cached_blocks(session: Session, ids: list[int]) -> list[tuple]:
    """(id, procedure_id, school_id, generation, classes, data, rows) of the cached blocks."""
    out: list[tuple] = []
    cursor = session.connection().connection.cursor()
    try:
        for part in _chunks(ids):
            cursor.execute("SELECT id, procedure_id, school_id, generation, classes, data, rows FROM result_stats "
                           f"WHERE procedure_id IN ({', '.join(map(str, part))})")
            out.extend(cursor.fetchall())
    finally:
        cursor.close()
    return [(i, p, s, g, c, bytes(d) if d is not None else None, n) for i, p, s, g, c, d, n in out]


def _recompute(session: Session, blocks: dict[tuple[int, int], int | None]) -> tuple[ResultStats, dict]:
    """Statistics of ``blocks`` ((procedure, school) → generation seen, None: no cache row) from the
    results, stored where still current. Returns them and the number of results per block."""
    if not blocks:
        return ResultStats.empty(), {}
    by_proc: dict[int, list[int]] = defaultdict(list)
    for pid, sid in blocks:
        by_proc[pid].append(sid)
    parts, counts = [], {}
    empty = block_payloads_empty()
    for pid, schools in by_proc.items():
        # A batch of schools at a time: memory bounded by BATCH_ROWS results, not by the procedure
        # (a million-row import computes its statistics inside its own transaction).
        for batch in _batches(session, pid, schools):
            frame = _read_results(session, pid, batch)
            stats = compute_stats(frame)
            sizes = frame["school_id"].value_counts().to_dict() if len(frame) else {}
            built = block_payloads(stats)
            frame = None
            payloads = []
            for sid in batch:
                counts[(pid, sid)] = int(sizes.get(sid, 0))
                letters, data = built.get((pid, sid), empty)
                payloads.append({"p": pid, "s": sid, "g": blocks[(pid, sid)], "rows": counts[(pid, sid)],
                                 "classes": letters, "data": data})
            _store(session, payloads)
            parts.append(stats)
    return ResultStats.concat(parts), counts


def block_payloads_empty() -> tuple[str, bytes]:
    """A block without results (all deleted): no classes, no histogram."""
    return "[]", np.array([0, 0, 0], dtype="<f8").tobytes()


def _batches(session: Session, pid: int, schools: list[int]):
    """``schools`` of procedure ``pid`` in batches of at most BATCH_ROWS results and IN_CHUNK schools."""
    wanted = sorted({int(s) for s in schools})
    sizes: dict[int, int] = {}
    for part in _chunks(wanted):
        sizes.update(session.execute(text(
            f"SELECT school_id, COUNT(*) FROM participant_result WHERE procedure_id = {int(pid)} "
            f"AND school_id IN ({', '.join(map(str, part))}) GROUP BY school_id")).all())
    batch: list[int] = []
    rows = 0
    for sid in wanted:
        n = sizes.get(sid, 0)
        if batch and (rows + n > BATCH_ROWS or len(batch) >= IN_CHUNK):
            yield batch
            batch, rows = [], 0
        batch.append(sid)
        rows += n
    if batch:
        yield batch


def _read_results(session: Session, pid: int, schools: list[int]) -> pd.DataFrame:
    """Result rows of ``schools`` in procedure ``pid`` (the DBAPI cursor: Row objects cost seconds)."""
    columns = ["procedure_id", *ROW_COLUMNS]
    # As text on both databases: psycopg would build Python lists from JSON (5x slower than the
    # tokenizer of domain.indicators.stats on the regional server, measured).
    select_cols = ("procedure_id, school_id, class_letter, primary_score, mark, journal_mark, "
                   "CAST(task_scores AS TEXT)")
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(f"SELECT {select_cols} FROM participant_result WHERE procedure_id = {int(pid)} "
                       f"AND school_id IN ({', '.join(str(int(s)) for s in schools)})")
        rows = cursor.fetchall()
    finally:
        cursor.close()
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    for col in ("primary_score", "mark", "journal_mark"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["class_letter"] = frame["class_letter"].astype(object)
    return frame


def _store(session: Session, payloads: list[dict]) -> None:
    """Store recomputed blocks where the generation is still the one seen — best effort, in a
    SAVEPOINT of the caller's transaction. The one place that differs by database: PostgreSQL skips
    rows a running import holds (``FOR UPDATE SKIP LOCKED``) instead of waiting for it; SQLite
    waits at most 0.2 s for another writer."""
    if not payloads:
        return
    dialect = session.get_bind().dialect.name
    missing = [{"p": d["p"], "s": d["s"]} for d in payloads if d["g"] is None]
    for d in payloads:
        if d["g"] is None:
            d["g"] = 0
    target = "id = (SELECT id FROM result_stats WHERE procedure_id = :p AND school_id = :s AND generation = :g"
    target += " FOR UPDATE SKIP LOCKED)" if dialect == "postgresql" else ")"
    update = text(f"UPDATE result_stats SET rows = :rows, classes = :classes, data = :data, computed_at = CURRENT_TIMESTAMP "
                  f"WHERE {target}")
    if dialect == "sqlite":
        busy = session.execute(text("PRAGMA busy_timeout")).scalar()
        session.execute(text("PRAGMA busy_timeout = 200"))
    try:
        with session.begin_nested():
            if missing:
                session.execute(text("INSERT INTO result_stats (procedure_id, school_id, generation) "
                                     "VALUES (:p, :s, 0) ON CONFLICT (procedure_id, school_id) DO NOTHING"), missing)
            session.execute(update, payloads)
    except DBAPIError:
        pass  # read-only role, database busy: the blocks stay stale and are recomputed next time
    finally:
        if dialect == "sqlite":
            session.execute(text(f"PRAGMA busy_timeout = {int(busy or 0)}"))


def _count(session: Session, ids: list[int]) -> int:
    total = 0
    for part in _chunks(ids):
        total += session.execute(text("SELECT COUNT(*) FROM participant_result WHERE procedure_id IN ("
                                      + ", ".join(map(str, part)) + ")")).scalar_one()
    return int(total)


def _block_counts(session: Session, ids: list[int]) -> dict[tuple[int, int], int]:
    out = {}
    for part in _chunks(ids):
        out.update({(int(p), int(s)): int(n) for p, s, n in session.execute(text(
            "SELECT procedure_id, school_id, COUNT(*) FROM participant_result WHERE procedure_id IN ("
            + ", ".join(map(str, part)) + ") GROUP BY procedure_id, school_id")).all()})
    return out


def _chunks(ids: list[int]):
    for i in range(0, len(ids), IN_CHUNK):
        yield ids[i: i + IN_CHUNK]
