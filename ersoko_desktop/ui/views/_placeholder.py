"""A page whose capability is not built yet says so plainly (no fake controls)."""

from __future__ import annotations

from ..widgets import PageBase, hint_label


class PlaceholderPage(PageBase):
    message = "Раздел ещё не реализован в этой версии."

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.body.addWidget(hint_label(self.message))
        self.body.addStretch(1)
