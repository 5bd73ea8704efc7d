"""Python's cycle collector, run on the GUI thread only.

Left automatic, the collector runs in whichever thread allocates past its threshold - the local
receiver's journal writer, an executor thread - and frees *there* every garbage cycle it finds. A
cycle that holds a Qt object (a timer, a widget's wrapper, a closed event loop's timers) is then
destroyed on the wrong thread, which Qt does not allow: "QObject::~QObject: Timers cannot be
stopped from another thread", and later a crash when Qt delivers to the freed object. So the app
keeps automatic collection off (from start-up on, see ``run_gui``) and this timer collects on the
GUI thread instead, with Python's own thresholds: the same amount of collecting, in the one thread
where Qt objects may die.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the counts are looked at; a look costs a few microseconds when there is nothing to do.
INTERVAL_MS = 250


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        #: Collections made, by generation (for tests and --debug).
        self.collections = [0, 0, 0]

    def start(self) -> None:
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        """Stop, and give collection back to Python (the GUI is gone)."""
        self.timer.stop()
        gc.enable()

    def check(self) -> None:
        """Collect the generation Python itself would have collected by now, if any."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return
        generation = 2 if counts[2] > thresholds[2] else 1 if counts[1] > thresholds[1] else 0
        gc.collect(generation)
        self.collections[generation] += 1
