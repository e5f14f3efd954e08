"""First-run choices as a plain object: the Qt wizard only renders it (GUIDE §9, tested headless).

The steps, in order: role → own organization (from a registry file or entered by hand) → the
organization's signing key (optional passphrase, fingerprint, key card) → where the database
lives. Each step validates what the user chose and raises ``InputError`` with a Russian message
naming the field; nothing half-done is left in the database (every step is one transaction).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Organization
from ..errors import ErsokoError, InputError
from ..safety.location import Location, check_location, classify
from ..settings import set_db_setting, set_own_organization
from . import audit
from .keys import KeyInfo
from .orgs import KIND_RU, PARENT_KIND, OrgImportReport, import_registry

ROLES = {"school": "Школа (ВСОКО)", "municipality": "Муниципалитет (МСОКО)", "region": "ЦОКО / регион (РСОКО)"}
ORG_SOURCES = ("registry", "manual")
MIN_PASSPHRASE = 6


@dataclass
class ManualOrg:
    """An organization typed in by hand when there is no registry file yet."""

    code: str = ""
    name: str = ""
    parent_code: str | None = None


@dataclass
class FirstRunState:
    role: str = "school"
    org_source: str = "registry"  # registry | manual
    org_code: str | None = None
    manual: ManualOrg = field(default_factory=ManualOrg)
    key: KeyInfo | None = None
    key_card: Path | None = None

    # --- step 1: role -----------------------------------------------------------------------
    def validate_role(self) -> None:
        if self.role not in ROLES:
            raise InputError(f"Неизвестная роль «{self.role}»; ожидалось: {', '.join(ROLES)}.")

    # --- step 2: organization ---------------------------------------------------------------
    def candidates(self, session: Session) -> list[tuple[str, str]]:
        """Organizations of the chosen role's kind, as (code, name)."""
        rows = session.execute(
            select(Organization.code, Organization.name).where(Organization.kind == self.role).order_by(Organization.code)
        )
        return [(c, n) for c, n in rows]

    def parent_candidates(self, session: Session) -> list[tuple[str, str]]:
        """Who a hand-entered organization of this role may report to (empty for a region)."""
        parent_kind = PARENT_KIND.get(self.role)
        if parent_kind is None:
            return []
        rows = session.execute(select(Organization.code, Organization.name)
                               .where(Organization.kind == parent_kind).order_by(Organization.code))
        return [(c, n) for c, n in rows]

    def load_registry(self, session: Session, path: str | Path) -> OrgImportReport:
        """The registry file from the municipality or ЦОКО (all rows or none)."""
        return import_registry(session, path)

    def validate_org(self, session: Session) -> None:
        self.validate_role()
        if self.org_source == "manual":
            self._validate_manual(session)
            return
        if self.org_source != "registry":
            raise InputError(f"Неизвестный способ выбора организации «{self.org_source}».")
        if not self.org_code:
            raise InputError("Выберите свою организацию из реестра или введите её вручную.")
        if self.org_code not in {c for c, _ in self.candidates(session)}:
            raise InputError(f"Организация «{self.org_code}» не относится к выбранной роли «{ROLES[self.role]}».")

    def _validate_manual(self, session: Session) -> None:
        m = self.manual
        code, name = (m.code or "").strip(), (m.name or "").strip()
        if not code:
            raise InputError("Поле «Код»: введите код организации (логин ОО в ФИС ОКО или код по реестру).")
        if len(code) > 64 or any(ch.isspace() for ch in code):
            raise InputError(f"Поле «Код»: «{code}» — код пишется без пробелов, не длиннее 64 знаков.")
        if not name:
            raise InputError("Поле «Наименование»: введите полное наименование организации.")
        existing = session.scalar(select(Organization).where(Organization.code == code))
        if existing is not None and existing.kind != self.role:
            raise InputError(f"Поле «Код»: «{code}» уже есть в реестре как {KIND_RU[existing.kind]} "
                             f"«{existing.name}», а выбрана роль «{ROLES[self.role]}».")
        parent_kind = PARENT_KIND[self.role]
        parent = (m.parent_code or "").strip() or None
        if parent_kind is None:
            if parent is not None:
                raise InputError("Поле «Вышестоящая организация»: у региона её нет — оставьте пустым.")
            return
        if parent is None:
            # A school may start before its municipality is known: packages then go without a recipient.
            return
        if parent not in {c for c, _ in self.parent_candidates(session)}:
            raise InputError(f"Поле «Вышестоящая организация»: «{parent}» не найдена в реестре среди "
                             f"организаций вида «{KIND_RU[parent_kind]}».")

    def apply_org(self, session: Session) -> Organization:
        """Create the hand-entered organization if needed and make it this database's own."""
        self.validate_org(session)
        if self.org_source == "manual":
            code = self.manual.code.strip()
            org = session.scalar(select(Organization).where(Organization.code == code))
            parent_code = (self.manual.parent_code or "").strip() or None
            parent = session.scalar(select(Organization).where(Organization.code == parent_code)) if parent_code else None
            if org is None:
                org = Organization(code=code, name=self.manual.name.strip(), kind=self.role, parent=parent)
                session.add(org)
                session.flush()
                audit.record(session, action="create", entity="organization", entity_id=code,
                             after={"name": org.name, "kind": org.kind, "parent": parent_code, "source": "вручную"})
            self.org_code = code
        set_db_setting(session, "role", self.role)
        return set_own_organization(session, self.org_code)  # type: ignore[arg-type]

    # Kept for callers of the first version (one dialog: role + registry choice).
    def validate(self, session: Session) -> None:
        self.validate_org(session)

    def apply(self, session: Session) -> Organization:
        return self.apply_org(session)

    # --- step 3: key --------------------------------------------------------------------------
    @staticmethod
    def check_passphrase(passphrase: str, repeat: str) -> str | None:
        """None for no passphrase; otherwise the passphrase, if both entries agree and it is long enough."""
        if not passphrase and not repeat:
            return None
        if passphrase != repeat:
            raise InputError("Поле «Повторите пароль»: пароли не совпадают.")
        if len(passphrase) < MIN_PASSPHRASE:
            raise InputError(f"Поле «Пароль ключа»: не короче {MIN_PASSPHRASE} знаков (или оставьте пустым).")
        return passphrase

    def create_key(self, session: Session, *, passphrase: str | None = None) -> KeyInfo:
        """The own organization's signing key (an existing key is kept and shown)."""
        from .keys import init_key

        self.key = init_key(session, passphrase=passphrase)
        return self.key

    def save_key_card(self, session: Session, out: str | Path) -> Path:
        """The printable key card (PDF) the organization sends to the level above out of band."""
        from .reports import generate_report

        result = generate_report(session, kind="keycard", fmt="pdf", out=out)
        self.key_card = Path(result.path)
        return self.key_card


# --- step 4: where the data lives ---------------------------------------------------------------

@dataclass(frozen=True)
class LocationCheck:
    folder: Path
    kind: str               # local | network | removable | optical | unknown
    warnings: list[str]
    error: str | None = None  # a network share: the database is not put there

    @property
    def ok(self) -> bool:
        return self.error is None


def check_data_folder(folder: str | Path, db_name: str = "ersoko.sqlite", *,
                      location: Location | None = None) -> LocationCheck:
    """Is ``folder`` a safe home for the database? (network share: no; removable drive: a warning)."""
    folder = Path(folder)
    target = folder / db_name
    location = location or classify(target)
    try:
        warnings = check_location(target, location=location)
    except ErsokoError as exc:  # a network share is refused
        return LocationCheck(folder, location.kind, [], str(exc))
    if not folder.exists():
        warnings = [*warnings, f"Папка «{folder}» будет создана."]
    elif not os.access(folder, os.W_OK):
        return LocationCheck(folder, location.kind, warnings, f"В папку «{folder}» нельзя записывать: нет прав.")
    return LocationCheck(folder, location.kind, warnings)


def copy_database(db_file: str | Path, folder: str | Path) -> Path:
    """Copy the (new) database into ``folder`` with the SQLite backup API; returns the new file.

    Refuses to overwrite a database already there: that may be someone's data.
    """
    db_file, folder = Path(db_file), Path(folder)
    target = folder / db_file.name
    if target.resolve() == db_file.resolve():
        return db_file
    check = check_data_folder(folder, db_file.name)
    if check.error:
        raise InputError(check.error)
    if target.exists():
        raise InputError(f"В папке «{folder}» уже есть база «{target.name}». Выберите другую папку или откройте "
                         f"ту базу: ersoko-desktop --db \"{target}\".")
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    src, dst = sqlite3.connect(str(db_file)), sqlite3.connect(str(partial))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)
    return target


def remove_database_files(db_file: str | Path) -> None:
    """Delete a database left behind by a move (with its WAL, shared-memory and lock files)."""
    db_file = Path(db_file)
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(db_file) + suffix).unlink(missing_ok=True)


def remember_database(db_file: str | Path) -> None:
    """Later starts (GUI and ``ersoko`` without ``--db``) open this file (preference ``db``)."""
    from ..settings import load_preferences, save_preferences

    prefs = load_preferences()
    prefs["db"] = str(Path(db_file).absolute())
    save_preferences(prefs)
