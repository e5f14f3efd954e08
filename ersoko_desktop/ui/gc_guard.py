"""Python's cyclic garbage collector runs on whatever thread happens to allocate. A reference cycle
that holds a Qt widget, collected on a worker thread (``ui.tasks``), deletes the widget off the GUI
thread and crashes Qt (seen as a segfault under load). So while the GUI runs, automatic collection
is off and the GUI thread collects on a timer, generation by generation, with the interpreter's own
thresholds — the pattern calibre and pyqtgraph use."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, *, interval_ms: int = 500):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        count0, count1, count2 = gc.get_count()
        if count0 > self.threshold[0]:
            gc.collect(0)
            if count1 > self.threshold[1]:
                gc.collect(1)
                if count2 > self.threshold[2]:
                    gc.collect(2)

    def stop(self) -> None:
        """Back to automatic collection (the event loop has ended)."""
        self.timer.stop()
        gc.enable()
        gc.collect()
