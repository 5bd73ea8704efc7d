"""Less waiting in tests whose subject is a decision, not how long it takes.

The Pipedrive client sleeps between retries of a read (backoff after a 5xx or a refused
connection) and its pacer holds requests after a 429 or when the sandbox's rate-limit headers say
a window is spent. A test about what happens after those waits (the same retries, the same
outcome) can shorten them here; a test about the timing itself must not.
"""

from __future__ import annotations

import asyncio
import time

import pytest

#: The longest retry sleep of a Pipedrive client under ``shorten_client_retries``.
RETRY_SLEEP_CAP_S = 0.05


async def short_sleep(seconds: float) -> None:
    """A Pipedrive client's retry sleep, capped: the same decisions, less waiting."""
    await asyncio.sleep(min(seconds, RETRY_SLEEP_CAP_S))


def shorten_client_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``PipedriveClient`` made during the test (also by the app or a command) retries with
    ``short_sleep``, unless it is given a ``sleep`` of its own."""
    from pipedrive_gui.pipedrive.client import PipedriveClient

    defaults = PipedriveClient.__init__.__kwdefaults__
    assert defaults is not None and "sleep" in defaults
    monkeypatch.setitem(defaults, "sleep", short_sleep)


def warp_pacers(monkeypatch: pytest.MonkeyPatch) -> WarpedTime:
    """Every ``Pacer`` made during the test without a clock of its own (as a command's client makes
    it) runs on warped time; returns it (``skipped``: what the pacers would have waited)."""
    from pipedrive_gui.pipedrive.pacing import Pacer

    warped = WarpedTime()
    defaults = Pacer.__init__.__kwdefaults__
    assert defaults is not None and {"clock", "sleep"} <= set(defaults)
    monkeypatch.setitem(defaults, "clock", warped.clock)
    monkeypatch.setitem(defaults, "sleep", warped.sleep)
    return warped


class WarpedTime:
    """A clock and sleep for a ``Pacer``: a wait it decides on passes at once and its clock moves on
    by that much (the same decisions as in real time, none of the waiting). ``skipped``: the seconds
    it would have waited."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def clock(self) -> float:
        return time.monotonic() + self.skipped

    async def sleep(self, seconds: float) -> None:
        self.skipped += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture(name="short_client_retries")
def short_client_retries_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """``shorten_client_retries`` as a fixture: listed before the fixtures that connect, it also
    covers the clients they make. A module uses it by importing this function."""
    shorten_client_retries(monkeypatch)
