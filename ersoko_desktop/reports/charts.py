"""Charts as reportlab drawings: mark distributions, school vs municipality vs region, dynamics."""

from __future__ import annotations

from reportlab import rl_config
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from .fonts import BOLD, register_fonts
from .model import Chart
from .numbers import fmt_int, fmt_mark, fmt_percent

# Attribute validation of reportlab graphics is a development aid that costs a third of the
# rendering time of a chart-heavy report; our charts are built by code, not by users.
rl_config.shapeChecking = 0

PALETTE = [colors.HexColor(c) for c in ("#1f5fa8", "#e07b20", "#6a9f3a", "#8c5aa8", "#c0392b", "#7f8c8d")]
LABELS = {"percent": fmt_percent, "mark": fmt_mark, "int": fmt_int}


def _value_range(chart: Chart) -> tuple[float, float, float]:
    values = [v for _n, vals in chart.series for v in vals if v is not None]
    top = max(values, default=0.0)
    if chart.unit == "percent":
        return 0.0, 100.0, 20.0
    if chart.unit == "mark":
        return 0.0, 5.0, 1.0
    top = max(1.0, top * 1.15)
    step = max(1.0, round(top / 5))
    return 0.0, step * 5, step


def draw_chart(chart: Chart, width: float = 170 * mm, height: float = 70 * mm) -> Drawing:
    """A Drawing (a platypus flowable) with title, axes in Russian number format and a legend."""
    font = register_fonts()
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 10, chart.title, fontName=BOLD, fontSize=9))
    legend_h = 12 if len(chart.series) > 1 else 0
    plot = VerticalBarChart() if chart.kind == "bar" else HorizontalLineChart()
    plot.x, plot.y = 34, 22 + legend_h
    plot.width, plot.height = width - 44, height - 44 - legend_h
    data = [list(vals) for _n, vals in chart.series]  # None: no bar (a suppressed group)
    plot.data = data
    plot.categoryAxis.categoryNames = chart.categories
    plot.categoryAxis.labels.fontName = font
    plot.categoryAxis.labels.fontSize = 7
    lo, hi, step = _value_range(chart)
    plot.valueAxis.valueMin, plot.valueAxis.valueMax, plot.valueAxis.valueStep = lo, hi, step
    plot.valueAxis.labels.fontName = font
    plot.valueAxis.labels.fontSize = 7
    fmt = LABELS.get(chart.unit, fmt_int)
    plot.valueAxis.labelTextFormat = lambda v: fmt(v).replace("\u00a0%", "%") if chart.unit == "percent" else fmt(v)
    plot.valueAxis.visibleGrid = True
    plot.valueAxis.gridStrokeColor = colors.HexColor("#dddddd")
    if chart.kind == "bar":
        plot.groupSpacing = 6
        plot.barSpacing = 1
        for i in range(len(data)):
            plot.bars[i].fillColor = PALETTE[i % len(PALETTE)]
            plot.bars[i].strokeColor = None
        if len(chart.categories) * len(data) <= 12:
            plot.barLabels.fontName = font
            plot.barLabels.fontSize = 6
            plot.barLabels.nudge = 5
            plot.barLabelFormat = lambda v: fmt(v).replace("\u00a0%", "%") if chart.unit == "percent" else fmt(v)
    else:
        plot.joinedLines = 1
        for i in range(len(data)):
            plot.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
            plot.lines[i].strokeWidth = 1.5
    drawing.add(plot)
    if legend_h:
        legend = Legend()
        legend.x, legend.y = 34, 8
        legend.fontName, legend.fontSize = font, 7
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.deltax = 100
        legend.dx = legend.dy = 7
        legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], name) for i, (name, _v) in enumerate(chart.series)]
        drawing.add(legend)
    return drawing
