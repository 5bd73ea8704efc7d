"""Helpers for tests that drive the ``pipedrive-gui`` CLI the way a user or a script does.

``ThreadedSandbox`` runs the offline sandbox on its own event loop in a background thread, so a
test can call :func:`pipedrive_gui.cli.main` in-process (which runs ``asyncio.run`` itself) against
real loopback HTTP. ``run_cli`` captures the exit code, stdout and stderr of one command.

Two pytest fixtures for such modules: ``sandbox`` (one ``ThreadedSandbox`` per test module) and
``argv`` (the global options of a command against it, with a token in the environment). A test
module uses them by importing their functions, ``sandbox_fixture`` and ``argv_fixture``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipedrive_gui import cli
from pipedrive_gui.sandbox import RunningSandbox, start_sandbox


class ThreadedSandbox:
    """A sandbox serving from a background thread; ``call(fn)`` runs ``fn(sandbox)`` on its loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sandbox", daemon=True)
        self._thread.start()
        self.sandbox: RunningSandbox = self._wait(start_sandbox())
        self.base_url = self.sandbox.base_url

    def _wait(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def call(self, fn: Callable[[RunningSandbox], Any]) -> Any:
        """Run ``fn(sandbox)`` on the sandbox's loop (faults and state belong to that thread)."""

        async def go() -> Any:
            return fn(self.sandbox)

        return self._wait(go())

    def faults(self, *specs: str) -> None:
        """Replace the injected faults, e.g. ``faults("402:method=PATCH")``; none clears them."""
        from pipedrive_gui.sandbox import parse_fault_spec

        rules = [parse_fault_spec(s) for s in specs]

        def apply(sb: RunningSandbox) -> None:
            sb.faults.rules[:] = rules

        self.call(apply)

    def reset(self) -> None:
        """No faults, and the seeded records only."""

        def clear(sb: RunningSandbox) -> None:
            sb.faults.clear()
            sb.reset()

        self.call(clear)

    def close(self) -> None:
        self._wait(self.sandbox.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@contextlib.contextmanager
def threaded_sandbox() -> Iterator[ThreadedSandbox]:
    sb = ThreadedSandbox()
    try:
        yield sb
    finally:
        sb.close()


@dataclass
class CliRun:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def run_cli(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> CliRun:
    """One ``pipedrive-gui`` command in-process; stdin is ``stdin``."""
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return CliRun(code, out.getvalue(), err.getvalue())


def session_env(home: Path, runtime: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh login session, for the CLI run in subprocesses (under
    ``dbus-run-session`` when a test wants a private Secret Service): HOME and the XDG folders under
    ``home``, ``runtime`` as the private XDG_RUNTIME_DIR (created, mode 700), nothing from the
    machine's PIPEDRIVE_*, DBUS_*, XDG_* or PYTHON_KEYRING* settings; PY is this Python, plus ``extra``."""
    home.mkdir(exist_ok=True)
    runtime.mkdir(exist_ok=True)
    runtime.chmod(0o700)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIPEDRIVE_", "DBUS_", "XDG_", "PYTHON_KEYRING"))
    }
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(home / "share"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        PY=sys.executable,
        **extra,
    )
    return env


def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PIPEDRIVE_* settings from the machine running the tests."""
    for name in ("PIPEDRIVE_API_TOKEN", "PIPEDRIVE_DOMAIN", "PIPEDRIVE_BASE_URL", "PIPEDRIVE_GUI_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module", name="sandbox")
def sandbox_fixture() -> Iterator[ThreadedSandbox]:
    """One sandbox for the whole test module; ``argv`` resets it before each test."""
    with threaded_sandbox() as sb:
        yield sb


@pytest.fixture(name="roomy_search_limit")
def roomy_search_limit_fixture(sandbox: ThreadedSandbox) -> Iterator[None]:
    """For a test that runs several commands and is not about pacing: the sandbox's search limit
    (10 per 2 s, as Pipedrive's) is raised for the test, so a command does not wait out the window
    that the commands before it spent. The burst limit, which tells the plan, is left alone."""

    def set_limit(limit: int) -> Any:
        def apply(sb: RunningSandbox) -> int:
            before, sb.faults.search_burst_limit = sb.faults.search_burst_limit, limit
            return before

        return sandbox.call(apply)

    before = set_limit(5000)
    try:
        yield
    finally:
        set_limit(before)


@pytest.fixture(name="argv")
def argv_fixture(sandbox: ThreadedSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``--data-dir`` (empty) and ``--base-url`` (the reset sandbox) for one test, logged in through
    PIPEDRIVE_API_TOKEN and with no other PIPEDRIVE_* setting from the machine."""
    clean_env(monkeypatch)
    sandbox.reset()
    monkeypatch.setenv("PIPEDRIVE_API_TOKEN", "cli-test-token")
    return ["--data-dir", str(tmp_path), "--base-url", sandbox.base_url]
