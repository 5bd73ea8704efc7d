"""Crash safety: every event that got a 200 survives ``kill -9`` and is dispatched exactly once.

The receiver runs as a real subprocess (``pipedrive-gui receive``); a client sends batches under
load; the process is killed with SIGKILL mid-stream and started again on the same data folder.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from pipedrive_gui.core.project import Project, save_project
from pipedrive_gui.receiver import JOURNAL_FILE
from tests.receiver.conftest import person_by_email
from tests.receiver.support import receive

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")

WRITE_KEY = "durable-key"
PROJECT = Project(
    name="durability",
    mappings=[person_by_email()],
)


def journal_rows(data_dir: Path) -> list[tuple[str, str, int, int]]:
    """Every event on disk (an acknowledged event is an events row before its 200)."""
    db = data_dir / "data" / JOURNAL_FILE
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT message_id, outcome, dispatches, attempts FROM events").fetchall()
    finally:
        conn.close()


async def test_kill_9_loses_nothing_acknowledged_and_dispatches_once(data_dir: Path, tmp_path: Path) -> None:
    project = tmp_path / "p.pipedrive-map.json"
    save_project(PROJECT, project)
    acked: set[str] = set()
    sent = 0

    async def sender(worker: int, session: aiohttp.ClientSession, url: str) -> None:
        nonlocal sent
        for n in range(10_000):
            batch = [
                {
                    "type": "identify",
                    "userId": f"u{worker}-{n}-{i}",
                    "messageId": f"w{worker}-{n}-{i}",
                    "traits": {"email": f"w{worker}-{n}-{i}@example.com", "name": f"Person {worker}-{n}-{i}"},
                }
                for i in range(20)
            ]
            sent += len(batch)
            try:
                async with session.post(
                    url + "/v1/batch", json={"batch": batch, "writeKey": WRITE_KEY}
                ) as resp:
                    if resp.status == 200:
                        acked.update(e["messageId"] for e in batch)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return  # the server is gone

    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        receive(data_dir, project, "--write-key", WRITE_KEY) as running,
        aiohttp.ClientSession(timeout=timeout) as session,
    ):
        senders = [asyncio.create_task(sender(w, session, running.url)) for w in range(4)]
        deadline = time.monotonic() + 30
        while len(acked) < 600 and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        await running.kill()  # mid-stream: requests are in flight
        await asyncio.gather(*senders)
    assert len(acked) >= 600
    assert sent > len(acked)  # some requests were cut off by the kill

    rows = journal_rows(data_dir)
    stored = {r[0] for r in rows}
    assert acked <= stored, f"{len(acked - stored)} acknowledged events are missing after kill -9"
    assert len(rows) == len(stored)  # no duplicates

    async with receive(data_dir, project, "--write-key", WRITE_KEY) as running:
        deadline = time.monotonic() + 45
        while True:
            rows = journal_rows(data_dir)
            if all(r[1] not in ("pending", "retrying") for r in rows):
                break
            assert time.monotonic() < deadline, "unfinished events did not resume after restart"
            await asyncio.sleep(0.05)
        assert {r[1] for r in rows} == {"planned"}
        assert all(r[2] == 1 for r in rows), "an event was dispatched more than once (or not at all)"
        assert acked <= {r[0] for r in rows}
        assert await running.stop() == 0, running.err  # a clean stop on SIGTERM
