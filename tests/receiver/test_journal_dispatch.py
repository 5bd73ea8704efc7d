"""Journal and dispatcher behaviour: outcomes, retries with backoff, parking, replay, force, paging,
filters, retention, export, change notifications."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from pipedrive_gui.receiver import (
    Journal,
    JournalQuery,
    Processed,
    Receiver,
    ReceiverChange,
    Retention,
    RetryPolicy,
)
from pipedrive_gui.receiver.intake import events_from_request
from tests.receiver.conftest import eventually


class ScriptedProcessor:
    """Stands in for the mapping processor: answers per event name, counts calls."""

    def __init__(self, script: dict[str, list[Processed]] | None = None) -> None:
        self.script = script or {}
        self.calls: list[tuple[str, bool, int]] = []

    async def process(
        self, event: dict[str, Any], previous: list[dict[str, Any]], force: bool, **_: Any
    ) -> Processed:
        name = event.get("event") or event["type"]
        self.calls.append((event["messageId"], force, len(previous)))
        answers = self.script.get(name)
        if answers:
            return answers.pop(0) if len(answers) > 1 else answers[0]
        return Processed(
            "planned", [{"mapping_id": "m", "mapping": "M", "fired": True, "outcome": "create"}], "ok"
        )


RATE_LIMITED = Processed(
    "failed", [{"mapping_id": "m", "fired": True, "outcome": "fail"}], "429", "rate limited"
)
BAD_MAPPING = Processed(
    "failed", [{"mapping_id": "m", "fired": True, "outcome": "invalid"}], "name is required"
)


async def send(r: Receiver, events: list[dict]) -> None:
    async with aiohttp.ClientSession() as s, s.post(r.url + "/v1/batch", json={"batch": events}) as resp:
        assert resp.status == 200


def ev(mid: str, name: str = "Order") -> dict:
    return {"type": "track", "event": name, "userId": "u-" + mid, "messageId": mid}


async def outcomes(r: Receiver) -> dict[str, str]:
    page = await r.query(JournalQuery(limit=1000))
    return {row.message_id: row.outcome for row in page.rows}


async def test_events_are_dispatched_once_in_order(data_dir: Path) -> None:
    proc = ScriptedProcessor()
    async with Receiver(data_dir, processor=proc) as r:
        await send(r, [ev(f"m{i}") for i in range(20)])
        got = await eventually(lambda: outcomes(r), lambda o: set(o.values()) == {"planned"} and len(o) == 20)
        assert len(got) == 20
        assert [c[0] for c in proc.calls] == [f"m{i}" for i in range(20)]
        detail = await r.detail("m3")
        assert (
            detail is not None and detail.row.dispatches == 1 and detail.deliveries[0]["outcome"] == "create"
        )


async def test_passing_failures_retry_with_backoff_then_park(data_dir: Path) -> None:
    proc = ScriptedProcessor(
        {"Flaky": [RATE_LIMITED, RATE_LIMITED, Processed("delivered", [], "done")], "Down": [RATE_LIMITED]}
    )
    retry = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)
    async with Receiver(data_dir, processor=proc, retry=retry) as r:
        await send(r, [ev("f", "Flaky"), ev("d", "Down")])
        got = await eventually(
            lambda: outcomes(r), lambda o: o.get("f") == "delivered" and o.get("d") == "failed"
        )
        assert got == {"f": "delivered", "d": "failed"}
        down = await r.detail("d")
        assert (
            down is not None
            and down.row.attempts == 3
            and "Gave up after 3 tries" in (down.row.summary or "")
        )
        assert [c[0] for c in proc.calls].count("f") == 3


async def test_mapping_problems_fail_at_once_and_replay_after_fix(data_dir: Path) -> None:
    proc = ScriptedProcessor({"Bad": [BAD_MAPPING]})
    async with Receiver(data_dir, processor=proc) as r:
        await send(r, [ev("b1", "Bad"), ev("ok1")])
        await eventually(lambda: outcomes(r), lambda o: o == {"b1": "failed", "ok1": "planned"})
        assert [c[0] for c in proc.calls].count("b1") == 1  # not retried: retrying cannot fix a mapping
        proc.script = {}  # "the user fixed the mapping"
        assert await r.replay(failed=True) == [(await r.detail("b1")).row.seq]  # type: ignore[union-attr]
        await eventually(lambda: outcomes(r), lambda o: o["b1"] == "planned")
        assert proc.calls[-1] == ("b1", False, 1)  # the previous deliveries are handed over
        await r.replay(["ok1"], force=True)
        await eventually(lambda: outcomes(r), lambda o: proc.calls[-1][0] == "ok1")
        assert proc.calls[-1][1] is True


async def test_dropped_events_are_not_dispatched_or_replayed(data_dir: Path) -> None:
    proc = ScriptedProcessor()
    async with Receiver(data_dir, processor=proc) as r:
        await send(r, [{"type": "track", "event": "E", "messageId": "anon"}, ev("x")])
        await eventually(lambda: outcomes(r), lambda o: o.get("x") == "planned")
        assert await r.replay(["anon"]) == []
        assert (await outcomes(r))["anon"] == "dropped"
        assert [c[0] for c in proc.calls] == ["x"]


async def test_unfinished_events_resume_after_restart(data_dir: Path) -> None:
    async with Receiver(data_dir) as r:  # journals only
        await send(r, [ev(f"p{i}") for i in range(5)])
        assert set((await outcomes(r)).values()) == {"pending"}
    proc = ScriptedProcessor()
    async with Receiver(data_dir, processor=proc) as r:
        await eventually(lambda: outcomes(r), lambda o: set(o.values()) == {"planned"})
        assert sorted(c[0] for c in proc.calls) == [f"p{i}" for i in range(5)]


async def test_query_paging_and_filters(data_dir: Path) -> None:
    async with Receiver(data_dir) as r:
        await send(r, [ev(f"t{i:02d}") for i in range(25)])
        await send(
            r,
            [
                {"type": "identify", "userId": "jane@example.com", "messageId": "id1"},
                {"type": "page", "anonymousId": "a", "name": "Home", "messageId": "pg1"},
                {"type": "track", "userId": "x", "messageId": "noname"},
            ],
        )
        page1 = await r.query(JournalQuery(limit=10, types=("track",)))
        assert page1.total == 26 and len(page1.rows) == 10 and page1.rows[0].message_id == "noname"
        page2 = await r.query(JournalQuery(limit=10, types=("track",), before=page1.next_before))
        page3 = await r.query(JournalQuery(limit=10, types=("track",), before=page2.next_before))
        assert len(page3.rows) == 6 and page3.next_before is None
        seen = [x.message_id for p in (page1, page2, page3) for x in p.rows]
        assert len(set(seen)) == 26
        assert [x.message_id for x in (await r.query(JournalQuery(text="jane@"))).rows] == ["id1"]
        assert [x.message_id for x in (await r.query(JournalQuery(text="Home"))).rows] == ["pg1"]
        assert [x.message_id for x in (await r.query(JournalQuery(outcomes=("dropped",)))).rows] == ["noname"]
        assert (await r.query(JournalQuery(text="100%_"))).total == 0  # LIKE wildcards are literal
        counts = await r.counts()
        assert counts["pending"] == 27 and counts["dropped"] == 1


async def test_export_json_lines(data_dir: Path, tmp_path: Path) -> None:
    async with Receiver(data_dir, processor=ScriptedProcessor()) as r:
        await send(r, [ev("e1"), ev("e2")])
        await eventually(lambda: outcomes(r), lambda o: set(o.values()) == {"planned"})
        n = await r.export(tmp_path / "out.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert n == 2 and [x["messageId"] for x in lines] == ["e1", "e2"]
    assert lines[0]["event"]["event"] == "Order" and lines[0]["outcome"] == "planned"
    assert lines[0]["deliveries"][0]["outcome"] == "create"


async def test_change_notifications_are_coalesced(data_dir: Path) -> None:
    changes: list[ReceiverChange] = []
    async with Receiver(data_dir, processor=ScriptedProcessor()) as r:
        unsubscribe = r.on_change(changes.append)
        await send(r, [ev(f"c{i}") for i in range(10)])

        async def totals() -> tuple[int, int]:
            return sum(c.appended for c in changes), sum(c.dispatched for c in changes)

        await eventually(totals, lambda t: t == (10, 10))
        assert len(changes) < 10
        unsubscribe()
        before = len(changes)
        await send(r, [ev("after")])
        await eventually(lambda: outcomes(r), lambda o: o.get("after") == "planned")
    assert len(changes) == before


async def test_retention_keeps_unfinished_events(tmp_path: Path) -> None:
    journal = Journal(
        tmp_path / "j.sqlite3", retention=Retention(max_age_days=None, max_rows=10, max_bytes=None)
    )
    async with journal:
        events = events_from_request("batch", {"batch": [ev(f"r{i:02d}") for i in range(30)]})
        await journal.append(events)
        assert await journal.prune() == 0  # all pending: nothing acknowledged-but-unfinished is ever pruned
        for item in await journal.due(limit=20):
            await journal.record(item.seq, "planned", summary="ok", deliveries=[], attempts=1)
        removed = await journal.prune()
        assert removed == 20
        page = await journal.query(JournalQuery(limit=100))
        assert page.total == 10 and {row.outcome for row in page.rows} == {"pending"}


async def test_retention_by_size(tmp_path: Path) -> None:
    journal = Journal(
        tmp_path / "j.sqlite3", retention=Retention(max_age_days=None, max_rows=None, max_bytes=400_000)
    )
    async with journal:
        big = {"x": "y" * 4000}
        for chunk in range(5):
            events = events_from_request(
                "batch", {"batch": [{**ev(f"s{chunk}-{i}"), "properties": big} for i in range(50)]}
            )
            await journal.append(events)
            for item in await journal.due(limit=100):
                await journal.record(item.seq, "planned", summary="ok", deliveries=[], attempts=1)
        await journal.prune()
        page = await journal.query(JournalQuery(limit=1000))
        assert page.total is not None and 0 < page.total < 250
        assert page.rows[0].message_id == "s4-49"  # the newest survive


async def test_retention_by_age(tmp_path: Path) -> None:
    journal = Journal(
        tmp_path / "j.sqlite3", retention=Retention(max_age_days=0.0, max_rows=None, max_bytes=None)
    )
    async with journal:
        await journal.append(events_from_request("batch", {"batch": [ev(f"a{i:02d}") for i in range(12)]}))
        for item in (await journal.due(limit=100))[:8]:
            await journal.record(item.seq, "skipped", summary="ok", deliveries=[], attempts=1)
        assert await journal.prune() == 8  # everything finished is "older than 0 days"
        page = await journal.query(JournalQuery(limit=100))
        assert page.total == 4 and {row.outcome for row in page.rows} == {"pending"}
