"""Дорожные карты (not built yet)."""

from __future__ import annotations

from ._placeholder import PlaceholderPage


class Page(PlaceholderPage):
    title = "Дорожные карты"
    message = "Импорт и контроль исполнения дорожных карт появится в следующей версии."
