"""Where user data lives (platformdirs) and where packaged data is (importlib.resources)."""

from __future__ import annotations

import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import platformdirs

APP_DIR_NAME = "ErsokoDesktop"


def user_data_dir() -> Path:
    """The per-user data folder; ``ERSOKO_HOME`` overrides it (tests, portable installs)."""
    override = os.environ.get("ERSOKO_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return user_data_dir() / "ersoko.sqlite"


def demo_db_path() -> Path:
    return user_data_dir() / "demo.sqlite"


def keys_dir() -> Path:
    path = user_data_dir() / "keys"
    path.mkdir(parents=True, exist_ok=True)
    return path


def backups_dir() -> Path:
    path = user_data_dir() / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def evidence_dir() -> Path:
    path = user_data_dir() / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    path = user_data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _data_root() -> Traversable:
    """Packaged data: in a wheel (and a frozen bundle) hatch force-includes the top-level
    ``forms/`` and ``resources/`` as ``ersoko_desktop/_data/``. An editable checkout has no
    ``_data``; there the project root beside the package is the data root, so edits to
    ``forms/`` are seen without reinstalling."""
    packaged = resources.files("ersoko_desktop") / "_data"
    if packaged.is_dir():
        return packaged
    checkout = Path(str(resources.files("ersoko_desktop"))).parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "forms").is_dir():
        return checkout  # type: ignore[return-value]
    return packaged


def forms_root() -> Traversable:
    """The shipped form definitions (top-level ``forms/`` of the project)."""
    return _data_root() / "forms"


def resources_root() -> Traversable:
    """Icons, fonts and other shipped resources (top-level ``resources/``)."""
    return _data_root() / "resources"


def migrations_dir() -> Path:
    return Path(str(resources.files("ersoko_desktop.db") / "migrations"))


def user_guide() -> Traversable:
    """The Russian user guide (``docs/user-guide.md``; ``_data/docs`` in the wheel and bundle)."""
    return _data_root() / "docs" / "user-guide.md"
