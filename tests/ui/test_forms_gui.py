"""The generated form editor: filling it, live validation turning a field red with the Russian
message, computed fields; the «Формы» page saving through the service."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QTableWidget, QTableWidgetItem

from ersoko_desktop.formspec import load_shipped
from ersoko_desktop.ui.form_editor import FormEditor

FORMS = Path(__file__).resolve().parents[2] / "forms"


@pytest.fixture(scope="module")
def specs():
    return {s.id: s for s in load_shipped(FORMS)}


def test_editor_is_generated_from_the_definition(qtbot, specs):
    spec = specs["vsoko_self_evaluation"]
    editor = FormEditor(spec)
    qtbot.addWidget(editor)
    assert set(editor.inputs) == {f.id for f in spec.fields}
    assert isinstance(editor.inputs["teachers_total"], QLineEdit)
    assert isinstance(editor.inputs["fire_alarm"], QComboBox)
    internet = editor.inputs["internet_speed"]
    assert [internet.itemText(i) for i in range(1, internet.count())] == [o.label for o in
                                                                           spec.field("internet_speed").options]
    assert isinstance(editor.inputs["internal_procedures"], QTableWidget)
    assert editor.inputs["higher_ed_share"].isReadOnly()


def test_filling_a_field_turns_it_red_with_the_message_and_back(qtbot, specs):
    editor = FormEditor(specs["school_context"])
    qtbot.addWidget(editor)
    editor.show()
    students = editor.inputs["students_total"]
    qtbot.keyClicks(students, "12x")  # QTest types ASCII only; Cyrillic input is covered by setText below
    assert editor.is_invalid("students_total")
    assert "ожидалось целое число, получено «12x»" in editor.message("students_total")
    assert editor.messages["students_total"].isVisible()
    assert "#d64545" in students.styleSheet()
    students.setText("сто")
    assert "получено «сто»" in editor.message("students_total")
    students.clear()
    qtbot.keyClicks(students, "80")
    assert not editor.is_invalid("students_total")
    assert not editor.messages["students_total"].isVisible()
    # computed fields follow the input: 80 < 100 → small school; 4 of 80 with ОВЗ → 5 %
    qtbot.keyClicks(editor.inputs["students_ovz"], "4")
    assert editor.inputs["small_school"].text() == "Да"
    assert editor.inputs["ovz_share"].text() == "5,0"
    # a cross-field rule marks the field it is about
    qtbot.keyClicks(editor.inputs["classes_total"], "90")
    assert editor.is_invalid("classes_total")
    assert "Классов-комплектов не может быть больше" in editor.message("classes_total")
    # percent range
    qtbot.keyClicks(editor.inputs["low_income_share"], "130")
    assert "больше допустимого максимума 100" in editor.message("low_income_share")
    rural = editor.inputs["rural"]
    rural.setCurrentIndex(rural.findText("Да"))
    values = editor.raw_values()
    assert values["rural"] is True and values["students_total"] == "80"


def test_table_cells_and_checklist_score(qtbot, specs):
    editor = FormEditor(specs["vsoko_self_evaluation"])
    qtbot.addWidget(editor)
    table = editor.inputs["internal_procedures"]
    for j, text in enumerate(["Стартовая", "5", "Сентябрь", "много"]):
        table.setItem(0, j, QTableWidgetItem(text))
    assert editor.is_invalid("internal_procedures")
    assert "строка 1, «Участников»: ожидалось целое число" in editor.message("internal_procedures")
    checklist = FormEditor(specs["mmuko_1_1"])
    qtbot.addWidget(checklist)
    for fid in ("i01_roadmap", "i04_reglaments"):
        combo = checklist.inputs[fid]
        combo.setCurrentIndex(combo.findText("Да"))
    assert checklist.score_label.text() == "Баллы: 3 из 25 (12,0 %)"  # 2 + 1 of 25


def test_read_only_editor_for_a_submitted_form(qtbot, specs):
    editor = FormEditor(specs["school_context"], {"students_total": 120}, read_only=True)
    qtbot.addWidget(editor)
    assert editor.inputs["students_total"].isReadOnly()
    assert not editor.inputs["rural"].isEnabled()


def test_forms_page_lists_opens_and_saves(qtbot, demo_ctx):
    from ersoko_desktop.services import forms
    from ersoko_desktop.ui.views.forms import Page

    ctx = demo_ctx
    page = Page(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    page.period.setCurrentText("2025/26")
    assert any(r.form_id == "school_context" for r in page.rows)
    page.select("DEMO-S02", "vsoko_self_evaluation")
    assert page.editor is not None and page.view.org_code == "DEMO-S02"
    assert page.save_button.isVisible() == page.view.editable
    page.period.setCurrentText("2025")
    page.select("DEMO-M1", "mmuko_1_1")
    assert page.editor.score_label.text() == "Баллы: 24 из 25 (96,0 %)"
    assert page.dynamics.text() == "Динамика критерия 1.1: 2024 — 60 % → 2025 — 96 %"
    assert not page.save_button.isVisible()  # submitted: read-only until returned
    page.period.setCurrentText("2026/27")
    target = next(r for r in page.rows if r.status in (None, "draft") and r.form_id == "school_context")
    page.select(target.org_code, "school_context")
    students = page.editor.inputs["students_total"]
    students.clear()
    qtbot.keyClicks(students, "abc")
    assert page.editor.is_invalid("students_total")
    assert any("ожидалось целое число" in page.panel.item(i).text() for i in range(page.panel.count()))
    students.clear()
    qtbot.keyClicks(students, "321")
    task = page.save()
    qtbot.waitUntil(lambda: task.finished, timeout=15000)
    assert task.exception is None
    with ctx.session() as s:
        view = forms.open_submission(s, form_id="school_context", org_code=target.org_code, period="2026/27")
    assert view.values["students_total"] == 321


def test_attach_button_stores_the_document_and_shows_its_name(qtbot, demo_ctx, tmp_path, monkeypatch):
    """«Прикрепить…» on an evidence field: the chosen file is stored by its SHA-256 and named in the editor."""
    import hashlib

    from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton
    from sqlalchemy import select

    from ersoko_desktop.db.models import Evidence
    from ersoko_desktop.settings import set_own_organization
    from ersoko_desktop.ui.views.forms import Page

    ctx = demo_ctx
    with ctx.session() as s:
        set_own_organization(s, "DEMO-S04")  # a school editing its own draft
    document = tmp_path / "отчёт о самообследовании.pdf"
    document.write_bytes(b"%PDF-1.4 demo")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(document), "")))
    page = Page(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    page.period.setCurrentText("2025/26")
    page.select("DEMO-S04", "vsoko_self_evaluation")
    assert page.view.status == "draft" and page.editor is not None
    label = page.editor.findChild(QLabel, "public_report_file__evidence")
    assert "не прикреплены" in label.text()
    button = next(b for b in label.parent().findChildren(QPushButton) if b.text() == "Прикрепить…")
    finished: list = []
    monkeypatch.setattr(page, "attach", _recording(page.attach, finished))
    page.editor.attach_requested.disconnect()
    page.editor.attach_requested.connect(page.attach)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: finished and finished[0].finished, timeout=15000)
    assert finished[0].exception is None
    with ctx.session() as s:
        ev = s.scalar(select(Evidence).where(Evidence.field_id == "public_report_file"))
        assert ev.file_name == "отчёт о самообследовании.pdf"
        assert ev.sha256 == hashlib.sha256(b"%PDF-1.4 demo").hexdigest()
    label = page.editor.findChild(QLabel, "public_report_file__evidence")  # the editor was rebuilt
    assert "отчёт о самообследовании.pdf" in label.text()


def _recording(fn, sink: list):
    def wrapper(*args, **kwargs):
        task = fn(*args, **kwargs)
        sink.append(task)
        return task
    return wrapper
