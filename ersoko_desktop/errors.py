"""One error hierarchy; every message is Russian and says what to do."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Diagnostic:
    """A problem located in an input file: row as the user sees it (1-based), column header."""

    message: str
    row: int | None = None
    column: str | None = None
    file: str | None = None

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"файл «{self.file}»")
        if self.row is not None:
            where.append(f"строка {self.row}")
        if self.column:
            where.append(f"столбец «{self.column}»")
        return (", ".join(where) + ": " if where else "") + self.message


class ErsokoError(Exception):
    """Base of every error the program reports to a user (CLI exit 2, GUI message box)."""

    def __init__(self, message: str, *, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.message = message
        self.diagnostics: list[Diagnostic] = list(diagnostics or [])

    def __str__(self) -> str:
        if not self.diagnostics:
            return self.message
        lines = [self.message] + [f"  {d}" for d in self.diagnostics[:50]]
        if len(self.diagnostics) > 50:
            lines.append(f"  … и ещё {len(self.diagnostics) - 50}")
        return "\n".join(lines)


class InputError(ErsokoError):
    """Bad input file or option: nothing was written."""


class DatabaseError(ErsokoError):
    """The database cannot be opened, is too new, or is damaged."""


class RememberedDatabaseMissing(DatabaseError):
    """The database chosen earlier (preference ``db``) is not there — an unplugged drive, a network
    folder not connected. Never answered by creating an empty database in its place."""

    def __init__(self, path):
        self.path = path
        super().__init__(
            f"База данных, выбранная ранее, не найдена: {path}. Возможно, отключён съёмный диск или "
            "недоступна сетевая папка. Подключите диск и запустите программу снова, или откройте другую "
            "базу (в командной строке — параметр --db).")


class NotFoundError(ErsokoError):
    """A referenced object (organization, roadmap, form…) does not exist."""


class WorkflowError(ErsokoError):
    """An action not allowed in the current state (e.g. editing a submitted form)."""


class SecurityError(ErsokoError):
    """A package or key failed verification."""


class CancelledError(ErsokoError):
    """The user cancelled a long operation; nothing was written."""

    def __init__(self, message: str = "Операция отменена пользователем, изменения не сохранены."):
        super().__init__(message)
