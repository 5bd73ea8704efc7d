"""Fixtures for the receiver tests: a running receiver on a free loopback port, and a poller."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from pipedrive_gui.core.project import Mapping
from pipedrive_gui.receiver import Receiver, ReceiverSettings

T = TypeVar("T")
WRITE_KEY = "test-write-key"


async def eventually(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], deadline: float = 15.0
) -> T:
    """Poll ``probe`` until ``done(value)``; fail with the last value after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > end:
            raise AssertionError(f"condition not reached within {deadline} s; last value: {value!r}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def receiver(data_dir: Path) -> AsyncIterator[Receiver]:
    """A receiver that journals (no dispatcher) and requires WRITE_KEY."""
    r = Receiver(data_dir, ReceiverSettings(write_key=WRITE_KEY))
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


def person_by_email(name: dict[str, str] | None = None) -> Mapping:
    """The receiver tests' person mapping: identify events upsert a person matched by email, named
    by ``name`` (a mapping value; by default the traits' name)."""
    return Mapping(
        id="person",
        name="People",
        action="createUpdatePerson",
        trigger='type = "identify"',
        settings={
            "match_field": "email",
            "match_value": {"@path": "$.traits.email"},
            "name": name or {"@path": "$.traits.name"},
            "email": {"@path": "$.traits.email"},
        },
    )
