"""Draw the program icon (resources/icons/ersoko.png and ersoko.ico) with Pillow.

A blue rounded square with three rising white bars and an orange tick: results going up.
Run once; the images are committed. ``python packaging/make_icon.py``
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SIZE = 512  # drawn large, scaled down with antialiasing


def draw() -> Image.Image:
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    top, bottom = (37, 99, 235), (11, 61, 145)
    for y in range(SIZE):  # vertical gradient, masked to a rounded square below
        t = y / (SIZE - 1)
        d.line([(0, y), (SIZE, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)) + (255,))
    mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(mask).rounded_rectangle([16, 16, SIZE - 16, SIZE - 16], radius=96, fill=255)
    img.putalpha(mask)
    d = ImageDraw.Draw(img)
    base, width, gap = 400, 72, 34
    left = (SIZE - (3 * width + 2 * gap)) // 2
    for i, height in enumerate((120, 190, 260)):
        x = left + i * (width + gap)
        d.rounded_rectangle([x, base - height, x + width, base], radius=14, fill=(255, 255, 255, 255))
    d.line([(118, 180), (178, 238), (300, 108)], fill=(249, 115, 22, 255), width=34, joint="curve")
    return img


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    img = draw()
    img.resize((256, 256), Image.LANCZOS).save(ICONS / "ersoko.png")
    img.save(ICONS / "ersoko.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    print(ICONS / "ersoko.png", ICONS / "ersoko.ico")


if __name__ == "__main__":
    main()
