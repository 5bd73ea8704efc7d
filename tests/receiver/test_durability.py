"""Crash safety: every event that got a 200 survives ``kill -9`` and is dispatched exactly once.

The receiver runs as a real subprocess (``pipedrive-gui receive``); a client sends batches under
load; the process is killed with SIGKILL mid-stream and started again on the same data folder.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from pipedrive_gui.core.project import Project, save_project
from pipedrive_gui.receiver import JOURNAL_FILE
from tests.receiver.conftest import person_by_email

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")

WRITE_KEY = "durable-key"
PROJECT = Project(
    name="durability",
    mappings=[person_by_email()],
)


async def start_receiver(data_dir: Path, project: Path) -> tuple[asyncio.subprocess.Process, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"  # no Pipedrive connection: payloads only
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pipedrive_gui",
        "--data-dir",
        str(data_dir),
        "receive",
        str(project),
        "--port",
        "0",
        "--write-key",
        WRITE_KEY,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        if not line:
            err = await proc.stderr.read() if proc.stderr else b""
            raise AssertionError(f"receiver exited before listening: {err.decode()}")
        found = re.search(r"Listening on (http://\S+)", line)
        if found:
            asyncio.get_running_loop().create_task(_drain(proc.stdout))
            return proc, found.group(1)
    raise AssertionError("receiver did not report its address")


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


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
    proc, url = await start_receiver(data_dir, project)
    acked: set[str] = set()
    sent = 0

    async def sender(worker: int, session: aiohttp.ClientSession) -> None:
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
    async with aiohttp.ClientSession(timeout=timeout) as session:
        senders = [asyncio.create_task(sender(w, session)) for w in range(4)]
        deadline = time.monotonic() + 30
        while len(acked) < 600 and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: requests are in flight
        await proc.wait()
        await asyncio.gather(*senders)
    assert len(acked) >= 600
    assert sent > len(acked)  # some requests were cut off by the kill

    rows = journal_rows(data_dir)
    stored = {r[0] for r in rows}
    assert acked <= stored, f"{len(acked - stored)} acknowledged events are missing after kill -9"
    assert len(rows) == len(stored)  # no duplicates

    proc, url = await start_receiver(data_dir, project)
    try:
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
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0  # a clean stop on SIGTERM
