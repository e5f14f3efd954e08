"""Формы (not built yet)."""

from __future__ import annotations

from ._placeholder import PlaceholderPage


class Page(PlaceholderPage):
    title = "Формы"
    message = "Заполнение форм ВСОКО/МСОКО появится в следующей версии."
