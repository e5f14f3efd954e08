"""The GUI-thread collector: automatic collection is off while it runs, cycles are collected by its timer
on the GUI thread, and stopping it gives automatic collection back."""

from __future__ import annotations

import gc
import threading
import weakref


def test_cycles_are_collected_on_the_gui_thread_not_by_a_worker(qtbot):
    from ersoko_desktop.ui.gc_guard import GuiThreadCollector

    gc.enable()
    collector = GuiThreadCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        collected_on: list[str] = []

        class Node:
            def __del__(self):
                collected_on.append(threading.current_thread().name)

        node = Node()
        node.me = node  # a cycle: only the cyclic collector frees it
        probe = weakref.ref(node)
        del node
        garbage = [[] for _ in range(gc.get_threshold()[0] * 2)]  # allocations past the generation-0 threshold
        worker = threading.Thread(target=lambda: [{} for _ in range(50_000)], name="worker")
        worker.start()
        worker.join()
        assert probe() is not None  # the worker's allocations did not trigger a collection
        qtbot.waitUntil(lambda: probe() is None, timeout=5000)
        assert collected_on == [threading.main_thread().name]
        del garbage
    finally:
        collector.stop()
    assert gc.isenabled()
