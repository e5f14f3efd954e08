"""Показатели (not built yet)."""

from __future__ import annotations

from ._placeholder import PlaceholderPage


class Page(PlaceholderPage):
    title = "Показатели"
    message = "Расчёт показателей (успеваемость, качество, СОУ, признаки необъективности, ШНОР) появится в следующей версии."
