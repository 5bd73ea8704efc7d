"""The journal's reads for a virtual table (``count``, ``fired_mappings``) and its change watcher,
without a display: they mean exactly what ``Journal.query`` filters."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from pipedrive_gui.receiver import JOURNAL_FILE, Journal, JournalQuery, Outcome
from pipedrive_gui.receiver.intake import AcceptedEvent
from pipedrive_gui.receiver.journal import JournalWatcher

FIRED = json.dumps(
    [
        {"mapping": "People", "fired": True, "outcome": "create"},
        {"mapping_id": "deals", "fired": True, "outcome": "fail"},
        {"mapping": "Notes", "fired": False},
    ]
)


def _events(n: int) -> list[AcceptedEvent]:
    return [
        AcceptedEvent(
            f"m-{i}",
            "track" if i % 2 else "identify",
            None,
            json.dumps(
                {
                    "type": "track" if i % 2 else "identify",
                    "event": f"E{i}",
                    "userId": "u",
                    "messageId": f"m-{i}",
                }
            ),
        )
        for i in range(n)
    ]


def test_counts_and_fired_mappings_mean_what_query_means(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Journal(tmp_path / JOURNAL_FILE) as journal:
            await journal.append(_events(30))
            await journal.write(
                lambda conn: conn.execute(
                    "UPDATE events SET outcome = ?, result = ? WHERE seq % 3 = 0", (Outcome.DELIVERED, FIRED)
                )
            )
            await journal.write(
                lambda conn: conn.execute("UPDATE events SET result = ? WHERE seq = 2", ("not json",))
            )
            for q in (
                JournalQuery(),
                JournalQuery(outcomes=(Outcome.DELIVERED,)),
                JournalQuery(types=("track",)),
                JournalQuery(outcomes=(Outcome.PENDING,), types=("identify",)),
                JournalQuery(text="E1"),
            ):
                total, top = await journal.count(q)
                page = await journal.query(q)
                assert total == page.total and top == (page.rows[0].seq if page.rows else None), q
                below, _ = await journal.count(q, upto=12)
                assert below == len([r for r in page.rows if r.seq <= 12]), q
            assert await journal.fired_mappings([]) == {}
            fired = await journal.fired_mappings([1, 2, 3, 99])
            assert fired == {1: [], 2: [], 3: ["People", "deals"]}

    asyncio.run(scenario())


def test_the_watcher_sees_commits_of_any_connection(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    watcher = JournalWatcher(path)
    assert not watcher.changed()  # no file yet

    async def scenario() -> None:
        async with Journal(path) as journal:
            assert not watcher.changed()  # the first look takes the baseline
            assert not watcher.changed()
            await journal.append(_events(1))
            assert watcher.changed()
            assert not watcher.changed()

    try:
        asyncio.run(scenario())
    finally:
        watcher.close()
