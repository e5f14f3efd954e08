"""Small shared widgets: page header, cards, placeholders."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


def title_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "title")
    return label


def hint_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


def card(title: str, value: str, hint: str = "") -> QFrame:
    frame = QFrame()
    frame.setProperty("role", "card")
    layout = QVBoxLayout(frame)
    t = QLabel(title)
    t.setProperty("role", "hint")
    v = QLabel(value)
    v.setStyleSheet("font-size: 20pt; font-weight: 600; color: #0b3d91;")
    v.setObjectName("value")
    layout.addWidget(t)
    layout.addWidget(v)
    if hint:
        layout.addWidget(hint_label(hint))
    return frame


class PageBase(QWidget):
    """A page with a title and a vertical layout; subclasses fill ``self.body``."""

    title = ""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(24, 18, 24, 18)
        self.body.setSpacing(12)
        self.body.addWidget(title_label(self.title))

    def refresh(self) -> None:
        """Reload data from the database (called when the page is shown)."""
