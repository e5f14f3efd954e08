"""Hostile and broken packages: each is refused with a Russian reason, nothing but a log row written."""

from __future__ import annotations

import io
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from ersoko_desktop.db import open_database, session_scope
from ersoko_desktop.db.models import (
    Evidence,
    FormSubmission,
    ImportBatch,
    PackageLog,
    ParticipantResult,
    Roadmap,
    TrustedKey,
)
from ersoko_desktop.domain.fingerprints import fingerprint
from ersoko_desktop.errors import SecurityError
from ersoko_desktop.packages.crypto import raw_public
from ersoko_desktop.packages.manifest import MANIFEST_PATH, SIGNATURE_PATH
from ersoko_desktop.packages.safezip import ZipLimits, open_zip
from ersoko_desktop.services import keys
from ersoko_desktop.services.packages import export_package, import_package

from . import hostile
from .helpers import exchange_keys, fill_school, make_db, pdf_text


@dataclass
class Template:
    school_db: Path
    muni_db: Path
    p1: bytes  # genuine package seq 1 (school year 2024/25, to M1)
    p2: bytes  # genuine package seq 2
    to_m2: bytes  # genuine package seq 3 addressed to M2
    private: Ed25519PrivateKey


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Template:
    root = tmp_path_factory.mktemp("security")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ERSOKO_HOME", str(root / "home"))
        school = make_db(root / "school.sqlite", "S1", key=True)
        muni = make_db(root / "muni.sqlite", "M1", key=True)
        ev = root / "ev"
        ev.mkdir()
        with session_scope(school) as s:
            fill_school(s, "S1", n=30, evidence_dir=ev, comment="=HYPERLINK(\"http://x\",\"y\")")
            first = s.scalar(select(ParticipantResult).where(ParticipantResult.participant_code == "S1-0000"))
            first.class_letter = "=1+2"
        exchange_keys(school, muni, root, "s1")
        blobs = []
        for i, recipient in enumerate(("M1", "M1", "M2")):
            with session_scope(school) as s:
                export_package(s, out=root / f"p{i}.zip", recipient=recipient, period="2024/25")
            blobs.append((root / f"p{i}.zip").read_bytes())
        with session_scope(school) as s:
            _key, private = keys.load_private_key(s)
        school.dispose()
        muni.dispose()
    return Template(root / "school.sqlite", root / "muni.sqlite", blobs[0], blobs[1], blobs[2], private)


@pytest.fixture
def muni(template, tmp_path):
    path = tmp_path / "muni.sqlite"
    shutil.copy(template.muni_db, path)
    engine = open_database(str(path))
    yield engine
    engine.dispose()


def _import(engine, data: bytes, tmp_path: Path, name: str = "pkg.zip"):
    path = tmp_path / name
    path.write_bytes(data)
    with session_scope(engine) as s:
        return import_package(s, path)


def _assert_nothing_written(engine, refusals: int = 1) -> None:
    with session_scope(engine) as s:
        for model in (ParticipantResult, FormSubmission, Roadmap, Evidence, ImportBatch):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model.__name__
        assert s.scalar(select(func.count()).select_from(TrustedKey)) == 1
        log = s.scalars(select(PackageLog)).all()
        assert [(r.direction, r.result) for r in log] == [("import", "refused")] * refusals


def _refused(engine, data: bytes, tmp_path: Path, *fragments: str):
    result = _import(engine, data, tmp_path)
    assert result.status == "refused", result.message
    for fragment in fragments:
        assert fragment in result.message, result.message
    _assert_nothing_written(engine)
    return result


# --------------------------------------------------------------- archive structure

@pytest.mark.parametrize("evil_name, reason", [
    ("../../evil.txt", "zip-slip"),
    ("data/../../evil.txt", "zip-slip"),
    ("/etc/passwd", "абсолютный путь"),
    ("C:\\Windows\\evil.dll", "обратную косую"),
    ("C:/Windows/evil.dll", "абсолютный путь"),
    ("data/evil\x1b.json", "управляющие"),
])
def test_zip_slip_and_absolute_names(template, muni, tmp_path, evil_name, reason):
    files = hostile.entries(template.p1)
    files[evil_name] = b"owned"
    _refused(muni, hostile.rezip(files), tmp_path, reason, "Ничего не записано")
    assert not (tmp_path.parent / "evil.txt").exists()


def test_symlink_entry(template, muni, tmp_path):
    files = hostile.entries(template.p1)
    _refused(muni, hostile.with_symlink(files, "data/link", "/etc/passwd"), tmp_path, "символическая ссылка")


def test_duplicate_names_by_case(template, muni, tmp_path):
    files = list(hostile.entries(template.p1).items())
    files.append(("DATA/RESULTS.JSON", b"{}"))
    _refused(muni, hostile.rezip(files), tmp_path, "совпадают без учёта регистра")


def test_duplicate_names_by_unicode_normalisation(template, muni, tmp_path):
    files = hostile.entries(template.p1)
    composed = unicodedata.normalize("NFC", "human/отчёт.txt")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    files[composed] = b"a"
    files[decomposed] = b"b"
    _refused(muni, hostile.rezip(files), tmp_path, "нормализации Юникода")


def test_exact_duplicate_names(template, muni, tmp_path):
    files = list(hostile.entries(template.p1).items())
    files.append(("data/results.json", b"{}"))
    _refused(muni, hostile.rezip(files), tmp_path, "совпадают")


def test_zip_bomb_by_ratio(template, muni, tmp_path):
    files = hostile.entries(template.p1)
    files["human/zeros.txt"] = bytes(30 * 1024 * 1024)
    _refused(muni, hostile.rezip(files), tmp_path, "zip-бомбу")


def test_zip_bomb_by_declared_total_size(template, muni, tmp_path):
    files = hostile.entries(template.p1)
    bomb = hostile.lie_about_sizes(hostile.rezip(files), 200 * 1024 * 1024)
    _refused(muni, bomb, tmp_path, "суммарный размер")


def test_total_size_limit_counts_real_bytes():
    import os

    blob = hostile.rezip({f"f{i}.bin": os.urandom(300_000) for i in range(4)})
    open_zip(blob, "ok", ZipLimits(max_total_bytes=2_000_000))
    with pytest.raises(SecurityError, match="суммарный размер"):
        open_zip(blob, "big", ZipLimits(max_total_bytes=1_000_000))


def test_thousands_of_entries(template, muni, tmp_path):
    files = hostile.entries(template.p1)
    for i in range(3000):
        files[f"junk/{i}.txt"] = b"x"
    _refused(muni, hostile.rezip(files, method=zipfile.ZIP_STORED), tmp_path, "слишком много файлов")


def test_truncated_archive(template, muni, tmp_path):
    _refused(muni, template.p1[: len(template.p1) // 2], tmp_path, "не является целым ZIP")


def test_truncated_right_after_a_stored_inner_zip(template, muni, tmp_path):
    """The XLSX copy is stored uncompressed, so a package cut just after it ends with a complete inner ZIP:
    that archive must not be taken for the package."""
    with zipfile.ZipFile(io.BytesIO(template.p1)) as zf:
        info = zf.getinfo("human/report.xlsx")
    end = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size
    _refused(muni, template.p1[:end], tmp_path, "не является целым ZIP", "вложенный")


def test_corrupted_compressed_stream(template, muni, tmp_path):
    data = bytearray(template.p1)
    with zipfile.ZipFile(io.BytesIO(template.p1)) as zf:
        info = zf.getinfo("data/results.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    _refused(muni, bytes(data), tmp_path, "повреждён")


def test_not_a_zip_at_all(muni, tmp_path):
    _refused(muni, b"Hello, I am a text file", tmp_path, "не является целым ZIP")


# --------------------------------------------------------------- signature, manifest, file list

def test_tampered_byte_in_every_payload_file(template, muni, tmp_path):
    names = [n for n in hostile.entries(template.p1) if n not in (MANIFEST_PATH, SIGNATURE_PATH)]
    assert {"data/results.json", "data/forms.json", "data/roadmaps.json", "human/results.csv",
            "human/report.xlsx", "human/summary.pdf"} <= set(names)
    assert any(n.startswith("evidence/") for n in names)
    for i, name in enumerate(names):
        files = hostile.entries(template.p1)
        blob = bytearray(files[name])
        blob[len(blob) // 2] ^= 0x01
        files[name] = bytes(blob)
        result = _import(muni, hostile.rezip(files), tmp_path)
        assert result.status == "refused" and name in result.message and "изменён после подписи" in result.message
        _assert_nothing_written(muni, refusals=i + 1)


def test_tampered_manifest(template, muni, tmp_path):
    files = hostile.entries(template.p1)
    files[MANIFEST_PATH] = files[MANIFEST_PATH].replace(b'"seq": 1', b'"seq": 9')
    _refused(muni, hostile.rezip(files), tmp_path, "подпись манифеста неверна")


def test_extra_file_not_in_manifest(template, muni, tmp_path):
    files = hostile.entries(template.p1)
    files["data/extra.json"] = b"[]"
    _refused(muni, hostile.rezip(files), tmp_path, "нет в манифесте", "data/extra.json")


def test_missing_file_listed_in_manifest(template, muni, tmp_path):
    files = hostile.entries(template.p1)
    del files["data/forms.json"]
    _refused(muni, hostile.rezip(files), tmp_path, "нет файлов", "data/forms.json")


def test_signature_by_an_untrusted_key(template, muni, tmp_path):
    stranger = Ed25519PrivateKey.generate()
    fp = fingerprint(raw_public(stranger.public_key()))
    forged = hostile.resign(template.p1, stranger, manifest_changes={"sender_fingerprint": fp})
    _refused(muni, forged, tmp_path, "не входит в список доверенных")


def test_signature_by_another_key_claiming_the_trusted_fingerprint(template, muni, tmp_path):
    forged = hostile.resign(template.p1, Ed25519PrivateKey.generate())
    _refused(muni, forged, tmp_path, "подпись манифеста неверна")


def test_revoked_key(template, muni, tmp_path):
    with session_scope(muni) as s:
        fp = s.scalar(select(TrustedKey.fingerprint))
        keys.revoke(s, fp)
    _refused(muni, template.p1, tmp_path, "отозван")


def test_wrong_recipient(template, muni, tmp_path):
    _refused(muni, template.to_m2, tmp_path, "адресован «M2»")


def test_unsupported_format_version(template, muni, tmp_path):
    forged = hostile.resign(template.p1, template.private, manifest_changes={"format_version": 2})
    _refused(muni, forged, tmp_path, "версия формата 2")


def test_xlsx_with_xml_entity_expansion(template, muni, tmp_path):
    def bomb(files):
        files["human/report.xlsx"] = hostile.xlsx_with_entity_bomb(files["human/report.xlsx"])
        return files

    forged = hostile.resign(template.p1, template.private, change_files=bomb)
    _refused(muni, forged, tmp_path, "DTD", "human/report.xlsx")


def test_payload_naming_another_school_is_refused(template, muni, tmp_path):
    def move(files):
        files["data/results.json"] = files["data/results.json"].replace(b'"school":"S1"', b'"school":"S2"')
        return files

    forged = hostile.resign(template.p1, template.private, change_files=move)
    _refused(muni, forged, tmp_path, "не заявленные в манифесте", "S2")


def test_manifest_claiming_another_school_is_refused(template, muni, tmp_path):
    import json

    from ersoko_desktop.packages.manifest import parse

    claims = dict(parse(hostile.entries(template.p1)[MANIFEST_PATH]).contents)
    claims["orgs"] = ["S1", "S2"]
    forged = hostile.resign(template.p1, template.private, manifest_changes={"contents": claims})
    assert json.loads(hostile.entries(forged)[MANIFEST_PATH])["contents"]["orgs"] == ["S1", "S2"]
    _refused(muni, forged, tmp_path, "вне зоны отправителя", "S2")


def test_payload_count_not_matching_the_manifest_is_refused(template, muni, tmp_path):
    from ersoko_desktop.packages.manifest import parse

    claims = dict(parse(hostile.entries(template.p1)[MANIFEST_PATH]).contents)
    claims["results"] = 29
    forged = hostile.resign(template.p1, template.private, manifest_changes={"contents": claims})
    _refused(muni, forged, tmp_path, "не совпадает с манифестом")


def test_malformed_payload_row_is_refused(template, muni, tmp_path):
    def break_mark(files):
        files["data/results.json"] = files["data/results.json"].replace(b',2,2,"', b',7,2,"', 1)
        return files

    forged = hostile.resign(template.p1, template.private, change_files=break_mark)
    _refused(muni, forged, tmp_path, "вне диапазона 1–5")


# --------------------------------------------------------------- replay, rollback, idempotency

def test_idempotent_and_rollback_and_replay(template, muni, tmp_path):
    first = _import(muni, template.p1, tmp_path, "p1.zip")
    assert first.status == "imported" and first.stats.results_inserted == 30
    again = _import(muni, template.p1, tmp_path, "p1-again.zip")
    assert again.status == "duplicate"
    second = _import(muni, template.p2, tmp_path, "p2.zip")
    assert second.status == "imported"
    assert second.stats.results_unchanged == 30 and second.stats.results_inserted == 0
    old = _import(muni, template.p1, tmp_path, "p1-late.zip")
    assert old.status == "duplicate"  # the very same package is still recognised, not re-applied
    # an older sequence number under a new id is a rollback
    rolled = hostile.resign(template.p1, template.private,
                            manifest_changes={"package_id": "0b7f4a52-4b8e-4d7e-9a55-3b6f6f1f2a11"})
    result = _import(muni, rolled, tmp_path, "rollback.zip")
    assert result.status == "refused" and "откат" in result.message
    # the same id with other bytes is an alert
    other = hostile.resign(template.p2, template.private, manifest_changes={"seq": 50})
    result = _import(muni, other, tmp_path, "same-id.zip")
    assert result.status == "refused" and "содержимое было другим" in result.message
    with session_scope(muni) as s:
        assert s.scalar(select(func.count()).select_from(ParticipantResult)) == 30
        log = [(r.result, r.seq) for r in s.scalars(select(PackageLog).order_by(PackageLog.id))]
    assert log == [("ok", 1), ("duplicate", 1), ("ok", 2), ("duplicate", 1), ("refused", 1), ("refused", 50)]


def test_a_refused_file_never_blocks_the_genuine_package(template, muni, tmp_path):
    files = hostile.entries(template.p1)
    files["data/results.json"] = files["data/results.json"].replace(b"S1-0001", b"S1-9999")
    assert _import(muni, hostile.rezip(files), tmp_path, "bad.zip").status == "refused"
    assert _import(muni, template.p1, tmp_path, "good.zip").status == "imported"


# --------------------------------------------------------------- export side

def test_csv_and_xlsx_copies_escape_formulas(template):
    files = hostile.entries(template.p1)
    csv_text = files["human/results.csv"].decode("utf-8-sig")
    assert csv_text.splitlines()[1].split(";")[0] == "VPR"
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(files["human/report.xlsx"]))
    cells = [row[4] for row in wb["Формы"].iter_rows(min_row=2)]
    assert [c.value for c in cells] == ['=HYPERLINK("http://x","y")']
    assert [(c.data_type, c.quotePrefix) for c in cells] == [("s", True)]  # text, never a formula
    csv_lines = files["human/results.csv"].decode("utf-8-sig").splitlines()
    assert [line.split(";")[6] for line in csv_lines if ";S1-0000;" in line] == ["'=1+2"]
    results_sheet = [r for r in wb["Результаты"].iter_rows(min_row=2) if r[5].value == "S1-0000"]
    assert [(r[6].value, r[6].data_type) for r in results_sheet] == [("=1+2", "s")]
    assert b'"S1-0000","=1+2"' in files["data/results.json"]
    # the machine-readable data keeps the value as written
    assert b'"comment":"=HYPERLINK' in files["data/forms.json"]


def test_pdf_copy_is_signed_and_says_what_the_package_holds(template, tmp_path):
    import hashlib
    import json

    files = hostile.entries(template.p1)
    manifest = json.loads(files[MANIFEST_PATH])
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert listed["human/summary.pdf"] == hashlib.sha256(files["human/summary.pdf"]).hexdigest()
    text = pdf_text(files["human/summary.pdf"], tmp_path)
    lines = text.splitlines()
    assert "Отправитель S1 — СОШ №1" in lines and "Получатель M1" in lines and "Номер пакета 1" in lines
    assert manifest["package_id"] in text and "Период 2024/25" in lines
    # fill_school(n=30): marks cycle 2, 3, 4, 5 → 8, 8, 7, 7
    assert "S1 VPR Математика 5 2025 30 8 8 7 7" in lines
    assert "vsoko S1 2024/25 отправлена" in lines
    assert "S1 Дорожная карта S1 1 1 1" in lines
    assert {"Результатов 30", "Форм 1", "Дорожных карт 1", "Сроков 1", "Подтверждений 1"} <= set(lines)


def test_csv_copy_escapes_formula_prefixes():
    from ersoko_desktop.packages.human import csv_bytes

    text = csv_bytes(["a"], [[v] for v in ("=1+1", "+7", "-3", "@SUM(A1)")]).decode("utf-8-sig")
    assert text.splitlines() == ["a", "'=1+1", "'+7", "'-3", "'@SUM(A1)"]
    text = csv_bytes(["a"], [["=cmd|' /C calc'!A0"], [-4]]).decode("utf-8-sig")
    assert text.splitlines() == ["a", "'=cmd|' /C calc'!A0", "-4"]
