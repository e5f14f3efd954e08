"""Benchmark: a 50-page municipal PDF report in < 5 s (GUIDE §8).

    PYTHONPATH=. python tests/benchmarks/bench_reports.py

Measures, in one process:
- our renderer (``reports.pdf.pdf_bytes``) on a synthetic municipal report shaped like the real
  one (a chart and an all-schools table per procedure, 45 schools × 24 procedures, ≥ 50 pages);
- the baseline: the same tables through reportlab's stock ``platypus.Table`` (repeatRows=1,
  Paragraph cells for wrapping text), the straightforward way to write it;
- the XLSX of the same report;
- end to end on the demo database (``services.reports.build_report`` + render) when the
  indicators engine is present.
Prints the figures; it asserts only the page count (timings are not assertions).
"""

from __future__ import annotations

import io
import random
import sys
import time
from pathlib import Path

from pypdf import PdfReader

from ersoko_desktop.reports import model
from ersoko_desktop.reports.numbers import format_value
from ersoko_desktop.reports.pdf import pdf_bytes
from ersoko_desktop.reports.xlsx import xlsx_bytes

SCHOOLS = 45
SUBJECTS = ("Русский язык", "Математика", "Окружающий мир", "История")
GRADES = (4, 5, 6, 7, 8, 9)


def synthetic_municipal_report(seed: int = 7) -> model.Report:
    rng = random.Random(seed)
    cols = [model.Column("Образовательная организация", "text", 2.6), model.Column("N", "int", 0.6)] + [
        model.Column(t, k, 0.85) for t, k in (("«2», %", "percent"), ("«3», %", "percent"), ("«4», %", "percent"),
                                             ("«5», %", "percent"), ("Успеваемость, %", "percent"),
                                             ("Качество, %", "percent"), ("Средняя отметка", "mark"),
                                             ("СОУ, %", "percent"))] + [model.Column("Признаки", "text", 0.9),
                                                                       model.Column("Риск", "bool", 0.6)]
    names = [f"МБОУ «Средняя общеобразовательная школа №{i}» (DEMO-S{i:03d})" for i in range(1, SCHOOLS + 1)]
    sections = [model.Section("1. Общие результаты", [model.Text("Синтетический отчёт для замера скорости.")])]
    for p, (subject, grade) in enumerate([(s, g) for s in SUBJECTS for g in GRADES], start=1):
        rows = []
        for name in names:
            n = rng.randint(3, 60)
            shares = [rng.random() for _ in range(4)]
            total = sum(shares)
            s2, s3, s4, s5 = (x / total * 100 for x in shares)
            risky = rng.random() < 0.1
            rows.append([name, n, s2, s3, s4, s5, 100 - s2, s4 + s5, (2 * s2 + 3 * s3 + 4 * s4 + 5 * s5) / 100,
                         s5 + 0.64 * s4 + 0.36 * s3 + 0.16 * s2, "S1, S4" if risky else "", risky])
        chart = model.Chart(f"Качество знаний, %: {subject}, {grade} кл.", [f"S{i}" for i in range(1, 13)],
                            [("Качество", [r[7] for r in rows[:12]])])
        sections.append(model.Section(f"2.{p}. {subject}, {grade} кл.", [
            chart, model.Table(cols, rows, n_column=1, risk_column=len(cols) - 1, sheet=f"{subject} {grade}")],
            level=1))
    return model.Report(kind="municipal", title="Аналитический отчёт о результатах оценки качества образования",
                        organization="Степной район", period="2026 год", sections=sections)


def stock_platypus_pdf(report: model.Report) -> bytes:
    """Baseline: the same tables through reportlab's own Table with a repeated header."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    from ersoko_desktop.reports.charts import draw_chart
    from ersoko_desktop.reports.fonts import register_fonts

    font = register_fonts()
    cell = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.4)
    story = []
    for section in report.sections:
        for block in section.blocks:
            if isinstance(block, model.Chart):
                story.append(draw_chart(block))
            elif isinstance(block, model.Table):
                data = [[c.title for c in block.columns]]
                for row in block.display_rows():
                    data.append([Paragraph(format_value(v, c.kind), cell) if c.kind == "text"
                                 else format_value(v, c.kind) for c, v in zip(block.columns, row)])
                total = sum(c.width for c in block.columns)
                widths = [(A4[0] - 36 * mm) * c.width / total for c in block.columns]
                table = Table(data, colWidths=widths, repeatRows=1)
                table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 7.5),
                                           ("GRID", (0, 0), (-1, -1), 0.4, "grey")]))
                story.append(table)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def timed(fn, *args, repeat: int = 3):
    """Best wall-clock and best CPU time of ``repeat`` runs (CPU time shows the cost on a busy
    machine, where wall-clock mostly measures waiting for a core)."""
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return (best, best_cpu), result


def demo_end_to_end() -> tuple[float, float, int] | None:
    import importlib.util
    import tempfile

    if importlib.util.find_spec("ersoko_desktop.services.indicators") is None:
        return None
    from ersoko_desktop.db import open_database, session_scope
    from ersoko_desktop.services.demo import fill_demo
    from ersoko_desktop.services.reports import build_report

    with tempfile.TemporaryDirectory() as tmp:
        engine = open_database(str(Path(tmp) / "demo.sqlite"))
        with session_scope(engine) as session:
            fill_demo(session)
        with session_scope(engine) as session:
            start = time.process_time()
            report = build_report(session, kind="municipal", org_code="DEMO-M1")
            built = time.process_time() - start
            start = time.process_time()
            data = pdf_bytes(report)
            rendered = time.process_time() - start
        engine.dispose()
    return built, rendered, len(PdfReader(io.BytesIO(data)).pages)


def main() -> int:
    report = synthetic_municipal_report()
    pdf_bytes(model.Report(kind="x", title="прогрев", organization="-", period="-", sections=[]))  # fonts, imports
    (ours, ours_cpu), data = timed(pdf_bytes, report)
    pages = len(PdfReader(io.BytesIO(data)).pages)
    (base, base_cpu), base_data = timed(stock_platypus_pdf, report, repeat=1)
    base_pages = len(PdfReader(io.BytesIO(base_data)).pages)
    (excel, excel_cpu), _ = timed(xlsx_bytes, report, repeat=1)
    print(f"municipal PDF, ours: {pages} pages in {ours:.2f} s wall / {ours_cpu:.2f} s CPU "
          f"({ours_cpu / pages * 1000:.0f} ms CPU per page; title, contents, 2 passes)")
    print(f"baseline platypus.Table (no contents, 1 pass): {base_pages} pages in {base:.2f} s wall / "
          f"{base_cpu:.2f} s CPU -> per page ours is {base_cpu / base_pages / (ours_cpu / pages):.1f}x cheaper")
    print(f"same report as XLSX: {excel:.2f} s wall / {excel_cpu:.2f} s CPU")
    e2e = demo_end_to_end()
    if e2e is None:
        print("demo end to end: skipped (services.indicators not installed)")
    else:
        built, rendered, demo_pages = e2e
        print(f"demo municipal report end to end (CPU): data {built:.2f} s + PDF {rendered:.2f} s "
              f"({demo_pages} pages)")
    assert pages >= 50, pages
    return 0


if __name__ == "__main__":
    sys.exit(main())
