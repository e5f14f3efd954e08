"""Roadmap import speed: a 3 000-task roadmap (10× the largest real order) against the floor of
just reading the same lines and inserting them raw into SQLite, in the same process.

Run: ``pytest -m benchmark tests/benchmarks/test_roadmap_bench.py -s``. Prints the ratio; the
deadline grammar and the table rules should cost a small multiple of the raw insert."""

from __future__ import annotations

import csv
import io
import sqlite3
import time

import pytest

DEADLINES = ["декабрь", "1 квартал", "постоянно", "по мере необходимости", "сентябрь-октябрь",
             "ежегодно, июнь", "до 25 января", "с 10 по 25 апреля", "1 раз в полугодие", "Март-май, 2021"]


def _roadmap_text(n_tasks: int) -> str:
    lines = ["План мероприятий («дорожная карта») на 2018-2020 годы", "",
             "№ п/п\tОсновные мероприятия\tСрок проведения (месяц)\tЭтапы проведения (годы)\t\t\tИсполнитель",
             "\t\t\t2018\t2019\t2020\t"]
    for i in range(1, n_tasks + 1):
        if i % 100 == 1:
            lines.append(f"{'IVX'[i // 100 % 3]}. Раздел {i // 100 + 1}\t\t\t\t\t\t")
        marks = ["+" if (i + k) % 3 else "" for k in range(3)]
        lines.append(f"{i}.\tМероприятие номер {i} по развитию системы оценки качества\t"
                     f"{DEADLINES[i % len(DEADLINES)]}\t" + "\t".join(marks) + "\tЦОКО КРИПКРО")
        if i % 7 == 0:
            lines.append("\tпродолжение названия мероприятия\t\t\t\t\t")
    return "\n".join(lines) + "\n"


@pytest.mark.benchmark
def test_import_3000_tasks_vs_raw_insert(tmp_path, session):
    from ersoko_desktop.services.roadmaps import import_roadmaps

    path = tmp_path / "big.txt"
    path.write_text(_roadmap_text(3000), encoding="utf-8")

    t0 = time.perf_counter()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter="\t"))
    con = sqlite3.connect(tmp_path / "floor.sqlite")
    con.execute("create table t (a, b, c, d, e, f, g)")
    con.executemany("insert into t values (?, ?, ?, ?, ?, ?, ?)",
                    [(r + [""] * 7)[:7] for r in rows])
    con.commit()
    con.close()
    floor = time.perf_counter() - t0

    t0 = time.perf_counter()
    report = import_roadmaps(session, path)
    session.commit()
    ours = time.perf_counter() - t0
    assert report.roadmaps[0].tasks == 3000
    print(f"\nroadmap import 3000 tasks: {ours:.2f} s; raw csv+insert floor {floor:.3f} s; ratio {ours / floor:.1f}×")
