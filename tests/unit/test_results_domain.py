"""Header matching, title-row attributes and procedure specs (pure domain, no database)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ersoko_desktop.domain.headers import classify, task_id
from ersoko_desktop.domain.procedure_attrs import from_sheet_name, from_title_rows
from ersoko_desktop.domain.procedure_spec import misfit, parse_spec
from ersoko_desktop.errors import InputError
from ersoko_desktop.services.procedure_specs import shipped_specs, spec_for


@pytest.mark.parametrize("text, expected", [
    ("1", "1"), (3.0, "3"), ("3.1", "3.1"), ("3(1)", "3.1"), ("3 (1)", "3.1"), ("Задание 12", "12"),
    ("Зад. 3(2)", "3.2"), ("К1", "К1"), ("1к2", "1К2"), ("1K1", "1К1"), ("№5", "5"),
    ("2024", None), ("Код", None), ("", None), ("Класс", None),
])
def test_task_ids_are_canonical(text, expected):
    assert task_id(text) == expected


@pytest.mark.parametrize("text, field", [
    ("Код ОО", "school_code"), ("ЛОГИН ОО", "school_code"), ("Код участника", "participant_code"),
    ("Код", "participant_code"), ("№ участника", "participant_code"), ("Литера", "letter"),
    ("Сумма баллов", "primary_score"), ("Оценка", "mark"),
    ("Отметка за предыдущую четверть (триместр)", "journal_mark"), ("Отметка  за   четверть", "journal_mark"),
    ("Отметка по журналу", "journal_mark"), ("Ф.И.О.", "name"), ("Примечание", "unknown"), ("Задание 1", "task"),
])
def test_header_fields(text, field):
    assert classify(0, text).field == field


def test_title_rows_and_sheet_name():
    found = from_title_rows([["Всероссийские проверочные работы 2024"], ["Предмет:", "Русский язык"], ["Класс", "4"],
                             ["Дата проведения: 16.04.2024"], ["2023-2024 учебный год"], ["Код ОО: 0801001"]])
    values = {k: sorted({f.value for f in v}, key=str) for k, v in found.values.items()}
    assert values == {"kind": ["VPR"], "year": [2024], "subject": ["Русский язык"], "grade": [4],
                      "date": [dt.date(2024, 4, 16)], "school": ["0801001"]}
    assert found.values["grade"][0].where == "строка 3"
    sheet = from_sheet_name("ОГЭ_2025_Математика_9 класс")
    assert {k: v[0].value for k, v in sheet.values.items()} == {"kind": "OGE", "year": 2025, "grade": 9,
                                                                "subject": "Математика"}


def test_spec_marks_and_misfits():
    spec = parse_spec({"tasks": [{"id": "1", "max": 2}, {"id": "2(1)", "max": 3}], "thresholds": {"3": 2, "4": 3, "5": 5}},
                      "тест")
    assert spec.max_score == 5 and spec.task_ids == ["1", "2.1"]
    marks = spec.marks_for(np.array([0, 1, 2, 3, 4, 5, np.nan]))
    assert marks[:6].tolist() == [2, 2, 3, 4, 4, 5] and np.isnan(marks[6])
    assert misfit(spec, ["1", "2.1"], None) is None
    assert misfit(spec, ["1"], None) == "в файле 1 заданий, в спецификации 2"
    assert "задания 2.1: в файле 2, в спецификации 3" in misfit(spec, ["1", "2.1"], {"1": 2, "2.1": 2})


@pytest.mark.parametrize("data, fragment", [
    ({"tasks": []}, "нет списка заданий"),
    ({"tasks": [{"id": "1", "max": 2}], "max_score": 3, "thresholds": {"3": 1, "4": 2, "5": 2}}, "max_score = 3"),
    ({"tasks": [{"id": "1", "max": 5}], "thresholds": {"3": 3, "4": 2, "5": 4}}, "должны возрастать"),
    ({"tasks": [{"id": "1", "max": 5, "level": "средний"}], "thresholds": {"3": 1, "4": 2, "5": 3}}, "уровень"),
    ({"tasks": [{"id": "1", "max": 1}, {"id": "1", "max": 1}], "thresholds": {"3": 1, "4": 1, "5": 2}}, "дважды"),
])
def test_bad_specs_are_refused_with_a_reason(data, fragment):
    with pytest.raises(InputError) as info:
        parse_spec(data, "«x.yaml»")
    assert fragment in info.value.message


def test_shipped_specs_are_valid_and_found():
    names = {s.name for s in shipped_specs()}
    assert {"vpr_2024_matematika_5.yaml", "vpr_2024_russkiy_4.yaml"} <= names
    math = spec_for("VPR", "Математика", 5, 2024).spec
    assert (math.max_score, len(math.tasks), math.thresholds) == (20, 14, {3: 5, 4: 10, 5: 15})
    russian = spec_for("VPR", "Русский язык", 4, 2025).spec
    assert (russian.max_score, russian.thresholds[3]) == (38, 14)
    assert spec_for("VPR", "Математика", 5, 2019) is None


@pytest.mark.parametrize("scores", [
    [[1, 0, 2], [2, 2, 2]],
    [[0.5, float("nan")], [float("nan"), float("nan")], [3, 0.25]],
    [[7]],
    [[], []],
])
def test_task_scores_json_is_one_json_text_per_row(scores):
    import json

    import numpy as np

    from ersoko_desktop.services.results_import import _task_scores_json

    arr = np.array(scores, dtype=float).reshape(len(scores), -1)
    texts = _task_scores_json(arr)
    expected = [[None if v != v else (int(v) if float(v).is_integer() else v) for v in row] for row in scores]
    assert [json.loads(t) for t in texts] == expected
