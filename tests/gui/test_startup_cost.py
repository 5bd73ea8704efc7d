"""What the window's first paint does not pay for (benchmarks/bench_startup.py has the figures):
the field rows build only the editor of the mode they show, validating the demo's "Advanced"
expressions does not import the mapping kit's compiler, and what the first window does not show
(the linter, the Problems list, the impact, receiver and Segment panels, the event loop) loads on
first use. In a fresh process, as the app starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_the_first_paint_builds_only_what_it_shows() -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(REPO),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT % (LATER,)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not out["compiler"]
    assert out["loaded"] == []
    assert not out["problems_list_built"]  # the dock is hidden: its list is built when first shown
    for key, built in out["built"].items():
        assert set(built) <= {"unset", out["shown"][key]}, (key, built)
