"""GUI test fixtures: an offscreen QApplication with a qasync loop, the app's services with an
in-memory keyring and a temp data dir, a sandbox, and a recorder that replaces gui/dialogs.py so no
dialog ever blocks. For the tests that run the real app under a real X server: ``xvfb`` and
``real_x_env``.

Python's cycle collector runs only on this (the GUI) thread while a GUI test runs: see
``pytest_runtest_logstart`` below."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import subprocess
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pipedrive_gui.core.project import Mapping

pytest.importorskip("PySide6")
qasync = pytest.importorskip("qasync")
# Importing the gui package applies its PySide6 work-arounds (see gui/pyside_workarounds.py) before
# any test emits a signal.
pytest.importorskip("pipedrive_gui.gui")


class HarnessLoop(qasync.QEventLoop):  # type: ignore[misc,name-defined]
    """A qasync loop whose callbacks always see it as the running loop.

    Tests drive the loop in pieces (``run(...)``, then ``run.until(...)``), so it is stopped
    between them. qasync schedules each callback (a task step, a future's done-callback) as a Qt
    timer, and Qt fires due timers in *any* event processing - qasync's own last
    ``processEvents()`` in ``run_until_complete``, after it has cleared the running loop;
    pytest-qt's between test phases; a test's ``processEvents()``. A task step run there had no
    running loop, so ``asyncio.get_running_loop()`` raised and httpx (via anyio/sniffio) failed
    with "Not currently running on any asynchronous event loop": the start-up connect failed when
    the keyring thread finished just as ``run(start(...))`` returned. Here such a callback runs
    when Qt fires it, as before, but with this loop as the running loop. (Holding it until the
    next run instead would replay stale callbacks, such as an earlier run's ``stop``, into it.)
    The app runs its loop once, for its whole life, so it never hits this.
    """

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        # qasync's one entry point for call_soon/call_later/call_at and thread/socket wake-ups.
        # The caller keeps ``handle`` (to cancel it); the Qt timer gets a guard around it.
        super()._add_callback(asyncio.Handle(self._run_as_running_loop, (handle,), self), delay)
        return handle

    def _run_as_running_loop(self, handle: asyncio.Handle) -> None:
        if handle.cancelled():
            return
        if asyncio.events._get_running_loop() is not None:
            handle._run()
            return
        asyncio.events._set_running_loop(self)
        try:
            handle._run()
        finally:
            asyncio.events._set_running_loop(None)

    def close(self) -> None:
        """Close, then delete the loop's Qt objects here, on the GUI thread.

        qasync's timer object still has a Qt timer for every callback it scheduled and never ran (a
        cancelled ``wait_for`` timeout runs 15 s later), and the closed loop is reference-cyclic
        garbage (loop -> timer -> handles -> loop): left to Python's cycle collector, it is freed in
        whichever thread the collector happens to run - a journal writer thread, an executor thread.
        There Qt cannot stop the timers ("QObject::~QObject: Timers cannot be stopped from another
        thread") and later delivers one to the freed object: a segfault in a later test's loop.
        """
        super().close()
        release_qt_objects(self)


def release_qt_objects(loop: Any) -> None:
    """Delete a closed qasync loop's own Qt objects now, on this thread (see ``HarnessLoop.close``)."""
    import shiboken6

    timer = loop._timer
    timer._SimpleTimer__callbacks.clear()  # qasync's pending handles: breaks the cycle
    for obj in (timer, getattr(loop, "_QEventLoop__call_soon_signaller", None)):
        if obj is not None and shiboken6.isValid(obj):
            shiboken6.delete(obj)  # ~QObject on its own thread: its Qt timers are stopped


_collector_was_on = True


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    """Pause Python's cycle collector for the whole of a GUI test, from set-up to tear-down.

    The collector runs in whichever thread allocates past its threshold - a journal writer, an
    executor thread - and frees there every garbage cycle it finds. A cycle holding a QObject that
    Python owns (a test's qasync loop and its timers, a test's services) is then destroyed outside the
    GUI thread, which Qt does not allow: its timers stay registered and fire into freed memory.
    """
    global _collector_was_on
    _collector_was_on = gc.isenabled()
    gc.disable()


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    """...and collect what the test left, on this thread, once pytest has let go of its fixtures.
    Paused, the collector promoted nothing the test made: the two young generations hold all of
    it (~2 ms; a full collection, ~80 ms a test, finds no more than a dynamic class or two)."""
    gc.collect(1)
    if _collector_was_on:
        gc.enable()


@pytest.fixture
def loop(qapp: Any) -> Any:
    lp = HarnessLoop(qapp, already_running=False)
    asyncio.set_event_loop(lp)
    yield lp
    try:
        pending = [t for t in asyncio.all_tasks(lp) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            lp.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    finally:
        lp.close()
        asyncio.set_event_loop(None)


class Runner:
    """Drive the qasync loop from a synchronous test."""

    def __init__(self, loop: Any) -> None:
        self.loop = loop

    def __call__(self, coro: Coroutine[Any, Any, Any], timeout: float = 15.0) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def until(self, condition: Callable[[], Any], timeout: float = 10.0, what: str = "") -> None:
        async def poll() -> None:
            while not condition():
                await asyncio.sleep(0.02)

        try:
            self(poll(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out waiting for {what or condition}") from None

    def sleep(self, seconds: float) -> None:
        self(asyncio.sleep(seconds), seconds + 5)


@pytest.fixture
def run(loop: Any) -> Runner:
    return Runner(loop)


@dataclass
class DialogRecorder:
    """Every dialog the app asked for; ``answers`` says what the 'user' clicks / chooses."""

    asked: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    infos: list[tuple[str, str]] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    files: list[str | None] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (title, url) shown to copy

    def ask(self, parent: Any, title: str, text: str, answers: Any, callback: Any, **kw: Any) -> None:
        self.asked.append((title, text))
        callback(self.answers.pop(0) if self.answers else answers[-1])

    def show_error(self, parent: Any, title: str, text: str, details: str | None = None) -> None:
        self.errors.append((title, text + ("\n" + details if details else "")))

    def show_info(self, parent: Any, title: str, text: str) -> None:
        self.infos.append((title, text))

    def show_link(self, parent: Any, title: str, text: str, url: str) -> None:
        self.links.append((title, url))

    def open_file(self, parent: Any, caption: str, filters: str, callback: Any, directory: str = "") -> None:
        callback(self.files.pop(0) if self.files else None)

    def save_file(
        self,
        parent: Any,
        caption: str,
        filters: str,
        callback: Any,
        directory: str = "",
        default_suffix: str | None = None,
    ) -> None:
        callback(self.files.pop(0) if self.files else None)


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    from pipedrive_gui.gui import dialogs as module

    rec = DialogRecorder()
    for name in ("ask", "show_error", "show_info", "show_link", "open_file", "save_file"):
        monkeypatch.setattr(module, name, getattr(rec, name))
    return rec


@pytest.fixture
def memory_store() -> Any:
    from pipedrive_gui.credentials import CredentialStore, MemoryKeyring

    return CredentialStore(backend=MemoryKeyring(), env={})


@pytest.fixture
def gui_args(data_dir: Any) -> argparse.Namespace:
    return argparse.Namespace(
        project=None,
        data_dir=str(data_dir),
        debug=False,
        base_url=None,
        demo=False,
        self_test=False,
        screenshot=None,
    )


@pytest.fixture
def services(loop: Any, gui_args: argparse.Namespace, memory_store: Any) -> Any:
    from pipedrive_gui.gui.app import build_services

    s = build_services(gui_args, store=memory_store)
    yield s
    s.runner.cancel_all()
    loop.run_until_complete(s.runner.wait_idle())
    loop.run_until_complete(s.connection.close_connection())
    s.autosaver.stop(clean_exit=False)


@pytest.fixture
def window(qtbot: Any, services: Any, dialogs: DialogRecorder, loop: Any) -> Any:
    from pipedrive_gui.gui.app import build_window

    w = build_window(services)

    def shut_the_receiver_panel(w: Any) -> None:
        # Before pytest-qt closes the window, as the app does before its loop ends: the receiver
        # panel, if opened, stops the receiver and closes its journal, so no journal writer thread
        # outlives the test. (Only then: running the loop here would start what the test left
        # pending.)
        if w.receiver_panel is not None:
            loop.run_until_complete(w.receiver_panel.shutdown())

    qtbot.addWidget(w, before_close_func=shut_the_receiver_panel)
    w.show()
    yield w
    w._close_confirmed = True


@pytest.fixture
def demo_window(window: Any, services: Any, run: Runner) -> Any:
    """The demo project connected to a fresh in-process sandbox, with its first preview shown."""
    from pipedrive_gui.gui.app import demo_project

    window.load(demo_project(), None)
    run(services.connection.connect_sandbox())
    settle(run, window)
    return window


def select_mapping(window: Any, action: str) -> Mapping:
    """Select the project's first mapping of ``action`` in the mapping list, as a click on it would,
    and return it (the editor and preview follow; ``settle`` waits for them)."""
    m: Mapping = next(m for m in window.doc.project.mappings if m.action == action)
    window.mapping_list.select(m.id)
    return m


def settle(run: Runner, window: Any) -> None:
    """Wait for the debounced preview and every background task to finish."""
    run.until(lambda: not window.preview.timer.isActive() and not window.runner.busy, what="idle")
    run(window.runner.wait_idle())


# -- a real X server ---------------------------------------------------------------------------------

# For a module whose tests all need Xvfb: they skip, saying so, where it is not installed.
NEEDS_XVFB = [
    pytest.mark.xvfb,
    pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed"),
]


@contextmanager
def xvfb(screen: str) -> Iterator[str]:
    """A real X server with one screen of ``screen`` (``WIDTHxHEIGHTxDEPTH``) while the block runs;
    yields its DISPLAY. Xvfb picks a free display number itself and writes it to a pipe
    (``-displayfd``) once it accepts clients, so there is no number to guess and nothing to poll.
    No TCP listener: the app under test connects over the local socket."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as f:
            number = f.readline().strip()
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def real_x_env(display: str, **extra: str) -> dict[str, str]:
    """The environment for the app on ``display`` through xcb: none of the machine's platform,
    Wayland or PIPEDRIVE_* settings (no account, data folder or screenshot state from outside) and
    no keyring, as on a desktop without one; then ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY") and not k.startswith("PIPEDRIVE_")
    }
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        **extra,
    )
    return env
