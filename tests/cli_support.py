"""Helpers for tests that drive the ``pipedrive-gui`` CLI the way a user or a script does.

``ThreadedSandbox`` runs the offline sandbox on its own event loop in a background thread, so a
test can call :func:`pipedrive_gui.cli.main` in-process (which runs ``asyncio.run`` itself) against
real loopback HTTP. ``run_cli`` captures the exit code, stdout and stderr of one command.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
        self.call(lambda sb: (sb.faults.clear(), sb.reset()))

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


def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PIPEDRIVE_* settings from the machine running the tests."""
    for name in ("PIPEDRIVE_API_TOKEN", "PIPEDRIVE_DOMAIN", "PIPEDRIVE_BASE_URL", "PIPEDRIVE_GUI_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
