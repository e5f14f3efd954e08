"""Roadmap tables as orders really write them (GUIDE §5) → roadmaps, sections, tasks.

The input is a document already read into blocks (paragraphs and table rows, see
``roadmap_files``); this module knows the layout rules, not the file formats:

- the header row is found by column stems (мероприят*/содержание/наименование, срок*,
  исполнит*/ответствен*, участник*, результат*, №), ignoring case, plural and brackets;
  a header repeated after a page break continues the same roadmap, a header with its own title
  text before it starts a new roadmap; a year sub-header (2018 / 2019 / 2020) makes year columns;
- section rows: one text across the row («I. …», «Раздел 1. …», «1.2. Система …» without a
  deadline, merged or italic); a numbered row without deadline and executor is a section only
  if later task numbers start with its number (otherwise it is text spilled from the task above);
- continuation rows (no number) append their text to the task above, words broken across rows
  («необходимо» + «сти») are glued back, ``<li>`` markup becomes lines;
- tasks before the first section row form an untitled first section; document order is kept.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ..errors import Diagnostic
from .deadlines import Period, split_title_period

# ---------------------------------------------------------------- input blocks


@dataclass
class Row:
    cells: list[str]
    row: int | None = None  # as the user sees it (line in TXT, row in Excel/Word table)
    where: str = ""  # «таблица 2» / «лист План» for messages
    merged_across: bool = False  # one cell spans the whole width (Word/Excel)
    italic: bool = False


@dataclass
class Paragraph:
    text: str
    row: int | None = None


@dataclass
class TableStart:
    """A new table object begins (Word table, Excel sheet); TXT tables have none."""

    where: str = ""


Block = Row | Paragraph | TableStart

# ---------------------------------------------------------------- output


@dataclass
class ParsedTask:
    number: str | None
    title: str
    deadline_text: str = ""
    executors: str = ""
    participants: str = ""
    expected_result: str = ""
    years: list[int] | None = None
    row: int | None = None
    where: str = ""


@dataclass
class ParsedSection:
    number: str | None
    title: str
    tasks: list[ParsedTask] = field(default_factory=list)


@dataclass
class ParsedRoadmap:
    title: str
    sections: list[ParsedSection] = field(default_factory=list)
    period: Period | None = None  # written in its title
    year_columns: list[int] = field(default_factory=list)

    @property
    def tasks(self) -> list[ParsedTask]:
        return [t for s in self.sections for t in s.tasks]


@dataclass
class ParsedDocument:
    roadmaps: list[ParsedRoadmap]
    warnings: list[Diagnostic]
    period: Period | None  # the first period written anywhere in the text outside the tables


# ---------------------------------------------------------------- header recognition

ROLES = ("number", "deadline", "executors", "participants", "result", "title")
_STEMS = (
    ("number", re.compile(r"^(?:№|n\b|no\b|номер)|п\s*/\s*п")),
    ("deadline", re.compile(r"срок|^дата|период исполн")),
    ("executors", re.compile(r"исполнит|ответствен")),
    ("participants", re.compile(r"участник")),
    ("result", re.compile(r"результат")),
    ("title", re.compile(r"мероприят|содержани|наименовани|направлени|деятельност")),
)
_QUICK_HEADER = re.compile(r"срок|исполнит|ответствен")
_YEAR_CELL = re.compile(r"(?:19|20)\d{2}(?:\s*г\.?(?:од)?)?")
_NUMBER = re.compile(r"(\d+(?:\.\d+)*)\.?")
_ROMAN_HEADING = re.compile(r"([IVXLC]{1,6})\.?\s+(\S.*)", re.S)
_PART_HEADING = re.compile(r"((?:раздел|часть|блок|направление)\s+[\dIVXLC]+)\.?\s*(.*)", re.S | re.I)
_NUMBERED_HEADING = re.compile(r"(\d+(?:\.\d+)*)\.?\s+(\D.*)", re.S)
_NO_MARK = {"", "-", "–", "—", "нет", "0"}
SHORT_WORDS = {"и", "в", "с", "к", "о", "у", "а", "во", "со", "ко", "об", "по", "на", "за", "до", "от", "из",
               "не", "ни", "но", "да", "же", "ли", "бы", "для", "под", "над", "при", "без", "про", "или", "их",
               "его", "ее", "её", "др", "т.д", "т.п", "гг", "г", "год", "уч", "все", "всех", "так", "как", "где",
               "оо", "рф", "рмо", "гиа", "огэ", "егэ", "впр", "мсоко", "всоко"}


def _header_key(text: str) -> str:
    s = (text or "").lower().replace("ё", "е")
    s = re.sub(r"\([^)]*\)", " ", s)
    s = re.sub(r"\s+", " ", s)
    return s.strip(" .:")


@dataclass
class Columns:
    roles: dict[str, int]
    years: dict[int, int] = field(default_factory=dict)  # column → year

    def get(self, cells: list[str], role: str) -> str:
        i = self.roles.get(role)
        return cells[i] if i is not None and i < len(cells) else ""


def match_header(cells: list[str]) -> Columns | None:
    """Column roles of a header row, or None when the row is not a roadmap header."""
    joined = " ".join(cells).lower()
    if not _QUICK_HEADER.search(joined):  # most rows: no header word at all
        return None
    roles: dict[str, int] = {}
    years: dict[int, int] = {}
    for i, cell in enumerate(cells):
        key = _header_key(cell)
        if not key:
            continue
        if _YEAR_CELL.fullmatch(key):
            years[i] = int(key[:4])
            continue
        for role, rx in _STEMS:
            if rx.search(key):
                roles.setdefault(role, i)
                break
    if "title" not in roles or not ("deadline" in roles or "executors" in roles):
        return None
    # a data row may mention «мероприятия» and «сроки» too; a header is short labels only
    filled = [i for i, c in enumerate(cells) if _header_key(c)]
    unmatched = {_header_key(cells[i]) for i in filled if i not in roles.values() and i not in years}
    if len(unmatched) > 1 or any(len(_header_key(cells[i])) > 60 for i in filled):
        return None
    return Columns(roles, years)


def _year_subheader(cells: list[str]) -> dict[int, int] | None:
    filled = [i for i, c in enumerate(cells) if c.strip()]
    if filled and all(_YEAR_CELL.fullmatch(cells[i].strip().lower()) for i in filled):
        return {i: int(cells[i].strip()[:4]) for i in filled}
    return None


def _column_numbering(cells: list[str]) -> bool:
    """The «1 | 2 | 3 | 4» row under a header that numbers the columns."""
    vals = [c.strip().rstrip(".") for c in cells if c.strip()]
    return len(vals) >= 3 and all(v.isdigit() for v in vals) and [int(v) for v in vals] == list(range(1, len(vals) + 1))


# ---------------------------------------------------------------- text clean-up


_NEEDS_WORK = re.compile(r"[<\n\r\u00a0]")
_SPACES = re.compile(r"[ \t]+")


def clean_cell(text: str | None) -> str:
    """Cell text: HTML list markup → lines, tags dropped, lines trimmed, broken words glued."""
    s = str(text or "")
    if not _NEEDS_WORK.search(s):  # the usual cell: one plain line
        return _SPACES.sub(" ", s).strip()
    if "<" in s and ">" in s:
        s = re.sub(r"(?i)<\s*br\s*/?>|<\s*li[^>]*>|<\s*/?\s*p[^>]*>", "\n", s)
        s = re.sub(r"<[^>]+>", " ", s)
        s = html.unescape(s)
    s = s.replace("\u00a0", " ").replace("\r", "\n")
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in s.split("\n")]
    out = ""
    for ln in lines:
        if not ln:
            continue
        out = join_text(out, ln, newline=True) if out else ln
    return out


def _is_word_tail(fragment: str) -> bool:
    """«сти» left over from «необходимо|сти»: a short lower-case piece that is not a word itself."""
    first = re.match(r"[а-яё]+", fragment)
    if not first or first.group(0) != fragment.split()[0].rstrip(".,;:)»") or not fragment[0].islower():
        return False
    word = first.group(0)
    return len(word) <= 3 and word not in SHORT_WORDS


def join_text(prev: str, frag: str, *, newline: bool = False) -> str:
    """Append a continuation piece: glue hyphenated or broken words, keep list items on new lines."""
    if not prev:
        return frag
    if not frag:
        return prev
    if re.search(r"[а-яёa-z]-$", prev, re.I) and frag[0].islower():
        return prev[:-1] + frag
    if re.search(r"[а-яё]$", prev, re.I) and _is_word_tail(frag):
        return prev + frag
    if re.match(r"(?:\d+[.)]|[-•–—*])\s", frag) or newline:
        return prev + "\n" + frag
    return prev + " " + frag


def _number_of(text: str) -> str | None:
    m = _NUMBER.fullmatch(text.strip())
    return m.group(1) if m else None


def _heading(text: str) -> tuple[str | None, str] | None:
    """(number, title) if the text reads as a section heading («I. …», «Раздел 1. …», «1.2. …»)."""
    t = text.strip()
    for rx in (_ROMAN_HEADING, _PART_HEADING, _NUMBERED_HEADING):
        m = rx.fullmatch(t)
        if m:
            return m.group(1), m.group(2).strip()
    return None


# ---------------------------------------------------------------- the parser


@dataclass
class _Rec:
    """One classified row before sections are resolved."""

    kind: str  # task | section | candidate | cont
    row: Row
    number: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    years: list[int] | None = None


class _Builder:
    def __init__(self, file_name: str):
        self.file = file_name
        self.warnings: list[Diagnostic] = []
        self.roadmaps: list[ParsedRoadmap] = []
        self.records: list[list[_Rec]] = []  # per roadmap
        self.columns: Columns | None = None
        self.paragraphs: list[Paragraph] = []  # seen since the last table row
        self.all_paragraphs: list[Paragraph] = []
        self.expect_subheader = False

    def warn(self, message: str, row: Row | Paragraph | None = None, column: str | None = None) -> None:
        where = getattr(row, "where", "") if row is not None else ""
        self.warnings.append(Diagnostic((f"{where}: " if where else "") + message,
                                        row=getattr(row, "row", None), column=column, file=self.file))

    def feed(self, block: Block) -> None:
        if isinstance(block, Paragraph):
            if block.text.strip():
                self.paragraphs.append(block)
                self.all_paragraphs.append(block)
            return
        if isinstance(block, TableStart):
            return
        cells = [clean_cell(c) for c in block.cells]
        block.cells = cells
        if not any(cells):
            return
        header = match_header(cells)
        if header is not None:
            self._start_header(header, block)
            return
        if self.columns is None:  # title lines of a spreadsheet, a letterhead table
            self.paragraphs.append(Paragraph(" ".join(dict.fromkeys(c for c in cells if c)), block.row))
            self.all_paragraphs.append(self.paragraphs[-1])
            return
        if self.expect_subheader:
            self.expect_subheader = False
            years = _year_subheader(cells)
            if years:
                self.columns.years = years
                self.roadmaps[-1].year_columns = sorted(set(years.values()))
                return
        if _column_numbering(cells):
            return
        self._flush_paragraphs_into_table()
        self._data_row(block)

    def _start_header(self, header: Columns, row: Row) -> None:
        titles = [p for p in self.paragraphs if p.text.strip()]
        if not self.roadmaps or any(_TITLE_WORDS.search(p.text) for p in titles):
            title = _pick_title(titles) if titles else ""
            rm = ParsedRoadmap(title=title, period=split_title_period(title) if title else None)
            if header.years:
                rm.year_columns = sorted(set(header.years.values()))
            self.roadmaps.append(rm)
            self.records.append([])
        elif header.years:
            self.roadmaps[-1].year_columns = sorted(set(header.years.values()))
        if header.years or not self.columns:
            self.columns = header
        else:  # a repeated header keeps the year columns found under the first one
            self.columns = Columns(header.roles, self.columns.years if header.roles == self.columns.roles else {})
        self.paragraphs.clear()
        self.expect_subheader = True

    def _flush_paragraphs_into_table(self) -> None:
        """Lines between two pieces of one table: section headings, or page furniture to skip."""
        for p in self.paragraphs:
            head = _heading(p.text)
            if head and len(p.text) < 300:
                self.records[-1].append(_Rec("section", Row([p.text], p.row), number=head[0],
                                             fields={"title": head[1]}))
            else:
                self.warn(f"текст между частями таблицы пропущен: «{_short(p.text)}»", p)
        self.paragraphs.clear()

    def _data_row(self, row: Row) -> None:
        cols = self.columns
        assert cols is not None
        cells = row.cells
        get = lambda role: cols.get(cells, role)  # noqa: E731
        fields = {r: get(r) for r in ROLES if r != "number"}
        num_cell = get("number")
        number = _number_of(num_cell) if num_cell else None
        texts = [c for c in cells if c]
        single = len(set(texts)) == 1
        recs = self.records[-1]
        years = [y for i, y in cols.years.items() if i < len(cells) and cells[i].strip().lower() not in _NO_MARK]

        # one text across the row: a section heading (merged, italic, «I. …», «Раздел 1. …»)
        if single and number is None and (not fields["deadline"] or len(texts) > 1):
            text = texts[0]
            head = _heading(text)
            strong = row.merged_across or row.italic
            if head and (bool(num_cell) or strong or "number" not in cols.roles
                         or _ROMAN_HEADING.fullmatch(text) or _PART_HEADING.fullmatch(text)):
                recs.append(_Rec("section", row, number=head[0], fields={"title": head[1]}))
                return
            if strong:
                recs.append(_Rec("section", row, number=None, fields={"title": text}))
                return
        last = next((r for r in reversed(recs) if r.kind in ("task", "candidate")), None)
        if number is not None and last is not None and last.number == number and \
                last.fields.get("title") == fields["title"]:
            # the number and title cells are merged down over several rows: one task continues
            recs.append(_Rec("cont", row, fields=fields, years=years))
            return
        if number is not None:
            if not fields["deadline"] and not fields["executors"] and fields["title"]:
                recs.append(_Rec("candidate", row, number=number, fields=fields, years=years))
                return
            recs.append(_Rec("task", row, number=number, fields=fields, years=years))
            return
        if "number" in cols.roles:
            if num_cell and number is None and not any(v for v in fields.values()):
                self.warn(f"в столбце «№» текст «{_short(num_cell)}» не похож ни на номер, ни на раздел; пропущен",
                          row, "№")
                return
            recs.append(_Rec("cont", row, fields=fields, years=years))
            return
        # no number column: a row with a deadline or executor is a task, text alone continues
        if fields["title"] and (fields["deadline"] or fields["executors"]):
            recs.append(_Rec("task", row, number=None, fields=fields, years=years))
        else:
            recs.append(_Rec("cont", row, fields=fields, years=years))

    def finish(self) -> ParsedDocument:
        for rm, recs in zip(self.roadmaps, self.records):
            self._assemble(rm, recs)
        period = None
        for p in self.all_paragraphs:
            period = split_title_period(p.text)
            if period:
                break
        return ParsedDocument(self.roadmaps, self.warnings, period)

    def _assemble(self, rm: ParsedRoadmap, recs: list[_Rec]) -> None:
        # a numbered row without deadline and executor is a section when later task numbers
        # continue its number («1.1.» → «1.1.1.»), text spilled from the task above when it goes
        # on a numbered list of that task («1. …» in the cell, «2. …» on the next page), else a
        # task whose deadline is simply missing
        task_text = ""
        for i, rec in enumerate(recs):
            if rec.kind == "task":
                task_text = rec.fields.get("title", "")
            elif rec.kind == "cont":
                task_text += "\n" + rec.fields.get("title", "")
            if rec.kind != "candidate":
                continue
            nxt = next((r for r in recs[i + 1:] if r.kind in ("task", "candidate") and r.number
                        and r.number != rec.number and not r.number.startswith(rec.number + ".")), None)
            later = [r for r in recs[i + 1: recs.index(nxt) if nxt else len(recs)] if r.kind in ("task", "candidate")]
            previous_item = int(rec.number.split(".")[-1]) - 1  # type: ignore[union-attr]
            if any(r.number and r.number.startswith(rec.number + ".") for r in later):  # type: ignore[operator]
                rec.kind = "section"
            elif task_text and re.search(rf"(?:^|\n){previous_item}[.)]\s", task_text):
                rec.kind = "cont"
                rec.fields = dict(rec.fields)
                rec.fields["title"] = f"{rec.number}. {rec.fields['title']}"
                task_text += "\n" + rec.fields["title"]
            else:
                rec.kind = "task"
                task_text = rec.fields.get("title", "")
        section: ParsedSection | None = None
        task: ParsedTask | None = None
        for rec in recs:
            if rec.kind == "section":
                section = ParsedSection(rec.number, rec.fields.get("title", ""))
                rm.sections.append(section)
                task = None
                continue
            if rec.kind == "task":
                if section is None:
                    section = ParsedSection(None, "")
                    rm.sections.append(section)
                f = rec.fields
                if not f["title"]:
                    self.warn(f"у мероприятия № {rec.number or '—'} нет названия", rec.row, "Мероприятие")
                task = ParsedTask(rec.number, f["title"], f["deadline"], f["executors"], f["participants"],
                                  f["result"], rec.years if rm.year_columns else None, rec.row.row, rec.row.where)
                section.tasks.append(task)
                continue
            # continuation
            if task is None:
                text = " ".join(v for v in rec.fields.values() if v)
                if text:
                    self.warn(f"строка без номера до первого мероприятия пропущена: «{_short(text)}»", rec.row)
                continue
            _extend(task, rec)
        for t in rm.tasks:
            if rm.year_columns and not t.years:
                self.warn(f"у мероприятия № {t.number or '—'} не отмечен ни один год — срок отнесён ко всему периоду",
                          Row([], t.row, t.where), "Этапы (годы)")
                t.years = None


def _extend(task: ParsedTask, rec: _Rec) -> None:
    attr = {"title": "title", "deadline": "deadline_text", "executors": "executors",
            "participants": "participants", "result": "expected_result"}
    for role, name in attr.items():
        frag = rec.fields.get(role, "")
        current = getattr(task, name)
        if frag and frag != current:  # a vertically merged cell repeats the same text: skip it
            setattr(task, name, join_text(current, frag))
    if rec.years:
        task.years = sorted(set(task.years or []) | set(rec.years))


_TITLE_WORDS = re.compile(r"дорожн|план\s|план$|карт[аы]|мероприяти", re.I)


def _pick_title(paragraphs: list[Paragraph]) -> str:
    texts = [re.sub(r"^[*_#\s]+|[*_\s]+$", "", p.text).strip() for p in paragraphs]
    texts = [t for t in texts if t]
    for t in reversed(texts):
        if _TITLE_WORDS.search(t):
            return t
    return texts[-1] if texts else ""


def _short(text: str, limit: int = 80) -> str:
    t = " ".join(text.split())
    return t if len(t) <= limit else t[: limit - 1] + "…"


def parse_blocks(blocks: list[Block], *, file_name: str = "") -> ParsedDocument:
    """Read roadmaps out of a document's blocks (document order)."""
    builder = _Builder(file_name)
    for block in _titles_as_paragraphs(blocks):
        builder.feed(block)
    return builder.finish()


def _titles_as_paragraphs(blocks: list[Block]) -> list[Block]:
    """In a spreadsheet the title of the next roadmap is a row of one text right above its
    header; read such rows as paragraphs so they start a new roadmap instead of a section."""
    out = list(blocks)
    for i, block in enumerate(out):
        if not isinstance(block, Row) or match_header([clean_cell(c) for c in block.cells]) is None:
            continue
        j = i - 1
        while j >= 0:
            prev = out[j]
            if isinstance(prev, TableStart) or (isinstance(prev, Paragraph) and not prev.text.strip()):
                j -= 1
                continue
            if isinstance(prev, Row):
                texts = {clean_cell(c) for c in prev.cells} - {""}
                if not texts:
                    j -= 1
                    continue
                if len(texts) == 1 and _heading(next(iter(texts))) is None:
                    out[j] = Paragraph(texts.pop(), prev.row)
                    j -= 1
                    continue
            break
    return out


def blocks_from_text(text: str) -> list[Block]:
    """A plain text with tab-separated tables (like the seed files): tab lines are rows."""
    blocks: list[Block] = []
    for no, line in enumerate(text.splitlines(), start=1):
        if "\t" in line:
            blocks.append(Row(line.split("\t"), row=no))
        else:
            blocks.append(Paragraph(line, row=no))
    return blocks


__all__ = ["Block", "Columns", "Paragraph", "ParsedDocument", "ParsedRoadmap", "ParsedSection", "ParsedTask",
           "Row", "TableStart", "blocks_from_text", "clean_cell", "join_text", "match_header", "parse_blocks"]
