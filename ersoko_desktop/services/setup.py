"""First-run choices as a plain object: the Qt dialog only renders it (tested headless)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Organization
from ..errors import InputError
from ..settings import set_db_setting, set_own_organization

ROLES = {"school": "Школа (ВСОКО)", "municipality": "Муниципалитет (МСОКО)", "region": "ЦОКО / регион (РСОКО)"}


@dataclass
class FirstRunState:
    role: str = "school"
    org_code: str | None = None

    def candidates(self, session: Session) -> list[tuple[str, str]]:
        """Organizations of the chosen role's kind, as (code, name)."""
        rows = session.execute(
            select(Organization.code, Organization.name).where(Organization.kind == self.role).order_by(Organization.code)
        )
        return [(c, n) for c, n in rows]

    def validate(self, session: Session) -> None:
        if self.role not in ROLES:
            raise InputError(f"Неизвестная роль «{self.role}».")
        if not self.org_code:
            raise InputError("Выберите свою организацию из реестра.")
        codes = {c for c, _ in self.candidates(session)}
        if self.org_code not in codes:
            raise InputError(f"Организация «{self.org_code}» не относится к выбранной роли «{ROLES[self.role]}».")

    def apply(self, session: Session) -> Organization:
        self.validate(session)
        set_db_setting(session, "role", self.role)
        return set_own_organization(session, self.org_code)  # type: ignore[arg-type]
