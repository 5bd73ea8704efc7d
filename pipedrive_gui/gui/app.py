"""Composition root of the desktop app: QApplication, the qasync loop, the services, the window.

asyncio runs inside Qt's event loop (qasync), so network and keyring work are coroutines scheduled
by the TaskRunner and the window never waits on them. ``--demo`` opens the bundled demo project on
an offline sandbox started in this process; ``--self-test`` starts, loads the demo on the sandbox,
paints once, prints OK and exits 0; ``--screenshot PNG`` saves the window instead.

For documentation screenshots, ``--screenshot-state NAME`` (or the older
``PIPEDRIVE_GUI_SCREENSHOT_STATE``) picks what ``--screenshot`` shows: ``overview`` (default),
``dry-run`` (preview with a Check in Pipedrive result), ``connection`` (the connection dialog),
``error`` (a broken sample event and trigger), ``dark`` (the overview in the dark colour scheme) or
``receiver`` (the local receiver panel after a few events arrived).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)
SELF_TEST_TIMEOUT_S = 30.0
#: benchmarks/bench_startup.py sets this to learn when the main window first painted.
FIRST_PAINT_ENV = "PIPEDRIVE_GUI_REPORT_FIRST_PAINT"


class Services:
    """What the window and start-up share. A plain class, not a dataclass: importing dataclasses
    (and inspect with it) costs ~6 ms before the first paint."""

    __slots__ = ("paths", "settings", "store", "runner", "connection", "doc", "autosaver")

    def __init__(self, paths: Any, settings: Any, store: Any, runner: Any, connection: Any, doc: Any,
                 autosaver: Any) -> None:
        self.paths, self.settings, self.store, self.runner = paths, settings, store, runner
        self.connection, self.doc, self.autosaver = connection, doc, autosaver


def build_services(args: argparse.Namespace, *, store: Any = None, autosave_interval_s: float | None = None) -> Services:
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
    autosaver = Autosaver(doc, paths.data) if autosave_interval_s is None \
        else Autosaver(doc, paths.data, autosave_interval_s)
    return Services(paths, settings, store, runner, connection, doc, autosaver)


def demo_project() -> Any:
    from pipedrive_gui.core.project import load_project
    from pipedrive_gui.resources import resource_path

    return load_project(resource_path("demo", "demo.pipedrive-map.json"))


def build_window(services: Services) -> Any:
    from pipedrive_gui.gui.main_window import MainWindow

    return MainWindow(services.doc, services.connection, services.runner, services.settings,
                      services.autosaver)


async def _after_first_paint(make_coro: Any) -> Any:
    """Run ``coro`` once Qt has had a turn to paint the loaded window: starting the sandbox imports
    aiohttp (a few hundred ms) that would otherwise hold the first paint of the main window."""
    import asyncio

    await asyncio.sleep(0.03)
    # The coroutine is made only now, so a start cancelled during the pause leaves none unawaited.
    return await make_coro()


async def start(window: Any, services: Services, args: argparse.Namespace, *, offer_recovery: bool = True) -> None:
    """What happens after the window is shown: project, connection, recovery offer."""

    from pipedrive_gui.gui.autosave import find_recovery

    runner, connection = services.runner, services.connection
    runner.spawn(connection.load_keyring_backend(), name="keyring")
    headless = bool(args.self_test or args.screenshot)
    # Look for unsaved work before anything is loaded (loading must not hide it).
    recovery = find_recovery(services.paths.data) if offer_recovery and not headless else None
    if args.demo or (headless and not args.project):
        window.load(demo_project(), None)
        if recovery is not None:
            window.offer_recovery(recovery)
        runner.spawn(_after_first_paint(connection.connect_sandbox), name="startup")
        return
    if args.project:
        window.open_path(args.project)
    else:
        from pipedrive_gui.core.project import Project

        window.load(Project(), None)
    if recovery is not None:
        window.offer_recovery(recovery)

    async def connect_saved() -> None:
        if await connection.connect_saved():
            return
        if window.chose_sandbox_before():
            await connection.connect_sandbox()  # what the user picked last time; no need to ask again
            return
        window.show_connection_dialog()

    runner.spawn(connect_saved(), name="startup",
                 on_error=lambda name, exc: (window._task_failed(name, exc), window.show_connection_dialog()))


async def _wait_ready(window: Any, services: Services, timeout: float) -> None:
    """Until the sandbox is connected, fields are loaded and a preview is painted."""
    import asyncio

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


def _simulated_dark_palette() -> Any:
    """What a desktop's dark theme would hand us (only for the documentation screenshot): the app
    itself never sets colours, it reads palette roles."""
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    roles = QPalette.ColorRole
    for role, rgb in ((roles.Window, (45, 45, 48)), (roles.WindowText, (230, 230, 230)),
                      (roles.Base, (30, 30, 32)), (roles.AlternateBase, (45, 45, 48)),
                      (roles.Text, (230, 230, 230)), (roles.Button, (55, 55, 58)),
                      (roles.ButtonText, (230, 230, 230)), (roles.Highlight, (80, 140, 220)),
                      (roles.HighlightedText, (255, 255, 255)), (roles.Link, (120, 170, 255)),
                      (roles.LinkVisited, (210, 150, 255)), (roles.ToolTipBase, (55, 55, 58)),
                      (roles.ToolTipText, (230, 230, 230)), (roles.PlaceholderText, (150, 150, 150))):
        p.setColor(role, QColor(*rgb))
    p.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor(130, 130, 130))
    p.setColor(QPalette.ColorGroup.Disabled, roles.WindowText, QColor(130, 130, 130))
    p.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor(130, 130, 130))
    return p


async def _screenshot_state(window: Any, services: Services, state: str) -> Any:
    """Bring the window into a documented state; returns the widget to grab."""
    import asyncio

    if state == "dark":
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        QApplication.setStyle("Fusion")
        QApplication.styleHints().setColorScheme(Qt.ColorScheme.Dark)
        QApplication.setPalette(_simulated_dark_palette())  # X servers without a theme ignore the scheme
        await asyncio.sleep(0.3)
    elif state == "dry-run":
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
    elif state == "receiver":
        await _receiver_with_events(window, services)
    return window


async def _receiver_with_events(window: Any, services: Services) -> None:
    """Open the receiver panel, start it on a free port and send it a few events over HTTP."""
    import asyncio

    import httpx
    from PySide6.QtCore import Qt

    window.resize(max(window.width(), 1500), max(window.height(), 1150))
    window.toggle_receiver()
    window.resizeDocks([window.receiver_dock], [640], Qt.Orientation.Vertical)
    panel = window.receiver_panel
    panel.port_spin.setValue(0)  # any free port: never collides with a receiver the user runs
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while not panel.running:
        if loop.time() > deadline:
            raise TimeoutError("the receiver did not start")
        if not panel._busy:
            panel.start()
        await asyncio.sleep(0.05)
    from pipedrive_gui.core import samples

    events = [samples.load_sample(name) for name in samples.sample_names()[:6]]
    events.append({"type": "track", "event": "Newsletter Opened", "userId": "user-1001",
                   "properties": {"issue": 42}})
    async with httpx.AsyncClient() as client:
        for event in events:
            await client.post(f"{panel.receiver.url}/v1/{event.get('type', 'track')}", json=event,
                              auth=(panel.write_key, ""))
    while panel.model.rowCount() < len(events) or panel.model.busy:
        if loop.time() > deadline:
            break
        await asyncio.sleep(0.05)
    # Show the detail of an event that ran a mapping (the most telling one).
    planned = next((r for r in range(panel.model.rowCount())
                    if getattr(panel.model.row_data(r), "outcome", "") == "planned"), 0)
    panel.select_row(planned)
    await asyncio.sleep(0.5)
    await services.runner.wait_idle()


async def _headless(window: Any, services: Services, args: argparse.Namespace) -> int:
    import asyncio

    from PySide6.QtWidgets import QApplication

    try:
        await _wait_ready(window, services, SELF_TEST_TIMEOUT_S)
        target = window
        if args.screenshot:
            target = await _screenshot_state(window, services, getattr(args, "screenshot_state", None) or "overview")
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


def _starting_frame() -> Any:
    """A plain window shown while the app's modules load (a few hundred ms), so something appears
    at once; the main window takes its place."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QMainWindow

    from pipedrive_gui import APP_NAME

    frame = QMainWindow()
    frame.setWindowTitle(APP_NAME)
    label = QLabel(f"Starting {APP_NAME}…")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    frame.setCentralWidget(label)
    frame.resize(1360, 840)
    return frame


async def _main(app: Any, args: argparse.Namespace, frame: Any) -> int:
    import asyncio

    services = build_services(args)
    window = build_window(services)
    if not services.settings.contains("window/geometry"):
        window.setGeometry(frame.geometry())
    if os.environ.get(FIRST_PAINT_ENV):
        _report_paint(window, "MAIN_PAINTED")
    window.show()
    frame.close()
    frame.deleteLater()
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
    await window.shutdown()
    services.runner.cancel_all()
    await services.runner.wait_idle()
    await services.connection.close_connection()
    services.autosaver.stop(clean_exit=True)
    window.close()
    return code


def _report_paint(widget: Any, line: str) -> None:
    """Print ``line`` at ``widget``'s first paint (for benchmarks/bench_startup.py)."""
    from PySide6.QtCore import QEvent, QObject

    class Watcher(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                print(line, flush=True)
                obj.removeEventFilter(self)
            return False

    widget.installEventFilter(Watcher(widget))


def _paint_now(app: Any, frame: Any, timeout_s: float = 2.0) -> None:
    """Show ``frame`` and spin Qt until it has painted, before asyncio and qasync are imported."""
    import time

    from PySide6.QtCore import QEvent, QEventLoop, QObject

    done: list[bool] = []
    report = bool(os.environ.get(FIRST_PAINT_ENV))

    class Watcher(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and not done:
                done.append(True)
                if report:
                    print("PAINTED", flush=True)
            return False

    watcher = Watcher(frame)
    frame.installEventFilter(watcher)
    frame.show()
    end = time.monotonic() + timeout_s
    while not done and time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    frame.removeEventFilter(watcher)


def run(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from pipedrive_gui import APP_ID, APP_NAME, __version__

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_ID)
    app.setQuitOnLastWindowClosed(False)  # the coroutine decides when to stop the loop
    frame = _starting_frame()
    _paint_now(app, frame)

    import asyncio

    os.environ.setdefault("QT_API", "pyside6")  # qasync: do not probe for other Qt bindings
    import qasync

    logging.basicConfig(level=logging.DEBUG if getattr(args, "debug", False) else logging.WARNING)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return int(loop.run_until_complete(_main(app, args, frame)))
    finally:
        asyncio.set_event_loop(None)
