"""A real, file-based keyring backend for tests (keyring's own pluggable backend API).

Passwords are kept in a JSON file named by ``ERSOKO_TEST_KEYRING`` (or set ``path`` directly), so a
test can read what the program stored, and a CLI subprocess can use the same store via
``PYTHON_KEYRING_BACKEND=tests.keyring_backend.FileKeyring``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1  # a "secure" backend as far as the program is concerned

    @properties.classproperty
    def viable(cls) -> bool:
        """Never picked by keyring's automatic detection: only when a test selects it."""
        return False

    def __init__(self, path: Path | str | None = None):
        super().__init__()
        self.path = Path(path or os.environ["ERSOKO_TEST_KEYRING"])

    def _load(self) -> dict:
        return json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}|{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}|{username}"] = password
        self.path.write_text(json.dumps(data), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}|{username}", None) is None:
            raise PasswordDeleteError(username)
        self.path.write_text(json.dumps(data), encoding="utf-8")


class PlainFileKeyring(FileKeyring):
    """Same store, but declaring itself insecure (like keyrings.alt PlaintextKeyring): must be refused."""

    priority = 0.5
