"""The «Отчёты» dialog builds a real report through the worker and the same service as the CLI."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox
from pypdf import PdfReader

from ersoko_desktop.ui.dialogs.report_dialog import ReportDialog


def test_dialog_generates_the_roadmap_report_in_the_worker(qtbot, demo_ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(QMessageBox, "exec", lambda self: 0)  # the "report ready" box
    ctx = demo_ctx
    dialog = ReportDialog(ctx, kind="roadmap")
    qtbot.addWidget(dialog)
    assert dialog.kind.currentData() == "roadmap"
    assert dialog.org.itemData(0) is None and "Степной район" in dialog.org.itemText(0)
    assert [dialog.year.itemData(i) for i in range(1, dialog.year.count())] == [2026, 2025, 2024]
    dialog.xlsx.setChecked(True)
    assert dialog.path.text().endswith(".xlsx")
    out = tmp_path / "карта.pdf"
    dialog.pdf.setChecked(True)
    dialog.path.setText(str(out))
    request = dialog.request()
    assert (request.kind, request.fmt, request.out, request.org_code) == ("roadmap", "pdf", out, None)
    dialog.generate()
    qtbot.waitUntil(lambda: dialog.result_report is not None, timeout=60000)
    assert dialog.result_report.org == "DEMO-M1"
    text = PdfReader(out).pages[0].extract_text()
    assert "Отчёт об исполнении дорожной карты" in text


def test_dialog_reports_a_service_error_without_writing(qtbot, demo_ctx, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    ctx = demo_ctx
    dialog = ReportDialog(ctx, kind="roadmap")
    qtbot.addWidget(dialog)
    dialog.org.setCurrentIndex(dialog.org.findData("DEMO-S01"))
    out = tmp_path / "x.pdf"
    dialog.path.setText(str(out))
    dialog.generate()
    qtbot.waitUntil(lambda: bool(shown), timeout=60000)
    assert "DEMO-S01" in shown[0] and "нет дорожных карт" in shown[0]
    assert not out.exists() and dialog.make_button.isEnabled()


def test_main_window_file_menu_has_reports(qtbot, demo_ctx):
    from ersoko_desktop.ui.main_window import MainWindow

    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    file_menu = window.menuBar().actions()[0].menu()
    assert "Отчёты…" in [a.text() for a in file_menu.actions()]


def test_pages_open_the_report_that_fits_them(qtbot, demo_ctx):
    """«Отчёт…» on Показатели opens the analysis report for the chosen year (municipal for the demo's
    municipality, the school analysis for a school's database); on Дорожные карты the execution report."""
    from ersoko_desktop.settings import set_own_organization
    from ersoko_desktop.ui.views.indicators import Page as IndicatorsPage
    from ersoko_desktop.ui.views.roadmaps import Page as RoadmapsPage

    ctx = demo_ctx
    indicators = IndicatorsPage(ctx)
    qtbot.addWidget(indicators)
    indicators.refresh()
    indicators.year.setCurrentIndex(indicators.year.findData(2025))
    dialog = indicators.open_report()
    qtbot.addWidget(dialog)
    assert (dialog.kind.currentData(), dialog.year.currentData()) == ("municipal", 2025)
    assert indicators.report_button.toolTip()
    dialog.reject()

    with ctx.session() as s:
        set_own_organization(s, "DEMO-S05")
    dialog = indicators.open_report()
    qtbot.addWidget(dialog)
    assert dialog.kind.currentData() == "school"
    dialog.reject()

    roadmaps = RoadmapsPage(ctx)
    qtbot.addWidget(roadmaps)
    dialog = roadmaps.open_report()
    qtbot.addWidget(dialog)
    assert dialog.kind.currentData() == "roadmap" and dialog.isVisible()
    dialog.reject()
