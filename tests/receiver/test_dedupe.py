"""Duplicates by messageId: client retries resend batches; the journal stores one event per messageId
within its 24-hour window, whoever writes the file (see receiver/dedupe.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipedrive_gui.receiver import Journal, JournalQuery, Retention
from pipedrive_gui.receiver.dedupe import WINDOW_SECONDS
from pipedrive_gui.receiver.errors import JournalError
from pipedrive_gui.receiver.intake import accept_request


def batch(*ids: str):  # noqa: ANN201 - AcceptedBatch or list
    return accept_request(
        "batch", {"batch": [{"type": "identify", "userId": "u", "messageId": i} for i in ids]}
    )


async def stored_ids(journal: Journal) -> list[str]:
    return [r.message_id for r in (await journal.query(JournalQuery(oldest_first=True, limit=10_000))).rows]


async def test_a_retried_batch_is_stored_once_also_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    async with Journal(path) as journal:
        first = await journal.append(batch("m1", "m2", "m2", "m3"))  # a repeat inside one request too
        assert (first.accepted, first.duplicates) == (3, 1)
        again = await journal.append(batch("m1", "m2", "m3"))  # the client retried
        assert (again.accepted, again.duplicates) == (0, 3)
        assert (await journal.counts())["pending"] == 3
        assert journal.duplicates == 4
    async with Journal(path) as journal:
        assert (await journal.append(batch("m3", "m4"))).duplicates == 1
        assert await stored_ids(journal) == ["m1", "m2", "m3", "m4"]


async def test_two_writers_of_one_file_share_the_window(tmp_path: Path) -> None:
    """The window lives in the file: a second writer (another process: a replay, a receiver started
    after a crash) refuses what the first accepted, and the other way round."""
    path = tmp_path / "j.sqlite3"
    async with Journal(path) as first, Journal(path) as second:
        await first.append(batch("a", "b"))
        assert (await second.append(batch("a", "b", "c"))).accepted == 1
        assert (await first.append(batch("c", "d"))).accepted == 1
        assert await stored_ids(first) == ["a", "b", "c", "d"]


async def test_flagged_events_are_deduplicated_too(tmp_path: Path) -> None:
    flagged = accept_request(
        "batch",
        {
            "batch": [
                {"type": "track", "userId": "u", "messageId": "f1"},
                {"type": "identify", "userId": "u", "messageId": "ok1"},
            ]
        },
    )
    assert isinstance(flagged, list) and flagged[0].flag == "missing_event"  # the one-by-one path
    async with Journal(tmp_path / "j.sqlite3") as journal:
        assert (await journal.append(flagged)).accepted == 2
        assert (await journal.append(flagged)).duplicates == 2
        assert (await journal.append(batch("ok1", "f1", "new"))).accepted == 1
        assert await stored_ids(journal) == ["f1", "ok1", "new"]


async def test_events_of_a_failed_write_are_not_taken_for_duplicates_later(tmp_path: Path) -> None:
    async with Journal(tmp_path / "j.sqlite3") as journal:
        await journal.append(batch("ok"))

        def append_then_fail(conn: sqlite3.Connection) -> None:
            from pipedrive_gui.receiver.journal import store_events

            store_events(conn, batch("lost-1"), 0.0)
            conn.execute("INSERT INTO events (message_id) VALUES (NULL)")  # violates NOT NULL

        with pytest.raises(sqlite3.IntegrityError):
            await journal.write(append_then_fail)  # rolled back: the event and its messageId
        assert (await journal.append(batch("lost-1"))).accepted == 1  # the client's retry is stored
        assert await stored_ids(journal) == ["ok", "lost-1"]


async def test_the_window_is_24_hours_whatever_the_event_retention(tmp_path: Path) -> None:
    """A retention that prunes every finished event at once prunes events, not the memory of their
    messageIds."""
    async with Journal(tmp_path / "j.sqlite3", retention=Retention(0.0, None, None)) as journal:
        await journal.append(batch("recent", "old"))
        for item in await journal.due():
            await journal.record(item.seq, "skipped", summary="", deliveries=[], attempts=1)

        def age(conn: sqlite3.Connection) -> None:  # as if accepted long ago
            conn.execute(
                "UPDATE seen SET received_ts = received_ts - ? WHERE message_id = 'recent'",
                (WINDOW_SECONDS - 3600,),
            )
            conn.execute(
                "UPDATE seen SET received_ts = received_ts - ? WHERE message_id = 'old'",
                (WINDOW_SECONDS + 3600,),
            )

        await journal.write(age)
        assert await journal.prune() == 2  # both events are finished and "older than 0 days"
        assert await stored_ids(journal) == []
        # 23 hours after: still a duplicate; 25 hours after: a new event, as at Segment.
        assert (await journal.append(batch("recent", "old"))).accepted == 1
        assert await stored_ids(journal) == ["old"]


async def test_a_closed_journal_refuses_writes_clearly(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    with pytest.raises(JournalError, match="not open"):
        await journal.append(batch("x"))
