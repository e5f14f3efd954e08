"""``ersoko results import``: the real entry point in a subprocess, JSON exactly as GUIDE §7."""

from __future__ import annotations

import json

import pytest

from tests.services.results_files import (
    FULL, MATH5_TITLE, SCHOOLS, SEVEN, add_registry, math5_header, math5_row, write_csv, write_xlsx,
)

S1, S2, _ = SCHOOLS
KEYS = ["file", "encoding", "procedure", "subject", "grade", "year", "imported", "skipped", "replaced", "unchanged",
        "warnings", "errors"]


@pytest.fixture
def db(engine, db_path):
    """A migrated database with the registry (built in-process: the CLI under test is the import)."""
    from ersoko_desktop.db import session_scope

    with session_scope(engine) as s:
        add_registry(s)
    return db_path


def test_json_report_dry_run_then_import_then_same_file(cli, db, tmp_path):
    path = write_xlsx(tmp_path / "vpr.xlsx", [*MATH5_TITLE, math5_header(), math5_row(S1, "1", FULL, 20, 5, 5),
                                              [], math5_row(S2, "1", SEVEN, 7, 3, 3)])
    dry = cli("results", "import", str(path), "--dry-run", "--format", "json", db=db)
    assert dry.returncode == 0, dry.stderr
    data = json.loads(dry.stdout)
    assert list(data) == KEYS
    assert data == {"file": "vpr.xlsx", "encoding": None, "procedure": "VPR", "subject": "Математика", "grade": 5,
                    "year": 2024, "imported": 2, "skipped": 1, "replaced": 0, "unchanged": 0, "warnings": [],
                    "errors": []}
    real = cli("results", "import", str(path), "--format", "json", db=db)
    assert json.loads(real.stdout)["imported"] == 2
    again = cli("results", "import", str(path), "--format", "json", db=db)
    assert again.returncode == 0
    assert (json.loads(again.stdout)["imported"], json.loads(again.stdout)["unchanged"]) == (0, 2)


def test_refused_file_exit_2_json_errors_with_excel_rows(cli, db, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", [*MATH5_TITLE, math5_header(), math5_row(S1, "1", FULL, 20, 7, 5),
                                              math5_row("0000000", "2", FULL, 20, 5, 5)])
    res = cli("results", "import", str(path), "--format", "json", db=db)
    assert res.returncode == 2
    data = json.loads(res.stdout)
    assert list(data) == KEYS
    assert {(e["row"], e["column"]) for e in data["errors"]} == {(5, "Отметка"), (6, "Код ОО")}
    check = cli("results", "import", str(path), "--dry-run", "--format", "json", db=db)
    assert check.returncode == 2


def test_options_and_russian_summary(cli, db, tmp_path):
    path = write_csv(tmp_path / "r.csv", [math5_header(), math5_row(S1, "1", FULL, 20, 5, 5)], encoding="cp1251")
    res = cli("results", "import", str(path), "--procedure", "VPR", "--subject", "Математика", "--grade", "5",
              "--year", "2024", db=db)
    assert res.returncode == 0, res.stderr
    assert "кодировка cp1251" in res.stderr and "загружено 1" in res.stderr
    titled = write_xlsx(tmp_path / "t.xlsx", [*MATH5_TITLE, math5_header(), math5_row(S1, "1", FULL, 20, 5, 5)])
    conflict = cli("results", "import", str(titled), "--grade", "6", "--format", "json", db=db)
    assert conflict.returncode == 2
    (err,) = json.loads(conflict.stdout)["errors"]
    assert "противоречивые значения (класс)" in err["message"] and "--grade" in err["message"]


def test_missing_file_is_exit_2_with_json(cli, db, tmp_path):
    res = cli("results", "import", str(tmp_path / "nope.xlsx"), "--format", "json", db=db)
    assert res.returncode == 2
    assert "не найден" in json.loads(res.stdout)["errors"][0]["message"]
