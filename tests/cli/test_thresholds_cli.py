"""``ersoko thresholds show|set|reset``: the same stored thresholds as the «Настройки» page."""

from __future__ import annotations

import json

from sqlalchemy import select

from ersoko_desktop.cli import main
from ersoko_desktop.db import open_database, session_scope
from ersoko_desktop.db.models import AuditEvent
from ersoko_desktop.services.objectivity import objectivity_params


def _json(capsys, *argv) -> tuple[int, object]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_show_set_and_reset(db_path, capsys):
    db = str(db_path)
    code, rows = _json(capsys, "--db", db, "thresholds", "show", "--format", "json")
    assert code == 0
    by_key = {r["key"]: r for r in rows}
    m = by_key["objectivity.min_n"]
    assert (m["value"], m["default"], m["is_default"], m["unit"], m["min"], m["max"]) == (10, 10, True, "чел.", 1, 1000)
    assert by_key["objectivity.s1_quality_gap"]["value"] == 25 and by_key["shnor.share2"]["min"] == 0

    code, done = _json(capsys, "--db", db, "thresholds", "set", "objectivity.min_n=15", "shnor.share2=20,5",
                       "--format", "json")
    assert code == 0
    assert done["changed"] == ["Минимальное число участников (N)", "ШНОР: доля «2» не меньше"]
    engine = open_database(db)
    with session_scope(engine) as s:
        assert objectivity_params(s).min_n == 15
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "thresholds.save")).one()
        assert event.after == {"objectivity.min_n": 15, "shnor.share2": 20.5}
    engine.dispose()
    # text output of show marks what differs from the default
    assert main(["--db", db, "thresholds", "show"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("objectivity.min_n"))
    assert "15" in line and "(по умолчанию 10)" in line

    code, done = _json(capsys, "--db", db, "thresholds", "reset", "--format", "json")
    assert code == 0 and len(done["changed"]) == 2
    assert all(r["is_default"] for r in done["thresholds"])


def test_bad_values_are_refused_in_russian_and_nothing_is_saved(db_path, capsys):
    db = str(db_path)
    code, out = _json(capsys, "--db", db, "thresholds", "set", "objectivity.min_n=0", "objectivity.s2_lowered=abc",
                      "--format", "json")
    assert code == 2
    messages = [e["message"] for e in out["errors"]]
    assert any("ожидается целое число от 1 до 1000, введено «0»" in m for m in messages)
    assert any("S2: понизили отметку по журналу не меньше" in m and "«abc»" in m for m in messages)
    code, out = _json(capsys, "--db", db, "thresholds", "set", "objectivity.min_n", "--format", "json")
    assert code == 2 and "КЛЮЧ=ЗНАЧЕНИЕ" in out["errors"][0]["message"]
    code, out = _json(capsys, "--db", db, "thresholds", "set", "objectivity.nope=1", "--format", "json")
    assert code == 2 and out["errors"][0]["message"] == "неизвестный параметр «objectivity.nope»"
    code, rows = _json(capsys, "--db", db, "thresholds", "show", "--format", "json")
    assert all(r["is_default"] for r in rows)
