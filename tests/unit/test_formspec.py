"""Form definitions: the schema check, coercion, computed fields, rules, tables, checklist points."""

from pathlib import Path

import pytest
import yaml

from ersoko_desktop.errors import InputError
from ersoko_desktop.formspec import check_period, coerce, load_shipped, parse_definition, validate
from ersoko_desktop.formspec.loader import definition_hash, definition_files, parse_yaml_text
from ersoko_desktop.formspec.validation import filled_share, score
from ersoko_desktop.formspec.values import CoercionError
from ersoko_desktop.formspec.versions import map_values

FORMS = Path(__file__).resolve().parents[2] / "forms"


def minimal(**extra) -> dict:
    data = {
        "id": "demo_form", "version": "1.0", "title": "Тестовая форма", "level": "school", "period": "school_year",
        "sections": [{"id": "main", "title": "Основное", "fields": [
            {"id": "teachers_total", "type": "integer", "label": "Всего педагогов", "required": True, "min": 0},
            {"id": "teachers_with_category", "type": "integer", "label": "С категорией", "min": 0},
            {"id": "share", "type": "percent", "label": "Доля с категорией",
             "compute": "teachers_with_category / teachers_total * 100", "round": 1},
        ]}],
        "rules": [{"id": "cat_le_total", "expr": "teachers_with_category <= teachers_total",
                   "message": "С категорией не больше, чем всего."}],
    }
    data.update(extra)
    return data


def test_every_shipped_form_passes_the_schema():
    files = definition_files(FORMS)
    assert {p.name for p in files} >= {"school_context.form.yaml", "vsoko_self_evaluation.form.yaml",
                                       "mmuko_1_1.form.yaml", "mmuko_1_2.form.yaml", "municipal_summary.form.yaml"}
    specs = {s.id: s for s in load_shipped(FORMS)}
    assert len(specs) == len(files)
    for spec in specs.values():
        assert spec.title and spec.sections and len(spec.sha256) == 64
        # the hash is over the canonical definition, so it is reproducible from the file
        assert spec.sha256 == definition_hash(yaml.safe_load((FORMS / f"{spec.id}.form.yaml").read_text("utf-8")))


def test_school_context_has_the_fields_the_indicators_engine_reads():
    spec = next(s for s in load_shipped(FORMS) if s.id == "school_context")
    assert (spec.level, spec.period) == ("school", "school_year")
    assert spec.field("rural").type == "yesno"
    assert spec.field("students_total").type == "integer"
    for fid in ("low_income_share", "non_russian_share"):
        f = spec.field(fid)
        assert (f.type, f.min, f.max) == ("percent", 0, 100)


def test_mmuko_checklists_have_points_and_evidence():
    specs = {s.id: s for s in load_shipped(FORMS)}
    c11, c12 = specs["mmuko_1_1"], specs["mmuko_1_2"]
    assert (c11.mmuko_criterion, c12.mmuko_criterion) == ("1.1", "1.2")
    # 15 of 25 points is 60 %, 24 of 25 is 96 % (the district's 2021 → 2022 values)
    assert c11.max_points == 25
    assert c12.max_points == 27
    items = [f for f in c11.fields if f.points]
    assert len(items) == 19 and all(f.evidence and f.type == "yesno" for f in items)


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d["sections"][0]["fields"][0].update(type="number"), "неизвестный тип «number»"),
    (lambda d: d["sections"][0]["fields"][0].update(reqired=True), "неизвестный ключ «reqired»"),
    (lambda d: d["rules"][0].update(expr="teachers_with_category <= teachers_all"), "teachers_all"),
    (lambda d: d["sections"][0]["fields"].append({"id": "teachers_total", "type": "text", "label": "x"}),
     "поле «teachers_total» повторяется"),
    (lambda d: d.update(level="district"), "уровень «district»"),
    (lambda d: d["sections"][0]["fields"][1].update(min=10, max=5), "min (10) больше max (5)"),
    (lambda d: d["sections"][0]["fields"][0].update(options=["a"]), "«options» допустим только"),
    (lambda d: d["sections"][0]["fields"][0].update(id="Учителя"), "латинских строчных букв"),
    (lambda d: d["rules"][0].update(expr="__import__('os').system('calc')"), "не разрешена"),
    (lambda d: d["sections"][0]["fields"][2].update(compute="teachers_total.__class__"), "не разрешена"),
])
def test_schema_errors_are_located_and_russian(mutate, needle):
    data = minimal()
    mutate(data)
    with pytest.raises(InputError) as exc:
        parse_definition(data, source="demo.form.yaml")
    text = str(exc.value)
    assert needle in text
    assert "demo.form.yaml" in text


def test_computed_cycle_is_refused():
    data = minimal()
    data["sections"][0]["fields"] += [
        {"id": "a", "type": "decimal", "label": "A", "compute": "b + 1"},
        {"id": "b", "type": "decimal", "label": "B", "compute": "a + 1"},
    ]
    with pytest.raises(InputError, match="по кругу"):
        parse_definition(data)


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(InputError) as exc:
        parse_yaml_text("id: x\nsections: [\n  - a: b\n", source="bad.form.yaml")
    assert exc.value.diagnostics[0].row is not None
    assert "bad.form.yaml" in str(exc.value)


def test_coercion_accepts_what_people_type():
    spec = parse_definition(minimal())
    integer = spec.field("teachers_total")
    assert coerce(integer, " 12 ") == 12
    assert coerce(integer, 12.0) == 12
    assert coerce(integer, "") is None
    with pytest.raises(CoercionError, match="ожидалось целое число, получено «12,5»"):
        coerce(integer, "12,5")
    with pytest.raises(CoercionError, match="ожидалось целое число, получено «много»"):
        coerce(integer, "много")
    shipped = {s.id: s for s in load_shipped(FORMS)}
    ctx = shipped["school_context"]
    assert coerce(ctx.field("low_income_share"), "35,5 %") == 35.5
    assert coerce(ctx.field("rural"), "Да") is True
    assert coerce(ctx.field("rural"), "нет") is False
    with pytest.raises(CoercionError, match="«Да» или «Нет»"):
        coerce(ctx.field("rural"), "иногда")
    vsoko = shipped["vsoko_self_evaluation"]
    assert coerce(vsoko.field("vsoko_regulation_date"), "01.09.2024") == "2024-09-01"
    with pytest.raises(CoercionError, match="ДД.ММ.ГГГГ"):
        coerce(vsoko.field("vsoko_regulation_date"), "1 сентября")
    assert coerce(vsoko.field("internet_speed"), "свыше 50 Мбит/с") == "gt50"
    with pytest.raises(CoercionError, match="не из списка"):
        coerce(vsoko.field("internet_speed"), "5G")


def test_validation_computes_and_checks_rules():
    spec = parse_definition(minimal())
    ok = validate(spec, {"teachers_total": "8", "teachers_with_category": 6})
    assert ok.ok and ok.values["share"] == 75.0  # 6 / 8 · 100
    bad = validate(spec, {"teachers_total": 8, "teachers_with_category": 10})
    rule_issues = [i for i in bad.issues if i.rule_id == "cat_le_total"]
    assert len(rule_issues) == 1
    assert rule_issues[0].field_id == "teachers_with_category"
    assert rule_issues[0].fields == ("teachers_with_category", "teachers_total")
    # the computed share is 125 %: out of the percent range, so it is reported with its inputs
    share_issue = [i for i in bad.issues if i.field_id == "share"]
    assert share_issue and "больше допустимого максимума 100" in share_issue[0].message
    # rule cannot be checked while a value is missing; a required field is reported unless it is a draft
    partial = validate(spec, {"teachers_with_category": 10})
    assert [i.field_id for i in partial.issues] == ["teachers_total"]
    assert "обязательное поле" in partial.issues[0].message
    assert validate(spec, {"teachers_with_category": 10}, check_required=False).ok
    # division by zero leaves the computed field empty instead of failing
    assert validate(spec, {"teachers_total": 0, "teachers_with_category": 0}).values["share"] is None


def test_min_max_messages_name_the_field_and_limit():
    spec = next(s for s in load_shipped(FORMS) if s.id == "school_context")
    result = validate(spec, {"low_income_share": 130}, check_required=False)
    assert [i.message for i in result.issues] == [
        "«Доля обучающихся из малоимущих семей»: значение 130 % больше допустимого максимума 100"]


def test_table_rows_are_checked_row_by_row():
    spec = next(s for s in load_shipped(FORMS) if s.id == "vsoko_self_evaluation")
    rows = [
        {"title": "Стартовая диагностика", "grades": "5-9", "month": "Сентябрь", "participants": 80, "quality": 55},
        {"title": "", "grades": "", "month": "", "participants": None},  # blank row: ignored
        {"title": "Итоговая работа", "grades": "2-4", "month": "Май", "participants": "сорок"},
    ]
    result = validate(spec, {"internal_procedures": rows, "students_total": 1}, check_required=False)
    table_issues = [i for i in result.issues if i.field_id == "internal_procedures"]
    assert [(i.row, i.column) for i in table_issues if i.severity == "error"] == [(2, "participants")]
    assert "ожидалось целое число, получено «сорок»" in table_issues[0].message
    assert len(result.values["internal_procedures"]) == 2
    # the table sum feeds a warning rule: 80 participants for 1 student is implausible (80 > 1 · 20)
    assert any(i.rule_id == "procedures_participants" and i.severity == "warning" for i in result.issues)


def test_filled_flag_lets_a_rule_require_a_companion_value():
    spec = next(s for s in load_shipped(FORMS) if s.id == "vsoko_self_evaluation")
    result = validate(spec, {"vsoko_regulation": True}, check_required=False)
    assert [i.rule_id for i in result.warnings] == ["regulation_date_needed"]
    result = validate(spec, {"vsoko_regulation": True, "vsoko_regulation_date": "2023-08-30"}, check_required=False)
    assert result.warnings == []


def test_checklist_score():
    spec = next(s for s in load_shipped(FORMS) if s.id == "mmuko_1_1")
    yes = {"i01_roadmap", "i02_regulation", "i03_procedures", "i07_vpr_participation", "i08_decisions_technology",
           "i10_info_sources", "i11_indicator_system", "i17_objectivity_orders", "i19_vpr_recheck"}
    values = {f.id: f.id in yes for f in spec.fields if f.points}
    # 2 + 2 + 2 + 1 + 2 + 2 + 2 + 1 + 1 = 15 points of 25
    assert score(spec, validate(spec, values).values) == (15, 25)
    assert filled_share(spec, values) == 100.0
    assert filled_share(spec, {"i01_roadmap": True}) == round(1 / 19 * 100, 1)


def test_periods():
    assert check_period("school_year", "2024/25") == "2024/25"
    assert check_period("calendar_year", "2024") == "2024"
    for bad in ("2024-25", "2024/26", "24/25"):
        with pytest.raises(InputError, match="например, «2024/25»"):
            check_period("school_year", bad)
    with pytest.raises(InputError, match="например, «2024»"):
        check_period("calendar_year", "2024/25")


def test_version_mapping_by_field_id():
    old = parse_definition(minimal())
    new_data = minimal(version="2.0")
    fields = new_data["sections"][0]["fields"]
    fields[0]["label"] = "Численность педагогов"
    fields[1] = {"id": "teachers_with_category", "type": "yesno", "label": "Есть педагоги с категорией"}
    fields.append({"id": "vacancies", "type": "integer", "label": "Вакансии"})
    new_data["rules"] = []
    new = parse_definition(new_data)
    mapping = map_values(old, new, {"teachers_total": 8, "teachers_with_category": 6, "share": 75.0})
    assert mapping.values == {"teachers_total": 8}
    assert mapping.added == ["vacancies"]
    assert mapping.relabeled == {"teachers_total": ("Всего педагогов", "Численность педагогов"),
                                 "teachers_with_category": ("С категорией", "Есть педагоги с категорией")}
    assert "teachers_with_category" in mapping.retyped
    assert mapping.changed
