"""The key card (a real Ed25519 key) and the ``ersoko report`` command."""

from __future__ import annotations

import base64
import json

from pypdf import PdfReader
from sqlalchemy import select

from ersoko_desktop.db.models import SigningKey

from ersoko_desktop.domain.fingerprints import fingerprint
from ersoko_desktop.services.keys import init_key
from ersoko_desktop.services.report_keycard import qr_payload
from ersoko_desktop.services.reports import generate_report


def test_key_card_shows_the_fingerprint_of_the_real_key(demo_session, tmp_path):
    info = init_key(demo_session)
    result = generate_report(demo_session, kind="keycard", fmt="pdf", out=tmp_path / "card.pdf")
    pages = PdfReader(result.path).pages
    assert len(pages) == 1
    text = pages[0].extract_text()
    key = demo_session.scalar(select(SigningKey.public_key))
    fp = fingerprint(key)
    assert info.fingerprint == fp
    groups = fp.split()
    assert " ".join(groups[:8]) in text and " ".join(groups[8:]) in text
    assert "Степной район" in text and "DEMO-M1" in text and "Стр. 1 из 1" in text
    assert base64.b64encode(key).decode() in text


def test_qr_payload_names_the_org_and_carries_the_raw_key():
    assert qr_payload("DEMO-M1", "QUJD") == "ersoko-key:1;org=DEMO-M1;ed25519=QUJD"


def test_cli_writes_the_report_and_prints_json(cli, demo_db_template, tmp_path):
    import shutil

    db = tmp_path / "demo.sqlite"
    shutil.copy(demo_db_template, db)
    out = tmp_path / "дорожная карта.xlsx"
    proc = cli("report", "xlsx", "--kind", "roadmap", "--today", "2026-11-23", "--out", str(out), "--format", "json",
               db=db)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["kind"] == "roadmap" and data["org"] == "DEMO-M1" and data["path"] == str(out)
    assert out.stat().st_size > 0


def test_cli_refuses_an_unknown_org_with_exit_2(cli, demo_db_template, tmp_path):
    import shutil

    db = tmp_path / "demo.sqlite"
    shutil.copy(demo_db_template, db)
    proc = cli("report", "pdf", "--kind", "roadmap", "--org", "NOPE", "--out", str(tmp_path / "x.pdf"),
               "--format", "json", db=db)
    assert proc.returncode == 2
    assert "NOPE" in json.loads(proc.stdout)["error"]
    assert not (tmp_path / "x.pdf").exists()


def test_key_card_qr_code_decodes_to_the_public_key(demo_session, tmp_path):
    """Print → scan: the QR on the rendered page carries exactly the organization and the raw key."""
    import subprocess

    import zxingcpp
    from PIL import Image

    init_key(demo_session)
    result = generate_report(demo_session, kind="keycard", fmt="pdf", out=tmp_path / "card.pdf")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(result.path), str(tmp_path / "page")],
                   check=True)
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert [c.format for c in codes] == [zxingcpp.BarcodeFormat.QRCode]
    key = demo_session.scalar(select(SigningKey.public_key))
    assert codes[0].text == f"ersoko-key:1;org=DEMO-M1;ed25519={base64.b64encode(key).decode()}"
