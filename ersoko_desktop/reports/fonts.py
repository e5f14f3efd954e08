"""The embedded Cyrillic font for PDF reports (DejaVu Sans, licence in resources/fonts/)."""

from __future__ import annotations

from functools import lru_cache

from ..errors import ErsokoError
from ..paths import resources_root

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


@lru_cache(maxsize=1)
def register_fonts() -> str:
    """Register the TTFs with reportlab once; returns the family name for styles."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = resources_root() / "fonts"
    for name, file_name in FILES.items():
        resource = folder / file_name
        if not resource.is_file():
            raise ErsokoError(f"Не найден шрифт для отчётов: {file_name} (папка resources/fonts). Переустановите программу.")
        with resource.open("rb") as fh:
            pdfmetrics.registerFont(TTFont(name, fh))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
    return REGULAR
