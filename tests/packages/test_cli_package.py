"""``ersoko package export|verify|import`` as scripts use them: exit codes and JSON on stdout."""

from __future__ import annotations

import json

from ersoko_desktop.db import session_scope

from .helpers import school_chain


def test_cli_export_verify_import(cli, tmp_path):
    school, muni, _ = school_chain(tmp_path, n=4)
    school.dispose()
    muni.dispose()
    pkg = tmp_path / "S1.zip"
    exported = cli("package", "export", "--out", str(pkg), "--period", "2024/25", "--format", "json",
                   db=tmp_path / "s.sqlite")
    assert exported.returncode == 0, exported.stderr
    info = json.loads(exported.stdout)
    assert (info["seq"], info["recipient"], info["period"], info["counts"]["results"]) == (1, "M1", "2024/25", 4)

    bad = tmp_path / "bad.zip"
    data = bytearray(pkg.read_bytes())
    data[-30] ^= 0xFF  # the end-of-archive record
    bad.write_bytes(bytes(data))
    refused = cli("package", "verify", str(bad), "--format", "json", db=tmp_path / "m.sqlite")
    assert refused.returncode == 2
    report = json.loads(refused.stdout)
    assert report["valid"] is False and "отклонён" in report["error"]
    checked = cli("package", "verify", str(pkg), "--format", "json", db=tmp_path / "m.sqlite")
    assert checked.returncode == 0 and json.loads(checked.stdout)["status"] == "new"
    in_words = cli("package", "verify", str(pkg), db=tmp_path / "m.sqlite")  # the human report says it in Russian
    assert in_words.returncode == 0
    assert "  результатов участников: 4" in in_words.stdout and "  форм: 1" in in_words.stdout
    assert "results:" not in in_words.stdout

    imported = cli("package", "import", str(pkg), "--format", "json", db=tmp_path / "m.sqlite")
    assert imported.returncode == 0, imported.stderr
    result = json.loads(imported.stdout)
    assert result["status"] == "imported" and result["stats"]["results_inserted"] == 4

    again = cli("package", "import", str(pkg), db=tmp_path / "m.sqlite")
    assert again.returncode == 0 and "уже был импортирован" in again.stdout

    # every verification is journalled (valid or refused, with the reason); a refused file and a
    # verification never count as imports: the import above went through
    journal = json.loads(cli("package", "list", "--format", "json", db=tmp_path / "m.sqlite").stdout)
    assert [(r["direction"], r["result"], r["file_name"]) for r in journal] == [
        ("import", "duplicate", "S1.zip"), ("import", "ok", "S1.zip"), ("verify", "ok", "S1.zip"),
        ("verify", "ok", "S1.zip"), ("verify", "refused", "bad.zip")]
    assert journal[4]["message"] == report["error"]
    assert journal[3]["sender_org"] == "S1" and journal[3]["seq"] == 1 and "действителен" in journal[3]["message"]


def test_cli_import_accept_incoming(cli, tmp_path):
    """Without the flag a newer local edit stays and is reported; with it the package wins, audited."""
    import datetime as dt

    from sqlalchemy import select

    from ersoko_desktop.db.models import ImportBatch, ParticipantResult
    from ersoko_desktop.services.packages import export_package, import_package

    school, muni, _ = school_chain(tmp_path, n=3)
    for name in ("p1", "p2", "p3"):
        with session_scope(school) as s:
            export_package(s, out=tmp_path / f"{name}.zip")
            s.scalar(select(ParticipantResult).where(ParticipantResult.participant_code == "S1-0001")).mark += 1
    with session_scope(muni) as s:
        import_package(s, tmp_path / "p1.zip")
        local = ImportBatch(kind="results", file_name="впр.xlsx", sha256="e" * 64, rows=1,
                            imported_at=dt.datetime.now() + dt.timedelta(days=1))
        s.add(local)
        s.flush()
        row = s.scalar(select(ParticipantResult).where(ParticipantResult.participant_code == "S1-0000"))
        row.mark, row.batch_id = 4, local.id
    muni.dispose()
    kept = json.loads(cli("package", "import", str(tmp_path / "p2.zip"), "--format", "json",
                          db=tmp_path / "m.sqlite").stdout)
    assert [c["entity"] for c in kept["stats"]["conflicts"]] == ["результаты"] and kept["stats"]["overridden"] == []
    taken = cli("package", "import", str(tmp_path / "p3.zip"), "--accept-incoming", "--format", "json",
                db=tmp_path / "m.sqlite")
    assert taken.returncode == 0, taken.stderr
    stats = json.loads(taken.stdout)["stats"]
    assert stats["conflicts"] == [] and [c["entity"] for c in stats["overridden"]] == ["результаты"]
    assert stats["results_replaced"] == 3
