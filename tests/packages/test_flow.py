"""School → municipality → region with real keys across three databases."""

from __future__ import annotations

from sqlalchemy import func, select

from ersoko_desktop.db import session_scope
from ersoko_desktop.db.models import (
    Evidence,
    FormSubmission,
    PackageLog,
    ParticipantResult,
    Roadmap,
    TaskOccurrence,
    TrustedKey,
)
from ersoko_desktop.services.packages import (
    export_package,
    export_trust_list,
    import_package,
    verify_package,
)

from .helpers import exchange_keys, fill_school, make_db


def _count(engine, model, *where):
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_school_to_municipality_to_region(tmp_path):
    s1, s2 = make_db(tmp_path / "s1.sqlite", "S1", key=True), make_db(tmp_path / "s2.sqlite", "S2", key=True)
    muni = make_db(tmp_path / "m1.sqlite", "M1", key=True)
    region = make_db(tmp_path / "r.sqlite", "R", key=True)
    evidence = tmp_path / "ev"
    evidence.mkdir()
    with session_scope(s1) as s:
        fill_school(s, "S1", n=12, evidence_dir=evidence)
    with session_scope(s2) as s:
        fill_school(s, "S2", n=8)
    exchange_keys(s1, muni, tmp_path, "s1")
    exchange_keys(s2, muni, tmp_path, "s2")
    exchange_keys(muni, region, tmp_path, "m1")

    # schools export for the school year, addressed to their municipality by default
    packages = {}
    for code, eng in (("S1", s1), ("S2", s2)):
        with session_scope(eng) as s:
            res = export_package(s, out=tmp_path / f"{code}.zip", period="2024/25")
        assert (res.recipient, res.seq, res.dataset_kind) == ("M1", 1, "school-report")
        packages[code] = res
    assert packages["S1"].counts == {"results": 12, "submissions": 1, "roadmaps": 1, "evidence": 1, "nested": 0}

    with session_scope(muni) as s:
        report = verify_package(s, tmp_path / "S1.zip")
    assert report.valid and report.status == "new" and report.sender_org == "S1"
    assert report.counts["results"] == 12
    for code in ("S1", "S2"):
        with session_scope(muni) as s:
            imported = import_package(s, tmp_path / f"{code}.zip")
        assert imported.status == "imported", imported.message
        assert imported.backup is not None and imported.backup.exists()
    assert _count(muni, ParticipantResult) == 20
    assert _count(muni, FormSubmission) == 2
    assert _count(muni, TaskOccurrence, TaskOccurrence.status == "done") == 2
    with session_scope(muni) as s:
        ev = s.scalar(select(Evidence))
        assert ev.file_name == "протокол.txt"
        assert open(ev.stored_path, "rb").read() == "протокол S1".encode()

    # the municipality tells the region about its schools' keys, then sends its own package
    with session_scope(muni) as s:
        trust = export_trust_list(s, out=tmp_path / "trust.zip", recipient="R")
        assert trust.counts == {"keys": 3}
    with session_scope(region) as s:
        got = import_package(s, tmp_path / "trust.zip")
    assert got.status == "imported", got.message
    assert {k for (k,) in region.connect().execute(select(TrustedKey.org_code))} == {"M1", "S1", "S2"}

    with session_scope(muni) as s:
        mres = export_package(s, out=tmp_path / "M1.zip", period="2024/25")
    assert mres.recipient == "R" and sorted(mres.nested) == ["S1", "S2"]
    assert mres.counts["results"] == 0  # the schools' data travels inside their own signed packages

    with session_scope(region) as s:
        report = verify_package(s, tmp_path / "M1.zip")
    assert report.valid, report.reason
    assert [(n.sender_org, n.valid, n.status) for n in report.nested] == [("S1", True, "new"), ("S2", True, "new")]
    with session_scope(region) as s:
        imported = import_package(s, tmp_path / "M1.zip")
    assert imported.status == "imported", imported.message
    assert _count(region, ParticipantResult) == 20
    assert _count(region, FormSubmission) == 2
    assert _count(region, Roadmap) == 2
    # the nested school packages are recorded as imported in their own right (seq tracking)
    assert _count(region, PackageLog, PackageLog.direction == "import", PackageLog.result == "ok") == 4

    # the summary inside the municipal package counts both schools (12 + 8 participants, marks cycling 2..5)
    import json
    import zipfile

    summary = json.loads(zipfile.ZipFile(tmp_path / "M1.zip").read("data/summary.json"))
    assert {(g["org"], g["n"]) for g in summary} == {("S1", 12), ("S2", 8)}
    assert [g["marks"] for g in summary if g["org"] == "S1"] == [{"2": 3, "3": 3, "4": 3, "5": 3}]

    # the same municipal package again is a no-op that says so
    with session_scope(region) as s:
        again = import_package(s, tmp_path / "M1.zip")
    assert again.status == "duplicate" and "уже был импортирован" in again.message
    assert _count(region, ParticipantResult) == 20


def test_encrypted_package_opens_only_for_its_recipient(tmp_path):
    school = make_db(tmp_path / "s.sqlite", "S1", key=True)
    muni = make_db(tmp_path / "m.sqlite", "M1", key=True)
    other = make_db(tmp_path / "m2.sqlite", "M2", key=True)
    with session_scope(school) as s:
        fill_school(s, "S1", n=5)
    exchange_keys(school, muni, tmp_path, "s1")
    exchange_keys(school, other, tmp_path, "s1b")
    pub = tmp_path / "m1.pub.json"
    from ersoko_desktop.services.keys import export_public

    with session_scope(muni) as s:
        export_public(s, out=pub)
    with session_scope(school) as s:
        res = export_package(s, out=tmp_path / "enc.bin", encrypt_to=pub)
    assert res.encrypted
    data = (tmp_path / "enc.bin").read_bytes()
    assert not data.startswith(b"PK") and b"S1-0000" not in data
    with session_scope(other) as s:
        report = verify_package(s, tmp_path / "enc.bin")
    assert not report.valid and "другого получателя" in report.reason
    with session_scope(muni) as s:
        imported = import_package(s, tmp_path / "enc.bin")
    assert imported.status == "imported" and imported.verification.encrypted
    assert _count(muni, ParticipantResult) == 5
