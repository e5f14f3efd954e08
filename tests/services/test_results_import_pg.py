"""Two results imports of the same new procedure at once on the regional PostgreSQL server.

Made deterministic as in tests/packages/test_concurrent_imports_pg.py: import A is written but not
committed, import B starts in another thread and is seen waiting on a lock, then A commits.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ersoko_desktop.db import session_scope
from ersoko_desktop.db.models import ImportBatch, ParticipantResult, Procedure
from ersoko_desktop.services.results_import import import_results

from ..pg import overlap
from .results_files import FULL, MATH5_TITLE, SCHOOLS, SEVEN, TWO, add_registry, math5_header, math5_row, write_xlsx

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
S1, S2, _ = SCHOOLS


def _file(path, rows):
    return write_xlsx(path, [*MATH5_TITLE, math5_header(), *rows])


def _overlap(engine, first_path, second_path):
    return overlap(engine, lambda s: import_results(s, first_path), lambda s: import_results(s, second_path))


def _count(engine, model, *where) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_two_schools_of_a_new_procedure_imported_at_once_both_land(engine, tmp_path):
    with session_scope(engine) as s:
        add_registry(s)
    school_1 = _file(tmp_path / "s1.xlsx", [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S1, "2", SEVEN, 7, 3, 3)])
    school_2 = _file(tmp_path / "s2.xlsx", [math5_row(S2, "1", TWO, 2, 2, 3)])
    first, second, waited = _overlap(engine, school_1, school_2)
    assert waited, "B never waited for A: the imports did not overlap"
    assert (first.imported, second.imported, second.replaced, second.unchanged) == (2, 1, 0, 0)
    assert _count(engine, Procedure) == 1
    assert _count(engine, ParticipantResult) == 3
    assert _count(engine, ImportBatch) == 2


def test_the_same_file_imported_twice_at_once_lands_once(engine, tmp_path):
    with session_scope(engine) as s:
        add_registry(s)
    path = _file(tmp_path / "s1.xlsx", [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S1, "2", SEVEN, 7, 3, 3)])
    first, second, waited = _overlap(engine, path, path)
    assert waited
    assert first.imported == 2
    assert (second.already_imported, second.imported, second.unchanged) == (True, 0, 2)
    assert _count(engine, ParticipantResult) == 2 and _count(engine, ImportBatch) == 1


def test_a_school_imported_twice_at_once_into_an_existing_procedure_compares_with_the_first(engine, tmp_path):
    """The procedure exists already (school 2 imported earlier); the school-1 file and its corrected
    version are imported at once: the second waits for the first and replaces only what differs."""
    with session_scope(engine) as s:
        add_registry(s)
        import_results(s, _file(tmp_path / "s2.xlsx", [math5_row(S2, "1", TWO, 2, 2, 3)]))
    v1 = _file(tmp_path / "v1.xlsx", [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S1, "2", SEVEN, 7, 3, 3)])
    v2 = _file(tmp_path / "v2.xlsx", [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S1, "2", FULL, 20, 5, 5)])
    first, second, waited = _overlap(engine, v1, v2)
    assert waited, "B never waited for A: the imports did not overlap"
    assert first.imported == 2
    assert (second.imported, second.replaced, second.unchanged) == (0, 1, 1)  # participant 2 corrected
    with session_scope(engine) as s:
        marks = sorted(s.scalars(select(ParticipantResult.mark)).all())
    assert _count(engine, ParticipantResult) == 3 and _count(engine, ImportBatch) == 3
    assert marks == [2, 5, 5]                   # S2's «2», S1's «5» and the corrected «5»


def test_the_same_file_twice_at_once_into_an_existing_procedure_lands_once(engine, tmp_path):
    with session_scope(engine) as s:
        add_registry(s)
        import_results(s, _file(tmp_path / "s2.xlsx", [math5_row(S2, "1", TWO, 2, 2, 3)]))
    path = _file(tmp_path / "s1.xlsx", [math5_row(S1, "1", FULL, 20, 5, 5), math5_row(S1, "2", SEVEN, 7, 3, 3)])
    first, second, waited = _overlap(engine, path, path)
    assert waited
    assert first.imported == 2 and second.already_imported
    assert _count(engine, ParticipantResult) == 3 and _count(engine, ImportBatch) == 2
