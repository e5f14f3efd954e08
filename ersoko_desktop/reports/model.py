"""What a report says, independent of the format it is printed in.

Services build a :class:`Report` from the database; :mod:`.pdf` and :mod:`.xlsx` render it.
Values in table rows are raw (numbers, dates, text); formatting and small-cell suppression
happen at rendering, in one place (:mod:`.numbers`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Union

from .numbers import SUPPRESSED, is_suppressed

NUMERIC_KINDS = ("int", "percent", "mark", "score")


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text | int | percent | mark | score | date | bool
    width: float = 1.0  # relative share of the table width


@dataclass(frozen=True)
class GroupRow:
    """A row spanning the whole table, e.g. a roadmap section «1. Система оценки…»."""

    title: str


@dataclass
class Table:
    columns: list[Column]
    rows: list[Union[list[Any], GroupRow]]
    title: str = ""
    sheet: str | None = None  # XLSX sheet name; None: the table is not exported to XLSX
    n_column: int | None = None  # participants column: figures of a row with N < 5 are suppressed
    risk_column: int | None = None  # a bool column; true rows are highlighted
    note: str = ""
    in_pdf: bool = True  # False: a flat spreadsheet-only version of tables shown otherwise in the PDF

    def display_rows(self) -> list[Union[list[Any], GroupRow]]:
        """Rows with suppression applied: numeric cells of small groups become «—».

        N itself stays visible so the reader sees why the figures are missing."""
        if self.n_column is None:
            return list(self.rows)
        out: list[Union[list[Any], GroupRow]] = []
        for row in self.rows:
            if isinstance(row, GroupRow) or not is_suppressed(row[self.n_column]):
                out.append(row)
                continue
            out.append([
                SUPPRESSED if (j != self.n_column and col.kind in NUMERIC_KINDS and value is not None) else value
                for j, (col, value) in enumerate(zip(self.columns, row))
            ])
        return out


@dataclass
class Text:
    text: str  # plain text; line breaks kept
    style: str = "body"  # body | note | warning


@dataclass
class Chart:
    """A bar or line chart: one value per category for every series."""

    title: str
    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    kind: str = "bar"  # bar | line
    unit: str = "percent"  # percent | mark | int
    sheet: str | None = None  # XLSX chart sheet name; None: PDF only


@dataclass
class KeyValues:
    """A two-column block «Организация: …», used on title-like pages and the key card."""

    rows: list[tuple[str, str]]
    sheet: str | None = None


@dataclass
class QRCode:
    data: str
    caption: str = ""
    size_mm: float = 60.0


@dataclass
class Signatures:
    """Lines for the head's signature and seal at the end of an official document."""

    lines: list[str]


@dataclass
class PageBreak:
    pass


Block = Union[Table, Text, Chart, KeyValues, QRCode, Signatures, PageBreak]


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 0  # 0 = chapter, 1 = subsection (both appear in the table of contents)


@dataclass
class Report:
    kind: str  # school | municipal | roadmap | keycard
    title: str
    organization: str
    period: str
    sections: list[Section]
    subtitle: str = ""
    generated: dt.date = field(default_factory=dt.date.today)
    title_page: bool = True
    toc: bool = True
    org_code: str = ""

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]
