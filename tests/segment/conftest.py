"""Segment Public API tests: the stand-in over loopback, a client whose waits take no real time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pipedrive_gui.segment.client import SegmentClient, WritePacer
from pipedrive_gui.segment.standin import RunningStandin, StandinState, demo_state, start_standin

TOKEN = "standin-token"


class FakeTime:
    """A clock shared by the client and the stand-in; ``sleep`` advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def state(fake_time: FakeTime) -> StandinState:
    st = demo_state(TOKEN)
    st.clock = fake_time.clock
    return st


@pytest.fixture
async def standin(state: StandinState) -> AsyncIterator[RunningStandin]:
    server = await start_standin(state)
    yield server
    await server.stop()


def make_client(server: RunningStandin, fake_time: FakeTime, token: str = TOKEN, **kw: Any) -> SegmentClient:
    return SegmentClient(
        server.base_url,
        token,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        pacer=WritePacer(clock=fake_time.clock),
        **kw,
    )


@pytest.fixture
async def client(standin: RunningStandin, fake_time: FakeTime) -> AsyncIterator[SegmentClient]:
    c = make_client(standin, fake_time)
    yield c
    await c.aclose()


def prod_id(state: StandinState) -> str:
    return str(state.destinations[0]["id"])
