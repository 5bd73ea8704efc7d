"""What the window's first paint does not pay for (benchmarks/bench_startup.py has the figures):
the field rows build only the editor of the mode they show, validating the demo's "Advanced"
expressions does not import the mapping kit's compiler, and what the first window does not show
(the linter, the Problems list, the impact, receiver and Segment panels, the event loop) loads on
first use; Python's cycle collector does not run until that paint (and then on the GUI thread), and
PySide6's per-module source check reads files instead of going through inspect and linecache.
In a fresh process, as the app starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

#: Modules the first window does not need: they load when first used, after its first paint.
LATER = (
    "pipedrive_gui.core.lint",
    "pipedrive_gui.gui.problems_panel",
    "pipedrive_gui.core.impact",
    "pipedrive_gui.pipedrive.impact",
    "pipedrive_gui.gui.impact_panel",
    "pipedrive_gui.receiver",
    "pipedrive_gui.gui.receiver_panel",
    "pipedrive_gui.segment",
    "pipedrive_gui.gui.segment_dialog",
    "pipedrive_gui.pipedrive",
    "pipedrive_gui.commands",
    "asyncio",
    "qasync",
    "httpx",
    "decimal",  # (numbers in triggers need it; the first window shows none evaluated)
)

SCRIPT = r"""
import argparse, json, sys, tempfile
LATER = %r
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from pipedrive_gui.gui.app import build_services, build_window, open_startup_project
args = argparse.Namespace(project=None, data_dir=tempfile.mkdtemp(), debug=False, base_url=None, demo=True,
                          self_test=False, screenshot=None)
services = build_services(args)
window = build_window(services, reopen_receiver=False)
from PySide6.QtCore import QEvent, QEventLoop, QObject
at_paint = {}

class Watch(QObject):  # what is loaded when the window first paints, as app.run() paints it
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not at_paint:
            at_paint["modules"] = set(sys.modules)
        return False

watch = Watch()
window.installEventFilter(watch)
window.show()
open_startup_project(window, services, args)
window.preview.timer.stop()  # (as app.run(): the first preview is a task, it waits for the event loop)
# Qt's own event loop as app.run() spins it before the first paint: a zero timer started while
# loading (e.g. choosing a sample) must not run before that paint.
while not at_paint:
    app.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 20)
modules = at_paint["modules"]
editors = window.mapping_editor.field_editors
print(json.dumps({
    "compiler": "pipedrive_gui.core.mapping_kit.compiler" in modules,
    "loaded": sorted(m for m in LATER if m in modules),
    "problems_list_built": window.problems_dock.widget() is not None,
    "advanced": sum(e.current_mode() == "advanced" for e in editors.values()),
    "built": {k: sorted(e.editors) for k, e in editors.items()},
    "shown": {k: e.current_mode() for k, e in editors.items()},
}))
"""


def _fresh_python(script: str, timeout: float = 120) -> dict[str, Any]:
    """Run ``script`` in a fresh process, as the app starts (offscreen, no keyring); its last line of
    output is JSON."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(REPO),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_the_first_paint_builds_only_what_it_shows() -> None:
    out = _fresh_python(SCRIPT % (LATER,), timeout=60)
    assert not out["compiler"]
    assert out["loaded"] == []
    assert not out["problems_list_built"]  # the dock is hidden: its list is built when first shown
    for key, built in out["built"].items():
        assert set(built) <= {"unset", out["shown"][key]}, (key, built)


GC_SCRIPT = r"""
import asyncio, gc, json, sys, tempfile, threading
from pipedrive_gui import gui_entry
from pipedrive_gui.gui import app as gui_app, headless
seen = {"at_start": gc.isenabled(), "freed_on": []}
start_collecting = gui_app.collect_on_the_gui_thread

def noting(app):
    seen["before_the_main_paint"] = gc.isenabled()
    seen["main_painted"] = True
    collector = start_collecting(app)
    seen["collector"] = collector
    return collector

gui_app.collect_on_the_gui_thread = noting
run_headless = headless.run_headless

class Cycle:
    def __init__(self):
        self.me = self

    def __del__(self):
        seen["freed_on"].append(threading.current_thread().name)

def allocate_in_a_worker():
    # What the receiver's journal writer does: allocate a lot, off the GUI thread, with garbage
    # cycles about (made here, left to the collector).
    for _ in range(50):
        Cycle()
    keep = [[i] for i in range(200_000)]
    seen["worker_allocated"] = len(keep)

async def running(*args, **kwargs):
    seen["while_running"] = gc.isenabled()
    worker = threading.Thread(target=allocate_in_a_worker, name="journal-writer")
    worker.start()
    await asyncio.get_running_loop().run_in_executor(None, worker.join)
    deadline = asyncio.get_running_loop().time() + 10
    while len(seen["freed_on"]) < 50 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)  # (waiting for the GUI thread's collector to come round)
    return await run_headless(*args, **kwargs)

headless.run_headless = running
code = gui_entry.run_gui(["--self-test", "--data-dir", tempfile.mkdtemp()])
seen["collections"] = seen.pop("collector").collections
seen["after"] = gc.isenabled()
seen["code"] = code
seen["freed_on"] = sorted(set(seen["freed_on"])) + [len(seen["freed_on"])]
print(json.dumps(seen))
"""


def test_garbage_is_collected_on_the_gui_thread_only_and_not_before_the_first_paint() -> None:
    """Qt objects in garbage cycles must die on the GUI thread (gui/collector.py says why): a thread
    that allocates (the receiver's journal writer) never runs the collector, the GUI thread does."""
    seen = _fresh_python(GC_SCRIPT)
    assert seen["code"] == 0
    assert seen["at_start"] is True
    assert seen["main_painted"] is True
    assert seen["before_the_main_paint"] is False  # nothing collected while the window is built
    assert seen["while_running"] is False  # no automatic collection in any thread...
    assert seen["freed_on"] == ["MainThread", 50]  # ...the GUI thread's collector freed the cycles
    assert seen["collections"] != [0, 0, 0]  # the GUI thread collected
    assert seen["after"] is True  # given back to Python when the app ends


SCAN_SCRIPT = r"""
import json, linecache, sys
import pipedrive_gui.gui.main_window  # as the app: the gui package, then the window's modules
feature = sys.modules["shibokensupport.feature"]
ours = feature._mod_uses_pyside
modules = [m for m in list(sys.modules.values()) if getattr(m, "__name__", None)]
in_linecache = sorted(f for f in linecache.cache if "pipedrive_gui" in f)  # (before PySide's own check fills it)
print(json.dumps({
    "replaced": getattr(ours, "reads_file", False),
    "differ": sorted(m.__name__ for m in modules if ours(m) != ours.original(m)),
    "using": sorted(m.__name__ for m in modules if m.__name__.startswith("pipedrive_gui") and ours(m)),
    "checked": len(modules),
    "in_linecache": in_linecache,
}))
"""


def test_pyside_s_module_check_gives_its_own_answers_without_linecache() -> None:
    out = _fresh_python(SCAN_SCRIPT)
    assert out["replaced"] is True
    assert out["differ"] == []  # the same answer as PySide6's own check, module by module
    assert out["checked"] > 100
    assert "pipedrive_gui.gui.main_window" in out["using"]  # (a module that does use PySide6)
    # PySide6's own check kept every imported module's source in linecache; ours reads and drops.
    assert out["in_linecache"] == []
