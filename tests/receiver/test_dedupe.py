"""Duplicates by messageId: client retries resend batches; the journal keeps one row per messageId
within its window of recent ids, across restarts and after failed writes."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from pipedrive_gui.receiver import Journal, JournalQuery
from pipedrive_gui.receiver.dedupe import RecentIds
from pipedrive_gui.receiver.errors import JournalError
from pipedrive_gui.receiver.intake import accept_request


def batch(*ids: str):  # noqa: ANN201 - AcceptedBatch or list
    return accept_request("batch", {"batch": [{"type": "identify", "userId": "u", "messageId": i} for i in ids]})


def test_window_forgets_the_oldest_ids_first() -> None:
    recent = RecentIds(3, ["a", "b", "c"])
    # "d" pushes "a" out, so "a" counts as new again and pushes "b" out.
    assert recent.admit(["c", "d", "d", "a"]) == [0, 2]
    assert "b" not in recent and "a" in recent and len(recent) == 3
    assert recent.admit(["b"]) == []


async def test_a_retried_batch_is_stored_once_also_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    async with Journal(path) as journal:
        await journal.append(batch("m1", "m2", "m2", "m3"))  # a repeat inside one request too
        await journal.append(batch("m1", "m2", "m3"))  # the client retried
        assert (await journal.counts())["pending"] == 3
        assert journal.duplicates == 4
    async with Journal(path) as journal:
        await journal.append(batch("m3", "m4"))
        page = await journal.query(JournalQuery(oldest_first=True))
        assert [r.message_id for r in page.rows] == ["m1", "m2", "m3", "m4"]
        assert journal.duplicates == 1


async def test_events_of_a_failed_write_are_not_taken_for_duplicates_later(tmp_path: Path) -> None:
    async with Journal(tmp_path / "j.sqlite3") as journal:
        await journal.append(batch("ok"))
        # A write that fails after the window admitted ids, in the same transaction as a split:
        await journal.append(batch("lost-1"))

        def explode(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO events (message_id) VALUES (NULL)")  # violates NOT NULL

        with pytest.raises(sqlite3.IntegrityError):
            await journal.write(explode)
        # Flagged events take the per-row path; make that path fail inside its own savepoint.
        flagged = accept_request("batch", {"batch": [{"type": "track", "userId": "u", "messageId": "f1"}]})
        assert isinstance(flagged, list) and flagged[0].flag == "missing_event"
        await journal.append(flagged)
        assert {r.message_id for r in (await journal.query(JournalQuery())).rows} == {"ok", "lost-1", "f1"}


async def test_a_rolled_back_group_resyncs_the_window(tmp_path: Path) -> None:
    async with Journal(tmp_path / "j.sqlite3") as journal:
        writer = journal._require_writer()
        writer.splitter.recent.admit(["ghost"])  # as if admitted by a transaction that then rolled back
        writer._resync()
        assert "ghost" not in writer.splitter.recent
        await journal.append(batch("ghost"))
        assert (await journal.counts())["pending"] == 1


async def test_a_closed_journal_refuses_writes_clearly(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    with pytest.raises(JournalError, match="not open"):
        await journal.append(batch("x"))


async def test_a_journal_from_an_earlier_version_loses_its_unique_index_and_keeps_every_row(tmp_path: Path) -> None:
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
        await journal.append(batch("old-1", "new-1"))  # old-1 is a duplicate: it is in the window
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
