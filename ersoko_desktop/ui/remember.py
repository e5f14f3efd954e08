"""Filters a page remembers between sessions (QSettings INI in the data folder, per database).

A page registers its filter widgets once::

    self.remember = Remember(ctx, "indicators")
    self.remember.combo("year", self.year)

and calls ``self.remember.restore()`` after it has filled its combo boxes (``refresh``). Only
what the user does is saved (``activated``, ``clicked``, ``textEdited``), so a page refilling
its lists never overwrites the remembered choice. Values are kept per database (a procedure id
means nothing in another database) and restored once per page; a value no longer offered (a
deleted roadmap) is ignored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QTabWidget


def settings() -> QSettings:
    """The same INI file as the window geometry: it travels with the data folder."""
    from ..paths import user_data_dir

    return QSettings(str(user_data_dir() / "window.ini"), QSettings.Format.IniFormat)


def _db_key(ctx) -> str:
    return hashlib.sha256(str(getattr(ctx, "db_label", "")).encode("utf-8")).hexdigest()[:12]


def _find(combo: QComboBox, value: Any) -> int:
    """``findData`` that also finds the «все» item whose data is None."""
    for i in range(combo.count()):
        if combo.itemData(i) == value:
            return i
    return -1


class Remember:
    def __init__(self, ctx, page: str):
        self.prefix = f"filters/{_db_key(ctx)}/{page}/"
        self._widgets: dict[str, Any] = {}
        self._restored: set[str] = set()

    # --- registration (each also saves on the user's changes) ---------------------------------
    def combo(self, name: str, combo: QComboBox) -> QComboBox:
        self._widgets[name] = combo
        combo.activated.connect(lambda _i, n=name, c=combo: self.save(n, c.currentData()))
        return combo

    def check(self, name: str, box: QCheckBox) -> QCheckBox:
        self._widgets[name] = box
        box.clicked.connect(lambda checked, n=name: self.save(n, bool(checked)))
        return box

    def line(self, name: str, edit: QLineEdit) -> QLineEdit:
        self._widgets[name] = edit
        edit.textEdited.connect(lambda text, n=name: self.save(n, text))
        return edit

    def tabs(self, name: str, tabs: QTabWidget) -> QTabWidget:
        self._widgets[name] = tabs
        tabs.tabBarClicked.connect(lambda index, n=name: self.save(n, index))
        tabs.currentChanged.connect(lambda index, n=name, t=tabs: self._tab_by_keyboard(n, t, index))
        return tabs

    def _tab_by_keyboard(self, name: str, tabs: QTabWidget, index: int) -> None:
        """Ctrl+Tab / Ctrl+Shift+Tab switch tabs with the focus inside the tab widget: the user's
        choice, kept like a click. A page turning to a tab for the user (focus elsewhere) is not."""
        focus = QApplication.focusWidget()
        if focus is not None and (focus is tabs or tabs.isAncestorOf(focus)):
            self.save(name, index)

    # --- storage -------------------------------------------------------------------------------
    def save(self, name: str, value: Any) -> None:
        store = settings()
        store.setValue(self.prefix + name, json.dumps(value, ensure_ascii=False))
        store.sync()
        self._restored.add(name)  # the user's own choice wins over anything older

    def saved(self, name: str) -> tuple[bool, Any]:
        raw = settings().value(self.prefix + name)
        if raw is None:
            return False, None
        try:
            return True, json.loads(raw)
        except (TypeError, ValueError):
            return False, None

    def restore(self, *, quiet: bool = False) -> None:
        """Apply remembered values to widgets not restored yet. Their signals fire (the page
        reloads) unless ``quiet``: then the page reloads once itself afterwards."""
        store = settings()
        for name, widget in self._widgets.items():
            if name in self._restored:
                continue
            blocked = widget.blockSignals(True) if quiet else None
            try:
                self._restore_one(store, name, widget, quiet)
            finally:
                if quiet:
                    widget.blockSignals(bool(blocked))

    def _restore_one(self, store: QSettings, name: str, widget: Any, quiet: bool) -> None:
        raw = store.value(self.prefix + name)
        if raw is None:
            self._restored.add(name)
            return
        try:
            value = json.loads(raw)
        except (TypeError, ValueError):
            self._restored.add(name)
            return
        if isinstance(widget, QComboBox):
            if widget.count() == 0:
                return  # not filled yet: try on the next refresh
            index = _find(widget, value)
            if index >= 0 and index != widget.currentIndex():
                widget.setCurrentIndex(index)
        elif isinstance(widget, QCheckBox):
            if widget.isChecked() != bool(value):
                widget.setChecked(bool(value))
        elif isinstance(widget, QLineEdit):
            if widget.text() != str(value):
                widget.setText(str(value))
                if not quiet:
                    widget.editingFinished.emit()
        elif isinstance(widget, QTabWidget):
            if isinstance(value, int) and 0 <= value < widget.count():
                widget.setCurrentIndex(value)
        self._restored.add(name)
