"""Qt-free progress and cancellation for long service calls.

Services call ``progress.step(done, text)`` between chunks; the GUI worker or the CLI bar
reads it. ``check()`` raises ``CancelledError`` once the user asked to stop, so a service
aborts inside its transaction and nothing is written.
"""

from __future__ import annotations

import threading
from typing import Callable

from .errors import CancelledError

Listener = Callable[[float, str], None]


class Progress:
    def __init__(self, listener: Listener | None = None, total: float = 1.0):
        self._listener = listener
        self._cancel = threading.Event()
        self.total = float(total) if total else 1.0
        self.done = 0.0
        self.text = ""

    @classmethod
    def none(cls) -> "Progress":
        return cls()

    def set_total(self, total: float) -> None:
        self.total = float(total) if total else 1.0

    def step(self, done: float, text: str = "") -> None:
        """Report ``done`` units of ``total`` and raise if cancelled."""
        self.done = float(done)
        if text:
            self.text = text
        if self._listener is not None:
            self._listener(self.fraction, self.text)
        self.check()

    @property
    def fraction(self) -> float:
        return max(0.0, min(1.0, self.done / self.total))

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise CancelledError()
