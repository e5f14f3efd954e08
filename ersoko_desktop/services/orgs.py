"""The organization registry: region → municipality → school."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import ORG_KINDS, Organization
from ..errors import Diagnostic, InputError, NotFoundError
from ..tabular import cell_text, normalize_header, read_table
from . import audit

HEADER_SYNONYMS = {
    "code": {"code", "код", "код оо", "логин", "логин оо", "код организации"},
    "name": {"name", "наименование", "название", "наименование оо", "полное наименование"},
    "kind": {"kind", "тип", "вид", "тип организации"},
    "parent_code": {"parent_code", "parent", "код вышестоящей", "код вышестоящей организации",
                    "код родителя", "муниципалитет", "код муниципалитета"},
    "inn": {"инн", "inn"},
    "ogrn": {"огрн", "ogrn"},
}
KIND_SYNONYMS = {
    "region": "region", "регион": "region", "рег": "region",
    "municipality": "municipality", "муниципалитет": "municipality", "мо": "municipality",
    "моуо": "municipality", "муниципальный": "municipality",
    "school": "school", "школа": "school", "оо": "school",
}
KIND_RU = {"region": "регион", "municipality": "муниципалитет", "school": "школа"}
PARENT_KIND = {"region": None, "municipality": "region", "school": "municipality"}


@dataclass(frozen=True)
class OrgRow:
    code: str
    name: str
    kind: str
    parent_code: str | None
    inn: str | None = None
    ogrn: str | None = None


@dataclass
class OrgImportReport:
    file: str
    encoding: str | None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[Diagnostic] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"file": self.file, "encoding": self.encoding, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "warnings": [w.as_dict() for w in self.warnings]}


def _match_header(cell) -> str | None:
    key = normalize_header(cell)
    for field_name, names in HEADER_SYNONYMS.items():
        if key in names:
            return field_name
    return None


def parse_registry(path: Path) -> tuple[list[OrgRow], OrgImportReport]:
    table = read_table(path)
    report = OrgImportReport(file=path.name, encoding=table.encoding)
    rows = table.rows
    header_index, columns = None, {}
    for i, row in enumerate(rows[:15]):
        found = {}
        for j, cell in enumerate(row):
            name = _match_header(cell)
            if name and name not in found:
                found[name] = j
        if {"code", "name", "kind"} <= found.keys():
            header_index, columns = i, found
            break
    if header_index is None:
        seen = [cell_text(c) for c in (rows[0] if rows else []) if cell_text(c)]
        raise InputError(
            f"Файл «{path.name}»: не найдена строка заголовка. Ожидались столбцы «Код», «Наименование», «Тип» "
            f"и «Код вышестоящей»; в первой строке: {', '.join(seen) or 'пусто'}."
        )
    header = rows[header_index]
    errors: list[Diagnostic] = []
    out: list[OrgRow] = []
    seen_codes: dict[str, int] = {}

    def col(row, name):
        j = columns.get(name)
        return cell_text(row[j]) if j is not None and j < len(row) else ""

    for i, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        if not any(cell_text(c) for c in row):
            continue
        code, name, kind_raw = col(row, "code"), col(row, "name"), col(row, "kind")
        parent = col(row, "parent_code") or None
        hname = lambda f: cell_text(header[columns[f]])  # noqa: E731
        if not code:
            errors.append(Diagnostic("пустой код организации", i, hname("code"), path.name))
            continue
        if code in seen_codes:
            errors.append(Diagnostic(f"код «{code}» повторяется (уже в строке {seen_codes[code]})", i, hname("code"), path.name))
            continue
        seen_codes[code] = i
        if not name:
            errors.append(Diagnostic(f"пустое наименование у организации «{code}»", i, hname("name"), path.name))
        kind = KIND_SYNONYMS.get(kind_raw.lower().strip())
        if kind is None:
            errors.append(Diagnostic(
                f"неизвестный тип «{kind_raw}»; ожидалось: регион, муниципалитет, школа (region, municipality, school)",
                i, hname("kind"), path.name))
            continue
        out.append(OrgRow(code, name, kind, parent, col(row, "inn") or None, col(row, "ogrn") or None))
    if errors:
        raise InputError(f"Реестр «{path.name}» не загружен: {len(errors)} ошибок, ничего не записано.", diagnostics=errors)
    return out, report


def import_registry(session: Session, path: str | Path, *, dry_run: bool = False) -> OrgImportReport:
    """Create or update organizations from a registry file; all rows or none."""
    path = Path(path)
    rows, report = parse_registry(path)
    existing = {o.code: o for o in session.scalars(select(Organization))}
    kinds = {code: o.kind for code, o in existing.items()} | {r.code: r.kind for r in rows}
    errors: list[Diagnostic] = []
    for r in rows:
        want = PARENT_KIND[r.kind]
        if r.parent_code is None:
            if want is not None:
                errors.append(Diagnostic(f"у организации «{r.code}» ({KIND_RU[r.kind]}) не указан код вышестоящей ({KIND_RU[want]})",
                                         column="Код вышестоящей", file=path.name))
            continue
        pk = kinds.get(r.parent_code)
        if pk is None:
            errors.append(Diagnostic(f"вышестоящая организация «{r.parent_code}» для «{r.code}» не найдена ни в файле, ни в базе",
                                     column="Код вышестоящей", file=path.name))
        elif want is None or pk != want:
            errors.append(Diagnostic(f"«{r.code}» ({KIND_RU[r.kind]}) не может подчиняться «{r.parent_code}» ({KIND_RU[pk]})",
                                     column="Код вышестоящей", file=path.name))
    if errors:
        raise InputError(f"Реестр «{path.name}» не загружен: {len(errors)} ошибок, ничего не записано.", diagnostics=errors)
    # Parents first so that parent ids exist.
    order = {"region": 0, "municipality": 1, "school": 2}
    for r in sorted(rows, key=lambda r: order[r.kind]):
        org = existing.get(r.code)
        if org is None:
            org = Organization(code=r.code, name=r.name, kind=r.kind, inn=r.inn, ogrn=r.ogrn)
            session.add(org)
            existing[r.code] = org
            report.created += 1
        else:
            before = (org.name, org.kind, org.parent.code if org.parent else None, org.inn, org.ogrn)
            after = (r.name, r.kind, r.parent_code, r.inn or org.inn, r.ogrn or org.ogrn)
            if before == after:
                report.unchanged += 1
                continue
            audit.record(session, action="update", entity="organization", entity_id=r.code,
                         before=dict(zip(("name", "kind", "parent", "inn", "ogrn"), before)),
                         after=dict(zip(("name", "kind", "parent", "inn", "ogrn"), after)))
            org.name, org.kind, org.inn, org.ogrn = r.name, r.kind, r.inn or org.inn, r.ogrn or org.ogrn
            report.updated += 1
        org.parent = existing[r.parent_code] if r.parent_code else None
    session.flush()
    if dry_run:
        session.rollback()
    return report


def list_organizations(session: Session, *, kind: str | None = None, parent_code: str | None = None) -> list[Organization]:
    stmt = select(Organization).order_by(Organization.kind, Organization.code)
    if kind:
        stmt = stmt.where(Organization.kind == kind)
    if parent_code:
        stmt = stmt.where(Organization.parent_id == get_org(session, parent_code).id)
    return list(session.scalars(stmt))


def get_org(session: Session, code: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.code == code))
    if org is None:
        raise NotFoundError(f"Организация с кодом «{code}» не найдена в реестре.")
    return org


def org_as_dict(org: Organization) -> dict:
    return {"code": org.code, "name": org.name, "kind": org.kind,
            "parent_code": org.parent.code if org.parent else None}


def descendants(session: Session, org: Organization) -> list[Organization]:
    """The organization and everything under it (a municipality and its schools)."""
    result, frontier = [org], [org.id]
    while frontier:
        children = list(session.scalars(select(Organization).where(Organization.parent_id.in_(frontier))))
        result += children
        frontier = [c.id for c in children]
    return result
