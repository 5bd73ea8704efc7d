"""A live write cut off by a crash is never blindly repeated when that could create a second record.

The "crash" is a dispatcher task cancelled while the engine is sending, then the journal is closed
and opened again (as a new process would); the note written before the send is what survives.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pipedrive_gui.core.project import Mapping
from pipedrive_gui.receiver import Dispatcher, Journal, MappingProcessor
from pipedrive_gui.receiver.intake import events_from_request

ACTIVITY = Mapping(id="act", name="Call activity", action="createUpdateActivity", trigger='type = "track"',
                   settings={"subject": {"@path": "$.properties.subject"}})  # no activity_id: not findable
PERSON = Mapping(id="person", name="People", action="createUpdatePerson", trigger='type = "track"',
                 settings={"match_value": {"@path": "$.userId"}, "name": {"@path": "$.properties.name"}})
EVENT = {"type": "track", "event": "Call", "userId": "u1", "messageId": "m1",
         "properties": {"subject": "Call Jane", "name": "Jane"}}


class Engine:
    """Records what would be sent; with ``hang_on`` set, hangs in that action's write (the crash point)."""

    def __init__(self, hang_on: str | None = None) -> None:
        self.calls: list[str] = []
        self.hang_on = hang_on
        self.hanging = asyncio.Event()

    async def run(self, action_slug: str, payload: dict[str, Any], mode: str) -> Any:
        self.calls.append(action_slug)
        if action_slug == self.hang_on:
            self.hanging.set()
            await asyncio.Event().wait()
        return SimpleNamespace(outcome="create", record_id=7, record_name="x", message="created", calls=[], link=None)


async def crash_mid_write(path: Path, mappings: list[Mapping], hang_on: str) -> None:
    journal = Journal(path)
    await journal.open()
    await journal.append(events_from_request("track", dict(EVENT)))
    engine = Engine(hang_on)
    dispatcher = Dispatcher(journal, MappingProcessor(mappings, engine, "send"))
    task = asyncio.create_task(dispatcher.run_due())
    await asyncio.wait_for(engine.hanging.wait(), 10)
    task.cancel()  # the process dies while the write is out
    await asyncio.gather(task, return_exceptions=True)
    await journal.close()


async def test_cut_off_activity_is_parked_for_review_not_sent_twice(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    await crash_mid_write(path, [ACTIVITY, PERSON], hang_on="createUpdateActivity")

    async with Journal(path) as journal:
        engine = Engine()
        dispatcher = Dispatcher(journal, MappingProcessor([ACTIVITY, PERSON], engine, "send"))
        await dispatcher.run_until_idle()
        assert engine.calls == ["createUpdatePerson"]  # the activity is not sent again blindly
        detail = await journal.detail("m1")
        assert detail is not None and detail.row.outcome == "failed"
        act = next(d for d in detail.deliveries if d["mapping_id"] == "act")
        assert act["outcome"] == "needs_review" and "may already exist" in act["message"]
        assert "replay with force" in (detail.row.summary or "")

        await journal.mark_for_replay(["m1"])  # a plain replay keeps it parked
        await dispatcher.run_until_idle()
        assert engine.calls == ["createUpdatePerson"]
        detail = await journal.detail("m1")
        assert detail is not None and detail.row.outcome == "failed"

        await journal.mark_for_replay(["m1"], force=True)  # the user checked Pipedrive: send it
        await dispatcher.run_until_idle()
        assert engine.calls.count("createUpdateActivity") == 1
        detail = await journal.detail("m1")
        assert detail is not None and detail.row.outcome == "delivered"


async def test_cut_off_write_that_can_be_looked_up_is_sent_again(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    await crash_mid_write(path, [PERSON], hang_on="createUpdatePerson")

    async with Journal(path) as journal:
        engine = Engine()
        await Dispatcher(journal, MappingProcessor([PERSON], engine, "send")).run_until_idle()
        assert engine.calls == ["createUpdatePerson"]  # the lookup by match value finds what was made
        detail = await journal.detail("m1")
        assert detail is not None and detail.row.outcome == "delivered"
        assert await journal.read(lambda c: c.execute("SELECT count(*) FROM inflight").fetchone()[0]) == 0


async def test_dry_run_writes_no_in_flight_note(tmp_path: Path) -> None:
    async with Journal(tmp_path / "j.sqlite3") as journal:
        await journal.append(events_from_request("track", dict(EVENT)))
        engine = Engine()
        await Dispatcher(journal, MappingProcessor([ACTIVITY], engine, "dry_run")).run_until_idle()
        assert engine.calls == ["createUpdateActivity"]
        assert await journal.read(lambda c: c.execute("SELECT count(*) FROM inflight").fetchone()[0]) == 0
