"""``ersoko roadmap import|list|check|status`` through the real entry point (GUIDE §7)."""

from __future__ import annotations

import hashlib
import json

from tests.conftest import SEEDS_DIR

DISTRICT = SEEDS_DIR / "chernozemelsky_msoko_roadmap_2022-2023.txt"


def test_import_list_check_status(cli, db_path, tmp_path):
    r = cli("roadmap", "import", str(DISTRICT), "--format", "json", db=db_path)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["status"] == "imported"
    assert [(x["period"], x["tasks"]) for x in report["roadmaps"]] == [("2022/23", 17), ("2022/23", 11)]
    assert {w["row"] for w in report["warnings"]} == {92, 93}  # «Январь 2021», «Март-май, 2021»

    r = cli("roadmap", "list", "--format", "json", db=db_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert len(data) == 2 and all(set(rm) == {"id", "title", "period", "tasks"} for rm in data)
    t = data[1]["tasks"][1]
    assert (t["number"], t["deadline_text"], t["kind"]) == ("1.2.2", "ежегодно май сентябрь ноябрь", "dated")
    assert [o["start"] for o in t["occurrences"]] == ["2022-09-01", "2022-11-01", "2023-05-01"]
    one = json.loads(cli("roadmap", "list", "--roadmap", str(data[1]["id"]), "--format", "json", db=db_path).stdout)
    assert [rm["id"] for rm in one] == [data[1]["id"]]

    r = cli("roadmap", "check", "--today", "2022-11-20", "--format", "json", db=db_path)
    assert r.returncode == 0, r.stderr
    check = json.loads(r.stdout)
    assert [i["number"] for i in check["overdue"]] == ["1.2.10", "1.2.12", "1.1.1", "1.2.2", "1.1.2"]
    assert [(i["number"], i["end"]) for i in check["due_soon"]] == [("1.2.2", "2022-11-30")]

    proof = tmp_path / "справка.pdf"
    proof.write_bytes(b"spravka")
    occ_id = check["overdue"][2]["occurrence_id"]
    r = cli("roadmap", "status", str(occ_id), "--status", "done", "--date", "2022-09-29", "--comment", "готово",
            "--evidence", str(proof), "--format", "json", db=db_path)
    assert r.returncode == 0, r.stderr
    state = json.loads(r.stdout)
    assert (state["status"], state["done_at"], state["comment"]) == ("done", "2022-09-29", "готово")
    assert state["evidence"][0]["sha256"] == hashlib.sha256(b"spravka").hexdigest()
    check = json.loads(cli("roadmap", "check", "--today", "2022-11-20", "--format", "json", db=db_path).stdout)
    assert [i["number"] for i in check["overdue"]] == ["1.2.10", "1.2.12", "1.2.2", "1.1.2"]

    r = cli("roadmap", "status", str(occ_id), "--status", "почти", db=db_path)
    assert r.returncode == 2 and "Статус «почти» неизвестен" in r.stderr
    r = cli("roadmap", "check", "--today", "20.11.2022", db=db_path)
    assert r.returncode == 2 and "ГГГГ-ММ-ДД" in r.stderr


def test_missing_period_exit_2_with_json_error(cli, db_path, tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text("План работы\n№\tМероприятие\tСрок\n1.\tСовещание\tмай\n", encoding="utf-8")
    r = cli("roadmap", "import", str(path), "--format", "json", db=db_path)
    assert r.returncode == 2
    err = json.loads(r.stdout)
    assert "период" in err["error"] and "plan.txt" in err["error"]
    r = cli("roadmap", "import", str(path), "--years", "2024", "--format", "json", db=db_path)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert [(x["period"], x["tasks"], x["occurrences"]) for x in report["roadmaps"]] == [("2024", 1, 1)]
