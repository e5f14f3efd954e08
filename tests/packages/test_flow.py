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

from .helpers import exchange_keys, fill_school, make_db, pdf_text, school_chain


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
    assert packages["S1"].counts == {"orgs": ["S1"], "results": 12, "submissions": 1, "roadmaps": 1,
                                     "occurrences": 1, "evidence": 1}

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
    # the printable copy: one row per school (procedures, participants, marks «2»..«5»), nested packages listed
    lines = pdf_text(zipfile.ZipFile(tmp_path / "M1.zip").read("human/summary.pdf"), tmp_path).splitlines()
    assert "S1 1 12 3 3 3 3" in lines and "S2 1 8 2 2 2 2" in lines
    assert {"Пакетов школ 2", "Результатов в них 20", "Результатов (своих) 0"} <= set(lines)
    nested_ids = {n.sender_org: n.package_id for n in report.nested}
    assert any(line.startswith(f"S1 1 {nested_ids['S1']}") for line in lines)

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


def test_newer_local_edits_are_reported_not_overwritten(tmp_path):
    import datetime as dt

    from ersoko_desktop.db.models import FormSubmission, ImportBatch

    school, muni, _ = school_chain(tmp_path, n=6)
    with session_scope(school) as s:
        export_package(s, out=tmp_path / "p1.zip")
    with session_scope(muni) as s:
        assert import_package(s, tmp_path / "p1.zip").status == "imported"
    t0 = dt.datetime(2025, 5, 1, 10, 0)
    # the school edits its form first, the municipality later approves its copy and re-keys a mark
    with session_scope(school) as s:
        sub = s.scalar(select(FormSubmission))
        sub.values, sub.updated_at = {"f1": 8}, t0
        occ = s.scalar(select(TaskOccurrence))
        occ.comment, occ.updated_at = "школа уточнила", t0
    with session_scope(muni) as s:
        sub = s.scalar(select(FormSubmission))
        sub.status, sub.updated_at = "approved", t0 + dt.timedelta(hours=1)
        occ = s.scalar(select(TaskOccurrence))
        occ.status, occ.updated_at = "in_progress", t0 - dt.timedelta(hours=1)  # older than the school's edit
        local = ImportBatch(kind="results", file_name="впр.xlsx", sha256="b" * 64, rows=1, imported_at=dt.datetime.now())
        s.add(local)
        s.flush()
        row = s.scalar(select(ParticipantResult).where(ParticipantResult.participant_code == "S1-0000"))
        row.mark, row.batch_id = 5, local.id
    with session_scope(school) as s:
        row = s.scalar(select(ParticipantResult).where(ParticipantResult.participant_code == "S1-0001"))
        row.mark = 4
        export_package(s, out=tmp_path / "p2.zip")
    with session_scope(muni) as s:
        report = import_package(s, tmp_path / "p2.zip")
    assert report.status == "imported"
    kinds = sorted(c.entity for c in report.stats.conflicts)
    assert kinds == ["результаты", "форма"]
    assert report.stats.occurrences_updated == 1
    with session_scope(muni) as s:
        sub = s.scalar(select(FormSubmission))
        assert (sub.status, sub.values) == ("approved", {"f1": 7})  # local approval kept
        marks = dict(s.execute(select(ParticipantResult.participant_code, ParticipantResult.mark)).all())
        assert marks["S1-0000"] == 5 and marks["S1-0001"] == 3  # local results kept as a whole
        assert s.scalar(select(TaskOccurrence)).comment == "школа уточнила"  # the school's newer edit won


def test_received_form_is_checked_again_against_its_definition(tmp_path):
    """A correctly signed package whose form breaks the form's own rules (a value above the maximum,
    a sent form with a required field empty) is imported without that form, and the report says why."""
    school = make_db(tmp_path / "s.sqlite", "S1", key=True)
    muni = make_db(tmp_path / "m.sqlite", "M1", key=True)
    with session_scope(school) as s:
        fill_school(s, "S1", n=6)
        s.scalar(select(FormSubmission)).values = {"f1": 900}  # the definition allows 0..500
    exchange_keys(school, muni, tmp_path, "s1")
    with session_scope(school) as s:
        export_package(s, out=tmp_path / "p1.zip")
    with session_scope(muni) as s:
        report = import_package(s, tmp_path / "p1.zip")
    assert report.status == "imported", report.message
    [conflict] = report.stats.conflicts
    assert conflict.entity == "форма" and "не проходят проверку" in conflict.message and "500" in conflict.message
    assert _count(muni, FormSubmission) == 0
    assert _count(muni, ParticipantResult) == 6  # the rest of the package is there

    with session_scope(school) as s:
        s.scalar(select(FormSubmission)).values = {}  # sent, but the required field is empty
        export_package(s, out=tmp_path / "p2.zip")
    with session_scope(muni) as s:
        report = import_package(s, tmp_path / "p2.zip")
    assert [c.entity for c in report.stats.conflicts] == ["форма"]
    assert "Число педагогов" in report.stats.conflicts[0].message
    assert _count(muni, FormSubmission) == 0


def test_municipality_cannot_alter_a_school_package_it_forwards(tmp_path):
    from ersoko_desktop.services import keys

    from . import hostile

    school, muni, region = school_chain(tmp_path, n=6, region=True)
    with session_scope(school) as s:
        export_package(s, out=tmp_path / "s1.zip")
    with session_scope(muni) as s:
        import_package(s, tmp_path / "s1.zip")
        export_package(s, out=tmp_path / "m1.zip")
        _key, muni_private = keys.load_private_key(s)

    def doctor(files):
        nested_name = next(n for n in files if n.startswith("nested/"))
        inner = hostile.entries(files[nested_name])
        inner["data/results.json"] = inner["data/results.json"].replace(b",2,2,", b",5,2,", 1)
        files[nested_name] = hostile.rezip(inner)
        return files

    import dataclasses
    import hashlib

    from ersoko_desktop.packages.manifest import parse

    data = (tmp_path / "m1.zip").read_bytes()
    original = parse(hostile.entries(data)["META/manifest.json"])
    doctored = hostile.resign(data, muni_private, change_files=doctor)
    # the municipality also fixes up the nested entry's hash in its own (validly signed) manifest
    files = hostile.entries(doctored)
    nested_blob = files[original.nested[0].path]
    fixed = [dataclasses.replace(original.nested[0], sha256=hashlib.sha256(nested_blob).hexdigest())]
    doctored = hostile.resign(doctored, muni_private, manifest_changes={"nested": tuple(fixed)})
    (tmp_path / "bad.zip").write_bytes(doctored)
    with session_scope(region) as s:
        result = import_package(s, tmp_path / "bad.zip")
    assert result.status == "refused"
    assert "nested/S1-1.zip" in result.message and "изменён после подписи" in result.message
    assert _count(region, ParticipantResult) == 0


def test_trust_list_from_a_municipality_is_limited_to_its_own_schools(tmp_path):
    from ersoko_desktop.services import keys

    from .helpers import REGISTRY

    muni = make_db(tmp_path / "m.sqlite", "M1", key=True)
    region = make_db(tmp_path / "r.sqlite", "R", key=True)
    foreign = make_db(tmp_path / "s3.sqlite", "S3", key=True)  # S3 belongs to M2
    exchange_keys(foreign, muni, tmp_path, "s3")
    exchange_keys(muni, region, tmp_path, "m1")
    assert ("S3", "СОШ №3", "school", "M2") in REGISTRY
    with session_scope(muni) as s:
        export_trust_list(s, out=tmp_path / "trust.zip", recipient="R")
    with session_scope(region) as s:
        result = import_package(s, tmp_path / "trust.zip")
    assert result.status == "refused" and "«S3»" in result.message
    with session_scope(region) as s:
        assert [k.org_code for k in keys.list_trusted(s)] == ["M1"]


def test_municipal_corrections_travel_as_its_own_signed_data(tmp_path):
    """GUIDE §6: the schools' packages are nested byte for byte; what the municipality changed travels
    as its own signed data and shows up at ЦОКО as a conflict (or, explicitly accepted, an audited override)."""
    import datetime as dt
    import json
    import zipfile

    from ersoko_desktop.db.models import AuditEvent, ImportBatch
    from ersoko_desktop.services import keys

    from . import hostile

    school, muni, region = school_chain(tmp_path, n=6, region=True)
    with session_scope(school) as s:
        export_package(s, out=tmp_path / "S1.zip", period="2024/25")
    with session_scope(muni) as s:
        assert import_package(s, tmp_path / "S1.zip").status == "imported"
        # the municipality re-keys one mark from its own results file and accepts the school's form
        local = ImportBatch(kind="results", file_name="фис-око.xlsx", sha256="c" * 64, rows=1,
                            imported_at=dt.datetime.now())
        s.add(local)
        s.flush()
        row = s.scalar(select(ParticipantResult).where(ParticipantResult.participant_code == "S1-0000"))
        assert row.mark == 2
        row.mark, row.batch_id = 5, local.id
        s.scalar(select(FormSubmission)).status = "approved"

    with session_scope(muni) as s:
        first = export_package(s, out=tmp_path / "M1-1.zip", period="2024/25")
    assert first.nested == ["S1"] and first.counts["corrections"] == {"orgs": ["S1"], "results": 6, "submissions": 1}
    with zipfile.ZipFile(tmp_path / "M1-1.zip") as zf:
        assert zf.read("nested/S1-1.zip") == (tmp_path / "S1.zip").read_bytes()  # unchanged, school-signed
        corrected = json.loads(zf.read("corrections/results.json"))
        pdf = pdf_text(zf.read("human/summary.pdf"), tmp_path).splitlines()
    marks = {r[0]: r[5] for g in corrected["groups"] for r in g["rows"]}
    assert marks["S1-0000"] == 5 and marks["S1-0001"] == 3
    assert "Исправления муниципалитета" in pdf and "Школы S1" in pdf and "Результатов 6" in pdf

    with session_scope(region) as s:
        report = verify_package(s, tmp_path / "M1-1.zip")
    assert report.valid and report.corrections == {"orgs": ["S1"], "results": 6, "submissions": 1}
    with session_scope(region) as s:
        imported = import_package(s, tmp_path / "M1-1.zip")
    assert imported.status == "imported", imported.message
    assert [(c.entity, c.key) for c in imported.stats.conflicts] == [("результаты", "S1: VPR Математика 5 кл. 2025")]
    assert "муниципалитет «M1» исправил результаты школы" in imported.stats.conflicts[0].message
    with session_scope(region) as s:
        marks = dict(s.execute(select(ParticipantResult.participant_code, ParticipantResult.mark)).all())
        assert marks["S1-0000"] == 2  # the school's signed data stays
        assert s.scalar(select(FormSubmission)).status == "approved"  # the municipality's decision applies
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "decision")) == 1

    # the next municipal package carries the same correction; the user explicitly accepts it
    with session_scope(muni) as s:
        export_package(s, out=tmp_path / "M1-2.zip", period="2024/25")
    with session_scope(region) as s:
        again = import_package(s, tmp_path / "M1-2.zip", accept_incoming=True)
    assert again.status == "imported" and again.stats.conflicts == []
    assert [(c.entity, c.key) for c in again.stats.overridden] == [("результаты", "S1: VPR Математика 5 кл. 2025")]
    with session_scope(region) as s:
        marks = dict(s.execute(select(ParticipantResult.participant_code, ParticipantResult.mark)).all())
        assert marks["S1-0000"] == 5 and len(marks) == 6
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "accept-incoming"))
        assert event.entity == "результаты" and event.before == {"rows": 6}
        assert event.after["package_id"] == again.verification.package_id

    # corrections of a school whose package is not nested are refused, even when correctly signed
    with session_scope(muni) as s:
        _key, private = keys.load_private_key(s)
    data = (tmp_path / "M1-2.zip").read_bytes()
    manifest = hostile.parse(hostile.entries(data)[hostile.MANIFEST_PATH])
    forged = hostile.resign(data, private, manifest_changes={
        "seq": 10, "package_id": "8c2d1c4e-0f59-4d7a-9a8e-3b6f6f1f2a11",
        "contents": manifest.contents | {"corrections": {"orgs": ["S1", "S2"], "results": 6, "submissions": 1}}})
    (tmp_path / "forged.zip").write_bytes(forged)
    with session_scope(region) as s:
        refused = import_package(s, tmp_path / "forged.zip")
    assert refused.status == "refused" and "чьих подписанных пакетов нет среди вложенных: S2" in refused.message
    # corrections/ files that the signed manifest does not claim are refused too
    unclaimed = hostile.resign(data, private, manifest_changes={
        "seq": 11, "package_id": "9d3e2d5f-1a6a-4e8b-8b9f-4c7a7a2a3b22",
        "contents": {k: v for k, v in manifest.contents.items() if k != "corrections"}})
    (tmp_path / "unclaimed.zip").write_bytes(unclaimed)
    with session_scope(region) as s:
        refused = import_package(s, tmp_path / "unclaimed.zip")
    assert refused.status == "refused" and "должны быть заявлены в манифесте" in refused.message
    with session_scope(region) as s:
        assert s.scalar(select(func.count()).select_from(ParticipantResult)) == 6


def test_a_damaged_copy_in_the_received_store_is_not_nested(tmp_path):
    """The municipality re-checks each stored school package against the hash recorded at import."""
    import zipfile

    from ersoko_desktop.services.package_apply import received_store

    school, muni, _ = school_chain(tmp_path, n=4)
    with session_scope(school) as s:
        export_package(s, out=tmp_path / "S1.zip", period="2024/25")
    with session_scope(muni) as s:
        imported = import_package(s, tmp_path / "S1.zip")
    stored = received_store() / f"{imported.verification.sha256}.zip"
    blob = bytearray(stored.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    stored.write_bytes(bytes(blob))
    with session_scope(muni) as s:
        result = export_package(s, out=tmp_path / "M1.zip", period="2024/25")
    assert result.nested == [] and any("повреждён" in w and "S1" in w for w in result.warnings)
    with zipfile.ZipFile(tmp_path / "M1.zip") as zf:
        assert not any(n.startswith("nested/") for n in zf.namelist())
    assert result.counts["results"] == 4  # the school's data then travels as the municipality's own
