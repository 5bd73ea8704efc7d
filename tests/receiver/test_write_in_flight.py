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
from pipedrive_gui.pipedrive.client import ApiAnswer
from pipedrive_gui.receiver import Dispatcher, Journal, MappingProcessor
from pipedrive_gui.receiver.intake import events_from_request

ACTIVITY = Mapping(
    id="act",
    name="Call activity",
    action="createUpdateActivity",
    trigger='type = "track"',
    settings={"subject": {"@path": "$.properties.subject"}},
)  # no activity_id: not findable
PERSON = Mapping(
    id="person",
    name="People",
    action="createUpdatePerson",
    trigger='type = "track"',
    settings={"match_value": {"@path": "$.userId"}, "name": {"@path": "$.properties.name"}},
)
EVENT = {
    "type": "track",
    "event": "Call",
    "userId": "u1",
    "messageId": "m1",
    "properties": {"subject": "Call Jane", "name": "Jane"},
}


class Engine:
    """Records what would be sent; with ``hang_on`` set, hangs in that action's write (the crash point),
    or with ``in_lookup`` in its lookups, before the write (and before the before-write hook, as the
    real engine does)."""

    def __init__(self, hang_on: str | None = None, *, in_lookup: bool = False) -> None:
        self.calls: list[str] = []
        self.hang_on = hang_on
        self.in_lookup = in_lookup
        self.hanging = asyncio.Event()

    async def run(self, action_slug: str, payload: dict[str, Any], mode: str, **kw: Any) -> Any:
        self.calls.append(action_slug)
        if action_slug == self.hang_on and self.in_lookup:
            self.hanging.set()
            await asyncio.Event().wait()
        if kw.get("before_write") is not None:
            await kw["before_write"]()
        if action_slug == self.hang_on:
            self.hanging.set()
            await asyncio.Event().wait()
        return SimpleNamespace(
            outcome="create", record_id=7, record_name="x", message="created", calls=[], link=None
        )


async def crash_mid_write(
    path: Path, mappings: list[Mapping], hang_on: str, *, in_lookup: bool = False
) -> None:
    journal = Journal(path)
    await journal.open()
    await journal.append(events_from_request("track", dict(EVENT)))
    engine = Engine(hang_on, in_lookup=in_lookup)
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


async def test_a_crash_during_the_lookups_is_no_false_alarm(tmp_path: Path) -> None:
    """The note is written just before the write, not before the lookups: a process that
    dies while it is still looking records up wrote nothing, so nothing needs review."""
    path = tmp_path / "j.sqlite3"
    await crash_mid_write(path, [ACTIVITY], hang_on="createUpdateActivity", in_lookup=True)

    async with Journal(path) as journal:
        engine = Engine()
        await Dispatcher(journal, MappingProcessor([ACTIVITY], engine, "send")).run_until_idle()
        assert engine.calls == ["createUpdateActivity"]  # sent, not parked for review
        detail = await journal.detail("m1")
        assert detail is not None and detail.row.outcome == "delivered", detail.row.summary


class HangingSearchClient:
    """A stand-in Pipedrive client for the real engine: searches hang (the crash point); writes work."""

    host = "acme.pipedrive.com"
    base_url = "https://acme.pipedrive.com"

    def __init__(self, hang_searches: bool) -> None:
        self.hang_searches = hang_searches
        self.searching = asyncio.Event()
        self.writes: list[str] = []

    async def request_full(self, method: str, path: str, **_kw: Any) -> ApiAnswer:
        if method == "GET":
            if self.hang_searches:
                self.searching.set()
                await asyncio.Event().wait()
            return ApiAnswer(200, {"success": True, "data": {"items": []}})
        self.writes.append(f"{method} {path}")
        return ApiAnswer(201, {"success": True, "data": {"id": len(self.writes), "subject": "Call Jane"}})


CALL_ABOUT_PERSON = Mapping(
    id="act2",
    name="Calls",
    action="createUpdateActivity",
    trigger='type = "track"',
    settings={
        "subject": {"@path": "$.properties.subject"},
        "person_match_field": "email",
        "person_match_value": {"@path": "$.properties.email"},
    },
)


async def test_real_engine_crash_while_looking_up_leaves_no_in_flight_note(tmp_path: Path) -> None:
    """The real UpsertEngine: killed during its person search, the activity had not been sent, so the
    restart sends it (one write) instead of parking it as "needs review"."""
    from pipedrive_gui.pipedrive.engine import UpsertEngine

    path = tmp_path / "j.sqlite3"
    event = dict(EVENT, properties={"subject": "Call Jane", "email": "jane@example.com"})
    journal = Journal(path)
    await journal.open()
    await journal.append(events_from_request("track", event))
    hanging = HangingSearchClient(hang_searches=True)
    dispatcher = Dispatcher(journal, MappingProcessor([CALL_ABOUT_PERSON], UpsertEngine(hanging), "send"))
    task = asyncio.create_task(dispatcher.run_due())
    await asyncio.wait_for(hanging.searching.wait(), 10)
    task.cancel()  # the process dies while the engine is still looking the person up
    await asyncio.gather(task, return_exceptions=True)
    await journal.close()
    assert hanging.writes == []

    async with Journal(path) as journal:
        assert await journal.read(lambda c: c.execute("SELECT count(*) FROM inflight").fetchone()[0]) == 0
        client = HangingSearchClient(hang_searches=False)
        await Dispatcher(
            journal, MappingProcessor([CALL_ABOUT_PERSON], UpsertEngine(client), "send")
        ).run_until_idle()
        assert client.writes == ["POST /api/v2/activities"]
        detail = await journal.detail("m1")
        assert detail is not None and detail.row.outcome == "delivered", detail.row.summary
