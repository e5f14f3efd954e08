"""Справка → Руководство пользователя: the Russian guide (docs/user-guide.md) rendered as Markdown."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from ...paths import user_guide

IMAGE_LINE = re.compile(r"^!\[[^\]]*\]\(([^)]+)\)\s*$")


def without_missing_images(text: str, guide) -> str:
    """The screenshots are in docs/ of the source tree, not in the installed program: drop the
    picture lines whose file is not beside the guide instead of showing broken images."""
    folder = guide.parent if hasattr(guide, "parent") else None
    lines = []
    for line in text.splitlines():
        match = IMAGE_LINE.match(line)
        if match and (folder is None or not (folder / match.group(1)).is_file()):
            continue
        lines.append(line)
    return "\n".join(lines)


class UserGuideDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Руководство пользователя — ЕРСОКО Desktop")
        self.resize(820, 680)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        guide = user_guide()
        if guide.is_file():
            if hasattr(guide, "parent"):
                self.browser.setSearchPaths([str(guide.parent)])  # screenshots beside the guide
            self.browser.setMarkdown(without_missing_images(guide.read_text(encoding="utf-8"), guide))
        else:
            self.browser.setPlainText("Руководство не найдено в папке программы; переустановите программу.")
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
