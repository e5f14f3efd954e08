"""``human/summary.pdf``: a short printable account of what a package holds.

It is a copy for people (a head of a school signs it off, a municipal specialist files it), built
with the reports layer from the same data the package carries. It summarises — one row per
procedure (school) or per school (municipality), forms, roadmaps, nested packages — and never
lists result rows: those are in ``human/report.xlsx`` and ``data/results.json``, so the PDF
stays one or two pages at 100 000 results. The file is listed and hashed in the manifest like
any other, so it is signed with the package.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from ..reports import model

MAX_ROWS = 300  # a table longer than this is cut with a note (the XLSX copy has everything)
KIND_TITLE = {"school-report": "отчёт школы", "municipal-report": "отчёт муниципалитета"}
STATUS_RU = {"draft": "черновик", "submitted": "отправлена", "approved": "принята", "returned": "возвращена"}


@dataclass(frozen=True)
class Heading:
    """The package's identity, known only once the sequence number has been taken."""

    dataset_kind: str
    sender_org: str
    sender_name: str
    recipient: str | None
    period: str | None
    seq: int
    package_id: str
    fingerprint: str
    created_at: str


def _marks(rows: Iterable[list]) -> tuple[int, list[int]]:
    marks = [0, 0, 0, 0]
    n = 0
    for row in rows:
        n += 1
        mark = row[5]
        if isinstance(mark, int) and 2 <= mark <= 5:
            marks[mark - 2] += 1
    return n, marks


def _cut(rows: list, what: str) -> tuple[list, str]:
    if len(rows) <= MAX_ROWS:
        return rows, ""
    return rows[:MAX_ROWS], (f"Показаны первые {MAX_ROWS} из {len(rows)} строк ({what}); полный перечень — "
                             "в human/report.xlsx.")


_MARK_COLUMNS = [model.Column("Участников", "int", 0.9)] + [model.Column(f"«{m}»", "int", 0.6) for m in "2345"]


def _results_table(results: list[dict], summary: list[dict]) -> tuple[str, model.Table]:
    if summary:  # a municipality: one row per school over every procedure, nested schools included
        per_school: dict[str, list] = defaultdict(lambda: [set(), 0, [0, 0, 0, 0]])
        for s in summary:
            acc = per_school[s["org"]]
            acc[0].add((s["procedure"], s["subject"], s["grade"], s["year"]))
            acc[1] += s["n"]
            for i, m in enumerate("2345"):
                acc[2][i] += s["marks"][m]
        rows = [[org, len(p), n, *marks] for org, (p, n, marks) in sorted(per_school.items())]
        columns = [model.Column("Код ОО", "text", 1.2), model.Column("Процедур", "int", 0.8)] + _MARK_COLUMNS
        title = "Результаты по школам (сводка муниципалитета, вложенные пакеты включены)"
    else:
        rows = []
        for g in results:
            p = g["procedure"]
            n, marks = _marks(g["rows"])
            rows.append([g["school"], f"{p['kind']} {p['subject']}", p["grade"], p["year"], n, *marks])
        rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
        columns = [model.Column("Код ОО", "text", 1.0), model.Column("Процедура", "text", 2.4),
                   model.Column("Класс", "int", 0.6), model.Column("Год", "text", 0.6)] + _MARK_COLUMNS
        title = "Результаты по процедурам"
    rows, note = _cut(rows, "результаты")
    return title, model.Table(columns, rows, note=note)


def summary_report(head: Heading, *, counts: dict, results: list[dict], summary: list[dict], forms: dict,
                   roadmaps: list[dict], nested: list[tuple[str, int, str, str, int]],
                   corrections: dict | None = None) -> model.Report:
    """``nested``: (school code, seq, package id, sha256, results) of each school package carried unchanged."""
    identity = [("Отправитель", f"{head.sender_org} — {head.sender_name}"),
                ("Получатель", head.recipient or "не указан"),
                ("Содержание", KIND_TITLE.get(head.dataset_kind, head.dataset_kind)),
                ("Период", head.period or "все данные"),
                ("Номер пакета", str(head.seq)),
                ("Идентификатор", head.package_id),
                ("Отпечаток ключа", head.fingerprint),
                ("Создан (UTC)", head.created_at)]
    # labels short enough for the key column of one line
    labels = [("results", "Результатов (своих)" if nested else "Результатов"), ("submissions", "Форм"),
              ("roadmaps", "Дорожных карт"), ("occurrences", "Сроков"), ("evidence", "Подтверждений")]
    totals = [(label, str(counts.get(key, 0))) for key, label in labels]
    if nested:
        totals.append(("Пакетов школ", str(len(nested))))
        totals.append(("Результатов в них", str(sum(n[4] for n in nested))))
    blocks: list[model.Block] = [
        model.KeyValues(identity),
        model.Text("Это копия для чтения. Юридическую силу имеют данные пакета (папка data/), подписанные "
                   "вместе с этим файлом: подпись — META/manifest.sig, перечень файлов с контрольными суммами — "
                   "META/manifest.json. Проверка: «ersoko package verify ФАЙЛ».", "note"),
    ]
    sections = [model.Section("Пакет", blocks), model.Section("Что в пакете", [model.KeyValues(totals)])]
    if results or summary:
        title, table = _results_table(results, summary)
        sections.append(model.Section(title, [table]))
    if nested:
        rows, note = _cut([[code, seq, pid, sha[:16] + "…"] for code, seq, pid, sha, _n in nested], "пакеты школ")
        sections.append(model.Section("Вложенные пакеты школ (без изменений, со своими подписями)", [model.Table(
            [model.Column("Школа", "text", 1.0), model.Column("№", "int", 0.5),
             model.Column("Идентификатор", "text", 3.0), model.Column("SHA-256", "text", 1.8)], rows, note=note)]))
    if corrections:
        sections.append(model.Section("Исправления муниципалитета", [
            model.KeyValues([("Школы", ", ".join(corrections["orgs"])),
                             ("Результатов", str(corrections["results"])),
                             ("Форм", str(corrections["submissions"]))]),
            model.Text("Пакеты школ вложены без изменений, с подписями школ. Здесь — данные муниципалитета об этих "
                       "школах, которые отличаются от подписанных школами (исправленные результаты, решения по "
                       "формам): папка corrections/. Получатель увидит расхождения как конфликты.", "note")]))
    if forms["submissions"]:
        rows, note = _cut([[s["form_id"], s["org"], s["period"], STATUS_RU.get(s["status"], s["status"])]
                           for s in forms["submissions"]], "формы")
        sections.append(model.Section("Формы", [model.Table(
            [model.Column("Форма", "text", 1.5), model.Column("Код ОО", "text", 1.0),
             model.Column("Период", "text", 0.8), model.Column("Статус", "text", 1.0)], rows, note=note)]))
    if roadmaps:
        rows = []
        for rm in roadmaps:
            occ = [o for t in rm["tasks"] for o in t["occurrences"]]
            rows.append([rm["org"], rm["title"], len(rm["tasks"]), len(occ), sum(o["status"] == "done" for o in occ)])
        rows, note = _cut(rows, "дорожные карты")
        sections.append(model.Section("Дорожные карты", [model.Table(
            [model.Column("Код ОО", "text", 0.8), model.Column("Дорожная карта", "text", 3.0),
             model.Column("Мероприятий", "int", 0.9), model.Column("Сроков", "int", 0.7),
             model.Column("Выполнено", "int", 0.8)], rows, note=note)]))
    return model.Report(kind="package", title=f"Пакет данных ЕРСОКО: {KIND_TITLE.get(head.dataset_kind, '')}",
                        organization=f"{head.sender_name} ({head.sender_org})", org_code=head.sender_org,
                        period=f"период: {head.period or 'все данные'}; пакет №{head.seq}", sections=sections,
                        title_page=False, toc=False)


def summary_pdf(head: Heading, **data) -> bytes:
    from ..reports.pdf import pdf_bytes

    return pdf_bytes(summary_report(head, **data))
