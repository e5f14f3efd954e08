"""О программе."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from ... import APP_NAME, __version__


class AboutDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("О программе")
        layout = QVBoxLayout(self)
        text = QLabel(
            f"<h2>{APP_NAME}</h2><p>Версия {__version__}</p>"
            "<p>Оценка качества образования без интернета: ВСОКО школы, МСОКО муниципалитета, "
            "РСОКО региона. Результаты оценочных процедур, показатели, дорожные карты, формы, "
            "подписанные пакеты для ЦОКО.</p>"
        )
        text.setWordWrap(True)
        text.setObjectName("about_text")
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
