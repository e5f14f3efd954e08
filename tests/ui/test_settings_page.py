"""«Настройки» → thresholds: a change made in the GUI changes what services.objectivity flags on the demo.

Expected sets come from how the demo is generated (services/demo.py), not from running the code twice:
- every demo school has 1 or 2 classes of 16–27 participants, so N ≤ 54 in every procedure;
- at DEMO-S07 the journal mark is the ВПР mark + 1 or + 2 (capped at 5): everyone below «5» «lowered»
  their mark, so its «lowered» share is the share of marks below «5» (most of the school);
- elsewhere the journal mark is the ВПР mark ± 1 with probability 1/6 each way, so «lowered» is about
  17 % and «lowered + raised» about 33 % — 70 % lowered, or a mismatch of 100 % (every participant
  of a group of ≥ 16), does not happen there.
"""

from __future__ import annotations

import pytest

from ersoko_desktop.services.demo import MISMATCH
from ersoko_desktop.services.objectivity import objectivity_flags
from ersoko_desktop.services.thresholds import SPEC_BY_KEY
from ersoko_desktop.ui.views.settings import Page


@pytest.fixture
def page(qtbot, demo_ctx):
    ctx = demo_ctx
    widget = Page(ctx)
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh()
    return widget


def _s2_schools(ctx) -> set[str]:
    with ctx.session() as session:
        return {f.org for f in objectivity_flags(session) if "S2" in f.signs}


def test_every_parameter_has_a_field_with_tooltip_and_default(page):
    assert set(page.fields) == set(SPEC_BY_KEY)
    assert page.fields["objectivity.min_n"].text() == "10"
    assert page.fields["objectivity.s4_below_ratio"].text() == "0,25"
    assert "процентных пунктов" in page.fields["objectivity.s1_quality_gap"].toolTip()
    assert page.defaults["shnor.share2"].text() == "по умолчанию 25"


def test_changing_s2_thresholds_in_the_gui_leaves_only_the_planted_school(page):
    assert MISMATCH in _s2_schools(page.ctx)          # defaults: the planted mismatch is found
    page.fields["objectivity.s2_lowered"].setText("70")
    page.fields["objectivity.s2_mismatch"].setText("100")
    page.save_button.click()
    assert page.status.text().startswith("Пороги сохранены: S2: понизили отметку")
    assert page.defaults["objectivity.s2_lowered"].text() == "по умолчанию 30 · изменено"
    assert _s2_schools(page.ctx) == {MISMATCH}


def test_minimum_n_above_every_demo_school_flags_nothing_and_reset_brings_flags_back(page):
    page.fields["objectivity.min_n"].setText("55")    # > 2 classes × 27 participants
    page.fields["objectivity.s4_min_n"].setText("55")  # S4 has its own minimum
    page.save_button.click()
    with page.ctx.session() as session:
        assert objectivity_flags(session) == []
    page.reset_thresholds(confirm=False)
    assert page.fields["objectivity.min_n"].text() == "10"
    assert "Восстановлены значения по умолчанию (2 изменено)" in page.status.text()
    assert MISMATCH in _s2_schools(page.ctx)


def test_bad_value_is_marked_and_nothing_is_saved(page):
    page.fields["shnor.years"].setText("0")
    page.fields["objectivity.min_n"].setText("12")
    page.save_button.click()
    assert "«ШНОР: лет подряд»: ожидается целое число от 1 до 10, введено «0»." in page.status.text()
    assert page.fields["shnor.years"].styleSheet() and not page.fields["objectivity.min_n"].styleSheet()
    page.load_thresholds()
    assert page.fields["objectivity.min_n"].text() == "10"
