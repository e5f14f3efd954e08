"""Thresholds of the signs as edited on «Настройки»: descriptions, validation, storage, precedence."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from ersoko_desktop.errors import InputError
from ersoko_desktop.services.objectivity import (
    ObjectivityParams,
    ShnorParams,
    objectivity_params,
    shnor_params,
)
from ersoko_desktop.services.thresholds import (
    SPEC_BY_KEY,
    SPECS,
    format_number,
    parse_thresholds,
    reset_thresholds,
    save_thresholds,
    threshold_rows,
)
from ersoko_desktop.settings import get_db_setting
from tests.server_fixtures import keyring_file, server_roles  # noqa: F401


def test_every_engine_parameter_is_described_in_russian():
    engine_keys = {f"objectivity.{f.name}" for f in fields(ObjectivityParams)} | {
        f"shnor.{f.name}" for f in fields(ShnorParams)}
    assert set(SPEC_BY_KEY) == engine_keys
    for spec in SPECS:
        assert spec.label and len(spec.tooltip) > 30
        assert any("а" <= ch <= "я" for ch in spec.tooltip.lower())
        assert spec.minimum <= spec.default <= spec.maximum, spec.key


def test_defaults_are_those_of_the_guide(session):
    rows = {r.spec.key: r for r in threshold_rows(session)}
    # GUIDE §4: N ≥ 10; S1 25 p.p., 2× and 30 %; S2 30 % / 50 %; S3 25 p.p. / 0.5; S4 N ≥ 30, ¼, 1.4×;
    # S5 10 p.p.; risk ≥ 2 signs; ШНОР «2» ≥ 25 %, lowest 10 %, ≥ 2 procedures, 2 years.
    expected = {"objectivity.min_n": 10, "objectivity.s1_quality_gap": 25, "objectivity.s1_five_ratio": 2,
                "objectivity.s1_five_min": 30, "objectivity.s2_lowered": 30, "objectivity.s2_mismatch": 50,
                "objectivity.s3_quality_delta": 25, "objectivity.s3_mean_mark_delta": 0.5,
                "objectivity.s4_min_n": 30, "objectivity.s4_below_ratio": 0.25, "objectivity.s4_above_ratio": 1.4,
                "objectivity.s5_gap": 10, "objectivity.risk_min_signs": 2, "shnor.share2": 25,
                "shnor.low_percentile": 10, "shnor.min_procedures": 2, "shnor.years": 2}
    for key, value in expected.items():
        assert rows[key].value == value and rows[key].is_default, key


def test_bad_values_are_all_reported_with_label_and_range():
    with pytest.raises(InputError) as info:
        parse_thresholds({"objectivity.min_n": "2,5", "objectivity.s1_five_min": "150",
                          "shnor.share2": "много", "objectivity.s4_below_ratio": "-0,1", "shnor.nothing": "1"})
    messages = [d.message for d in info.value.diagnostics]
    assert messages == [
        "«Минимальное число участников (N)»: ожидается целое число от 1 до 1000, введено «2,5».",
        "«S1: доля «5» не меньше»: ожидается число от 0 до 100, введено «150».",
        "«ШНОР: доля «2» не меньше»: ожидается число от 0 до 100, введено «много».",
        "«S4: баллов перед границей не больше доли от муниципальной»: ожидается число от 0 до 1, введено «-0,1».",
        "неизвестный параметр «shnor.nothing»",
    ]
    assert info.value.message == "Пороги не сохранены: исправьте значения."


def test_save_is_read_by_the_objectivity_service_and_cli_options_still_win(session):
    changed = save_thresholds(session, {"objectivity.min_n": "15", "objectivity.s3_mean_mark_delta": "0,75",
                                        "shnor.share2": " 20,5 ", "objectivity.s1_quality_gap": "25"})
    assert changed == ["Минимальное число участников (N)", "S3: изменение средней отметки за год не меньше",
                       "ШНОР: доля «2» не меньше"]
    params = objectivity_params(session)
    assert (params.min_n, params.s3_mean_mark_delta, params.s1_quality_gap) == (15, 0.75, 25.0)
    assert shnor_params(session).share2 == 20.5
    assert objectivity_params(session, overrides={"min_n": 3}).min_n == 3  # defaults → setting → CLI
    assert json.loads(get_db_setting(session, "objectivity_params"))["min_n"] == 15
    # A failing save changes nothing.
    with pytest.raises(InputError):
        save_thresholds(session, {"objectivity.min_n": "20", "shnor.years": "0"})
    assert objectivity_params(session).min_n == 15
    assert save_thresholds(session, {"objectivity.min_n": "15"}) == []


def test_reset_restores_defaults_and_removes_the_settings(session):
    save_thresholds(session, {"objectivity.s5_gap": "12", "shnor.years": "3"})
    assert sorted(reset_thresholds(session)) == ["S5: задания повышенного уровня решены лучше базовых на",
                                                "ШНОР: лет подряд"]
    assert get_db_setting(session, "objectivity_params") is None and get_db_setting(session, "shnor_params") is None
    assert objectivity_params(session) == ObjectivityParams() and shnor_params(session) == ShnorParams()
    assert reset_thresholds(session) == []


def test_numbers_are_shown_with_a_decimal_comma():
    assert [format_number(v) for v in (10, 25.0, 0.25, 1.4, 0.5)] == ["10", "25", "0,25", "1,4", "0,5"]


def test_a_read_only_server_role_gets_a_clear_answer(server_roles, keyring_file):
    """The analyst role of ``server init`` may read the thresholds but not change them."""
    import keyring

    from ersoko_desktop.db import make_engine, session_scope
    from ersoko_desktop.errors import WorkflowError

    role = server_roles.analyst
    keyring.set_password("ersoko-desktop", f"{role}@127.0.0.1:{server_roles.port}/{server_roles.database}",
                         server_roles.passwords[role])
    engine = make_engine(server_roles.url(role))
    try:
        with session_scope(engine) as session:
            assert threshold_rows(session)[0].value == 10
        with pytest.raises(WorkflowError, match="у этой роли на сервере только чтение"):
            with session_scope(engine) as session:
                save_thresholds(session, {"objectivity.min_n": "12"})
    finally:
        engine.dispose()
