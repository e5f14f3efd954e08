"""``ersoko indicators compute`` and ``ersoko objectivity`` through the real entry point (GUIDE §7)."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from ersoko_desktop.db import make_session_factory
from tests.services.test_indicators_service import fill


@pytest.fixture
def small_db_path(engine, db_path):
    session = make_session_factory(engine)()
    fill(session, {
        ("S1", 2025): [(5, 4), (5, 5), (4, 4), (3, 4), (2, 3), (None, None)],
        ("S2", 2025): [(3, 3)] * 4,
        ("S3", 2025): [(4, None)],
    })
    session.commit()
    session.close()
    return db_path


def test_compute_json_contract(cli, small_db_path):
    out = cli("indicators", "compute", "--level", "school", "--year", "2025", "--format", "json", db=small_db_path)
    assert out.returncode == 0, out.stderr
    rows = {r["org"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {"S1", "S2", "S3"}
    assert rows["S1"] == {"org": "S1", "procedure": "VPR", "subject": "Математика", "grade": 5, "year": 2025,
                          "n": 5, "success": 80.0, "quality": 60.0, "mean_mark": 3.8, "sou": 63.2,
                          "lowered": 40.0, "confirmed": 40.0, "raised": 20.0}
    assert rows["S3"]["lowered"] is None
    muni = cli("indicators", "compute", "--level", "municipality", "--org", "M1", "--procedure", "ВПР",
               "--format", "json", db=small_db_path)
    assert [(r["org"], r["n"], r["quality"]) for r in json.loads(muni.stdout)] == [("M1", 9, 33.3)]


def test_compute_csv_and_xlsx_suppress_small_groups(cli, small_db_path, tmp_path):
    out = cli("indicators", "compute", "--year", "2025", "--format", "csv", db=small_db_path)
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout), delimiter=";"))
    header = rows[0]
    assert header[0] == "Код" and "Качество знаний, %" in header
    q = header.index("Качество знаний, %")
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["S1"][q] == "60,0"
    assert by_code["S2"][q] == "—" and by_code["S3"][q] == "—"     # N = 4 and N = 1
    xlsx = tmp_path / "ind.xlsx"
    out = cli("indicators", "compute", "--year", "2025", "--format", "xlsx", "--out", str(xlsx), db=small_db_path)
    assert out.returncode == 0, out.stderr
    ws = openpyxl.load_workbook(xlsx).active
    values = list(ws.iter_rows(values_only=True))
    col = values[0].index("Качество знаний, %")
    data = {r[0]: r for r in values[1:]}
    assert data["S1"][col] == 60.0 and data["S2"][col] == "—"


def test_objectivity_for_municipalities_against_the_region(cli, small_db_path):
    # Hand-computed in tests/services/test_indicators_service.py: M2 (one «4») vs region 40 % → S1, S5.
    out = cli("objectivity", "--level", "municipality", "--year", "2025", "--min-n", "1", "--format", "json",
              db=small_db_path)
    assert out.returncode == 0, out.stderr
    items = json.loads(out.stdout)
    assert [{k: i[k] for k in ("org", "procedure", "subject", "grade", "year", "signs", "risk")} for i in items] == [
        {"org": "M2", "procedure": "VPR", "subject": "Математика", "grade": 5, "year": 2025, "signs": ["S1", "S5"],
         "risk": True}]
    assert items[0]["evidence"]["S1"].startswith("качество знаний 100,0 % при 40,0 % по региону")
    refused = cli("objectivity", "--level", "municipality", "--list", "shnor", "--format", "json", db=small_db_path)
    assert refused.returncode == 2 and "ШНОР" in json.loads(refused.stdout)["error"]


def test_xlsx_needs_out_and_unknown_org_is_exit_2(cli, small_db_path):
    out = cli("indicators", "compute", "--format", "xlsx", db=small_db_path)
    assert out.returncode == 2 and "--out" in out.stderr
    out = cli("indicators", "compute", "--org", "NOPE", "--format", "json", db=small_db_path)
    assert out.returncode == 2
    assert "NOPE" in json.loads(out.stdout)["error"]


def test_objectivity_json_on_demo(cli, demo_engine):
    db = demo_engine.url.database
    out = cli("objectivity", "--year", "2025", "--format", "json", db=db)
    assert out.returncode == 0, out.stderr
    items = json.loads(out.stdout)
    assert items and all(set(i) >= {"org", "procedure", "subject", "grade", "year", "signs", "risk"} for i in items)
    assert all(i["year"] == 2025 and i["signs"] for i in items)
    s07 = [i for i in items if i["org"] == "DEMO-S07"]
    assert s07 and all("S2" in i["signs"] and i["evidence"]["S2"] for i in s07)
    # A stricter option silences S2 for the school: 100 % lowered is impossible (confirmed «5» exist)
    strict = cli("objectivity", "--year", "2025", "--org", "DEMO-S07", "--s2-lowered", "100", "--s2-mismatch", "100",
                 "--format", "json", db=db)
    assert all("S2" not in i["signs"] for i in json.loads(strict.stdout))
    shnor = cli("objectivity", "--list", "shnor", "--format", "json", db=db)
    assert {"DEMO-S15", "DEMO-S21"} <= {e["org"] for e in json.loads(shnor.stdout)}
