"""Qt objects of the GUI tests are destroyed on the GUI thread, never where Python's cycle collector
happens to run.

The collector runs in whichever thread allocates past its threshold - a receiver journal writer, an
executor thread - and frees there every garbage cycle it finds. A test's closed qasync loop is such
a cycle, and its timer object still has a Qt timer for each callback it never ran. Destroyed on
another thread, Qt cannot stop those timers ("QObject::~QObject: Timers cannot be stopped from
another thread", a failed test) and later delivers one to the freed object: a segfault in a later
test's loop. That crashed a run of the whole suite on a loaded machine, once in five.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A loop as the GUI tests use it: stopped with a Qt timer still pending, closed, left to the collector,
# which then runs in another thread; then Qt's own loop runs past that timer.
CLOSED_LOOP_FREED_ELSEWHERE = r"""
import asyncio, gc, threading
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication([])
from tests.gui.conftest import HarnessLoop

gc.disable()  # only the collection below, in another thread
loop = HarnessLoop(app)
asyncio.set_event_loop(loop)
pending = loop.call_later(0.2, print, "never")  # a Qt timer, registered until it fires
pending.cancel()
loop.run_until_complete(asyncio.sleep(0))
loop.close()
asyncio.set_event_loop(None)
del loop, pending
collector = threading.Thread(target=gc.collect, name="receiver-journal-writer")
collector.start()
collector.join()
QTimer.singleShot(600, app.quit)  # past the pending timer
app.exec()
print("OK")
"""


def test_a_closed_loop_freed_in_another_thread_leaves_qt_nothing_to_fire() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO), PYTHONFAULTHANDLER="1")
    proc = subprocess.run(
        [sys.executable, "-c", CLOSED_LOOP_FREED_ELSEWHERE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]  # -11 (SIGSEGV) when the loop keeps its timers
    assert proc.stdout.strip() == "OK"
    assert "another thread" not in proc.stderr, proc.stderr[-3000:]


def test_the_cycle_collector_is_paused_while_a_gui_test_runs() -> None:
    # tests/gui/conftest.py collects on this thread after each test (and turns it back on).
    assert not gc.isenabled()
