"""The demo carries realistic form data in every workflow state."""

from collections import Counter

import pytest
from sqlalchemy import select

from ersoko_desktop.db.models import FormSubmission, Organization
from ersoko_desktop.services import forms

pytestmark = pytest.mark.both_dbs  # the same behaviour on SQLite and PostgreSQL


def test_demo_forms(demo_session):
    s = demo_session
    schools = set(s.scalars(select(Organization.code).where(Organization.kind == "school")))
    ctx_prev = {code for code in s.scalars(
        select(Organization.code).join(FormSubmission, FormSubmission.org_id == Organization.id)
        .where(FormSubmission.form_id == "school_context", FormSubmission.period == "2025/26"))}
    assert ctx_prev == schools  # every demo school has its context form
    statuses = Counter(s.scalars(select(FormSubmission.status).where(FormSubmission.form_id == "vsoko_self_evaluation")))
    assert set(statuses) == {"draft", "submitted", "approved", "returned"}
    # the same fields the indicators engine reads for ШФНСУ
    weak = forms.open_submission(s, form_id="school_context", org_code="DEMO-S15", period="2025/26").values
    assert weak["rural"] is False and weak["low_income_share"] >= 40 and weak["non_russian_share"] >= 50
    values = [(c.criterion, c.period, c.value, c.delta) for c in forms.mmuko_criteria(s, org_code="DEMO-M1")]
    assert values == [("1.1", "2024", 60.0, None), ("1.1", "2025", 96.0, 36.0),
                      ("1.2", "2024", 11.1, None), ("1.2", "2025", 92.6, 81.5)]
    rate = forms.aggregate(s, org_code="DEMO-M1", period="2026/27").reporting["school_context"]
    assert 0 < rate.completeness < 100 and "DEMO-S09" in rate.not_submitted
