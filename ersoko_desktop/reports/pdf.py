"""Render a :class:`~.model.Report` to an A4 PDF with reportlab platypus.

Title page (organization, period), table of contents, "Стр. N из M" on every page, tables
that split across pages repeating their header, charts, the embedded DejaVu Sans font.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)
from reportlab.platypus import Table as RLTable
from reportlab.platypus import TableStyle
from reportlab.platypus.tableofcontents import TableOfContents

from ..fileio import atomic_write_bytes
from ..progress import Progress
from . import model
from .charts import draw_chart
from .fonts import BOLD, register_fonts
from .numbers import fmt_date, format_value

MARGIN = 18 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN
HEADER_COLOR = colors.HexColor("#dbe5f1")
GROUP_COLOR = colors.HexColor("#eef1f5")
RISK_COLOR = colors.HexColor("#f8d7d3")
GRID_COLOR = colors.HexColor("#9aa5b1")
CELL_FONT_SIZE = 7.5
CELL_PADDING = 3


def _styles() -> dict[str, ParagraphStyle]:
    font = register_fonts()
    base = ParagraphStyle("body", fontName=font, fontSize=10, leading=13, spaceAfter=4)
    return {
        "body": base,
        "note": ParagraphStyle("note", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#52606d")),
        "warning": ParagraphStyle("warning", parent=base, textColor=colors.HexColor("#a61b1b")),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=14, leading=18, spaceBefore=6, spaceAfter=8,
                             textColor=colors.HexColor("#0b3d91")),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4),
        "caption": ParagraphStyle("caption", parent=base, fontName=BOLD, fontSize=9, leading=11, spaceBefore=4,
                                  keepWithNext=1),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=20, leading=26, alignment=TA_CENTER,
                                spaceAfter=12),
        "title_org": ParagraphStyle("title_org", parent=base, fontSize=13, leading=17, alignment=TA_CENTER,
                                    spaceAfter=30),
        "title_line": ParagraphStyle("title_line", parent=base, fontSize=12, leading=16, alignment=TA_CENTER),
        "kv_key": ParagraphStyle("kv_key", parent=base, fontName=BOLD),
        "toc0": ParagraphStyle("toc0", parent=base, fontSize=10.5, leading=15, leftIndent=0),
        "toc1": ParagraphStyle("toc1", parent=base, fontSize=9.5, leading=13, leftIndent=14),
    }


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class _Heading(Paragraph):
    """A section heading that registers itself in the table of contents and the PDF outline."""

    def __init__(self, text: str, style: ParagraphStyle, level: int, key: str):
        super().__init__(escape(text), style)
        self.toc_text, self.toc_level, self.toc_key = text, level, key


class _NumberedCanvas(Canvas):
    """Holds every page until the end so the footer can say «Стр. N из M»."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab API
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        if hasattr(self._filename, "truncate"):  # a later pass of a multi-pass build rewrites the buffer
            self._filename.seek(0)
            self._filename.truncate()
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(register_fonts(), 8)
            self.setFillColor(colors.HexColor("#52606d"))
            self.drawRightString(A4[0] - MARGIN, 10 * mm, f"Стр. {number} из {total}")
            super().showPage()
        super().save()


class _LayoutCanvas(Canvas):
    """The first pass of a two-pass build only needs page breaks for the table of contents:
    tables skip drawing on it and nothing is written."""

    layout_only = True

    def save(self) -> None:
        pass


def _canvas_maker():
    """Layout-only canvas for the first pass, the real numbered canvas for every later pass."""
    calls = {"n": 0}

    def make(*args, **kwargs):
        calls["n"] += 1
        return (_LayoutCanvas if calls["n"] == 1 else _NumberedCanvas)(*args, **kwargs)

    return make


class _Document(BaseDocTemplate):
    def __init__(self, target: io.BytesIO, report: model.Report, progress: Progress):
        super().__init__(target, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 4 * mm,
                         bottomMargin=MARGIN, title=report.title, author="ЕРСОКО Desktop",
                         subject=f"{report.organization}, {report.period}", creator="ЕРСОКО Desktop")
        self.report, self.progress = report, progress
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([
            PageTemplate(id="title", frames=[frame]),
            PageTemplate(id="body", frames=[frame], onPage=self._header),
        ])

    def _header(self, canvas: Canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFont(register_fonts(), 7.5)
        canvas.setFillColor(colors.HexColor("#52606d"))
        top = A4[1] - MARGIN + 2 * mm
        canvas.drawString(MARGIN, top, _clip(self.report.title, 7.5, FRAME_WIDTH * 0.6))
        canvas.drawRightString(A4[0] - MARGIN, top, _clip(self.report.organization, 7.5, FRAME_WIDTH * 0.38))
        canvas.setStrokeColor(GRID_COLOR)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, top - 2 * mm, A4[0] - MARGIN, top - 2 * mm)
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab API
        if isinstance(flowable, _Heading):
            self.canv.bookmarkPage(flowable.toc_key)
            self.canv.addOutlineEntry(flowable.toc_text, flowable.toc_key, level=flowable.toc_level)
            self.notify("TOCEntry", (flowable.toc_level, flowable.toc_text, self.page, flowable.toc_key))

    def handle_pageBegin(self) -> None:  # noqa: N802 - reportlab API
        super().handle_pageBegin()
        self.progress.check()


def _clip(text: str, size: float, width: float) -> str:
    font = register_fonts()
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def render_pdf(report: model.Report, path: str | Path, *, progress: Progress | None = None) -> Path:
    """Write ``report`` to ``path`` (A4 PDF) atomically and return the path."""
    return atomic_write_bytes(path, pdf_bytes(report, progress=progress))


def pdf_bytes(report: model.Report, *, progress: Progress | None = None) -> bytes:
    """The report as an A4 PDF document."""
    progress = progress or Progress.none()
    buffer = io.BytesIO()
    st = _styles()
    story: list[Flowable] = []
    if report.title_page:
        story += _title_page(report, st)
    story.append(NextPageTemplate("body"))
    if report.title_page:
        story.append(PageBreak())
    if report.toc and report.title_page:
        toc = TableOfContents(dotsMinLevel=0)
        toc.levelStyles = [st["toc0"], st["toc1"]]
        story += [_para("Содержание", st["h1"]), toc, PageBreak()]
    elif not report.title_page:
        story += [_para(report.title, st["h1"]), _para(f"{report.organization}\n{report.period}", st["body"])]
    for i, section in enumerate(report.sections):
        progress.step(0.3 + 0.3 * i / max(1, len(report.sections)), "Отчёт: подготовка разделов")
        story += _section(section, st, key=f"s{i}")
    doc = _Document(buffer, report, progress)
    if report.toc and report.title_page:
        doc.multiBuild(story, canvasmaker=_canvas_maker())
    else:
        doc.build(story, canvasmaker=_NumberedCanvas)
    progress.step(1.0, "Отчёт сформирован")
    return buffer.getvalue()


def _title_page(report: model.Report, st) -> list[Flowable]:
    lines = [Spacer(1, 45 * mm), _para(report.organization, st["title_org"]), _para(report.title, st["title"])]
    if report.subtitle:
        lines.append(_para(report.subtitle, st["title_line"]))
    lines += [Spacer(1, 10 * mm), _para(f"Период: {report.period}", st["title_line"]),
              Spacer(1, 85 * mm), _para(f"Сформировано {fmt_date(report.generated)} в программе ЕРСОКО Desktop",
                                        st["note"])]
    return lines


def _section(section: model.Section, st, key: str) -> list[Flowable]:
    style = st["h1"] if section.level == 0 else st["h2"]
    out: list[Flowable] = [CondPageBreak(45 * mm)]
    if section.title:
        out.append(_Heading(section.title, style, min(section.level, 1), key))
    for block in section.blocks:
        out += _block(block, st)
    return out


def _block(block: model.Block, st) -> list[Flowable]:
    if isinstance(block, model.Text):
        return [_para(block.text, st.get(block.style, st["body"]))]
    if isinstance(block, model.Table):
        if not block.in_pdf:
            return []
        caption = [_para(block.title, st["caption"])] if block.title else []
        note = [_para(block.note, st["note"])] if block.note else []
        return caption + [table_flowable(block), Spacer(1, 3 * mm)] + note
    if isinstance(block, model.Chart):
        return [KeepTogether([_Graphic(draw_chart(block)), Spacer(1, 3 * mm)])]
    if isinstance(block, model.KeyValues):
        rows = [[_para(k, st["kv_key"]), _para(v, st["body"])] for k, v in block.rows]
        t = RLTable(rows, colWidths=[FRAME_WIDTH * 0.3, FRAME_WIDTH * 0.7])
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID_COLOR)]))
        return [t, Spacer(1, 4 * mm)]
    if isinstance(block, model.QRCode):
        return [_Graphic(_qr(block))] + ([_para(block.caption, st["note"])] if block.caption else [])
    if isinstance(block, model.Signatures):
        out: list[Flowable] = [Spacer(1, 12 * mm)]
        for line in block.lines:
            out += [_para(f"{line} ____________________ / ____________________ /", st["body"]), Spacer(1, 8 * mm)]
        out.append(_para("М. П." + "\u00a0" * 24 + "Дата: «____» ______________ 20____ г.", st["body"]))
        return out
    if isinstance(block, model.PageBreak):
        return [PageBreak()]
    raise TypeError(f"неизвестный блок отчёта: {type(block).__name__}")


def _qr(block: model.QRCode) -> Drawing:
    widget = QrCodeWidget(block.data)
    x0, y0, x1, y1 = widget.getBounds()
    side = block.size_mm * mm
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def table_flowable(table: model.Table, width: float = FRAME_WIDTH) -> Flowable:
    """A table that splits by rows and repeats its header on every page."""
    total = sum(c.width for c in table.columns)
    widths = [width * c.width / total for c in table.columns]
    align = ["R" if c.kind in model.NUMERIC_KINDS else "L" for c in table.columns]
    header = _Row([_wrap(c.title, w, BOLD, HEADER_FONT_SIZE) for c, w in zip(table.columns, widths)], "header")
    rows: list[_Row] = []
    for row in table.display_rows():
        if isinstance(row, model.GroupRow):
            rows.append(_Row([_wrap(row.title, width, BOLD)], "group"))
            continue
        # Numbers never wrap ("39,6 %" must not lose its "%" to the next line).
        cells = [_wrap(format_value(v, c.kind), w, register_fonts()) if c.kind in ("text", "bool")
                 else [format_value(v, c.kind)] for c, v, w in zip(table.columns, row, widths)]
        risky = table.risk_column is not None and bool(row[table.risk_column])
        rows.append(_Row(cells, "risk" if risky else ""))
    if not rows:
        rows.append(_Row([["Нет данных"]], "group"))
    return _FastTable(header, rows, widths, align)


HEADER_FONT_SIZE = 6.8
PAD_V = 2.5
MAX_CELL_LINES = 60  # a cell longer than a page is cut, never loops the layout


def _wrap(text: str, width: float, font: str, size: float = CELL_FONT_SIZE) -> list[str]:
    """Lines of a cell: words wrapped at spaces; a word wider than the cell is broken (see _break)."""
    avail = width - 2 * CELL_PADDING
    if "\n" not in text and stringWidth(text, font, size) <= avail:
        return [text]  # the common case: one line, no splitting needed
    lines: list[str] = []
    for paragraph in text.split("\n"):
        for line in simpleSplit(paragraph, font, size, avail) or [""]:
            lines += _break(line, font, size, avail)
    if len(lines) > MAX_CELL_LINES:
        lines = lines[: MAX_CELL_LINES - 1] + ["…"]
    return lines


BREAK_AFTER = ("–—-/", ".,;:)")  # dashes first: "01.09.2026–" / "30.09.2026", not "…30.09." / "2026"


def _break(word: str, font: str, size: float, avail: float) -> list[str]:
    """A line still too wide (one long word): break after a dash or punctuation
    ("01.09.2026–" / "30.09.2026"), else hyphenate between letters, else cut."""
    out: list[str] = []
    while len(word) > 1 and stringWidth(word, font, size) > avail:
        fit = len(word) - 1
        while fit > 1 and stringWidth(word[:fit], font, size) > avail:
            fit -= 1
        cut = 0
        for chars in BREAK_AFTER:
            cut = next((i + 1 for i in range(fit - 1, 0, -1) if word[i] in chars), 0)
            if cut >= fit // 2:
                break
        if cut < fit // 2:  # no punctuation late enough: hyphenate between two letters
            hyphen = fit - 1
            while hyphen > 2 and not (word[hyphen - 1].isalpha() and word[hyphen].isalpha()
                                      and sum(ch.isalpha() for ch in word[hyphen:]) >= 2):
                hyphen -= 1
            if hyphen > 2:
                out.append(word[:hyphen] + "-")
                word = word[hyphen:]
                continue
            cut = cut or fit
        out.append(word[:cut])
        word = word[cut:]
    out.append(word)
    return out


class _Row:
    __slots__ = ("cells", "kind", "size", "leading", "height")

    def __init__(self, cells: list[list[str]], kind: str):
        self.cells = cells  # wrapped lines of every cell (one cell for a group row)
        self.kind = kind  # header | group | risk | ""
        self.size = HEADER_FONT_SIZE if kind == "header" else CELL_FONT_SIZE
        self.leading = self.size * 1.25
        self.height = max(len(c) for c in cells) * self.leading + 2 * PAD_V


class _FastTable(Flowable):
    """Rows drawn directly on the canvas, the header repeated on every page.

    reportlab's Table styles and re-measures every cell at every page split; a 50-page
    report needs something linear and cheap per cell (see tests/benchmarks/bench_reports.py)."""

    def __init__(self, header: _Row, rows: list[_Row], widths: list[float], align: list[str]):
        super().__init__()
        self.header, self.rows, self.widths, self.align = header, rows, widths, align
        self.hAlign = "LEFT"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = sum(self.widths)
        height = self.header.height
        for row in self.rows:
            height += row.height
            if height > avail_height:  # too tall already: the frame splits us; stay linear
                break
        self.height = height
        return self.width, height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        room = avail_height - self.header.height
        taken = 0
        for row in self.rows:
            if row.height > room:
                break
            room -= row.height
            taken += 1
        if taken == 0:
            return []
        return [_FastTable(self.header, self.rows[:taken], self.widths, self.align),
                _FastTable(self.header, self.rows[taken:], self.widths, self.align)]

    def draw(self) -> None:
        canvas = self.canv
        if getattr(canvas, "layout_only", False):
            return
        font = register_fonts()
        xs = [0.0]
        for w in self.widths:
            xs.append(xs[-1] + w)
        canvas.saveState()
        canvas.setStrokeColor(GRID_COLOR)
        canvas.setLineWidth(0.4)
        y = self.height
        for row in [self.header] + self.rows:  # backgrounds and grid first, text on top
            h = row.height
            fill = {"header": HEADER_COLOR, "group": GROUP_COLOR, "risk": RISK_COLOR}.get(row.kind)
            if fill is not None:
                canvas.setFillColor(fill)
                canvas.rect(0, y - h, self.width, h, stroke=0, fill=1)
            canvas.line(0, y - h, self.width, y - h)
            for x in ((0.0, self.width) if row.kind == "group" else xs):
                canvas.line(x, y, x, y - h)
            y -= h
        canvas.line(0, self.height, self.width, self.height)
        # One text object for the whole table: far cheaper than a drawString per cell.
        text = canvas.beginText()
        text.setFillColor(colors.black)
        current_font = None
        y = self.height
        for row in [self.header] + self.rows:
            row_font = BOLD if row.kind in ("header", "group") else font
            if (row_font, row.size) != current_font:
                text.setFont(row_font, row.size, row.leading)
                current_font = (row_font, row.size)
            spans = [(0.0, self.width)] if row.kind == "group" else list(zip(xs, self.widths))
            for j, ((x, w), lines) in enumerate(zip(spans, row.cells)):
                right = row.kind not in ("header", "group") and self.align[j] == "R"
                ty = y - PAD_V - row.size
                for line in lines:
                    if line:
                        tx = x + w - CELL_PADDING - stringWidth(line, row_font, row.size) if right \
                            else x + CELL_PADDING
                        text.setTextOrigin(tx, ty)
                        text.textOut(line)
                    ty -= row.leading
            y -= row.height
        canvas.drawText(text)
        canvas.restoreState()


class _Graphic(Flowable):
    """A chart or QR drawing that is not drawn during the layout-only first pass."""

    def __init__(self, drawing: Drawing):
        super().__init__()
        self.drawing = drawing

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width, self.height = self.drawing.wrap(avail_width, avail_height)
        return self.width, self.height

    def draw(self) -> None:
        if not getattr(self.canv, "layout_only", False):
            self.drawing.drawOn(self.canv, 0, 0)
