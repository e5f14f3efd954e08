"""The self-test's checks pass on a working installation and report a broken feature by name
(the frozen bundle runs them all: tests/packaging/test_frozen.py)."""

from __future__ import annotations

from ersoko_desktop.services.selfcheck import run_check, run_checks
from ersoko_desktop.ui import selftest


def test_feature_checks_pass_on_the_demo_database(demo_session, tmp_path):
    checks = run_checks(demo_session, workdir=tmp_path)
    assert [c.name for c in checks if not c.ok] == [], [c.line() for c in checks]
    by_name = {c.name: c.detail for c in checks}
    assert by_name["демонстрационные данные"] == "организаций 25, результатов 26075"
    assert (tmp_path / "проверка.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "карта.docx").is_file()


def test_qt_checks_pass(qapp):
    checks = selftest.qt_checks()
    assert [c.line() for c in checks if not c.ok] == []
    assert len(checks) == 5


def test_a_failing_check_names_the_feature_and_the_error():
    def broken() -> str:
        import definitely_not_in_the_bundle  # noqa: F401

        return "не дойдёт"

    check = run_check("отчёт PDF", broken)
    assert not check.ok
    assert check.line() == "✗ отчёт PDF: ModuleNotFoundError: No module named 'definitely_not_in_the_bundle'"
