"""``ersoko form …`` through the real entry point: list, export, import (exit 2 with the cell),
submit, status with completeness, ММУКО values. The registry and checklist data are prepared
in-process (the CLI is a thin layer; the workflow itself is tested on the service)."""

from __future__ import annotations

import json

import openpyxl
import pytest

from ersoko_desktop.db import open_database, session_scope
from ersoko_desktop.db.models import Organization
from ersoko_desktop.services import forms
from ersoko_desktop.settings import set_own_organization


@pytest.fixture
def district_db(tmp_path):
    db = tmp_path / "m.sqlite"
    engine = open_database(str(db))
    with session_scope(engine) as s:
        region = Organization(code="R", name="Регион", kind="region")
        m = Organization(code="M", name="Район", kind="municipality", parent=region)
        s.add_all([region, m, Organization(code="S1", name="Школа 1", kind="school", parent=m),
                   Organization(code="S2", name="Школа 2", kind="school", parent=m)])
        s.flush()
        set_own_organization(s, "M")
    engine.dispose()
    return db


def ok(result):
    assert result.returncode == 0, result.stderr
    return result


def set_cells(path, values):
    wb = openpyxl.load_workbook(path)
    ws = wb["Форма"]
    rows = {ws[f"A{r}"].value: r for r in range(1, ws.max_row + 1) if ws[f"A{r}"].value}
    for fid, value in values.items():
        ws[f"C{rows[fid]}"] = value
    wb.save(path)
    return rows


def test_form_cli_flow(cli, tmp_path, district_db):
    db = district_db
    listed = json.loads(ok(cli("form", "list", "--format", "json", db=db)).stdout)
    by_id = {f["id"]: f for f in listed}
    assert by_id["school_context"]["level"] == "school" and by_id["school_context"]["version"] == "1.0"
    assert by_id["mmuko_1_1"]["level"] == "municipality" and len(by_id["mmuko_1_1"]["sha256"]) == 64

    xlsx = tmp_path / "ctx.xlsx"
    ok(cli("form", "export", "school_context", "--org", "S1", "--period", "2024/25", "--out", str(xlsx), db=db))
    rows = set_cells(xlsx, {"rural": "Да", "settlement": "с. Яшкуль", "students_total": "сто двадцать",
                            "classes_total": 11, "low_income_share": 35, "non_russian_share": 140,
                            "teachers_total": 15})
    bad = cli("form", "import", str(xlsx), "--format", "json", db=db)
    assert bad.returncode == 2
    errors = json.loads(bad.stdout)["errors"]
    cells = {(e["row"], e["column"]) for e in errors}
    assert (rows["students_total"], "C") in cells and (rows["non_russian_share"], "C") in cells
    assert any("лист «Форма», ячейка C" in e["message"] and "сто двадцать" in e["message"] for e in errors)
    assert "ничего не записано" in bad.stderr

    set_cells(xlsx, {"students_total": 120, "non_russian_share": 40})
    imported = json.loads(ok(cli("form", "import", str(xlsx), "--format", "json", db=db)).stdout)
    assert imported["org"] == "S1" and imported["status"] == "draft" and "students_total" in imported["changed"]
    sub = json.loads(ok(cli("form", "submit", "school_context", "--org", "S1", "--period", "2024/25",
                            "--format", "json", db=db)).stdout)
    assert sub["status"] == "submitted"

    events = json.loads(ok(cli("form", "history", "school_context", "--org", "S1", "--period", "2024/25",
                               "--format", "json", db=db)).stdout)
    assert [e["action"] for e in events] == ["form.save", "form.import", "form.submitted"]
    assert events[0]["before"]["students_total"] is None and events[0]["after"]["students_total"] == 120

    status = json.loads(ok(cli("form", "status", "--period", "2024/25", "--format", "json", db=db)).stdout)
    s1 = next(r for r in status["forms"] if r["org"] == "S1" and r["form_id"] == "school_context")
    assert (s1["status"], s1["filled"]) == ("submitted", 100.0)
    s2 = next(r for r in status["forms"] if r["org"] == "S2" and r["form_id"] == "school_context")
    assert s2["status"] == "not_started"
    rate = next(r for r in status["reporting"] if r["org"] == "M" and r["form_id"] == "school_context")
    assert (rate["expected"], rate["submitted"], rate["completeness"], rate["not_submitted"]) == (2, 1, 50.0, ["S2"])


def test_mmuko_cli(cli, district_db):
    engine = open_database(str(district_db))
    with session_scope(engine) as s:
        spec = forms.get_spec(s, "mmuko_1_1")
        for period, yes in (("2021", {"i01_roadmap", "i02_regulation"}),
                            ("2022", {"i01_roadmap", "i02_regulation", "i03_procedures", "i04_reglaments"})):
            forms.save_values(s, form_id="mmuko_1_1", org_code="M", period=period,
                              values={f.id: f.id in yes for f in spec.fields if f.points})
    engine.dispose()
    values = json.loads(ok(cli("form", "mmuko", "--org", "M", "--format", "json", db=district_db)).stdout)
    # 2021: 2 + 2 = 4 of 25 → 16 %; 2022: 2 + 2 + 2 + 1 = 7 of 25 → 28 %
    assert [(v["criterion"], v["period"], v["points"], v["value"], v["delta"]) for v in values] == [
        ("1.1", "2021", 4, 16.0, None), ("1.1", "2022", 7, 28.0, 12.0)]
