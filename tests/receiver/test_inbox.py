"""Accepted requests are committed whole (the inbox) and become per-event rows right after;
nothing outside the journal ever sees the difference, and a crash in between loses nothing."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from pipedrive_gui.receiver import Journal, JournalQuery
from pipedrive_gui.receiver.intake import AcceptedBatch, accept_request, encode_json, events_from_request
from pipedrive_gui.receiver.journal import _INBOX_INSERT, inbox_row


def batch(*ids: str) -> AcceptedBatch:
    accepted = accept_request(
        "batch", {"batch": [{"type": "track", "event": "Bought ✓", "userId": "u", "messageId": i} for i in ids]}
    )
    assert isinstance(accepted, AcceptedBatch)
    return accepted


async def test_requests_left_unsplit_by_a_crash_become_events_on_open(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    async with Journal(path) as journal:
        await journal.append(batch("a1"))
    # What a crash right after the 200 leaves: committed inbox rows, not split yet.
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(_INBOX_INSERT, inbox_row(batch("b1", "b2"), time.time()))
        conn.execute(_INBOX_INSERT, inbox_row(batch("b2", "a1", "c1"), time.time()))  # duplicates by messageId
    conn.close()

    async with Journal(path) as journal:
        page = await journal.query(JournalQuery(oldest_first=True))
        assert [r.message_id for r in page.rows] == ["a1", "b1", "b2", "c1"]
        assert {r.outcome for r in page.rows} == {"pending"}
        detail = await journal.detail("b2")
        assert detail is not None and detail.event["event"] == "Bought ✓"
        assert await journal.read(lambda c: c.execute("SELECT count(*) FROM inbox").fetchone()[0]) == 0
        assert journal.duplicates == 2


async def test_each_stored_event_is_exactly_its_own_encoding(tmp_path: Path) -> None:
    """The split cuts each event out of the request's bodies by offset: every event row must hold
    exactly the bytes the intake's encoder wrote for it (multi-byte characters, escapes, numbers)."""
    items = [
        {"type": "identify", "userId": "Zoë \u2603 \U0001f600", "messageId": "u1", "traits": {"n": 1e300, "i": -0, "f": 0.1}},
        {"type": "track", "event": 'quote " backslash \\ tab \t nul \u0000 line\u2028', "anonymousId": "a", "messageId": "u2"},
        {"type": "track", "event": "big", "userId": "u", "messageId": "u3", "properties": {"big": 2**70, "neg": -(2**63)}},
        {"type": "page", "userId": "u", "messageId": "u4", "properties": {"a": [[], {}, [None, True, False]], "e": ""}},
    ]
    when = datetime(2026, 11, 30, 12, 0, 1, tzinfo=timezone.utc)
    expected = {e.message_id: e.body for e in events_from_request("batch", json.loads(json.dumps({"batch": items})), when)}
    async with Journal(tmp_path / "j.sqlite3") as journal:
        accepted = accept_request("batch", json.loads(json.dumps({"batch": items})), when)
        assert isinstance(accepted, AcceptedBatch)
        await journal.append(accepted)
        stored = await journal.read(lambda c: dict(c.execute("SELECT message_id, body FROM events").fetchall()))
    assert {k: v.encode("utf-8") for k, v in stored.items()} == expected
    assert json.loads(stored["u3"])["properties"]["big"] == 2**70
    assert encode_json(json.loads(stored["u1"])) == stored["u1"].encode("utf-8")


async def test_reads_and_writes_right_after_append_see_every_event(tmp_path: Path) -> None:
    async with Journal(tmp_path / "j.sqlite3") as journal:
        for n in range(20):
            await journal.append(batch(*(f"m{n}-{i}" for i in range(50))))
            await journal.append(batch(f"m{n}-0"))  # a duplicate
            seen = await journal.write(lambda c: c.execute("SELECT count(*) FROM events").fetchone()[0])
            assert seen == (n + 1) * 50
        assert (await journal.counts())["pending"] == 1000
        assert journal.duplicates == 20


async def test_a_read_that_splits_a_backlog_checkpoints_what_it_wrote(tmp_path: Path, monkeypatch) -> None:
    """Requests waiting to be split when a read comes are split on the intake's connection, which
    only checkpoints when the writer says so: the rows that split wrote must count, or the WAL
    grows by the whole backlog each time and every later commit slows down."""
    from pipedrive_gui.receiver import journal as journal_module

    monkeypatch.setattr(journal_module, "_CHECKPOINT_BYTES", 512 * 1024)
    monkeypatch.setattr(journal_module._Writer, "SPLIT_WHEN_IDLE", 3600.0)  # only the read splits
    path = tmp_path / "j.sqlite3"
    padding = "x" * 4000
    async with Journal(path) as journal:
        for r in range(10):  # ~400 KB of requests: under the checkpoint threshold on their own
            accepted = accept_request(
                "batch",
                {"batch": [{"type": "track", "event": "E", "userId": "u", "messageId": f"{r}-{i}",
                            "properties": {"pad": padding}} for i in range(10)]},
            )
            await journal.append(accepted)
        db_before = path.stat().st_size
        assert (await journal.counts())["pending"] == 100  # splits the 10 requests into 100 rows
        await journal.write(lambda conn: None)  # the writer checkpoints after answering: wait for it
        # The split's rows (another ~400 KB) pushed the WAL over the threshold: checkpointed into
        # the database file.
        assert path.stat().st_size - db_before > 100 * 1024
