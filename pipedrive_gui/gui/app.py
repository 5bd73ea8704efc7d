"""Composition root of the desktop app: QApplication, the qasync loop, the services, the window.

asyncio runs inside Qt's event loop (qasync), so network and keyring work are coroutines scheduled
by the TaskRunner and the window never waits on them. ``--demo`` opens the bundled demo project on
an offline sandbox started in this process; ``--self-test`` starts, loads the demo on the sandbox,
paints once, prints OK and exits 0; ``--screenshot PNG`` saves the window instead.

For documentation screenshots, ``--screenshot-state NAME`` (or the older
``PIPEDRIVE_GUI_SCREENSHOT_STATE``) picks what ``--screenshot`` shows: ``overview`` (default),
``dry-run`` (preview with a Check in Pipedrive result), ``connection`` (the connection dialog),
``error`` (a broken sample event and trigger), ``dark`` (the overview in the dark colour scheme) or
``receiver`` (the local receiver panel after a few events arrived), ``records`` (the Test
records window after a few test sends), ``problems`` (the Problems list after two mistakes),
``segment-diff`` (the Segment dialog's push diff against a stand-in of the Public API) or
``impact-panel`` (the Impact panel after a run with a before/after comparison); see ``headless.py``.

Start-up order (its time is measured, benchmarks/bench_startup.py): a plain "Starting…" frame is
painted first; then the services and the main window are built, the project loaded and the window
painted, all before asyncio and qasync are imported; only then does the event loop start, and with
it the background work (first preview, keyring check, connection, receiver panel if it was open).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from pipedrive_gui.gui.main_window import MainWindow

log = logging.getLogger(__name__)
#: benchmarks/bench_startup.py sets this to learn when the main window first painted.
FIRST_PAINT_ENV = "PIPEDRIVE_GUI_REPORT_FIRST_PAINT"


class Services:
    """What the window and start-up share. A plain class, not a dataclass: importing dataclasses
    (and inspect with it) costs ~6 ms before the first paint."""

    __slots__ = ("paths", "settings", "runner", "connection", "doc", "autosaver")

    def __init__(
        self, paths: Any, settings: Any, runner: Any, connection: Any, doc: Any, autosaver: Any
    ) -> None:
        self.paths, self.settings, self.runner = paths, settings, runner
        self.connection, self.doc, self.autosaver = connection, doc, autosaver

    @property
    def store(self) -> Any:
        """The credential store (the connection's; the system keyring is opened at first use)."""
        return self.connection.store

    @store.setter
    def store(self, store: Any) -> None:
        self.connection.store = store


def build_services(
    args: argparse.Namespace, *, store: Any = None, autosave_interval_s: float | None = None
) -> Services:
    """``store``: where tokens are kept; None = the system keyring. Nothing here imports asyncio,
    the keyring or httpx: the window is built and painted before the event loop starts."""
    from PySide6.QtCore import QSettings

    from pipedrive_gui.gui.autosave import Autosaver
    from pipedrive_gui.gui.connection import Connection
    from pipedrive_gui.gui.document import Document
    from pipedrive_gui.gui.tasks import TaskRunner
    from pipedrive_gui.paths import AppPaths

    paths = AppPaths.resolve(getattr(args, "data_dir", None)).ensure()
    # Window layout and recent files only; under --data-dir like everything else the app writes.
    settings = QSettings(str(paths.config / "window.ini"), QSettings.Format.IniFormat)
    runner = TaskRunner()
    connection = Connection(paths, store, base_url=getattr(args, "base_url", None))
    doc = Document()
    autosaver = (
        Autosaver(doc, paths.data)
        if autosave_interval_s is None
        else Autosaver(doc, paths.data, autosave_interval_s)
    )
    return Services(paths, settings, runner, connection, doc, autosaver)


def demo_project() -> Any:
    from pipedrive_gui.core.project import load_project
    from pipedrive_gui.resources import resource_path

    return load_project(resource_path("demo", "demo.pipedrive-map.json"))


def build_window(services: Services, *, reopen_receiver: bool = True) -> MainWindow:
    """``reopen_receiver=False``: the caller reopens the receiver panel (if it was open last
    time) with ``window.restore_receiver()`` once the event loop runs."""
    from pipedrive_gui.gui.main_window import MainWindow

    return MainWindow(
        services.doc,
        services.connection,
        services.runner,
        services.settings,
        services.autosaver,
        reopen_receiver=reopen_receiver,
    )


async def _after_first_paint(make_coro: Any) -> Any:
    """Run ``coro`` once Qt has had a turn to show the first preview: starting the sandbox imports
    aiohttp (a few hundred ms) that would otherwise hold it."""
    import asyncio

    await asyncio.sleep(0.03)
    # The coroutine is made only now, so a start cancelled during the pause leaves none unawaited.
    return await make_coro()


def open_startup_project(
    window: MainWindow, services: Services, args: argparse.Namespace, *, offer_recovery: bool = True
) -> None:
    """The project the window starts with (the demo, a file or a new one), and the offer to
    restore unsaved work. Needs no event loop: the app does this before painting the window."""
    from pipedrive_gui.gui.autosave import find_recovery

    headless = bool(args.self_test or args.screenshot)
    # Look for unsaved work before anything is loaded (loading must not hide it).
    recovery = find_recovery(services.paths.data) if offer_recovery and not headless else None
    if args.demo or (headless and not args.project):
        window.load(demo_project(), None)
    elif args.project:
        window.files.open_path(args.project)
    else:
        from pipedrive_gui.core.project import Project

        window.load(Project(), None)
    if recovery is not None:
        window.files.offer_recovery(recovery)


def connect_at_start(window: MainWindow, services: Services, args: argparse.Namespace) -> None:
    """Start the background work of a new session: keyring check, then the sandbox (``--demo``,
    headless), or what the user used last time (the sandbox, else the saved account), else the
    connection dialog. Needs the running event loop.

    One thing at a time: nothing here opens a dialog of its own. A missing keyring is not an
    error (the status bar and the connection dialog say what it means); a failed connection opens
    the connection dialog with the reason in it, after the recovery question if one is open."""
    runner, connection = services.runner, services.connection
    runner.spawn(connection.load_keyring_backend(), name="keyring")
    headless = bool(args.self_test or args.screenshot)
    if args.demo or (headless and not args.project):
        runner.spawn(_after_first_paint(connection.connect_sandbox), name="startup")
        return

    async def connect_last_used() -> None:
        from pipedrive_gui.credentials import KeyringUnavailableError

        # The sandbox needs no token (and no keyring): reopen it without reading the keyring,
        # unless a token was given in the environment for this run.
        if window.accounts.chose_sandbox_before() and connection.store.env_override() is None:
            await connection.connect_sandbox()
            return
        try:
            if await connection.connect_saved():
                return
        except KeyringUnavailableError as exc:
            log.info("no saved account (keyring unavailable): %s", exc)
        window.when_no_question(window.accounts.show_connection_dialog)

    runner.spawn(
        connect_last_used(),
        name="startup",
        on_error=lambda _name, exc: window.accounts.start_connect_failed(exc),
    )


async def start(
    window: MainWindow, services: Services, args: argparse.Namespace, *, offer_recovery: bool = True
) -> None:
    """What happens after the window is shown: project, connection, recovery offer."""
    open_startup_project(window, services, args, offer_recovery=offer_recovery)
    connect_at_start(window, services, args)


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


async def _main(
    app: Any, args: argparse.Namespace, window: MainWindow, services: Services, first_preview: bool
) -> int:
    """The session, once the event loop runs: the window is already built, loaded and painted."""
    import asyncio

    if first_preview:
        window.preview.schedule(immediate=True)
    window.restore_receiver()
    connect_at_start(window, services, args)
    if args.self_test or args.screenshot:
        from pipedrive_gui.gui.headless import run_headless

        code = await run_headless(window, services, args)
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


def _watch_first_paint(window: MainWindow, marker: str) -> list[bool]:
    """A list that gets an item at ``window``'s first paint (when ``marker`` is printed if
    FIRST_PAINT_ENV is set, for benchmarks/bench_startup.py)."""
    from PySide6.QtCore import QEvent, QObject

    done: list[bool] = []
    report = bool(os.environ.get(FIRST_PAINT_ENV))

    class Watcher(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and not done:
                done.append(True)
                if report:
                    print(marker, flush=True)
                obj.removeEventFilter(self)
            return False

    window.installEventFilter(Watcher(window))
    return done


def _spin_until_painted(app: Any, painted: list[bool], timeout_s: float) -> None:
    """Let Qt work until ``painted`` (see _watch_first_paint), before asyncio and qasync are
    imported. Clicks and keys stay queued until the event loop runs: what they do may start
    background tasks, which need it."""
    import time

    from PySide6.QtCore import QEventLoop

    end = time.monotonic() + timeout_s
    while not painted and time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 20)


def collect_on_the_gui_thread(app: Any) -> Any:
    """From the main window's first paint on, Python's cycle collector runs on the GUI thread only
    (``gui/collector.py`` says why); ``run_gui`` turned automatic collection off before the app's
    modules loaded, and it stays off.

    Until that paint there is no collecting at all: start-up makes ~40,000 objects that live as long
    as the app (modules, classes, Qt's enums, the widgets) and next to no cyclic garbage; collecting
    then ran ~75 times and found ~500 objects, for ~10 ms of the time to the first paint
    (benchmarks/bench_startup.py)."""
    from pipedrive_gui.gui.collector import GuiThreadCollector

    collector = GuiThreadCollector(app)
    collector.start()
    return collector


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
    painted = _watch_first_paint(frame, "PAINTED")
    frame.show()
    _spin_until_painted(app, painted, 2.0)

    logging.basicConfig(level=logging.DEBUG if getattr(args, "debug", False) else logging.WARNING)
    # The main window is built, loaded and painted before the event loop exists, so what it needs
    # first (asyncio, qasync, ~25 ms) loads after that paint. Its background work starts with the
    # loop: the first preview (a task), the connection, the receiver panel if it was open.
    services = build_services(args)
    window = build_window(services, reopen_receiver=False)  # in _main, once the loop runs
    if not services.settings.contains("window/geometry"):
        window.setGeometry(frame.geometry())
    painted = _watch_first_paint(window, "MAIN_PAINTED")
    window.show()
    frame.close()
    frame.deleteLater()
    open_startup_project(window, services, args)
    # The first preview is computed by a background task, so it waits for the loop: the window
    # paints with the preview still empty and the payload follows (before: the paint waited).
    first_preview = window.preview.timer.isActive()
    window.preview.timer.stop()
    # Not waiting long: if the window system has not exposed it by then, the loop paints it.
    _spin_until_painted(app, painted, 1.0)
    collector = collect_on_the_gui_thread(app)

    import asyncio

    os.environ.setdefault("QT_API", "pyside6")  # qasync: do not probe for other Qt bindings
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return int(loop.run_until_complete(_main(app, args, window, services, first_preview)))
    finally:
        collector.stop()
        asyncio.set_event_loop(None)
