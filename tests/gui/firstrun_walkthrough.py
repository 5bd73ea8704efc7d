"""The first run of a new user, driven inside the real app (``app.run``) under a real X server;
started as a subprocess by ``test_first_run_xvfb.py``.

    python tests/gui/firstrun_walkthrough.py first|again DATA_DIR EXPORT_PATH

``first``: fresh data folder, no keyring → the Connect dialog → *Try with the offline sandbox* →
*Open the demo project* on the welcome → edit a field (typed into the Person Name path) → *Check in
Pipedrive* → *Send test…* (the real confirmation box, its *Send test* button) → *Export Segment
JSON…* (the real file dialog) → quit (the real *Unsaved changes* box, *Discard*).
``again``: the next start reopens the sandbox without asking anything; quit.

A timer watches the screen the whole time: the most dialogs open at once and their titles are
printed (``DIALOGS max=N titles=...``), then ``WALKTHROUGH OK`` when every step did what it should.
Waits poll for the state the user would wait for; a step that does not get there fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

STEP_TIMEOUT_S = 30.0


class DialogWatch:
    """How many dialogs are on screen, sampled every 10 ms and whenever a step asks."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.most = 0
        self.titles: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.sample)
        self.timer.start()

    def open_dialogs(self) -> list[Any]:
        from PySide6.QtWidgets import QApplication, QDialog

        return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]

    def sample(self) -> None:
        shown = self.open_dialogs()
        self.most = max(self.most, len(shown))
        for d in shown:
            title = d.windowTitle() or type(d).__name__
            if not self.titles or self.titles[-1] != title:
                if title not in self.titles[-3:]:
                    self.titles.append(title)


async def until(what: str, condition: Callable[[], Any], watch: DialogWatch) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_TIMEOUT_S
    while True:
        watch.sample()
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)


def dialog_titled(watch: DialogWatch, title: str) -> Any:
    return next((d for d in watch.open_dialogs() if d.windowTitle() == title), None)


def click_button(box: Any, text: str) -> None:
    button = next(b for b in box.buttons() if b.text().replace("&", "") == text)
    button.click()


async def first_run(window: Any, services: Any, export_path: Path, watch: DialogWatch) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QFileDialog

    connection = services.connection
    # 1. No keyring, nothing used before: the Connect dialog, alone, says what no keyring means.
    dialog = await until(
        "the Connect dialog",
        lambda: (
            window.accounts.connection_dialog is not None and window.accounts.connection_dialog.isVisible()
        ),
        watch,
    )
    dialog = window.accounts.connection_dialog
    await until("the keyring check", lambda: connection.keyring_status is not None, watch)
    assert "keyring" in dialog.keyring_label.text().lower(), dialog.keyring_label.text()
    assert window.mapping_editor.welcome.isVisible(), "the empty window shows no welcome"
    # 2. The sandbox.
    QTest.mouseClick(dialog.sandbox_button, Qt.MouseButton.LeftButton)
    await until(
        "the sandbox",
        lambda: connection.connected and connection.catalog is not None and not dialog.isVisible(),
        watch,
    )
    # 3. The demo, from the welcome.
    QTest.mouseClick(window.mapping_editor.welcome.demo_button, Qt.MouseButton.LeftButton)
    await until(
        "the demo's first preview",
        lambda: (
            window.doc.project.mappings
            and window.preview.result is not None
            and window.preview.result.payload is not None
            and not services.runner.busy
        ),
        watch,
    )
    # 4. Edit a field: the person's name from the first name, typed into its path.
    person = next(m for m in window.doc.project.mappings if m.action == "createUpdatePerson")
    window.mapping_list.select(person.id)
    editor = window.mapping_editor.field_editors["name"]
    editor.set_mode("path")
    line = editor.editor("path").line
    line.setFocus()
    line.selectAll()
    QTest.keyClicks(line, "$.traits.first_name")
    await until(
        "the preview of the edit",
        lambda: (
            window.preview.result is not None
            and window.preview.result.payload is not None
            and window.preview.result.payload.ok
            and window.preview.result.payload.payload.get("name") == "Maria"
            and not window.preview.timer.isActive()
            and not services.runner.busy
        ),
        watch,
    )
    # 5. Check in Pipedrive.
    await until("the Check button", window.preview.check_button.isEnabled, watch)
    QTest.mouseClick(window.preview.check_button, Qt.MouseButton.LeftButton)
    await until(
        "the check's answer",
        lambda: (
            window.preview.last_run is not None
            and window.preview.last_run.mode == "dry_run"
            and not services.runner.busy
        ),
        watch,
    )
    assert window.preview.last_run.outcome != "fail", window.preview.last_run.message
    # 6. Send test: the real confirmation box.
    QTest.mouseClick(window.preview.send_button, Qt.MouseButton.LeftButton)
    box = await until(
        "the Send test question", lambda: dialog_titled(watch, "Send test to Pipedrive?"), watch
    )
    click_button(box, "Send test")
    await until(
        "the test send",
        lambda: (
            window.preview.last_run is not None
            and window.preview.last_run.mode == "send"
            and not services.runner.busy
        ),
        watch,
    )
    assert window.preview.last_run.outcome in ("create", "update"), window.preview.last_run.message
    # 7. Export Segment JSON: the real file dialog.
    window.files.export_dialog("segment")
    chooser = await until(
        "the export file dialog",
        lambda: next((d for d in watch.open_dialogs() if isinstance(d, QFileDialog)), None),
        watch,
    )
    chooser.selectFile(str(export_path))
    chooser.accept()
    await until("the exported file", export_path.exists, watch)
    # 8. Quit: the unsaved demo is discarded on purpose.
    window.close()
    box = await until("the Unsaved changes question", lambda: dialog_titled(watch, "Unsaved changes"), watch)
    click_button(box, "Discard")


async def again(window: Any, services: Any, watch: DialogWatch) -> None:
    connection = services.connection
    await until(
        "the sandbox used last time",
        lambda: (
            connection.connected
            and connection.is_sandbox
            and connection.catalog is not None
            and not services.runner.busy
        ),
        watch,
    )
    assert watch.most == 0, f"dialogs at the second start: {watch.titles}"
    window.close()


def main() -> int:
    mode, data_dir, export_path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    from pipedrive_gui.gui import app as gui_app

    made: dict[str, Any] = {}
    real_connect = gui_app.connect_at_start

    def connect_at_start(window: Any, services: Any, args: argparse.Namespace) -> None:
        real_connect(window, services, args)
        watch = made["watch"] = DialogWatch()

        async def walk() -> None:
            try:
                if mode == "first":
                    await first_run(window, services, export_path, watch)
                else:
                    await again(window, services, watch)
                made["ok"] = True
            except BaseException as exc:  # report, then let the app quit
                made["error"] = exc
                window._close_confirmed = True
                window.close()
                raise

        made["task"] = asyncio.ensure_future(walk())

    gui_app.connect_at_start = connect_at_start
    from pipedrive_gui.gui_entry import parse_gui_args

    code = gui_app.run(parse_gui_args(["--data-dir", data_dir]))  # as `pipedrive-gui --data-dir DIR`
    watch = made.get("watch")
    if watch is not None:
        print(f"DIALOGS max={watch.most} titles={watch.titles}", flush=True)
    if "error" in made:
        print(f"WALKTHROUGH FAILED: {made['error']!r}", flush=True)
        return 1
    if made.get("ok"):
        print("WALKTHROUGH OK", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
