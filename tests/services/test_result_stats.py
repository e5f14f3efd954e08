"""The result_stats cache: computed once, read afterwards, invalidated by every way results change
(results import, package import, ORM edits and deletions), and the count safety net."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from ersoko_desktop.db import session_scope
from ersoko_desktop.db.models import Organization, ParticipantResult, Procedure, ResultStatsBlock
from ersoko_desktop.services.indicators import compute_indicators
from ersoko_desktop.services.result_stats import invalidate
from ersoko_desktop.services.results_import import ImportOptions, ResultsRejected, import_results

from .results_files import MATH5_TITLE, SCHOOLS, SEVEN, TWELVE, add_registry, math5_header, math5_row, write_xlsx
from .test_indicators_service import by_org, fill

pytestmark = pytest.mark.both_dbs


def quality(session, code, **kw):
    return by_org(compute_indicators(session, level="school", **kw), code)["quality"]


def blocks(session) -> dict[str, tuple]:
    """school code → (generation, rows, cached?)."""
    rows = session.execute(select(Organization.code, ResultStatsBlock.generation, ResultStatsBlock.rows,
                                  ResultStatsBlock.data)
                           .join(Organization, Organization.id == ResultStatsBlock.school_id)).all()
    return {code: (g, n, data is not None) for code, g, n, data in rows}


def test_computed_once_then_read_until_invalidated(session):
    # S1: «5», «4», «3», «2» → quality 2/4 = 50 %
    fill(session, {("S1", 2025): [(5, 5), (4, 4), (3, 3), (2, 2)]})
    assert blocks(session)["S1"][2] is False          # the ORM insert left the block stale
    assert quality(session, "S1") == 50.0
    assert blocks(session)["S1"][1:] == (4, True)       # computed once, stored
    # A change that bypasses every writer (raw SQL, same row count) is not seen: the cache is read.
    session.execute(text("UPDATE participant_result SET mark = 5"))
    assert quality(session, "S1") == 50.0
    # invalidate() — what every writer calls — makes the next computation read the results again.
    proc = session.scalar(select(Procedure.id))
    school = session.scalar(select(Organization.id).where(Organization.code == "S1"))
    generation = blocks(session)["S1"][0]
    invalidate(session, procedure_id=proc, school_ids=[school])
    assert blocks(session)["S1"] == (generation + 1, None, False)
    assert quality(session, "S1") == 100.0


def test_orm_edits_and_deletions_invalidate(session):
    fill(session, {("S1", 2025): [(5, 5), (4, 4), (3, 3), (2, 2)], ("S2", 2025): [(3, 3)] * 4})
    assert quality(session, "S1") == 50.0 and quality(session, "S2") == 0.0
    row = session.scalar(select(ParticipantResult).where(ParticipantResult.mark == 2))
    row.mark = 4                                        # S1: 5, 4, 3, 4 → 3/4
    session.flush()
    assert blocks(session)["S1"][2] is False and blocks(session)["S2"][2] is True
    assert quality(session, "S1") == 75.0
    session.delete(session.scalar(select(ParticipantResult).where(ParticipantResult.mark == 3,
                                                                  ParticipantResult.participant_code.like("S1%"))))
    session.flush()                                     # S1: 5, 4, 4 → 100 %
    assert quality(session, "S1") == 100.0
    assert by_org(compute_indicators(session, level="school"), "S1")["n"] == 3


def test_count_safety_net_catches_a_writer_that_forgot(session):
    fill(session, {("S1", 2025): [(5, 5), (4, 4), (3, 3), (2, 2)]})
    assert quality(session, "S1") == 50.0
    # Rows deleted behind the cache's back (no invalidate): the result count no longer matches.
    session.execute(text("DELETE FROM participant_result WHERE mark <= 3"))
    df = compute_indicators(session, level="school")
    assert (by_org(df, "S1")["n"], by_org(df, "S1")["quality"]) == (2, 100.0)
    assert blocks(session)["S1"][1:] == (2, True)


def test_results_import_leaves_the_statistics_of_what_it_wrote_computed(session, tmp_path):
    add_registry(session)
    s1, s2 = SCHOOLS[0], SCHOOLS[1]
    first = write_xlsx(tmp_path / "v1.xlsx", [*MATH5_TITLE, math5_header(),
                                              math5_row(s1, "1", TWELVE, 12, 4, 4), math5_row(s1, "2", SEVEN, 7, 3, 3)])
    import_results(session, first, options=ImportOptions(year=2024))
    assert blocks(session)[s1][1:] == (2, True)          # computed by the import itself, before any reader
    # The indicators are read from that cache: a raw change behind it (same row count) is not seen.
    session.execute(text("UPDATE participant_result SET mark = 2"))
    assert quality(session, s1) == 50.0                  # «4», «3» as imported
    # put the marks back as imported
    session.execute(text("UPDATE participant_result SET mark = 3 WHERE participant_code = '2'"))
    session.execute(text("UPDATE participant_result SET mark = 4 WHERE participant_code = '1'"))
    generation = blocks(session)[s1][0]
    corrected = write_xlsx(tmp_path / "v2.xlsx", [*MATH5_TITLE, math5_header(),
                                                  math5_row(s1, "1", TWELVE, 12, 4, 4),
                                                  math5_row(s1, "2", TWELVE, 12, 4, 4)])
    report = import_results(session, corrected, options=ImportOptions(year=2024))
    assert (report.replaced, report.unchanged) == (1, 1)  # participant 2 changed, participant 1 did not
    assert blocks(session)[s1] == (generation + 1, 2, True)  # invalidated and computed again
    assert quality(session, s1) == 100.0                 # «4», «4»
    # A second school's rows added to the same procedure: its block computed, S1's left as it was.
    added = write_xlsx(tmp_path / "v3.xlsx", [*MATH5_TITLE, math5_header(), math5_row(s2, "7", SEVEN, 7, 3, 3)])
    import_results(session, added, options=ImportOptions(year=2024))
    assert blocks(session)[s2][1:] == (1, True) and blocks(session)[s1] == (generation + 1, 2, True)
    assert quality(session, s2) == 0.0                   # one «3»


def test_dry_run_and_refused_import_leave_the_cache_alone(session, tmp_path):
    add_registry(session)
    s1 = SCHOOLS[0]
    good = write_xlsx(tmp_path / "v1.xlsx", [*MATH5_TITLE, math5_header(), math5_row(s1, "1", TWELVE, 12, 4, 4)])
    import_results(session, good, options=ImportOptions(year=2024, dry_run=True))
    assert blocks(session) == {}
    bad = write_xlsx(tmp_path / "v2.xlsx", [*MATH5_TITLE, math5_header(), math5_row(s1, "1", TWELVE, 12, 4, 4),
                                            math5_row(s1, "2", TWELVE, 12, 9, 4)])  # no mark «9»
    with pytest.raises(ResultsRejected):
        import_results(session, bad, options=ImportOptions(year=2024))
    session.rollback()
    assert blocks(session) == {}


def test_package_import_invalidates_and_warms_the_cache(tmp_path, db_backend):
    if db_backend != "sqlite":
        pytest.skip("the package flow between desktop databases is SQLite; the region server is covered by the benchmark")
    from ersoko_desktop.services.packages import export_package, import_package
    from tests.packages.helpers import school_chain

    school, muni, _ = school_chain(tmp_path, n=8)                        # marks 2, 3, 4, 5, 2, 3, 4, 5 → quality 50 %
    with session_scope(school) as s:
        export_package(s, out=tmp_path / "p1.zip")
    with session_scope(muni) as s:
        assert import_package(s, tmp_path / "p1.zip").status == "imported"
    with session_scope(muni) as s:
        assert blocks(s)["S1"][1:] == (8, True)          # computed during the import
        assert quality(s, "S1") == 50.0
    with session_scope(school) as s:
        for row in s.scalars(select(ParticipantResult).where(ParticipantResult.mark == 2)):
            row.mark = 4                                 # 4, 3, 4, 5, 4, 3, 4, 5 → 75 %
        export_package(s, out=tmp_path / "p2.zip")
    with session_scope(muni) as s:
        assert import_package(s, tmp_path / "p2.zip").status == "imported"
    with session_scope(muni) as s:
        assert quality(s, "S1") == 75.0


def test_recomputed_in_batches_of_schools_gives_the_same_numbers(session, monkeypatch):
    """Memory is bounded by reading a few schools at a time; the numbers must not depend on the cut."""
    from ersoko_desktop.services import result_stats

    monkeypatch.setattr(result_stats, "BATCH_ROWS", 4)   # S1 (5 rows) alone; S2 (4) alone; S3 (1)
    monkeypatch.setattr(result_stats, "IN_CHUNK", 2)
    fill(session, {("S1", 2025): [(5, 5), (4, 4), (3, 3), (2, 2), (4, 4)],   # quality 3/5 = 60 %
                   ("S2", 2025): [(3, 3), (3, 3), (4, 4), (5, 5)],           # 2/4 = 50 %
                   ("S3", 2025): [(2, 2)]})                                  # 0 %
    df = compute_indicators(session, level="school")
    assert [by_org(df, c)["quality"] for c in ("S1", "S2", "S3")] == [60.0, 50.0, 0.0]
    assert [by_org(df, c)["n"] for c in ("S1", "S2", "S3")] == [5, 4, 1]
    # M1 = S1 + S2: (3 + 2) / 9 = 55.6 %; every block stored
    assert by_org(compute_indicators(session, level="municipality"), "M1")["quality"] == 55.6
    assert {code: b[1:] for code, b in blocks(session).items()} == {"S1": (5, True), "S2": (4, True), "S3": (1, True)}
