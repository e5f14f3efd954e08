"""Fixtures of the GUI tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def demo_ctx(demo_engine):
    """The GUI's context on a copy of the demo database (the district DEMO-M1 is the own organization)."""
    from ersoko_desktop.ui.context import AppContext

    return AppContext(engine=demo_engine, db_label="demo.sqlite", demo=True)
