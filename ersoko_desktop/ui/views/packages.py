"""Пакеты (not built yet)."""

from __future__ import annotations

from ._placeholder import PlaceholderPage


class Page(PlaceholderPage):
    title = "Пакеты"
    message = "Обмен подписанными пакетами с муниципалитетом и ЦОКО появится в следующей версии."
