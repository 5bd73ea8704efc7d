"""Accepted requests are committed whole (the inbox) and become per-event rows right after; nothing
outside the journal ever sees the difference, and a crash in between loses nothing."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from pipedrive_gui.receiver import Journal, JournalQuery
from pipedrive_gui.receiver.intake import events_from_request
from pipedrive_gui.receiver.journal import _INBOX_INSERT, inbox_row


def batch(*ids: str) -> list:
    return events_from_request(
        "batch", {"batch": [{"type": "track", "event": "Bought ✓", "userId": "u", "messageId": i} for i in ids]}
    )


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


async def test_reads_and_writes_right_after_append_see_every_event(tmp_path: Path) -> None:
    async with Journal(tmp_path / "j.sqlite3") as journal:
        for n in range(20):
            await journal.append(batch(*(f"m{n}-{i}" for i in range(50))))
            await journal.append(batch(f"m{n}-0"))  # a duplicate
            seen = await journal.write(lambda c: c.execute("SELECT count(*) FROM events").fetchone()[0])
            assert seen == (n + 1) * 50
        assert (await journal.counts())["pending"] == 1000
        assert journal.duplicates == 20
