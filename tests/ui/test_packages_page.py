"""The «Пакеты» page: export through a worker, verification report before import, journal, trust list."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from PySide6.QtWidgets import QMessageBox

from ersoko_desktop.db import session_scope
from ersoko_desktop.db.models import ParticipantResult
from ersoko_desktop.ui.context import AppContext
from ersoko_desktop.ui.dialogs.packages import ExportChoice
from ersoko_desktop.ui.views.packages import Page
from tests.packages.helpers import make_db, school_chain


@pytest.fixture
def quiet_boxes(monkeypatch):
    shown = []
    for name in ("information", "warning"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name, **k: shown.append((_n, a[2])))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    return shown


def test_export_then_verify_then_import(qtbot, tmp_path, quiet_boxes):
    school, muni, _ = school_chain(tmp_path, n=7)

    school_page = Page(AppContext(engine=school, db_label="s"))
    qtbot.addWidget(school_page)
    school_page.refresh()
    assert "S1" in school_page.key_label.text() and school_page.export_button.isEnabled()
    dialog = school_page.export_dialog()
    assert dialog.recipient.currentData() == "M1"  # the parent organization by default
    out = tmp_path / "s1.zip"
    school_page.start_export(ExportChoice(out, "M1", "2024/25", None))
    qtbot.waitUntil(lambda: school_page.last_export is not None, timeout=30000)
    assert out.exists() and school_page.journal.rowCount() == 1
    assert school_page.journal.item(0, 1).text() == "выгружен"

    muni_page = Page(AppContext(engine=muni, db_label="m"))
    qtbot.addWidget(muni_page)
    muni_page.refresh()
    assert muni_page.trusted.rowCount() == 1 and muni_page.trusted.item(0, 0).text() == "S1"
    muni_page.start_verify(out)
    qtbot.waitUntil(lambda: muni_page.last_report is not None, timeout=30000)
    dialog = muni_page.report_dialog
    assert "Пакет действителен" in dialog.text.toHtml() and "результатов" in dialog.text.toPlainText()
    assert dialog.import_button.isEnabled()
    # no data written before the user confirms; only the verification is journalled
    with session_scope(muni) as s:
        assert s.scalar(select(func.count()).select_from(ParticipantResult)) == 0
    assert muni_page.journal.rowCount() == 1
    assert [muni_page.journal.item(0, c).text() for c in (1, 2, 3)] == ["проверка", "успешно", "S1"]
    dialog.accept()
    qtbot.waitUntil(lambda: muni_page.last_import is not None, timeout=30000)
    assert muni_page.last_import.status == "imported"
    assert muni_page.journal.rowCount() == 2
    assert [muni_page.journal.item(0, c).text() for c in (1, 2)] == ["загрузка", "успешно"]

    # a tampered copy: the report says why and offers no import
    data = bytearray(out.read_bytes())
    data[len(data) // 3] ^= 0xFF
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    muni_page.last_report = None
    muni_page.start_verify(bad)
    qtbot.waitUntil(lambda: muni_page.last_report is not None, timeout=30000)
    assert "Пакет отклонён" in muni_page.report_dialog.text.toHtml()
    assert not muni_page.report_dialog.import_button.isEnabled()
    # the refused verification is journalled with its reason
    assert muni_page.journal.rowCount() == 3
    assert [muni_page.journal.item(0, c).text() for c in (1, 2, 6)] == ["проверка", "отклонён", "bad.zip"]
    assert muni_page.journal.item(0, 7).text() == muni_page.last_report.reason != ""


def test_trust_list_management(qtbot, tmp_path, quiet_boxes):
    school = make_db(tmp_path / "s.sqlite", "S1", key=True)
    muni = make_db(tmp_path / "m.sqlite", "M1", key=True)
    from ersoko_desktop.services.keys import export_public

    pub = tmp_path / "s1.pub.json"
    with session_scope(school) as s:
        export_public(s, out=pub)
    page = Page(AppContext(engine=muni, db_label="m"))
    qtbot.addWidget(page)
    page.refresh()
    assert page.trust_export_button.isVisibleTo(page)
    page.trust_file(str(pub))
    assert page.trusted.rowCount() == 1 and page.trusted.item(0, 2).text() == "действует"
    page.trusted.selectRow(0)
    page.revoke_selected()
    assert page.trusted.item(0, 2).text() == "отозван"


def test_accept_incoming_is_an_explicit_choice_in_the_report(qtbot, tmp_path, quiet_boxes):
    """A newer local edit conflicts with the package; ticking «Принять входящие данные» takes the package's side."""
    import datetime as dt

    from ersoko_desktop.db.models import AuditEvent, ImportBatch
    from ersoko_desktop.services.packages import export_package, import_package

    school, muni, _ = school_chain(tmp_path, n=4)
    with session_scope(school) as s:
        export_package(s, out=tmp_path / "p1.zip")
    with session_scope(muni) as s:
        assert import_package(s, tmp_path / "p1.zip").status == "imported"
        local = ImportBatch(kind="results", file_name="впр.xlsx", sha256="d" * 64, rows=1,
                            imported_at=dt.datetime.now() + dt.timedelta(days=1))  # later than the school's data
        s.add(local)
        s.flush()
        row = s.scalar(select(ParticipantResult).where(ParticipantResult.participant_code == "S1-0000"))
        row.mark, row.batch_id = 4, local.id
    with session_scope(school) as s:
        s.scalar(select(ParticipantResult).where(ParticipantResult.participant_code == "S1-0001")).mark = 5
        export_package(s, out=tmp_path / "p2.zip")

    page = Page(AppContext(engine=muni, db_label="m"))
    qtbot.addWidget(page)
    page.refresh()
    page.start_verify(tmp_path / "p2.zip")
    qtbot.waitUntil(lambda: page.last_report is not None, timeout=30000)
    box = page.report_dialog.accept_incoming
    assert not box.isHidden() and not box.isChecked()  # never on by default
    box.setChecked(True)
    page.report_dialog.accept()
    qtbot.waitUntil(lambda: page.last_import is not None, timeout=30000)
    stats = page.last_import.stats
    assert stats.conflicts == [] and [c.entity for c in stats.overridden] == ["результаты"]
    assert any("Приняты данные пакета" in text for _kind, text in quiet_boxes)
    with session_scope(muni) as s:
        marks = dict(s.execute(select(ParticipantResult.participant_code, ParticipantResult.mark)).all())
        assert (marks["S1-0000"], marks["S1-0001"]) == (2, 5)  # the package's values, both
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "accept-incoming")) == 1


def test_report_names_the_municipality_corrections(qtbot):
    from ersoko_desktop.services.packages import VerifyReport
    from ersoko_desktop.ui.dialogs.packages import VerifyReportDialog

    report = VerifyReport(file="M1.zip", valid=True, status="new", package_id="x", sender_org="M1",
                          corrections={"orgs": ["S1", "S2"], "results": 40, "submissions": 1})
    dialog = VerifyReportDialog(None, report)
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    assert "Исправления муниципалитета данных школ S1, S2: результатов 40, форм 1" in text
    assert not dialog.accept_incoming.isHidden() and not dialog.accept_incoming.isChecked()
