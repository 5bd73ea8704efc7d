"""Composition root of the desktop app: QApplication, the qasync loop, the services, the window.

asyncio runs inside Qt's event loop (qasync), so network and keyring work are coroutines scheduled
by the TaskRunner and the window never waits on them. ``--demo`` opens the bundled demo project on
an offline sandbox started in this process; ``--self-test`` starts, loads the demo on the sandbox,
paints once, prints OK and exits 0; ``--screenshot PNG`` saves the window instead.

For documentation screenshots, ``PIPEDRIVE_GUI_SCREENSHOT_STATE`` picks what ``--screenshot``
shows: ``overview`` (default), ``dry-run`` (preview with a Check in Pipedrive result),
``connection`` (the connection dialog) or ``error`` (a broken sample event and trigger).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
SELF_TEST_TIMEOUT_S = 30.0
STATE_ENV = "PIPEDRIVE_GUI_SCREENSHOT_STATE"
#: benchmarks/bench_startup.py sets this to learn when the main window first painted.
FIRST_PAINT_ENV = "PIPEDRIVE_GUI_REPORT_FIRST_PAINT"


@dataclass
class Services:
    paths: Any
    settings: Any
    store: Any
    runner: Any
    connection: Any
    doc: Any
    autosaver: Any


def build_services(args: argparse.Namespace, *, store: Any = None, autosave_interval_s: float = 30.0) -> Services:
    from PySide6.QtCore import QSettings

    from pipedrive_gui.credentials import CredentialStore
    from pipedrive_gui.gui.autosave import Autosaver
    from pipedrive_gui.gui.connection import Connection
    from pipedrive_gui.gui.document import Document
    from pipedrive_gui.gui.tasks import TaskRunner
    from pipedrive_gui.paths import AppPaths

    paths = AppPaths.resolve(getattr(args, "data_dir", None)).ensure()
    # Window layout and recent files only; under --data-dir like everything else the app writes.
    settings = QSettings(str(paths.config / "window.ini"), QSettings.Format.IniFormat)
    store = store if store is not None else CredentialStore()
    runner = TaskRunner()
    connection = Connection(paths, store, base_url=getattr(args, "base_url", None))
    doc = Document()
    autosaver = Autosaver(doc, paths.data, autosave_interval_s)
    return Services(paths, settings, store, runner, connection, doc, autosaver)


def demo_project() -> Any:
    from pipedrive_gui.core.project import load_project
    from pipedrive_gui.resources import resource_path

    return load_project(resource_path("demo", "demo.pipedrive-map.json"))


def build_window(services: Services) -> Any:
    from pipedrive_gui.gui.main_window import MainWindow

    return MainWindow(services.doc, services.connection, services.runner, services.settings,
                      services.autosaver)


async def start(window: Any, services: Services, args: argparse.Namespace, *, offer_recovery: bool = True) -> None:
    """What happens after the window is shown: project, connection, recovery offer."""
    from pipedrive_gui.gui.autosave import find_recovery

    runner, connection = services.runner, services.connection
    runner.spawn(connection.load_keyring_backend(), name="keyring")
    headless = bool(args.self_test or args.screenshot)
    if args.demo or (headless and not args.project):
        window.load(demo_project(), None)
        runner.spawn(connection.connect_sandbox(), name="startup")
        return
    # Look for unsaved work before anything is loaded (loading must not hide it).
    recovery = find_recovery(services.paths.data) if offer_recovery and not headless else None
    if args.project:
        window.open_path(args.project)
    else:
        from pipedrive_gui.core.project import Project

        window.load(Project(), None)
    if recovery is not None:
        window.offer_recovery(recovery)

    async def connect_saved() -> None:
        if not await connection.connect_saved():
            window.show_connection_dialog()

    runner.spawn(connect_saved(), name="startup",
                 on_error=lambda name, exc: (window._task_failed(name, exc), window.show_connection_dialog()))


async def _wait_ready(window: Any, services: Services, timeout: float) -> None:
    """Until the sandbox is connected, fields are loaded and a preview is painted."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await services.runner.wait_idle()
        if services.connection.connected and services.connection.catalog is not None \
                and window.preview.result is not None and not services.runner.busy \
                and not window.preview.timer.isActive():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the window did not become ready in time")


async def _screenshot_state(window: Any, services: Services, state: str) -> Any:
    """Bring the window into a documented state; returns the widget to grab."""
    if state == "dry-run":
        deal = next((m for m in window.doc.project.mappings if m.action == "createUpdateDeal"), None)
        if deal is not None:
            window.mapping_list.select(deal.id)
            await _wait_ready(window, services, 10)
        window.preview.check()
        await services.runner.wait_idle()
    elif state == "connection":
        dialog = window.show_connection_dialog()
        dialog.domain.setText("acme")
        dialog.token.setText("0" * 40)  # shown masked; not a real token
        dialog._update()
        dialog.result_label.setText("✔ Connected as Jane Admin (jane@acme.example) in Acme Robotics. "
                              "Click “Save and connect” to use it.")
        await asyncio.sleep(0.2)
        return dialog
    elif state == "error":
        text = window.event_editor.text.toPlainText()
        window.event_editor.set_text(text.replace('"type"', '"type" "', 1))
        m = window.doc.mapping(window.mapping_list.current_id())
        if m is not None:
            window.mapping_editor.trigger.fql.setText('type = "track" and (event = ')
            window.mapping_editor.trigger._fql_typed(window.mapping_editor.trigger.fql.text())
        await asyncio.sleep(0.3)
        await services.runner.wait_idle()
    return window


async def _headless(window: Any, services: Services, args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    try:
        await _wait_ready(window, services, SELF_TEST_TIMEOUT_S)
        target = window
        if args.screenshot:
            target = await _screenshot_state(window, services, os.environ.get(STATE_ENV, "overview"))
        await asyncio.sleep(0.1)
        QApplication.processEvents()
        image = target.grab()
        if image.isNull() or image.width() == 0:
            print("FAILED: the window did not paint", file=sys.stderr)
            return 1
        if args.screenshot:
            Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
            if not image.save(args.screenshot):
                print(f"FAILED: could not write {args.screenshot}", file=sys.stderr)
                return 1
        print("OK")
        return 0
    except Exception as exc:  # noqa: BLE001 - the smoke test reports any failure as one line
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1


def _report_first_paint(window: Any) -> Any:
    """Print PAINTED on stdout at the main window's first paint (start-up benchmark)."""
    from PySide6.QtCore import QEvent, QObject

    class Watcher(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                print("PAINTED", flush=True)
                obj.removeEventFilter(self)
            return False

    watcher = Watcher(window)
    window.installEventFilter(watcher)
    return watcher


async def _main(app: Any, args: argparse.Namespace) -> int:
    services = build_services(args)
    window = build_window(services)
    if os.environ.get(FIRST_PAINT_ENV):
        _report_first_paint(window)
    window.show()
    await start(window, services, args)
    if args.self_test or args.screenshot:
        code = await _headless(window, services, args)
        window._close_confirmed = True
    else:
        quit_future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def quit_() -> None:
            if not quit_future.done():
                quit_future.set_result(None)

        app.lastWindowClosed.connect(quit_)
        app.aboutToQuit.connect(quit_)
        await quit_future
        code = 0
    services.runner.cancel_all()
    await services.runner.wait_idle()
    await services.connection.close_connection()
    services.autosaver.stop(clean_exit=True)
    window.close()
    return code


def run(args: argparse.Namespace) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from pipedrive_gui import APP_ID, APP_NAME, __version__

    logging.basicConfig(level=logging.DEBUG if getattr(args, "debug", False) else logging.WARNING)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_ID)
    app.setQuitOnLastWindowClosed(False)  # the coroutine decides when to stop the loop
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return int(loop.run_until_complete(_main(app, args)))
    finally:
        asyncio.set_event_loop(None)
