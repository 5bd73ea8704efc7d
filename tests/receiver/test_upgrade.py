"""Journals written by earlier versions: the first writer upgrades them, losing nothing acknowledged.

Version 1 committed each request as one ``inbox`` row and split it into events rows later, with the
dedupe window in the receiver's memory; version 0 had a UNIQUE index on ``events.message_id``.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from pipedrive_gui.receiver import Journal, JournalQuery
from pipedrive_gui.receiver.intake import AcceptedBatch, accept_request

# The version 1 schema, as it was.
V1_SCHEMA = """
CREATE TABLE events (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL, type TEXT NOT NULL,
    received_ts REAL NOT NULL, flag TEXT, outcome TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0, dispatches INTEGER NOT NULL DEFAULT 0,
    force INTEGER NOT NULL DEFAULT 0, summary TEXT, body TEXT NOT NULL, result TEXT, updated_at REAL);
CREATE INDEX events_outcome ON events(outcome, seq);
CREATE TABLE inbox (id INTEGER PRIMARY KEY, received_ts REAL NOT NULL, count INTEGER NOT NULL,
    idx TEXT NOT NULL, bodies BLOB NOT NULL);
CREATE TABLE inflight (seq INTEGER NOT NULL, mapping_id TEXT NOT NULL, started REAL NOT NULL,
    PRIMARY KEY (seq, mapping_id));
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def batch(*ids: str) -> AcceptedBatch:
    accepted = accept_request(
        "batch",
        {"batch": [{"type": "track", "event": "Bought ✓", "userId": "u", "messageId": i} for i in ids]},
    )
    assert isinstance(accepted, AcceptedBatch)
    return accepted


def version_1_journal(path: Path) -> None:
    """A version 1 journal as a crash right after some 200s left it: a1 split into events, two
    acknowledged requests still in the inbox (with duplicates among them)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(V1_SCHEMA)
    with conn:
        a1 = batch("a1")
        conn.execute(
            "INSERT INTO events (message_id, type, received_ts, outcome, body) VALUES ('a1', 'track', ?, 'planned', ?)",
            (time.time(), a1.bodies.decode()),
        )
        for accepted in (batch("b1", "b2"), batch("b2", "a1", "c1")):
            conn.execute(
                "INSERT INTO inbox (received_ts, count, idx, bodies) VALUES (?, ?, ?, ?)",
                (time.time(), accepted.size, accepted.idx.decode(), accepted.bodies),
            )
    conn.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


async def test_acknowledged_inbox_rows_become_events_once_and_the_inbox_goes(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    version_1_journal(path)
    async with Journal(path) as journal:
        page = await journal.query(JournalQuery(oldest_first=True))
        assert [(r.message_id, r.outcome) for r in page.rows] == [
            ("a1", "planned"),
            ("b1", "pending"),
            ("b2", "pending"),
            ("c1", "pending"),
        ]
        detail = await journal.detail("b2")
        assert detail is not None and detail.event["event"] == "Bought ✓"
        # The window knows every messageId the old receiver accepted: a client's late retry is refused.
        assert (await journal.append(batch("a1", "b1", "c1", "d1"))).accepted == 1
    assert "inbox" not in tables(path) and "seen" in tables(path)
    async with Journal(path) as journal:  # opening again changes nothing
        assert [r.message_id for r in (await journal.query(JournalQuery(oldest_first=True))).rows] == [
            "a1",
            "b1",
            "b2",
            "c1",
            "d1",
        ]


async def test_a_reader_leaves_an_old_journal_as_it_is(tmp_path: Path) -> None:
    """Upgrading is a writer's job: a reading command shows what is in events and changes nothing."""
    path = tmp_path / "j.sqlite3"
    version_1_journal(path)
    async with Journal(path, read_only=True) as journal:
        assert [r.message_id for r in (await journal.query(JournalQuery())).rows] == ["a1"]
    assert "inbox" in tables(path) and "seen" not in tables(path)


async def test_a_version_0_journal_loses_its_unique_index_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,"
            " received_ts REAL NOT NULL, flag TEXT, outcome TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
            " next_attempt REAL NOT NULL DEFAULT 0, dispatches INTEGER NOT NULL DEFAULT 0,"
            " force INTEGER NOT NULL DEFAULT 0, summary TEXT, body TEXT NOT NULL, result TEXT, updated_at REAL)"
        )
        conn.execute(
            "INSERT INTO events (seq, message_id, type, received_ts, outcome, summary, body)"
            " VALUES (7, 'old-1', 'identify', ?, 'planned', 'Person would be updated', '{\"userId\":\"u\"}')",
            (time.time(),),
        )
    conn.close()
    async with Journal(path) as journal:
        await journal.append(batch("old-1", "new-1"))  # old-1 is a duplicate: accepted within 24 hours
        page = await journal.query(JournalQuery(oldest_first=True))
        assert [(r.seq, r.message_id, r.outcome) for r in page.rows] == [
            (7, "old-1", "planned"),
            (8, "new-1", "pending"),
        ]
        assert page.rows[0].summary == "Person would be updated"
        unique = "SELECT count(*) FROM pragma_index_list('events') WHERE \"unique\""
        assert await journal.read(lambda c: c.execute(unique).fetchone()[0]) == 0
    async with Journal(path) as journal:  # opening again changes nothing
        assert [r.seq for r in (await journal.query(JournalQuery(oldest_first=True))).rows] == [7, 8]
