"""Run the sandbox on a loopback port inside the caller's asyncio loop (tests, GUI, receiver, CLI)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from aiohttp import web

from pipedrive_gui.sandbox.app import create_app, reset_app
from pipedrive_gui.sandbox.faults import FaultRule, FaultSettings
from pipedrive_gui.sandbox.handlers import FAULTS_KEY, STATE_KEY
from pipedrive_gui.sandbox.state import SandboxState

# Not a secret: the sandbox accepts any non-empty token except "bad-token".
DEFAULT_TOKEN = "sandbox-token"


class RunningSandbox:
    """A started sandbox. ``faults`` and ``state`` are live: change/inspect them while it runs."""

    def __init__(self, app: web.Application, runner: web.AppRunner, host: str, port: int, token: str) -> None:
        self.app = app
        self._runner = runner
        self.host = host
        self.port = port
        self.token = token
        self._stopped = False
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}"

    @property
    def faults(self) -> FaultSettings:
        return self.app[FAULTS_KEY]

    @property
    def state(self) -> SandboxState:
        return self.app[STATE_KEY]

    def reset(self) -> None:
        """Back to a fresh copy of the seed (records, request log, token budget); faults stay."""
        reset_app(self.app)

    @property
    def running(self) -> bool:
        return not self._stopped

    async def stop(self) -> None:
        """Close the port and drop open connections; safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        await self._runner.cleanup()

    async def __aenter__(self) -> RunningSandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def __repr__(self) -> str:
        return f"RunningSandbox({self.base_url})"


async def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: bool | dict[str, Any] = True,
    faults: FaultSettings | Iterable[FaultRule | str] | None = None,
    token: str = DEFAULT_TOKEN,
    clock: Callable[[], datetime] | None = None,
) -> RunningSandbox:
    """Start a fresh sandbox on ``host:port`` (0 = a free port) in the running event loop."""
    app = create_app(seed=seed, faults=faults, clock=clock)
    # No access log: the sandbox logs "METHOD path -> status" itself, never headers or tokens.
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound_port = port
    for addr in runner.addresses:
        if isinstance(addr, tuple) and len(addr) >= 2:
            bound_port = int(addr[1])
            break
    return RunningSandbox(app, runner, host, bound_port, token)
