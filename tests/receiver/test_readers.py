"""Whoever else opens the journal, an accepted messageId is journaled and dispatched once, and
reading commands never change it (issue 11).

The readers are the real CLI commands (``journal``, ``journal-export``, ``replay``) as subprocesses,
run over and over beside a live receiver that takes real HTTP traffic over loopback from clients
that resend their batches (as Segment's libraries do after a timeout).
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pipedrive_gui.core.project import Project, save_project
from pipedrive_gui.paths import AppPaths
from pipedrive_gui.receiver import (
    JOURNAL_FILE,
    Journal,
    JournalError,
    JournalQuery,
    Processed,
    Receiver,
    ReceiverSettings,
)
from tests.receiver.conftest import eventually, person_by_email
from tests.receiver.support import receive, start_cli

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")

WRITE_KEY = "readers-key"
PROJECT = Project(
    name="readers",
    mappings=[person_by_email()],
)


async def cli(data_dir: Path, *argv: str) -> tuple[int, str]:
    """A reading command run to its end: its exit code and all it printed."""
    proc = await start_cli(data_dir, *argv, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


def journal_file(data_dir: Path) -> Path:
    return AppPaths.resolve(data_dir).data / JOURNAL_FILE


def stored(data_dir: Path) -> list[tuple[str, str, int]]:
    """(messageId, outcome, dispatches) of every event row, read with a connection of our own."""
    conn = sqlite3.connect(f"file:{journal_file(data_dir)}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT message_id, outcome, dispatches FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


class CountingProcessor:
    """Counts how often each messageId is dispatched."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    async def process(
        self, event: dict[str, Any], previous: list[dict[str, Any]], force: bool, *, before_write: Any = None
    ) -> Processed:
        self.calls[event["messageId"]] += 1
        return Processed("planned", [], "counted")


def identify_batch(tag: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "identify",
            "userId": f"{tag}-{i}",
            "messageId": f"{tag}-{i}",
            "traits": {"email": f"{tag}-{i}@example.com", "name": f"Person {tag}-{i}"},
        }
        for i in range(n)
    ]


async def test_readers_beside_a_live_receiver_with_client_resends_cause_no_duplicates(
    data_dir: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p.pipedrive-map.json"
    save_project(PROJECT, project)
    export = tmp_path / "export.jsonl"
    processor = CountingProcessor()
    receiver = Receiver(
        AppPaths.resolve(data_dir).data, ReceiverSettings(write_key=WRITE_KEY), processor=processor
    )
    await receiver.start()
    url = receiver.url + "/v1/batch"
    acked: set[str] = set()
    resent = 0
    traffic = True
    reader_runs: Counter[str] = Counter()
    reader_failures: list[str] = []

    async def post(session: aiohttp.ClientSession, batch: list[dict[str, Any]]) -> bool:
        async with session.post(url, json={"batch": batch, "writeKey": WRITE_KEY}) as resp:
            return resp.status == 200

    async def client(worker: int, session: aiohttp.ClientSession) -> None:
        """New batches, each followed by a resend of one sent a few requests earlier: by then a
        reader may have opened the journal in between."""
        nonlocal resent
        sent: list[list[dict[str, Any]]] = []
        n = 0
        while traffic:
            batch = identify_batch(f"w{worker}-{n}", 20)
            n += 1
            if await post(session, batch):
                acked.update(e["messageId"] for e in batch)
            sent.append(batch)
            if len(sent) > 3:
                assert await post(session, sent[-4])
                resent += 1

    async def reader(name: str, *argv: str) -> None:
        while traffic:
            code, out = await cli(data_dir, *argv)
            if code != 0:
                reader_failures.append(f"{name}: {out}")
            reader_runs[name] += 1

    async with aiohttp.ClientSession() as session:
        clients = [asyncio.create_task(client(w, session)) for w in range(4)]
        readers = [
            asyncio.create_task(reader("journal", "journal", "--json", "--limit", "5")),
            asyncio.create_task(reader("journal-export", "journal-export", "-o", str(export))),
            asyncio.create_task(reader("replay", "replay", "--failed", "--project", str(project))),
        ]
        deadline = time.monotonic() + 90
        while (
            min(reader_runs[r] for r in ("journal", "journal-export", "replay")) < 2 or len(acked) < 2000
        ) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        traffic = False
        await asyncio.gather(*clients, *readers)
    try:
        assert not reader_failures, reader_failures[:3]
        assert resent > 100 and len(acked) >= 2000
        await eventually(receiver.counts, lambda c: c["pending"] == 0 and c["retrying"] == 0, 60)
        rows = stored(data_dir)
        per_id = Counter(r[0] for r in rows)
        assert {r[0] for r in rows} == acked  # every acknowledged event, nothing else
        duplicate_rows = {m: n for m, n in per_id.items() if n > 1}
        assert not duplicate_rows, f"{len(duplicate_rows)} messageIds journaled more than once"
        twice = {m: n for m, n in processor.calls.items() if n > 1}
        assert not twice, f"{len(twice)} messageIds dispatched more than once"
        assert set(processor.calls) == acked and all(r[2] == 1 for r in rows)
        assert receiver.stats().duplicates == resent * 20
    finally:
        await receiver.stop()


async def test_replay_beside_a_running_receiver_leaves_the_dispatching_to_it(
    data_dir: Path, tmp_path: Path
) -> None:
    """The receiver holds the journal's lock: ``replay --project`` only marks the event, and the
    receiver dispatches it once more (not both of them)."""
    project = tmp_path / "p.pipedrive-map.json"
    save_project(PROJECT, project)
    processor = CountingProcessor()
    receiver = Receiver(
        AppPaths.resolve(data_dir).data, ReceiverSettings(write_key=WRITE_KEY), processor=processor
    )
    await receiver.start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                receiver.url + "/v1/batch", json={"batch": identify_batch("r", 1), "writeKey": WRITE_KEY}
            ) as resp,
        ):
            assert resp.status == 200
        await eventually(receiver.counts, lambda c: c["planned"] == 1)
        code, out = await cli(data_dir, "replay", "r-0", "--project", str(project))
        assert code == 0 and "The running receiver dispatches them now." in out, out
        await eventually(lambda: asyncio.sleep(0, processor.calls["r-0"]), lambda n: n == 2)
        await eventually(receiver.counts, lambda c: c["planned"] == 1)
        assert stored(data_dir) == [("r-0", "planned", 2)]
    finally:
        await receiver.stop()


# -- retention ------------------------------------------------------------------------------------------


async def send(url: str, batch: list[dict[str, Any]]) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/v1/batch", json={"batch": batch, "writeKey": WRITE_KEY}) as resp,
    ):
        assert resp.status == 200


async def test_readers_keep_the_journals_retention_after_a_receiver_was_killed(
    data_dir: Path, tmp_path: Path
) -> None:
    """``receive --keep-days 0`` keeps every event; after it was killed, reading commands (and a
    receiver started without --keep-days) go by the journal's retention and delete nothing."""
    project = tmp_path / "p.pipedrive-map.json"
    save_project(PROJECT, project)
    async with receive(data_dir, project, "--write-key", WRITE_KEY, "--keep-days", "0") as running:
        await send(running.url, identify_batch("old", 300))
        await eventually(
            lambda: asyncio.to_thread(stored, data_dir),
            lambda rows: len(rows) == 300 and {r[1] for r in rows} == {"planned"},
            60,
        )
        # Those 300 were received 40 days ago (finished: a 30-day retention would prune them).
        conn = sqlite3.connect(journal_file(data_dir), timeout=10)
        with conn:
            conn.execute("UPDATE events SET received_ts = received_ts - 40 * 86400")
        conn.close()
        await send(running.url, identify_batch("last", 1))
        await running.kill()  # right after a 200, as a crash or a closed laptop would

    old = {f"old-{i}" for i in range(300)}
    for argv in (
        ("journal",),
        ("journal", "--json"),
        ("journal-export", "-o", str(tmp_path / "all.jsonl")),
        ("replay", "--failed"),
        ("replay", "--failed", "--project", str(project)),
    ):
        code, out = await cli(data_dir, *argv)
        assert code == 0, out
        left = {r[0] for r in stored(data_dir)}
        assert old <= left, f"`{' '.join(argv)}` deleted {len(old - left)} of the 300 old events"
    assert len(stored(data_dir)) == 301
    code, out = await cli(data_dir, "journal")
    assert "keeps finished events with no age limit" in out, out

    # No --keep-days: the journal's own retention.
    async with receive(data_dir, project, "--write-key", WRITE_KEY) as running:
        await send(running.url, identify_batch("next", 1))
        await eventually(lambda: asyncio.to_thread(stored, data_dir), lambda rows: len(rows) == 302, 30)
        assert await running.stop() == 0, running.err  # a clean stop on SIGTERM
    assert len(stored(data_dir)) == 302


async def test_a_read_only_journal_cannot_change_anything(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    async with Journal(path) as journal:
        from pipedrive_gui.receiver.intake import events_from_request

        await journal.append(events_from_request("batch", {"batch": identify_batch("ro", 3)}))
    async with Journal(path, read_only=True) as reader:
        assert (await reader.counts())["pending"] == 3
        with pytest.raises(JournalError, match="reading only"):
            await reader.mark_for_replay(["ro-0"])
        with pytest.raises(JournalError, match="reading only"):
            await reader.prune()
        with pytest.raises(JournalError, match="readonly"):  # SQL that writes, through read()
            await reader.read(lambda conn: conn.execute("DELETE FROM events"))
        assert len((await reader.query(JournalQuery())).rows) == 3


async def test_the_receivers_retention_is_stored_in_the_journal(tmp_path: Path) -> None:
    from pipedrive_gui.receiver import Retention

    path = tmp_path / "j.sqlite3"
    async with Journal(path, retention=Retention(7.0, 1000, None)):
        pass
    async with Journal(path) as journal:  # a later writer without a retention of its own
        assert journal.retention == Retention(7.0, 1000, None)
        await journal.set_retention(Retention(None, None, None))
    async with Journal(path, read_only=True) as reader:
        assert reader.retention == Retention(None, None, None)
