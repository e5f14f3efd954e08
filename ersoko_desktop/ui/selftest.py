"""``ersoko-desktop --self-test``: open a throwaway database, run the feature checks
(:mod:`ersoko_desktop.services.selfcheck`), open every page with the demo data and check the Qt
parts a trimmed bundle could lose: charts, ICU (Russian collation, case, time-zone names, code
pages), SVG icons. Prints one line per check; exit code 1 if any failed."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QLocale
from PySide6.QtGui import QColor, QImage, QPainter

from ..services.selfcheck import Check, run_check


def qt_checks() -> list[Check]:
    return [
        run_check("Qt: русская сортировка и регистр (ICU)", _icu_text),
        run_check("Qt: названия часовых поясов (ICU)", _icu_time_zone),
        run_check("Qt: кодировка windows-1251 (ICU)", _icu_codec),
        run_check("Qt: диаграмма (QtCharts)", _chart),
        run_check("Qt: значок SVG (QtSvg)", _svg),
    ]


def _icu_text() -> str:
    from PySide6.QtCore import QCollator

    ru = QLocale(QLocale.Language.Russian, QLocale.Country.Russia)
    words = ["яблоко", "Ель", "ёж", "арбуз"]
    ordered = sorted(words, key=QCollator(ru).sortKey)
    if ordered != ["арбуз", "ёж", "Ель", "яблоко"]:  # code-point order would be Ель, арбуз, яблоко, ёж
        raise AssertionError(f"порядок {ordered}")
    upper = ru.toUpper("ёлка")
    if upper != "ЁЛКА":
        raise AssertionError(f"toUpper → {upper!r}")
    return "арбуз < ёж < Ель < яблоко, ЁЛКА"


def _icu_time_zone() -> str:
    from PySide6.QtCore import QTimeZone

    zone = QTimeZone(b"Europe/Moscow")
    ru = QLocale(QLocale.Language.Russian, QLocale.Country.Russia)
    name = zone.displayName(QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName, ru)
    if not zone.isValid() or "Москва" not in name:
        raise AssertionError(f"Europe/Moscow → {name!r}")
    return name


def _icu_codec() -> str:
    from PySide6.QtCore import QStringDecoder

    decoder = QStringDecoder("windows-1251")
    if not decoder.isValid():
        raise AssertionError("кодировка недоступна")
    return decoder.name()


def _chart() -> str:
    from PySide6.QtCharts import QBarSeries, QBarSet, QChart
    from PySide6.QtCore import QRectF
    from PySide6.QtWidgets import QGraphicsScene

    bars = QBarSet("Успеваемость")
    bars.append([60.0, 85.0, 95.0])
    series = QBarSeries()
    series.append(bars)
    chart = QChart()
    chart.addSeries(series)
    chart.createDefaultAxes()
    scene = QGraphicsScene()
    scene.addItem(chart)
    chart.setGeometry(QRectF(0, 0, 320, 200))
    image = QImage(320, 200, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    scene.render(painter, QRectF(0, 0, 320, 200), QRectF(0, 0, 320, 200))
    painter.end()
    white = QColor("white").rgba()
    painted = sum(image.pixel(x, y) != white for x in range(0, 320, 4) for y in range(0, 200, 4))
    if painted < 100:  # three bars, axes and labels cover far more than 100 of the 4000 samples
        raise AssertionError(f"диаграмма не нарисовалась (закрашено точек: {painted})")
    return f"нарисована ({painted} из 4000 точек не белые)"


def _svg() -> str:
    from PySide6.QtSvg import QSvgRenderer

    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16">'
           b'<rect width="16" height="16" fill="#2563eb"/></svg>')
    renderer = QSvgRenderer(svg)
    if not renderer.isValid():
        raise AssertionError("QSvgRenderer не прочитал SVG")
    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    if QColor(image.pixel(8, 8)).name() != "#2563eb":
        raise AssertionError(f"цвет {QColor(image.pixel(8, 8)).name()}")
    return "ok"


def report(checks: list[Check], out=None) -> bool:
    """Print the checks (also to the log: a windowed Windows program has no console)."""
    from ..safety.crash import log

    out = out if out is not None else sys.stdout
    for check in checks:
        (log.info if check.ok else log.error)("самопроверка: %s", check.line())
        if out is not None:
            print(check.line(), file=out)
    return all(c.ok for c in checks)


def workdir_for(db_file: Path) -> Path:
    path = db_file.parent / "файлы проверки"
    path.mkdir(exist_ok=True)
    return path
